# shellcheck shell=bash
# shellcheck disable=SC2154  # the variables come from tests/e2e/run
# Sourced by tests/e2e/run: uses its helpers (boot, check, unchanged, want) and
# variables ($arch, $W, $S, $bin, $kdir, $hash, $D, $FAILFAST, ...).

# --- Two ESPs on one disk, the UKI started from the second (issue 14, item 2) ---------
# Partition 1 is an ESP holding a DDI the UKI's roothash does not cover (and no UKI);
# partition 2 is the ESP with the UKI and its own DDI. The firmware starts the UKI from
# partition 2 (the only one with the removable-media path); ddiboot must read on past
# partition 1 to the loader's ESP, at once, not after ddiboot.timeout=.
if want two-esps; then
    case $arch in
        x86_64) fw="$OVMF_CODE" vars="$OVMF_VARS" console=ttyS0 ;;
        aarch64) fw=/usr/share/AAVMF/AAVMF_CODE.fd vars=/usr/share/AAVMF/AAVMF_VARS.fd console=ttyAMA0 ;;
    esac
    [[ -f $W/initrd-efi.cpio ]] ||
        "$S/mkinitrd" --binary "$bin" --output "$W/initrd-efi.cpio" --kernel-dir "$kdir" \
            --modules "$modules efivarfs" 2>/dev/null
    for side in first second; do
        [[ -f $W/ddi-esp-$side.raw ]] && continue
        "$S/mkroot" "$W/root-esp-$side" --arch "$arch" --marker "esp-$side" 2>/dev/null
        "$S/mkddi" --root "$W/root-esp-$side" --output "$W/ddi-esp-$side.raw" --arch "$arch" >/dev/null 2>&1
    done
    uuid2=5ec0e5b0-0000-4000-8000-000000000002
    "$S/mkuki" --arch "$arch" --kernel "$kdir/vmlinuz" --initrd "$W/initrd-efi.cpio" \
        --cmdline "console=$console panic=-1 roothash=$(<"$W/ddi-esp-second.raw.roothash") $FAILFAST" \
        --output "$W/uki-two-esps.efi" 2>"$W/mkuki-two-esps.log"
    "$S/mkdisk" --output "$W/two-esps.img" --arch "$arch" --uki "$W/uki-two-esps.efi" \
        --ddi "$W/ddi-esp-second.raw" --other-esp-first "$W/ddi-esp-first.raw" --esp-uuid "$uuid2" 2>/dev/null
    sha=$(sha256sum <"$W/two-esps.img")
    cp "$vars" "$W/vars-two-esps.fd"
    "$S/qemu-boot" --arch "$arch" --uefi "$fw:$W/vars-two-esps.fd" --log "$W/two-esps.log" \
        --timeout 300 --disk "$W/two-esps.img,boot=1" || true
    check two-esps "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+marker esp-second" \
        "+booted from the ESP with PARTUUID $uuid2 \(LoaderDevicePartUUID\)" \
        "+found /EFI/Linux/rootfs.raw on nvme0n1 partition 1 " \
        "+found /EFI/Linux/rootfs.raw on nvme0n1 partition 2 \($uuid2\)" \
        "-did not appear" "-rejected" "-marker esp-first"
    rm -f "$W/vars-two-esps.fd"
    unchanged two-esps "$W/two-esps.img" "$sha"
fi
