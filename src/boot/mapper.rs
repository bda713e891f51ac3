//! Steps 5–6: map the DDI's partitions out of the file's extents with dm-linear, and put
//! dm-verity on top with the trusted root hash.
//!
//! No vfat driver and no copy: one dm-linear device whose targets are the pieces of the
//! DDI file's extents that the data partition covers, then (with verity) a gap and the
//! pieces of the verity partition (`plan::mapping::VerityLayout`). Every
//! byte read through them is still unverified; only the dm-verity device on top is
//! trusted, and only because its root hash came from the signed command line, or its
//! signature (the DDI's verity-sig partition) was checked by the kernel against its
//! keyring (`plan::trust` decides which).

use super::error::{Cause, Context, Error, Step};
use crate::errno::Errno;
use crate::format::block::{sub_extents_into, Extent, ExtentReader, Extents, ReadError};
use crate::format::ddi::{self, DdiSelection};
use crate::format::fsdetect::{self, FsType};
use crate::format::gpt::{read_gpt_into, Backup, Gpt, Partition};
use crate::format::verity::{self, RootHash, VerityOptions, VerityParams};
use crate::format::verity_sig::{self, SigError, VeritySig, MAX_JSON};
use crate::plan::cmdline::VerityMode;
use crate::plan::disk::Backing;
use crate::plan::mapping::{self, Verification};
use crate::plan::trust;
use crate::sys::dm::{DevNo, DmControl, Table};
use crate::sys::fs::Device;
use crate::sys::keyctl::ThreadKey;
use crate::sys::CPath;
use crate::text::{Line, Untrusted};

/// The root filesystem's block device, ready to mount.
pub struct MappedRoot<'p> {
    /// Its node (`/dev/dm-N`), in the caller's buffer (a `CPath` moved with the result was
    /// copied at each step: docs/size.md).
    pub path: &'p CPath,
    pub fstype: FsType,
    pub verification: Verification,
    /// The device as opened for the probe, open until the root is mounted: the last close
    /// of a block device drops its page cache, and the mount would read (and dm-verity
    /// hash) the superblock's block again.
    pub held: Device,
}

/// How the DDI is reached: a disk (or loop device) and the file's extents on it.
pub struct ImageSource<'a> {
    /// Read through (the whole disk, or the loop device).
    pub dev: &'a mut Device,
    /// The DDI file's extents on `dev`, in bytes.
    pub extents: &'a [Extent],
    /// The device dm-linear maps and where it starts on `dev` (a partition of the disk;
    /// or `dev` itself and 0).
    pub backing: Backing,
}

/// dm device names. Candidates are tried one at a time and a failed one is unmapped
/// before the next, so the names never clash.
const DATA: &[u8] = b"ddiboot-data";
const ROOT: &[u8] = b"ddiboot-root";
/// dm uuids of the unverified devices under dm-verity, which hold the same filesystem
/// (UUID, LABEL) as the root: stage 2's udev rule hides them by this prefix
/// (contrib/udev/09-ddiboot.rules, docs/stage2-contract.md). Without verity the data
/// device is the root and its uuid is its name.
const DATA_INNER: &[u8] = b"DDIBOOT-INNER-DATA";

/// Map the DDI: its GPT, its signature (if any), the partitions for this architecture,
/// dm-verity (unless `mode` is the explicit `ddiboot.verity=off`) with the root hash from
/// `roothash=` or the signature, and the filesystem type.
// Out of line (docs/size.md): inlined into `boot::boot` it costs more code.
#[inline(never)]
pub fn map_image<'p>(
    src: ImageSource,
    root_hash: Option<&RootHash>,
    mode: VerityMode,
    opts: VerityOptions,
    path: &'p mut CPath,
) -> Result<MappedRoot<'p>, Error> {
    let backing = src.backing;
    let disk_lbs = src.dev.block_size.max(512);
    let mut gpt = Gpt::new();
    read_gpt_into(&mut ExtentReader::new(&mut *src.dev, src.extents), None, Backup::IfNeeded, &mut gpt)
        .map_err(|e| Error::new(Step::MapImage, msg!("reading the DDI's partition table"), b"", Cause::Gpt(e)))?;
    let mut sig_buf = [0u8; MAX_JSON];
    let sig = match mode {
        VerityMode::Off => None,
        _ => read_signature(&gpt, src.dev, src.extents, &mut sig_buf)?,
    };
    let trust = trust::decide(mode, root_hash, sig.as_ref().map(|s| &s.root_hash))
        .map_err(|e| Error::new(Step::Verity, msg!("trusting the DDI"), b"", Cause::Trust(e)))?;
    let sel: DdiSelection = ddi::select(&gpt, ddi::NATIVE_ARCH, trust.as_ref().map(|t| t.root_hash.as_bytes()))
        .map_err(|e| Error::new(Step::MapImage, msg!("choosing partitions in the DDI"), b"", Cause::Ddi(e)))?;
    debug!("DDI: data partition ", sel.data.number, ", verity partition ", sel.verity.map_or(0, |p| p.number));
    let dm = DmControl::open().ctx(Step::MapImage, msg!("opening"), b"/dev/mapper/control")?;
    let bs = gpt.block_size;
    let data_span = span_of(&sel.data, bs);
    let Some(trust) = trust else {
        let data = linear(&dm, DATA, DATA, backing, src.extents, data_span, None, disk_lbs)?;
        return finish(data, Verification::Off, path);
    };
    let root_hash = trust.root_hash;
    let Some(vpart) = sel.verity else {
        return Err(Error::new(
            Step::Verity,
            msg!("no verity partition in the DDI"),
            b"",
            Cause::Msg(msg!("cannot verify")),
        ));
    };
    let how = Verification::of(opts);
    let hash_span = span_of(&vpart, bs);
    let mut hash_extents = Extents::new();
    if !sub_extents_into(src.extents, hash_span.offset, hash_span.len, &mut hash_extents) {
        return Err(outside());
    }
    let mut sb_buf = [0u8; verity::SUPERBLOCK_LEN];
    let sb = verity::read_superblock(&mut ExtentReader::new(&mut *src.dev, &hash_extents), &mut sb_buf)
        .map_err(|e| Error::new(Step::Verity, msg!("reading the verity superblock"), b"", Cause::Verity(e)))?;
    let mut params = VerityParams::new(&sb, data_span.len, hash_span.len, root_hash.as_bytes())
        .and_then(|p| p.check_device_block_size(disk_lbs, disk_lbs).map(|_| p))
        .map_err(|e| Error::new(Step::Verity, msg!("checking the verity superblock"), b"", Cause::Verity(e)))?;
    // One device carries the data, then (past a gap) the hash tree (`mapping::VerityLayout`).
    let layout =
        mapping::verity_layout(data_span.len, params.hash_start_block, params.hash_block_size, params.data_block_size)
            .ok_or_else(outside)?;
    params.hash_start_block = layout.hash_start;
    let data =
        linear(&dm, DATA, DATA_INNER, backing, src.extents, data_span, Some((layout.gap, &hash_extents)), disk_lbs)?;
    let result = (|| {
        // The signature reaches dm-verity as a key in this thread's keyring, which the
        // kernel reads while loading the table; `key` unlinks it when dropped.
        let key = match sig.filter(|_| trust.signature) {
            Some(s) => Some(ThreadKey::add_user(verity_sig::KEY_DESC, s.signature).ctx(
                Step::Verity,
                msg!("adding the signature key"),
                verity_sig::KEY_DESC.to_bytes(),
            )?),
            None => None,
        };
        params.sig_key_desc = key.as_ref().map(|_| verity_sig::KEY_DESC.to_bytes());
        let mut root = activate_verity(&dm, &params, data, opts, how)?;
        if let (Err(e), Some(_)) = (root, params.sig_key_desc) {
            if trust.hash_fallback {
                warn!("the kernel refused the DDI's signature (", trust::Refusal(e), "); verified by roothash= alone");
                params.sig_key_desc = None;
                root = activate_verity(&dm, &params, data, opts, how)?;
            } else {
                return Err(Error::new(
                    Step::Verity,
                    msg!("the kernel refused the DDI's signature"),
                    b"",
                    Cause::Refused(e),
                ));
            }
        } else if root.is_ok() && params.sig_key_desc.is_some() {
            info!("the kernel verified the DDI's signature");
        }
        drop(key);
        root.ctx(Step::Verity, msg!("activating"), ROOT)
    })();
    match result {
        Ok(root) => finish(root, how, path),
        Err(e) => {
            let _ = dm.remove(DATA);
            Err(e)
        }
    }
}

/// The verity device over `dev` (data and hash tree, `mapping::VerityLayout`):
/// `Ok(Err(errno))` when the kernel refused the table (the caller explains it), `Err` when
/// the table could not be built.
fn activate_verity(
    dm: &DmControl,
    params: &VerityParams,
    dev: DevNo,
    opts: VerityOptions,
    how: Verification,
) -> Result<Result<DevNo, Errno>, Error> {
    let mut tb = Line::with_max(verity::TABLE_MAX);
    params
        .write_table(dev, dev, opts, &mut tb)
        .map_err(|e| Error::new(Step::Verity, msg!("building the verity table"), b"", Cause::Verity(e)))?;
    debug!("verity table: ", Untrusted(tb.as_bytes()));
    let mut t = Table::new();
    t.push(params.data_sectors(), b"verity", tb.as_bytes()).ctx(Step::Verity, msg!("building the table for"), ROOT)?;
    // The uuid carries the trusted root hash and how it was checked (and whether the
    // kernel verified a signature of it), so that a booted system can tell from
    // /sys/block/dm-N/dm/uuid what was verified (docs/stage2-contract.md).
    let mut uuid = Line::new();
    mapping::root_uuid(params.root_hash, how, params.sig_key_desc.is_some(), &mut uuid);
    Ok(dm.activate(ROOT, uuid.as_bytes(), &mut t, true))
}

/// The DDI's verity signature (SPECS §3), if it has one for the partitions `ddi::select`
/// will choose, read through `buf`.
fn read_signature<'b>(
    gpt: &Gpt,
    dev: &mut Device,
    extents: &[Extent],
    buf: &'b mut [u8; MAX_JSON],
) -> Result<Option<VeritySig<'b>>, Error> {
    let Some(p) = ddi::verity_sig_partition(gpt, ddi::NATIVE_ARCH)
        .map_err(|e| Error::new(Step::MapImage, msg!("choosing partitions in the DDI"), b"", Cause::Ddi(e)))?
    else {
        return Ok(None);
    };
    let mut x = Extents::new();
    let sig = sub_extents_into(extents, p.byte_offset(gpt.block_size), p.byte_len(gpt.block_size), &mut x)
        .then_some(())
        .ok_or(SigError::Read(ReadError::OutOfRange))
        .and_then(|()| verity_sig::read_verity_sig(&mut ExtentReader::new(dev, &x), buf))
        .map_err(|e| Error::new(Step::Verity, msg!("reading the signature partition"), b"", Cause::Sig(e)))?;
    debug!("DDI signed, rootHash ", crate::text::HexBytes(sig.root_hash.as_bytes()));
    Ok(Some(sig))
}

/// Remove whatever `map_image` created (after a failed attempt, so that the next
/// candidate starts clean). Devices that do not exist are fine; any other failure (a
/// device still in use) is logged: the next candidate would fail on it.
pub fn unmap() {
    if let Ok(dm) = DmControl::open() {
        for name in [ROOT, DATA] {
            match dm.remove(name) {
                Ok(()) | Err(Errno::ENXIO) => {}
                Err(e) => warn!("cannot remove ", Untrusted(name), ": ", e),
            }
        }
    }
}

/// A partition's bytes within the DDI file.
fn span_of(p: &Partition, bs: u32) -> Extent {
    Extent { offset: p.byte_offset(bs), len: p.byte_len(bs) }
}

fn outside() -> Error {
    Error::new(Step::MapImage, msg!("partition"), b"", Cause::Msg(msg!("lies outside the DDI file")))
}

/// A read-only dm-linear device `name` (with `uuid`) over the bytes `span` of the DDI
/// file, whose extents on the disk are `all`; with `then = (gap, more)`, followed by `gap`
/// bytes of the `error` target and the extents `more` (the verity partition's, as the
/// superblock was read through them).
#[allow(clippy::too_many_arguments)]
fn linear(
    dm: &DmControl,
    name: &[u8],
    uuid: &[u8],
    backing: Backing,
    all: &[Extent],
    span: Extent,
    then: Option<(u64, &[Extent])>,
    disk_lbs: u32,
) -> Result<DevNo, Error> {
    let mut t = Table::new();
    let mut extents = Extents::new();
    if !sub_extents_into(all, span.offset, span.len, &mut extents) {
        return Err(outside());
    }
    push_linear(&mut t, name, backing, &extents, disk_lbs)?;
    if let Some((gap, more)) = then {
        if gap != 0 {
            t.push(gap / 512, b"error", b"").ctx(Step::MapImage, msg!("building the table for"), name)?;
        }
        push_linear(&mut t, name, backing, more, disk_lbs)?;
    }
    dm.activate(name, uuid, &mut t, true).ctx(Step::MapImage, msg!("creating"), name)
}

/// One dm-linear target per piece in `extents`, each checked against the disk's logical
/// block size `disk_lbs` (dm-linear refuses others) and pointing into the backing device.
fn push_linear(t: &mut Table, name: &[u8], backing: Backing, extents: &[Extent], disk_lbs: u32) -> Result<(), Error> {
    mapping::check_aligned(extents, disk_lbs)
        .map_err(|e| Error::new(Step::MapImage, msg!("partition"), b"", Cause::Map(e)))?;
    let mut p = Line::new();
    for e in extents {
        let sectors = mapping::linear_target(e, backing, &mut p)
            .map_err(|e| Error::new(Step::MapImage, msg!("mapping"), name, Cause::Map(e)))?;
        t.push(sectors, b"linear", p.as_bytes()).ctx(Step::MapImage, msg!("building the table for"), name)?;
    }
    Ok(())
}

/// Name the device node and detect the filesystem by reading through it (through
/// dm-verity when verified, so the superblock read is already checked), and check that
/// the filesystem ends within the device.
fn finish(dev: DevNo, verification: Verification, path: &mut CPath) -> Result<MappedRoot<'_>, Error> {
    let mut minor = Line::new();
    minor.push_u64(dev.minor as u64);
    if !path.set(&[b"/dev/dm-", minor.as_bytes()]) {
        return Err(Error::new(Step::MountRoot, msg!("device"), b"", Cause::Msg(msg!("name too long"))));
    }
    let mut d = Device::open_path(path).ctx(Step::MountRoot, msg!("opening"), path.as_bytes())?;
    // The probe wants one block: through dm-verity every block read ahead would be
    // hashed before the read returns.
    d.no_readahead();
    let probe = fsdetect::probe(&mut d)
        .map_err(|e| {
            Error::new(Step::MountRoot, msg!("reading the root filesystem on"), path.as_bytes(), Cause::Read(e))
        })?
        .ok_or_else(|| {
            Error::new(
                Step::MountRoot,
                msg!("detecting the filesystem on"),
                path.as_bytes(),
                Cause::Msg(msg!("not erofs, squashfs or ext4")),
            )
        })?;
    if !mapping::fs_fits(probe.size, d.size) {
        let mut what = Line::new();
        what.push_bytes(path.as_bytes());
        what.push_text(msg!(": "));
        what.push_text(probe.fs.name());
        what.push_text(msg!(" of "));
        what.push_u64(probe.size.unwrap_or(0));
        what.push_text(msg!(" bytes on a device of "));
        what.push_u64(d.size);
        return Err(Error::new(
            Step::MountRoot,
            msg!("checking the size of"),
            what.as_bytes(),
            Cause::Msg(msg!("larger than its device (the verity data blocks cover less)")),
        ));
    }
    Ok(MappedRoot { path, fstype: probe.fs, verification, held: d })
}
