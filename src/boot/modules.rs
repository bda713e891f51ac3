//! Step 2: load the kernel modules shipped in the initrd.
//!
//! `scripts/mkinitrd` puts them in `/modules/` and lists them, dependencies first, in
//! `/modules/order` (one file name per line). Each file is loaded with finit_module(2)
//! and then deleted: it is initramfs memory, needed no longer.

use super::error::{Cause, Context, Error, Step};
use crate::errno::Errno;
use crate::initramfs::{MODULE_ORDER, MODULE_ORDER_MAX};
use crate::plan::modules;
use crate::sys::fs;
use crate::sys::{module, CPath};
use crate::text::Untrusted;

/// Load every module named in `/modules/order`. A missing list means "no modules"
/// (a kernel with everything built in).
// Out of line (docs/size.md): inlined into `boot::boot` it costs more code.
#[inline(never)]
pub fn load_all() -> Result<(), Error> {
    let mut buf = [0u8; MODULE_ORDER_MAX];
    let list = match fs::read_file(MODULE_ORDER, &mut buf) {
        Ok(l) => l,
        Err(Errno::ENOENT) => {
            debug!("no /modules/order: no modules to load");
            return Ok(());
        }
        // Longer than ddiboot reads: loading only its head would leave modules out.
        Err(Errno::EFBIG) => {
            const _: () = assert!(MODULE_ORDER_MAX == 4096, "the message below names the limit");
            return Err(Error::new(
                Step::Modules,
                msg!("reading"),
                MODULE_ORDER.to_bytes(),
                Cause::Msg(msg!("longer than the 4096 bytes ddiboot reads (a broken initrd)")),
            ));
        }
        Err(e) => return Err(Error::sys(Step::Modules, msg!("reading"), MODULE_ORDER.to_bytes(), e)),
    };
    let (mut loaded, mut present) = (0u32, 0u32);
    let mut path = CPath::new();
    for name in modules::names(list) {
        let name =
            name.map_err(|(e, name)| Error::new(Step::Modules, msg!("module name"), name, Cause::Msg(e.reason())))?;
        if !path.set(&[b"/modules/", name]) {
            return Err(Error::new(
                Step::Modules,
                msg!("module name too long:"),
                name,
                Cause::Msg(msg!("bad /modules/order")),
            ));
        }
        let fd = fs::open(path.as_cstr(), fs::O_RDONLY).ctx(Step::Modules, msg!("opening module"), name)?;
        match module::finit_module(&fd) {
            Ok(()) => loaded += 1,
            // Built in, or loaded already: what we wanted is there.
            Err(Errno::EEXIST) => present += 1,
            // The module's init found nothing to drive (e.g. an accelerated hash for a CPU
            // without the instructions): optional by nature, the boot goes on.
            Err(Errno::ENODEV) => warn!("module ", Untrusted(name), ": no such device here (ENODEV); skipped"),
            Err(e) => return Err(Error::sys(Step::Modules, msg!("loading module"), name, e)),
        }
        drop(fd);
        if let Err(e) = fs::unlink(path.as_cstr()) {
            debug!("could not delete ", Untrusted(path.as_bytes()), ": ", e);
        }
        debug!("module ", Untrusted(name), " ready");
    }
    debug!("modules: ", loaded, " loaded, ", present, " already present");
    Ok(())
}
