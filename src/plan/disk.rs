//! Which block devices are read while looking for the ESP, and what dm-linear maps.
//!
//! `/sys/class/block` lists every block device: whole disks, their partitions, and
//! devices that are never a GPT disk holding an ESP. Only whole disks are read (ddiboot
//! parses the GPT itself); the rest is passed over quietly, every time the list is read,
//! so that no number of partitions or odd devices listed first can hide a disk.

use crate::devno::DevNo;

/// Block devices by name prefix that are never a boot disk: loop, RAM and compressed
/// RAM disks, device-mapper and MD devices (assembled later, by the booted system),
/// network block devices, MTD flash (raw NAND/NOR, no GPT), UBI volumes, optical
/// drives (an ISO's ESP is inside El Torito, not in a GPT) and floppies.
static NEVER: [&[u8]; 11] =
    [b"loop", b"ram", b"zram", b"dm-", b"md", b"nbd", b"mtdblock", b"ubiblock", b"sr", b"fd", b"pktcdvd"];

/// Is the `/sys/class/block` entry `name` a device that could be a boot disk, by its
/// name alone? Not: the kinds in [`NEVER`], and an eMMC's hardware boot partitions and
/// replay-protected area (`mmcblk0boot0`, `mmcblk0boot1`, `mmcblk0rpmb`: the firmware's
/// storage, read-only or not readable at all, never a GPT disk). The eMMC's user area
/// (`mmcblk0`) and its general-purpose areas (`mmcblk0gp0`) are disks like any other.
pub fn may_be_boot_disk(name: &[u8]) -> bool {
    if name.is_empty() || NEVER.iter().any(|p| name.starts_with(p)) {
        return false;
    }
    if let Some(rest) = name.strip_prefix(b"mmcblk") {
        let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        let area = rest.get(digits..).unwrap_or(&[]);
        let boot = area.strip_prefix(b"boot").is_some_and(|n| !n.is_empty() && n.iter().all(u8::is_ascii_digit));
        if boot || area == b"rpmb" {
            return false;
        }
    }
    true
}

/// Should the entry `name` be opened and its GPT read? Only devices that
/// [may be boot disks](may_be_boot_disk) and are whole disks: `is_partition` (sysfs: the
/// entry has a `partition` attribute) is asked only for those.
pub fn read_as_disk(name: &[u8], is_partition: impl FnOnce() -> bool) -> bool {
    may_be_boot_disk(name) && !is_partition()
}

/// The device dm-linear maps the DDI's extents onto, and where it starts on the disk
/// those extents were found on, in bytes: the ESP's partition device and the
/// partition's start, or the whole disk (or loop device) and 0.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Backing {
    pub dev: DevNo,
    pub start: u64,
}

/// Seconds ddiboot waits for an ESP at most when the initramfs carries a DDI and
/// `ddiboot.image=` and `ddiboot.timeout=` are left at their defaults: a network boot has
/// no disk to wait for, and a disk present at boot is listed within this time.
pub const MEMORY_DDI_WAIT_S: u32 = 2;

/// How long to wait for the disk holding the DDI: `ddiboot.timeout=` (`timeout_s`), or
/// [`MEMORY_DDI_WAIT_S`] when the initramfs carries a DDI (`memory_ddi`) and the command
/// line leaves the image path and the timeout at their defaults (`defaults`).
pub fn disk_wait_s(timeout_s: u32, defaults: bool, memory_ddi: bool) -> u32 {
    if memory_ddi && defaults {
        return timeout_s.min(MEMORY_DDI_WAIT_S);
    }
    timeout_s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disks_boards_and_pcs_show_are_read() {
        for name in [
            "sda",
            "sdz",
            "sdaa",
            "vda",
            "xvda",
            "hda",
            "nvme0n1",
            "nvme1n12",
            "mmcblk0",
            "mmcblk1",
            "mmcblk10",
            "mmcblk0gp0",
            "pmem0",
            "ubda",
            "mmcblk",
        ] {
            assert!(may_be_boot_disk(name.as_bytes()), "{name}");
        }
    }

    #[test]
    fn firmware_areas_and_virtual_devices_are_passed_over() {
        for name in [
            "mmcblk0boot0",
            "mmcblk0boot1",
            "mmcblk12boot1",
            "mmcblk0rpmb",
            "mmcblk2rpmb",
            "mtdblock0",
            "mtdblock12",
            "ubiblock0_1",
            "sr0",
            "sr1",
            "fd0",
            "loop0",
            "loop12",
            "ram0",
            "zram0",
            "dm-0",
            "md0",
            "md127",
            "nbd3",
            "pktcdvd0",
            "",
        ] {
            assert!(!may_be_boot_disk(name.as_bytes()), "{name}");
        }
    }

    #[test]
    fn partitions_are_not_read_and_their_attribute_is_only_asked_for_candidates() {
        assert!(read_as_disk(b"nvme0n1", || false));
        assert!(!read_as_disk(b"nvme0n1p1", || true));
        assert!(!read_as_disk(b"mmcblk0p2", || true));
        assert!(!read_as_disk(b"mmcblk0boot0", || panic!("sysfs read for a device passed over by name")));
        assert!(!read_as_disk(b"loop0", || panic!("sysfs read for a device passed over by name")));
    }

    #[test]
    fn the_wait_is_short_only_for_an_in_memory_ddi_and_the_defaults() {
        assert_eq!(disk_wait_s(30, true, true), MEMORY_DDI_WAIT_S);
        assert_eq!(disk_wait_s(30, true, false), 30);
        assert_eq!(disk_wait_s(30, false, true), 30);
        assert_eq!(disk_wait_s(60, false, true), 60);
        assert_eq!(disk_wait_s(1, false, true), 1);
    }
}
