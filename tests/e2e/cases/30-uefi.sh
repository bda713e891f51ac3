# shellcheck shell=bash
# shellcheck disable=SC2154  # the variables come from tests/e2e/run
# Sourced by tests/e2e/run: uses its helpers (boot, check, unchanged, want) and
# variables ($arch, $W, $S, $bin, $kdir, $hash, $D, $FAILFAST, ...).
[[ $arch == x86_64 ]] || return 0

# --- UEFI: firmware -> UKI on an ESP -> ddiboot -> the DDI on the ESP it came from ----
if want uefi; then
    # Two disks, each an ESP with its own UKI (its own roothash) and its own DDI.
    "$S/mkinitrd" --binary "$bin" --output "$W/initrd-efi.cpio" --kernel-dir "$kdir" \
        --modules "$modules efivarfs" 2>/dev/null
    for side in a b; do
        "$S/mkroot" "$W/root-$side" --arch "$arch" --marker "esp-$side" 2>/dev/null
        h=$("$S/mkddi" --root "$W/root-$side" --output "$W/ddi-$side.raw" --arch "$arch" 2>/dev/null | tail -n 1)
        "$S/mkuki" --arch "$arch" --kernel "$kdir/vmlinuz" --initrd "$W/initrd-efi.cpio" \
            --cmdline "console=ttyS0 panic=-1 roothash=$h $FAILFAST" --output "$W/uki-$side.efi" 2>/dev/null
        "$S/mkdisk" --output "$W/uefi-$side.img" --ddi "$W/ddi-$side.raw" --uki "$W/uki-$side.efi" \
            --arch "$arch" 2>/dev/null
    done
    for first in a b; do
        other=$([[ $first == a ]] && echo b || echo a)
        cp "$OVMF_VARS" "$W/vars-$first.fd"
        "$S/qemu-boot" --arch "$arch" --uefi "$OVMF_CODE:$W/vars-$first.fd" --log "$W/uefi-$first.log" \
            --timeout 240 --disk "$W/uefi-$other.img,boot=2" --disk "$W/uefi-$first.img,boot=1" || true
        check "uefi-$first" "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+marker esp-$first" \
            "+booted from the ESP with PARTUUID .* \(LoaderDevicePartUUID\)"
    done
fi

