//! Where a DDI's root hash gets its trust: the signed command line (`roothash=`), the DDI's
//! verity signature checked by the kernel's keyring (SPECS §3), or both; and what a kernel
//! refusal of a signature means. The policy table in README.md ("Signed DDIs") is this file.

use crate::errno::Errno;
use crate::format::verity::RootHash;
use crate::plan::cmdline::VerityMode;
use crate::text::{Line, Show};

/// How to set up dm-verity for one DDI.
/// The root hash is borrowed from `roothash=` or the signature: a copy of it (65 bytes)
/// cost a block move at each step of the decision (docs/size.md).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Trust<'h> {
    /// The root hash for the table (and for pairing the partitions).
    pub root_hash: &'h RootHash,
    /// Pass the DDI's signature to the kernel (`root_hash_sig_key_desc`).
    pub signature: bool,
    /// If the kernel refuses the signature, set up the table without it: `roothash=`
    /// vouches for the hash on its own.
    pub hash_fallback: bool,
}

/// Why a DDI cannot be trusted, before the kernel is asked.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TrustError {
    /// Neither `roothash=` nor a signature.
    Nothing,
    /// `ddiboot.verity=signed` and the DDI has no signature.
    Unsigned,
    /// The signature's `rootHash` is not `roothash=`.
    Mismatch,
}

impl Show for TrustError {
    fn show(&self, out: &mut Line) {
        // One message per variant, in declaration order (`text::push_nth`).
        out.push_nth(
            msg!(concat!(
                "no roothash= on the command line and the DDI is not signed\0",
                "ddiboot.verity=signed and the DDI is not signed\0",
                "the rootHash of the DDI's signature is not roothash=",
            )),
            *self as usize,
        )
    }
}

/// The decision for one DDI (README, "Signed DDIs"): `cmdline` is `roothash=`, `signed` the
/// `rootHash` of the DDI's signature partition. `Ok(None)`: boot unverified
/// (`ddiboot.verity=off`).
pub fn decide<'h>(
    mode: VerityMode,
    cmdline: Option<&'h RootHash>,
    signed: Option<&'h RootHash>,
) -> Result<Option<Trust<'h>>, TrustError> {
    if mode == VerityMode::Off {
        return Ok(None);
    }
    let root_hash = match (cmdline, signed) {
        (Some(c), Some(s)) if c != s => return Err(TrustError::Mismatch),
        (_, None) if mode == VerityMode::Signed => return Err(TrustError::Unsigned),
        (Some(h), _) | (None, Some(h)) => h,
        (None, None) => return Err(TrustError::Nothing),
    };
    Ok(Some(Trust {
        root_hash,
        signature: signed.is_some(),
        hash_fallback: signed.is_some() && cmdline.is_some() && mode == VerityMode::Required,
    }))
}

/// An errno from loading a signed verity table, shown with what it usually means (Linux
/// `verity_verify_root_hash()`, `verify_pkcs7_signature()`): `ENOKEY: the signing key is
/// not trusted by the kernel`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Refusal(pub Errno);

impl Show for Refusal {
    fn show(&self, out: &mut Line) {
        // The explained errnos, then their texts in the same order and one for the rest
        // (`text::push_nth`).
        static EXPLAINED: [Errno; 6] =
            [Errno::ENOKEY, Errno::EKEYREJECTED, Errno::EBADMSG, Errno::ENOPKG, Errno::EINVAL, Errno::ENOSYS];
        self.0.show(out);
        out.push_text(msg!(": "));
        let i = EXPLAINED.iter().position(|&e| e == self.0).unwrap_or(EXPLAINED.len());
        out.push_nth(
            msg!(concat!(
                "the signing key is not trusted by the kernel\0",
                "the signature does not match the root hash\0",
                "not a PKCS#7 signature\0",
                "the kernel lacks the signature's algorithm\0",
                "kernel without CONFIG_DM_VERITY_VERIFY_ROOTHASH_SIG?\0",
                "kernel without CONFIG_KEYS\0",
                "refused",
            )),
            i,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::verity::parse_root_hash;
    use VerityMode::*;

    fn h(c: u8) -> RootHash {
        parse_root_hash(&[c; 64]).unwrap()
    }

    fn trust(root_hash: &RootHash, signature: bool, hash_fallback: bool) -> Result<Option<Trust<'_>>, TrustError> {
        Ok(Some(Trust { root_hash, signature, hash_fallback }))
    }

    /// The policy table of README.md, row by row.
    #[test]
    fn policy_table() {
        let (a, b) = (h(b'a'), h(b'b'));
        // roothash= only: verified by the hash.
        assert_eq!(decide(Required, Some(&a), None), trust(&a, false, false));
        // Signed DDI, no roothash=: the kernel decides.
        assert_eq!(decide(Required, None, Some(&a)), trust(&a, true, false));
        // Both, equal: signature passed; a refusal falls back to the hash.
        assert_eq!(decide(Required, Some(&a), Some(&a)), trust(&a, true, true));
        // Both, different: refused (systemd too).
        assert_eq!(decide(Required, Some(&a), Some(&b)), Err(TrustError::Mismatch));
        assert_eq!(decide(Required, None, None), Err(TrustError::Nothing));
        // ddiboot.verity=signed: only with a signature, and never falling back.
        assert_eq!(decide(Signed, None, Some(&a)), trust(&a, true, false));
        assert_eq!(decide(Signed, Some(&a), Some(&a)), trust(&a, true, false));
        assert_eq!(decide(Signed, Some(&a), None), Err(TrustError::Unsigned));
        assert_eq!(decide(Signed, None, None), Err(TrustError::Unsigned));
        assert_eq!(decide(Signed, Some(&a), Some(&b)), Err(TrustError::Mismatch));
        // ddiboot.verity=off: unverified whatever is there.
        for (c, s) in [(None, None), (Some(&a), Some(&b)), (None, Some(&a))] {
            assert_eq!(decide(Off, c, s), Ok(None));
        }
        assert!(Line::of(&TrustError::Nothing).as_str().starts_with("no roothash="));
        assert_eq!(Line::of(&TrustError::Mismatch).as_str(), "the rootHash of the DDI's signature is not roothash=");
    }

    #[test]
    fn refusals_are_explained() {
        let why = |e| Line::of(&Refusal(e)).as_str().to_string();
        assert_eq!(why(Errno::ENOKEY), "ENOKEY: the signing key is not trusted by the kernel");
        assert!(why(Errno::EKEYREJECTED).contains("does not match"));
        assert!(why(Errno::EINVAL).contains("CONFIG_DM_VERITY_VERIFY_ROOTHASH_SIG"));
        assert_eq!(why(Errno::ENOSYS), "ENOSYS: kernel without CONFIG_KEYS");
        assert_eq!(why(Errno::EIO), "EIO: refused");
    }
}
