# shellcheck shell=bash
# shellcheck disable=SC2154  # the variables come from tests/e2e/run
# kernels: stock builtin
# --- arm64 through U-Boot, as most boards boot: Debian's u-boot-qemu (qemu_arm64) as the
# firmware; its distro boot finds the UKI at the removable-media path
# \EFI\BOOT\BOOTAA64.EFI and runs it under U-Boot's UEFI; systemd-stub sets
# LoaderDevicePartUUID, U-Boot's runtime variable service hands it to Linux, and ddiboot
# follows it. Two disks, each an ESP with its own UKI (own roothash) and DDI: U-Boot scans
# virtio before NVMe, so the ESP on the virtio disk is the one booted, whichever it is.
[[ $arch == aarch64 ]] || return 0
want 'uboot-a uboot-b' || return 0

UBOOT=/usr/lib/u-boot/qemu_arm64/u-boot.bin
if [[ ! -f $UBOOT ]]; then
    [[ $(id -u) == 0 ]] || die "install u-boot-qemu first"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends u-boot-qemu >&2
fi
if [[ $kernel_kind == stock ]]; then
    "$S/mkinitrd" --binary "$bin" --output "$W/initrd-uboot.cpio" --kernel-dir "$kdir" \
        --modules "$modules efivarfs" 2>/dev/null
    ub_initrd=$W/initrd-uboot.cpio
else
    ub_initrd=$W/initrd.cpio
fi
declare -A ub_uuid=([a]=0b00e5b0-0000-4000-8000-00000000000a [b]=0b00e5b0-0000-4000-8000-00000000000b)
for side in a b; do
    [[ -d $W/root-$side ]] || "$S/mkroot" "$W/root-$side" --arch "$arch" --marker "esp-$side" 2>/dev/null
    [[ -f $W/ddi-$side.raw ]] ||
        "$S/mkddi" --root "$W/root-$side" --output "$W/ddi-$side.raw" --arch "$arch" >/dev/null 2>&1
    "$S/mkuki" --arch "$arch" --kernel "$kdir/vmlinuz" --initrd "$ub_initrd" \
        --cmdline "console=ttyAMA0 panic=-1 roothash=$(<"$W/ddi-$side.raw.roothash") $FAILFAST" \
        --output "$W/uboot-uki-$side.efi" 2>/dev/null
    "$S/mkdisk" --output "$W/uboot-$side.img" --ddi "$W/ddi-$side.raw" --uki "$W/uboot-uki-$side.efi" \
        --arch "$arch" --esp-uuid "${ub_uuid[$side]}" 2>/dev/null
done
for first in a b; do
    other=$([[ $first == a ]] && echo b || echo a)
    want "uboot-$first" || continue
    name=uboot-$first-$kernel_kind
    "$S/qemu-boot" --arch "$arch" --bios "$UBOOT" --log "$W/$name.log" --timeout 240 \
        --disk "$W/uboot-$other.img,bus=nvme" --disk "$W/uboot-$first.img,bus=virtio" || true
    check "$name" "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+marker esp-$first" \
        "+Found EFI removable media binary efi/boot/bootaa64.efi" "+efi: EFI v[0-9.]+ by Das U-Boot" \
        "+booted from the ESP with PARTUUID ${ub_uuid[$first]} \(LoaderDevicePartUUID\)" \
        "+ddiboot: found /EFI/Linux/rootfs.raw on vda partition 1 \(${ub_uuid[$first]}\)"
done
