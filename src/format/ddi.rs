//! Choosing the partitions to boot inside a DDI's own GPT (DPS; SPECS §2, §2.1, §2.2).
//!
//! A DDI carries a root (or /usr) file system, its dm-verity hash partition and optionally a
//! verity signature partition, typed per architecture. With a root hash, the data partition's
//! UUID is the hash's first 16 bytes and the verity partition's UUID its last 16 bytes (text
//! order, SPECS §2.1); partitions that do not match are ignored, as systemd does. Without one,
//! each role must have at most one usable candidate.

use crate::format::gpt::{Gpt, Partition};
use crate::format::guid::{types::*, Guid};
use crate::text::{variant_index, Line, Show, Text};

/// CPU architectures with DPS partition types.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Arch {
    X86_64,
    Arm64,
    X86,
    Arm,
    Riscv64,
}

pub const ARCHES: [Arch; 5] = [Arch::X86_64, Arch::Arm64, Arch::X86, Arch::Arm, Arch::Riscv64];

/// The architecture ddiboot was built for.
#[cfg(target_arch = "x86_64")]
pub const NATIVE_ARCH: Arch = Arch::X86_64;
#[cfg(target_arch = "aarch64")]
pub const NATIVE_ARCH: Arch = Arch::Arm64;
#[cfg(target_arch = "x86")]
pub const NATIVE_ARCH: Arch = Arch::X86;
#[cfg(target_arch = "arm")]
pub const NATIVE_ARCH: Arch = Arch::Arm;
#[cfg(target_arch = "riscv64")]
pub const NATIVE_ARCH: Arch = Arch::Riscv64;

/// Which file system the DDI provides (root preferred).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DdiKind {
    Root,
    Usr,
}

/// What a partition holds for its file system.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    Data,
    Verity,
    VeritySig,
}

/// Type GUIDs per arch (in `ARCHES` order): root, root-verity, root-verity-sig, usr,
/// usr-verity, usr-verity-sig (SPECS §2 table).
const TYPES: [[Guid; 6]; 5] = [
    [ROOT_X86_64, ROOT_X86_64_VERITY, ROOT_X86_64_VERITY_SIG, USR_X86_64, USR_X86_64_VERITY, USR_X86_64_VERITY_SIG],
    [ROOT_ARM64, ROOT_ARM64_VERITY, ROOT_ARM64_VERITY_SIG, USR_ARM64, USR_ARM64_VERITY, USR_ARM64_VERITY_SIG],
    [ROOT_X86, ROOT_X86_VERITY, ROOT_X86_VERITY_SIG, USR_X86, USR_X86_VERITY, USR_X86_VERITY_SIG],
    [ROOT_ARM, ROOT_ARM_VERITY, ROOT_ARM_VERITY_SIG, USR_ARM, USR_ARM_VERITY, USR_ARM_VERITY_SIG],
    [
        ROOT_RISCV64,
        ROOT_RISCV64_VERITY,
        ROOT_RISCV64_VERITY_SIG,
        USR_RISCV64,
        USR_RISCV64_VERITY,
        USR_RISCV64_VERITY_SIG,
    ],
];

/// Number of DPS root/usr types (5 arches × 2 kinds × 3 roles).
pub const DPS_TYPES: usize = 30;

impl Arch {
    /// systemd's names (`systemd-id128 show`), e.g. `x86-64`, in `Arch` order
    /// (`text::push_nth`).
    const NAMES: Text = msg!("x86-64\0arm64\0x86\0arm\0riscv64");

    /// (data, verity, verity-sig) type GUIDs of a kind.
    pub fn types(self, kind: DdiKind) -> (Guid, Guid, Guid) {
        let t = |role| DpsType { kind, arch: self, role }.guid();
        (t(Role::Data), t(Role::Verity), t(Role::VeritySig))
    }
    pub fn root_types(self) -> (Guid, Guid, Guid) {
        self.types(DdiKind::Root)
    }
    pub fn usr_types(self) -> (Guid, Guid, Guid) {
        self.types(DdiKind::Usr)
    }
}

/// Shown by its systemd name (`x86-64`).
impl Show for Arch {
    fn show(&self, out: &mut Line) {
        out.push_nth(Arch::NAMES, *self as usize)
    }
}

/// One DPS root/usr partition type; shown by its systemd name (`root-x86-64-verity`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DpsType {
    pub kind: DdiKind,
    pub arch: Arch,
    pub role: Role,
}

impl DpsType {
    /// Position in `0..DPS_TYPES` (arch-major, as in `TYPES`).
    pub fn index(self) -> usize {
        self.arch as usize * 6 + self.kind as usize * 3 + self.role as usize
    }

    /// The inverse of `index` (wraps modulo `DPS_TYPES`).
    pub fn from_index(i: usize) -> DpsType {
        let i = i % DPS_TYPES;
        let kind = if (i / 3).is_multiple_of(2) { DdiKind::Root } else { DdiKind::Usr };
        let role = [Role::Data, Role::Verity, Role::VeritySig][i % 3];
        DpsType { kind, arch: ARCHES[i / 6], role }
    }

    pub fn guid(self) -> Guid {
        TYPES.as_flattened().get(self.index()).copied().unwrap_or(Guid::ZERO)
    }

    /// The DPS root/usr type with this GUID, if any.
    pub fn of(g: Guid) -> Option<DpsType> {
        type_index(g).map(DpsType::from_index)
    }
}

/// The position of a DPS root/usr type GUID in `TYPES` (= `DpsType::index`).
fn type_index(g: Guid) -> Option<usize> {
    TYPES.as_flattened().iter().position(|t| *t == g)
}

impl Show for DpsType {
    fn show(&self, out: &mut Line) {
        // By position in `DdiKind`, `Role` (`text::push_nth`).
        out.push_nth(msg!("root-\0usr-"), self.kind as usize);
        self.arch.show(out);
        out.push_nth(msg!("\0-verity\0-verity-sig"), self.role as usize);
    }
}

/// The set of DPS types among a GPT's usable partitions (for error messages).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Seen(pub u32);

impl Seen {
    pub fn of(gpt: &Gpt) -> Seen {
        let types = gpt.partitions.iter().filter(|p| usable(p)).filter_map(|p| type_index(p.type_guid));
        Seen(types.fold(0, |set, i| set | 1 << i))
    }
    pub fn contains(self, t: DpsType) -> bool {
        self.0 & 1 << t.index() != 0
    }
    fn types(self) -> impl Iterator<Item = DpsType> {
        (0..DPS_TYPES).map(DpsType::from_index).filter(move |&t| self.contains(t))
    }
}

/// Comma-separated names, or `nothing`.
impl Show for Seen {
    fn show(&self, out: &mut Line) {
        if self.0 == 0 {
            out.push_text(msg!("nothing"));
        }
        for (i, t) in self.types().enumerate() {
            if i > 0 {
                out.push_text(msg!(", "));
            }
            t.show(out);
        }
    }
}

/// The partitions to boot.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DdiSelection {
    pub kind: DdiKind,
    pub arch: Arch,
    pub data: Partition,
    /// Always present when a root hash was given.
    pub verity: Option<Partition>,
    pub verity_sig: Option<Partition>,
}

/// Why no partitions were selected. `seen` lists the usable DPS partitions found.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DdiError {
    /// Root hash shorter than 16 bytes, or its first or last 16 bytes all zero.
    BadRootHash,
    /// No usable root/usr partition of any arch.
    NoPartitions { arch: Arch },
    /// None for `arch`, but some for other arches.
    WrongArch { arch: Arch, seen: Seen },
    /// A root hash was given and no data partition of `arch` has its first half as UUID.
    NoMatchingData { arch: Arch, seen: Seen },
    /// The data partition matches the root hash, no verity partition the last half.
    NoMatchingVerity(DpsType),
    /// Several usable partitions of one type and nothing to choose by.
    Ambiguous { ty: DpsType, count: u32 },
    /// Verity without data, or a signature without verity.
    Incomplete { arch: Arch, seen: Seen },
}

/// The messages of [`DdiError`], one per variant in declaration order (`text::push_nth`);
/// the values and the rest of the message follow.
const DDI_MESSAGES: Text = msg!(concat!(
    "root hash shorter than 16 bytes or half zero\0",
    "no root or usr partition for \0",
    "no root or usr partition for \0",
    "no root or usr partition matching the root hash for \0",
    "no \0",      // NoMatchingVerity: TYPE partition matching the root hash
    " usable \0", // Ambiguous, after the count: TYPE partitions, cannot choose
    "incomplete partition set for ",
));

impl Show for DdiError {
    fn show(&self, out: &mut Line) {
        use DdiError::*;
        if let Ambiguous { count, .. } = self {
            count.show(out);
        }
        out.push_nth(DDI_MESSAGES, variant_index(self));
        let (arch, seen) = match *self {
            BadRootHash => return,
            NoPartitions { arch } => (arch, Seen(0)),
            WrongArch { arch, seen } | NoMatchingData { arch, seen } | Incomplete { arch, seen } => (arch, seen),
            NoMatchingVerity(ty) => {
                ty.show(out);
                return out.push_text(msg!(" partition matching the root hash"));
            }
            Ambiguous { ty, .. } => {
                ty.show(out);
                return out.push_text(msg!(" partitions, cannot choose"));
            }
        };
        arch.show(out);
        out.push_text(msg!(" (found: "));
        seen.show(out);
        out.push_text(msg!(")"));
    }
}

/// The UUIDs a root hash names (SPECS §2.1): (data, verity), as on disk.
pub fn root_hash_uuids(hash: &[u8]) -> Result<(Guid, Guid), DdiError> {
    let half = |at: usize| hash.get(at..at.checked_add(16)?)?.try_into().ok().map(Guid::from_text_order);
    let data = half(0).ok_or(DdiError::BadRootHash)?;
    let verity = half(hash.len().wrapping_sub(16)).ok_or(DdiError::BadRootHash)?;
    if data.is_zero() || verity.is_zero() {
        return Err(DdiError::BadRootHash);
    }
    Ok((data, verity))
}

/// Selects the partitions to boot for `arch` (SPECS §2.2). `root_hash` is the binary hash.
pub fn select(gpt: &Gpt, arch: Arch, root_hash: Option<&[u8]>) -> Result<DdiSelection, DdiError> {
    let want = root_hash.map(root_hash_uuids).transpose()?;
    for kind in [DdiKind::Root, DdiKind::Usr] {
        let ty = |role| DpsType { kind, arch, role };
        let Some(data) = one(gpt, ty(Role::Data), want.map(|w| w.0))? else {
            continue;
        };
        let verity = one(gpt, ty(Role::Verity), want.map(|w| w.1))?;
        let verity_sig = one(gpt, ty(Role::VeritySig), None)?;
        if want.is_some() && verity.is_none() {
            return Err(DdiError::NoMatchingVerity(ty(Role::Verity)));
        }
        if verity_sig.is_some() && verity.is_none() {
            return Err(DdiError::Incomplete { arch, seen: Seen::of(gpt) });
        }
        return Ok(DdiSelection { kind, arch, data, verity, verity_sig });
    }
    // Nothing selected: say what there is.
    let seen = Seen::of(gpt);
    let has = |role| [DdiKind::Root, DdiKind::Usr].iter().any(|&kind| seen.contains(DpsType { kind, arch, role }));
    Err(if want.is_some() && has(Role::Data) {
        DdiError::NoMatchingData { arch, seen }
    } else if has(Role::Verity) || has(Role::VeritySig) {
        DdiError::Incomplete { arch, seen }
    } else if seen.0 != 0 {
        DdiError::WrongArch { arch, seen }
    } else {
        DdiError::NoPartitions { arch }
    })
}

/// The usable verity signature partition of the kind [`select`] would choose (the first of
/// root, usr with a usable data partition), if there is one. Reading its `rootHash` and
/// passing that to [`select`] pairs the data and verity partitions by its UUID halves, as a
/// `roothash=` would (SPECS §2.1, §3).
pub fn verity_sig_partition(gpt: &Gpt, arch: Arch) -> Result<Option<Partition>, DdiError> {
    for kind in [DdiKind::Root, DdiKind::Usr] {
        let ty = |role| DpsType { kind, arch, role };
        if gpt.find(ty(Role::Data).guid()).any(usable) {
            return one(gpt, ty(Role::VeritySig), None);
        }
    }
    Ok(None)
}

/// DPS §2.2: no-auto partitions and partially-written or empty sysupdate slots are ignored.
fn usable(p: &Partition) -> bool {
    !p.attrs.no_auto() && !p.name_starts_with(b"PRT#") && !p.name_starts_with(b"PND#") && !p.name_eq(b"_empty")
}

/// The usable partition of type `ty` (with UUID `uuid`, if given), if there is exactly one.
fn one(gpt: &Gpt, ty: DpsType, uuid: Option<Guid>) -> Result<Option<Partition>, DdiError> {
    let mut found = gpt.find(ty.guid()).filter(|p| usable(p) && uuid.is_none_or(|u| p.uuid == u));
    let first = found.next().copied();
    match found.count() {
        0 => Ok(first),
        more => Err(DdiError::Ambiguous { ty, count: more as u32 + 1 }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::block::SliceReader;
    use crate::format::gpt::tests::{ent, write_gpt, Ent};
    use crate::format::gpt::{read_gpt, PartAttrs};

    const HASH: [u8; 32] = [
        0xc9, 0x65, 0x5c, 0x39, 0xc5, 0x98, 0xe3, 0x97, 0x6b, 0x57, 0x1f, 0xd4, 0x0c, 0x74, 0x04, 0x84, //
        0xc8, 0xb3, 0xa4, 0x56, 0x38, 0x10, 0x80, 0x2a, 0x71, 0xc5, 0x28, 0x7c, 0x9c, 0xf7, 0x49, 0xfd,
    ];

    fn gpt(ents: &[Ent]) -> Gpt {
        read_gpt(&mut SliceReader(&write_gpt(512, 400, 128, 128, ents)), Some(512)).unwrap()
    }

    /// data/verity/sig of `arch` at `base`, UUIDs from `hash`.
    fn set(kind: DdiKind, arch: Arch, base: u64, hash: &[u8; 32]) -> Vec<Ent> {
        let (d, v, s) = arch.types(kind);
        let (du, vu) = root_hash_uuids(hash).unwrap();
        let mut e = vec![
            ent(d, base, base + 9, "root"),
            ent(v, base + 10, base + 12, "verity"),
            ent(s, base + 13, base + 13, ""),
        ];
        (e[0].uuid, e[1].uuid) = (du, vu);
        e
    }

    fn msg(e: DdiError) -> String {
        Line::of(&e).as_str().to_string()
    }

    #[test]
    fn type_table_names_and_indexes() {
        let mut names = Vec::new();
        for i in 0..DPS_TYPES {
            let t = DpsType::from_index(i);
            assert_eq!((t.index(), DpsType::of(t.guid())), (i, Some(t)));
            names.push(Line::of(&t).as_str().to_string());
        }
        assert_eq!(names[0..3], ["root-x86-64", "root-x86-64-verity", "root-x86-64-verity-sig"]);
        assert_eq!(names[9], "usr-arm64");
        assert_eq!(names[29], "usr-riscv64-verity-sig");
        names.dedup();
        assert_eq!(names.len(), DPS_TYPES);
        assert_eq!(Arch::Arm64.root_types(), (ROOT_ARM64, ROOT_ARM64_VERITY, ROOT_ARM64_VERITY_SIG));
        assert_eq!(Arch::X86.usr_types(), (USR_X86, USR_X86_VERITY, USR_X86_VERITY_SIG));
        assert_eq!(DpsType::of(ESP), None);
    }

    #[test]
    fn native_arch_follows_the_target() {
        #[cfg(target_arch = "x86_64")]
        assert_eq!(NATIVE_ARCH, Arch::X86_64);
        #[cfg(target_arch = "aarch64")]
        assert_eq!(NATIVE_ARCH, Arch::Arm64);
    }

    #[test]
    fn root_hash_halves() {
        let (d, v) = root_hash_uuids(&HASH).unwrap();
        assert_eq!(Line::of(&d).as_str(), "c9655c39-c598-e397-6b57-1fd40c740484");
        assert_eq!(Line::of(&v).as_str(), "c8b3a456-3810-802a-71c5-287c9cf749fd");
        // A 16-byte hash names the same UUID twice.
        assert_eq!(root_hash_uuids(&HASH[..16]).unwrap(), (d, d));
        assert_eq!(root_hash_uuids(&HASH[..15]), Err(DdiError::BadRootHash));
        assert_eq!(root_hash_uuids(&[]), Err(DdiError::BadRootHash));
        let mut h = HASH;
        h[16..].fill(0);
        assert_eq!(root_hash_uuids(&h), Err(DdiError::BadRootHash));
        h[..16].fill(0);
        assert_eq!(root_hash_uuids(&h[..20]), Err(DdiError::BadRootHash));
    }

    #[test]
    fn selects_by_root_hash_among_ab_pairs() {
        let mut other = HASH;
        other[0] ^= 1;
        other[31] ^= 1;
        let mut ents = set(DdiKind::Root, Arch::X86_64, 100, &other);
        ents.truncate(2);
        ents.extend(set(DdiKind::Root, Arch::X86_64, 200, &HASH).into_iter().take(2));
        let g = gpt(&ents);
        let s = select(&g, Arch::X86_64, Some(&HASH)).unwrap();
        assert_eq!(
            (s.kind, s.data.number, s.verity.map(|p| p.number), s.verity_sig),
            (DdiKind::Root, 3, Some(4), None)
        );
        let s = select(&g, Arch::X86_64, Some(&other)).unwrap();
        assert_eq!((s.data.number, s.verity.unwrap().number), (1, 2));
        // Without a hash two pairs cannot be told apart.
        let e = select(&g, Arch::X86_64, None).unwrap_err();
        assert_eq!(msg(e), "2 usable root-x86-64 partitions, cannot choose");

        let mut wrong = HASH;
        wrong[5] ^= 1;
        let e = select(&g, Arch::X86_64, Some(&wrong)).unwrap_err();
        assert!(matches!(e, DdiError::NoMatchingData { arch: Arch::X86_64, .. }));
        assert_eq!(
            msg(e),
            "no root or usr partition matching the root hash for x86-64 (found: root-x86-64, root-x86-64-verity)"
        );
        let mut half = HASH;
        half[30] ^= 1;
        let e = select(&g, Arch::X86_64, Some(&half)).unwrap_err();
        assert_eq!(msg(e), "no root-x86-64-verity partition matching the root hash");
        assert_eq!(select(&g, Arch::X86_64, Some(&HASH[..8])), Err(DdiError::BadRootHash));
    }

    #[test]
    fn selects_without_hash_and_prefers_root() {
        let s = select(&gpt(&set(DdiKind::Root, Arch::X86_64, 100, &HASH)), Arch::X86_64, None).unwrap();
        assert_eq!((s.data.number, s.verity.unwrap().number, s.verity_sig.unwrap().number), (1, 2, 3));

        let mut ents = set(DdiKind::Usr, Arch::X86_64, 100, &HASH);
        let s = select(&gpt(&ents), Arch::X86_64, Some(&HASH)).unwrap();
        assert_eq!((s.kind, s.data.number), (DdiKind::Usr, 1));
        ents.extend(set(DdiKind::Root, Arch::X86_64, 200, &HASH));
        let s = select(&gpt(&ents), Arch::X86_64, None).unwrap();
        assert_eq!((s.kind, s.data.number, s.verity.unwrap().number), (DdiKind::Root, 4, 5));

        // A data partition alone is fine without a hash (no verity to set up).
        let only = &set(DdiKind::Root, Arch::X86_64, 100, &HASH)[..1];
        let s = select(&gpt(only), Arch::X86_64, None).unwrap();
        assert_eq!((s.verity, s.verity_sig), (None, None));
        assert!(matches!(select(&gpt(only), Arch::X86_64, Some(&HASH)), Err(DdiError::NoMatchingVerity(_))));
    }

    #[test]
    fn ignores_no_auto_and_sysupdate_slots() {
        let mut ents = set(DdiKind::Root, Arch::X86_64, 100, &HASH);
        for (i, name) in ["PRT#root", "PND#root", "_empty", "noauto"].into_iter().enumerate() {
            let mut e = ents[0].clone();
            (e.first, e.last, e.name) = (200 + i as u64, 200 + i as u64, name);
            e.attrs = if name == "noauto" { PartAttrs::NO_AUTO } else { 0 };
            ents.push(e);
        }
        let s = select(&gpt(&ents), Arch::X86_64, None).unwrap();
        assert_eq!(s.data.number, 1);
        // Not an exact "_empty".
        ents[3].name = "_empty2";
        assert!(matches!(select(&gpt(&ents), Arch::X86_64, None), Err(DdiError::Ambiguous { count: 2, .. })));
    }

    #[test]
    fn incomplete_sets() {
        let full = set(DdiKind::Root, Arch::X86_64, 100, &HASH);
        let verity_only = gpt(&full[1..2]);
        let e = select(&verity_only, Arch::X86_64, None).unwrap_err();
        assert_eq!(msg(e), "incomplete partition set for x86-64 (found: root-x86-64-verity)");
        let no_verity = gpt(&[full[0].clone(), full[2].clone()]);
        let e = select(&no_verity, Arch::X86_64, None).unwrap_err();
        assert_eq!(msg(e), "incomplete partition set for x86-64 (found: root-x86-64, root-x86-64-verity-sig)");
    }

    #[test]
    fn signature_partition_pairs_by_its_root_hash() {
        // Two root/verity pairs (A/B) and one signature: the signature's rootHash picks the pair.
        let mut other = HASH;
        other[0] ^= 1;
        other[31] ^= 1;
        let mut ents = set(DdiKind::Root, Arch::X86_64, 100, &other);
        ents.truncate(2);
        ents.extend(set(DdiKind::Root, Arch::X86_64, 200, &HASH));
        let g = gpt(&ents);
        let sig = verity_sig_partition(&g, Arch::X86_64).unwrap().unwrap();
        assert_eq!(sig.number, 5);
        let s = select(&g, Arch::X86_64, Some(&HASH)).unwrap();
        assert_eq!((s.data.number, s.verity.unwrap().number, s.verity_sig), (3, 4, Some(sig)));
        // A rootHash that names neither pair (or only half of one) selects nothing.
        let mut wrong = HASH;
        wrong[31] ^= 0x80;
        assert!(matches!(select(&g, Arch::X86_64, Some(&wrong)), Err(DdiError::NoMatchingVerity(_))));
        wrong[0] ^= 0x80;
        assert!(matches!(select(&g, Arch::X86_64, Some(&wrong)), Err(DdiError::NoMatchingData { .. })));

        // The signature belongs to the kind with a data partition: usr here, root preferred.
        let usr = set(DdiKind::Usr, Arch::X86_64, 100, &HASH);
        assert_eq!(verity_sig_partition(&gpt(&usr), Arch::X86_64).unwrap().map(|p| p.number), Some(3));
        let mut both = usr.clone();
        both.extend(set(DdiKind::Root, Arch::X86_64, 200, &other));
        assert_eq!(verity_sig_partition(&gpt(&both), Arch::X86_64).unwrap().map(|p| p.number), Some(6));
        // Unsigned, no data partition, other arch, unusable, or two signatures.
        let unsigned = gpt(&usr[..2]);
        assert_eq!(verity_sig_partition(&unsigned, Arch::X86_64), Ok(None));
        assert_eq!(verity_sig_partition(&gpt(&usr[1..]), Arch::X86_64), Ok(None));
        assert_eq!(verity_sig_partition(&gpt(&usr), Arch::Arm64), Ok(None));
        let mut noauto = usr.clone();
        noauto[2].attrs = PartAttrs::NO_AUTO;
        assert_eq!(verity_sig_partition(&gpt(&noauto), Arch::X86_64), Ok(None));
        let mut two = usr.clone();
        two.push(Ent { first: 300, last: 300, ..usr[2].clone() });
        let e = verity_sig_partition(&gpt(&two), Arch::X86_64).unwrap_err();
        assert_eq!(msg(e), "2 usable usr-x86-64-verity-sig partitions, cannot choose");
    }

    #[test]
    fn every_error_message() {
        // One message per variant (`text::push_nth`): each lines up with its variant.
        assert_eq!(DDI_MESSAGES.count(), 7);
        assert_eq!(msg(DdiError::BadRootHash), "root hash shorter than 16 bytes or half zero");
        let arch = Arch::Riscv64;
        assert_eq!(msg(DdiError::NoPartitions { arch }), "no root or usr partition for riscv64 (found: nothing)");
        let seen = Seen(1 << DpsType { kind: DdiKind::Usr, arch: Arch::Arm, role: Role::Data }.index());
        assert_eq!(msg(DdiError::WrongArch { arch, seen }), "no root or usr partition for riscv64 (found: usr-arm)");
        assert_eq!(msg(DdiError::Incomplete { arch, seen }), "incomplete partition set for riscv64 (found: usr-arm)");
    }

    #[test]
    fn multi_arch_and_wrong_arch() {
        let mut arm = HASH;
        arm[0] ^= 0x80;
        let mut ents = set(DdiKind::Root, Arch::Arm64, 100, &arm);
        let only_arm = gpt(&ents);
        let e = select(&only_arm, Arch::X86_64, None).unwrap_err();
        assert!(matches!(e, DdiError::WrongArch { arch: Arch::X86_64, .. }));
        assert_eq!(
            msg(e),
            "no root or usr partition for x86-64 (found: root-arm64, root-arm64-verity, root-arm64-verity-sig)"
        );
        assert!(matches!(select(&only_arm, Arch::X86_64, Some(&HASH)), Err(DdiError::WrongArch { .. })));

        ents.extend(set(DdiKind::Root, Arch::X86_64, 200, &HASH));
        let both = gpt(&ents);
        let s = select(&both, Arch::X86_64, None).unwrap();
        assert_eq!((s.arch, s.data.number), (Arch::X86_64, 4));
        let s = select(&both, Arch::Arm64, Some(&arm)).unwrap();
        assert_eq!((s.arch, s.data.number, s.verity.unwrap().number), (Arch::Arm64, 1, 2));
        assert_eq!(select(&both, NATIVE_ARCH, None).unwrap().arch, NATIVE_ARCH);

        let e = select(&gpt(&[ent(ESP, 40, 50, "")]), Arch::Riscv64, None).unwrap_err();
        assert_eq!(msg(e), "no root or usr partition for riscv64 (found: nothing)");
    }
}
