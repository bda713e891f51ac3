/work/wt/speed/target2/debug/deps/ddiboot-9b7aa2807b94ced4.d: src/lib.rs src/devno.rs src/errno.rs src/initramfs.rs src/text.rs src/format/mod.rs src/format/block.rs src/format/crc32.rs src/format/ddi.rs src/format/fat/mod.rs src/format/fat/boot_sector.rs src/format/fat/dir.rs src/format/fat/name.rs src/format/fat/table.rs src/format/fat/test_image.rs src/format/fat/tests.rs src/format/fsdetect.rs src/format/gpt.rs src/format/guid.rs src/format/le.rs src/format/verity.rs src/format/verity_sig.rs src/format/version.rs src/plan/mod.rs src/plan/candidates.rs src/plan/cmdline.rs src/plan/disk.rs src/plan/mapping.rs src/plan/modules.rs src/plan/search.rs src/plan/trust.rs src/sys/mod.rs src/sys/dm.rs src/sys/fs.rs src/sys/keyctl.rs src/sys/loopdev.rs src/sys/module.rs src/sys/mount.rs src/sys/process.rs src/sys/uevent.rs src/boot/mod.rs src/boot/log.rs src/boot/error.rs src/boot/esp.rs src/boot/mapper.rs src/boot/memory.rs src/boot/modules.rs src/boot/mounts.rs src/boot/policy.rs src/boot/switchroot.rs

/work/wt/speed/target2/debug/deps/ddiboot-9b7aa2807b94ced4: src/lib.rs src/devno.rs src/errno.rs src/initramfs.rs src/text.rs src/format/mod.rs src/format/block.rs src/format/crc32.rs src/format/ddi.rs src/format/fat/mod.rs src/format/fat/boot_sector.rs src/format/fat/dir.rs src/format/fat/name.rs src/format/fat/table.rs src/format/fat/test_image.rs src/format/fat/tests.rs src/format/fsdetect.rs src/format/gpt.rs src/format/guid.rs src/format/le.rs src/format/verity.rs src/format/verity_sig.rs src/format/version.rs src/plan/mod.rs src/plan/candidates.rs src/plan/cmdline.rs src/plan/disk.rs src/plan/mapping.rs src/plan/modules.rs src/plan/search.rs src/plan/trust.rs src/sys/mod.rs src/sys/dm.rs src/sys/fs.rs src/sys/keyctl.rs src/sys/loopdev.rs src/sys/module.rs src/sys/mount.rs src/sys/process.rs src/sys/uevent.rs src/boot/mod.rs src/boot/log.rs src/boot/error.rs src/boot/esp.rs src/boot/mapper.rs src/boot/memory.rs src/boot/modules.rs src/boot/mounts.rs src/boot/policy.rs src/boot/switchroot.rs

src/lib.rs:
src/devno.rs:
src/errno.rs:
src/initramfs.rs:
src/text.rs:
src/format/mod.rs:
src/format/block.rs:
src/format/crc32.rs:
src/format/ddi.rs:
src/format/fat/mod.rs:
src/format/fat/boot_sector.rs:
src/format/fat/dir.rs:
src/format/fat/name.rs:
src/format/fat/table.rs:
src/format/fat/test_image.rs:
src/format/fat/tests.rs:
src/format/fsdetect.rs:
src/format/gpt.rs:
src/format/guid.rs:
src/format/le.rs:
src/format/verity.rs:
src/format/verity_sig.rs:
src/format/version.rs:
src/plan/mod.rs:
src/plan/candidates.rs:
src/plan/cmdline.rs:
src/plan/disk.rs:
src/plan/mapping.rs:
src/plan/modules.rs:
src/plan/search.rs:
src/plan/trust.rs:
src/sys/mod.rs:
src/sys/dm.rs:
src/sys/fs.rs:
src/sys/keyctl.rs:
src/sys/loopdev.rs:
src/sys/module.rs:
src/sys/mount.rs:
src/sys/process.rs:
src/sys/uevent.rs:
src/boot/mod.rs:
src/boot/log.rs:
src/boot/error.rs:
src/boot/esp.rs:
src/boot/mapper.rs:
src/boot/memory.rs:
src/boot/modules.rs:
src/boot/mounts.rs:
src/boot/policy.rs:
src/boot/switchroot.rs:

# env-dep:CARGO_PKG_VERSION=0.1.0
