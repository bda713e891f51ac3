//! ddiboot's initramfs layout, as the product defines it ([`ddiboot::initramfs`]), in
//! the form the archive uses (names without the leading `/`), and the checks on what
//! ddiboot will read from it.

use ddiboot::initramfs;

/// The in-memory DDI's name in the archive (`ddiboot/rootfs.raw`).
pub fn memory_ddi() -> &'static str {
    archive_name(initramfs::MEMORY_DDI.to_str().expect("the product's path is ASCII"))
}

/// The modules directory's name in the archive (`modules`).
pub fn module_dir() -> &'static str {
    archive_name(initramfs::MODULE_DIR)
}

/// The module order file's name in the archive (`modules/order`).
pub fn module_order() -> &'static str {
    archive_name(initramfs::MODULE_ORDER.to_str().expect("the product's path is ASCII"))
}

/// The largest order file ddiboot reads, in bytes.
pub const MODULE_ORDER_MAX: usize = initramfs::MODULE_ORDER_MAX;

fn archive_name(path: &str) -> &str {
    path.trim_start_matches('/')
}

/// Why an order file would not load as intended.
#[derive(Debug, PartialEq, Eq)]
pub enum OrderError {
    /// Longer than ddiboot's buffer: it would refuse the whole list at boot.
    TooLong { size: usize },
    /// A line that is not a plain file name in the modules directory.
    BadName { line: usize, name: String, why: &'static str },
}

impl std::fmt::Display for OrderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OrderError::TooLong { size } => write!(
                f,
                "{} is {size} bytes; ddiboot reads at most {MODULE_ORDER_MAX} \
                 (src/initramfs.rs MODULE_ORDER_MAX): load fewer modules",
                module_order()
            ),
            OrderError::BadName { line, name, why } => {
                write!(f, "{} line {line}: module name {name:?} {why}", module_order())
            }
        }
    }
}

/// The module file names of an order file, as ddiboot reads them (lines trimmed of
/// ASCII white space, empty lines skipped), each with its line number.
pub fn module_names(data: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    data.split(|&b| b == b'\n')
        .map(<[u8]>::trim_ascii)
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
        .map(|(i, l)| (i + 1, l))
}

/// Checks an order file: at most [`MODULE_ORDER_MAX`] bytes, and each name a plain
/// file name (no `/`, not starting with `.`, no NUL) that ddiboot opens in the
/// modules directory.
pub fn check_module_order(data: &[u8]) -> Result<(), OrderError> {
    if data.len() > MODULE_ORDER_MAX {
        return Err(OrderError::TooLong { size: data.len() });
    }
    for (line, raw) in module_names(data) {
        let name = String::from_utf8_lossy(raw).into_owned();
        let why = if raw.contains(&b'/') {
            Some("contains '/'")
        } else if raw[0] == b'.' {
            Some("starts with '.'")
        } else if raw.contains(&0) {
            Some("contains a NUL byte")
        } else {
            None
        };
        if let Some(why) = why {
            return Err(OrderError::BadName { line, name, why });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_product() {
        assert_eq!(memory_ddi(), "ddiboot/rootfs.raw");
        assert_eq!(module_dir(), "modules");
        assert_eq!(module_order(), "modules/order");
        assert_eq!(MODULE_ORDER_MAX, 4096);
    }

    #[test]
    fn order_file_accepts_plain_names() {
        assert_eq!(check_module_order(b""), Ok(()));
        assert_eq!(check_module_order(b"dm-mod.ko\ndm-verity.ko\n"), Ok(()));
        assert_eq!(check_module_order(b"erofs.ko"), Ok(()));
    }

    #[test]
    fn order_file_refuses_paths_and_hidden_names() {
        let e = check_module_order(b"dm-mod.ko\n../etc/x.ko\n").unwrap_err();
        assert_eq!(e, OrderError::BadName { line: 2, name: "../etc/x.ko".into(), why: "contains '/'" });
        let e = check_module_order(b".hidden.ko\n").unwrap_err();
        assert!(matches!(e, OrderError::BadName { line: 1, why: "starts with '.'", .. }));
        let e = check_module_order(b"a.ko\n\n .x.ko \n").unwrap_err();
        assert!(matches!(e, OrderError::BadName { line: 3, why: "starts with '.'", .. }));
        assert!(e.to_string().contains("modules/order line 3"));
    }

    #[test]
    fn order_file_is_read_as_ddiboot_reads_it() {
        let names: Vec<_> = module_names(b" a.ko\r\n\n\tb.ko\nc.ko").collect();
        assert_eq!(names, vec![(1, &b"a.ko"[..]), (3, &b"b.ko"[..]), (4, &b"c.ko"[..])]);
    }

    #[test]
    fn order_file_limit_is_the_products() {
        let line = b"abcdefghijklmno\n"; // 16 bytes
        let at_limit: Vec<u8> = line.repeat(MODULE_ORDER_MAX / 16);
        assert_eq!(at_limit.len(), MODULE_ORDER_MAX);
        assert_eq!(check_module_order(&at_limit), Ok(()));
        let mut over = at_limit.clone();
        over.extend_from_slice(b"x\n");
        let e = check_module_order(&over).unwrap_err();
        assert_eq!(e, OrderError::TooLong { size: MODULE_ORDER_MAX + 2 });
        assert!(e.to_string().contains("at most 4096"));
    }
}
