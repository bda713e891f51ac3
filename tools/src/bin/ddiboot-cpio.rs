//! ddiboot-cpio: writes the newc cpio archive of a ddiboot initramfs from a manifest
//! (scripts/mkinitrd makes the manifest), and prints the initramfs layout ddiboot
//! reads, so that the scripts take it from the product instead of repeating it.

use ddiboot_tools::{cpio, layout};
use std::io::{Read, Write};
use std::process::ExitCode;

const USAGE: &str = "\
Usage: ddiboot-cpio --output FILE <MANIFEST
       ddiboot-cpio --layout

Writes a newc (070701) cpio archive: entries sorted by name, inode numbers in
that order, owner 0:0, every mtime SOURCE_DATE_EPOCH (default 0), the archive
padded to 512 bytes. The manifest on stdin has one entry a line, tab-separated:
  dir   NAME MODE
  file  NAME MODE HOST-PATH
  char  NAME MODE MAJOR MINOR
with NAME relative (no leading /) and MODE in octal. Refused, with an error
that says which entry: a file of 4 GiB or more (newc's size field is 32 bits),
a name with '.' or '..' components, a missing parent directory, duplicates,
and what ddiboot would not load: a module order file (modules/order) larger
than ddiboot's limit, or naming a module with '/' or a leading '.', or one
that is not in the archive.

  --output FILE   the archive to write (replaced)
  --layout        print the layout as shell assignments: memory_ddi=,
                  module_dir=, module_order=, module_order_max=
  -h, --help      show this help
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["--layout"] => {
            println!("memory_ddi={}", layout::memory_ddi());
            println!("module_dir={}", layout::module_dir());
            println!("module_order={}", layout::module_order());
            println!("module_order_max={}", layout::MODULE_ORDER_MAX);
            Ok(())
        }
        ["--output", out] => write_archive(out),
        ["-h"] | ["--help"] => {
            print!("{USAGE}");
            Ok(())
        }
        _ => Err("want --output FILE or --layout (see --help)".to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ddiboot-cpio: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write_archive(out: &str) -> Result<(), String> {
    let mut manifest = String::new();
    std::io::stdin().read_to_string(&mut manifest).map_err(|e| format!("reading the manifest: {e}"))?;
    let mut entries = cpio::parse_manifest(&manifest)?;
    let mtime = cpio::mtime_from(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref()).map_err(|e| e.to_string())?;
    check_modules(&entries)?;
    let mut buf = Vec::new();
    let n = cpio::write(&mut buf, &mut entries, mtime).map_err(|e| e.to_string())?;
    let mut f = std::fs::File::create(out).map_err(|e| format!("creating {out}: {e}"))?;
    f.write_all(&buf).map_err(|e| format!("writing {out}: {e}"))?;
    eprintln!("ddiboot-cpio: wrote {out}: {} entries, {n} bytes", entries.len());
    Ok(())
}

/// The module order file, if any, loads as ddiboot will read it.
fn check_modules(entries: &[cpio::Entry]) -> Result<(), String> {
    let Some(order) = entries.iter().find(|e| e.name == layout::module_order()) else {
        return Ok(());
    };
    let cpio::Kind::File(path) = &order.kind else {
        return Err(format!("{} is not a file", layout::module_order()));
    };
    let data = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    layout::check_module_order(&data).map_err(|e| e.to_string())?;
    for (line, name) in layout::module_names(&data) {
        let want = format!("{}/{}", layout::module_dir(), String::from_utf8_lossy(name));
        if !entries.iter().any(|e| e.name == want && matches!(e.kind, cpio::Kind::File(_))) {
            return Err(format!(
                "{} line {line} names {want}, which the archive does not hold",
                layout::module_order()
            ));
        }
    }
    Ok(())
}
