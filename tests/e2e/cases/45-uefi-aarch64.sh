# shellcheck shell=bash
# shellcheck disable=SC2154  # the variables come from tests/e2e/run
# Sourced by tests/e2e/run: uses its helpers (boot, check, unchanged, want) and
# variables ($arch, $W, $S, $bin, $kdir, $hash, $D, $FAILFAST, ...).
[[ $arch == aarch64 ]] || return 0

# --- UEFI on arm64: AAVMF -> a UKI (Debian's arm64 systemd-stub) on an ESP -> ddiboot ->
# the DDI on the ESP it came from. Two disks on two buses (NVMe, virtio-blk), each an ESP
# with its own UKI (own roothash) and DDI; the firmware's boot order decides which UKI
# runs, LoaderDevicePartUUID tells ddiboot which ESP that was.
AAVMF_CODE=/usr/share/AAVMF/AAVMF_CODE.fd AAVMF_VARS=/usr/share/AAVMF/AAVMF_VARS.fd
if want 'uefi-aarch64-a uefi-aarch64-b'; then
    "$S/mkinitrd" --binary "$bin" --output "$W/initrd-efi.cpio" --kernel-dir "$kdir" \
        --modules "$modules efivarfs" 2>/dev/null
    declare -A esp_uuid=([a]=a64e5b0a-0000-4000-8000-00000000000a [b]=a64e5b0b-0000-4000-8000-00000000000b)
    for side in a b; do
        "$S/mkroot" "$W/root-$side" --arch "$arch" --marker "esp-$side" 2>/dev/null
        h=$("$S/mkddi" --root "$W/root-$side" --output "$W/ddi-$side.raw" --arch "$arch" 2>/dev/null | tail -n 1)
        "$S/mkuki" --arch "$arch" --kernel "$kdir/vmlinuz" --initrd "$W/initrd-efi.cpio" \
            --cmdline "console=ttyAMA0 panic=-1 roothash=$h $FAILFAST" --output "$W/uki-$side.efi" \
            2>"$W/mkuki-$side.log"
        "$S/mkdisk" --output "$W/uefi-$side.img" --ddi "$W/ddi-$side.raw" --uki "$W/uki-$side.efi" \
            --arch "$arch" --esp-uuid "${esp_uuid[$side]}" 2>/dev/null
    done
    sha_a=$(sha256sum <"$W/uefi-a.img") sha_b=$(sha256sum <"$W/uefi-b.img")
    for first in a b; do
        want "uefi-aarch64-$first" || continue
        cp "$AAVMF_VARS" "$W/vars-$first.fd"
        "$S/qemu-boot" --arch "$arch" --uefi "$AAVMF_CODE:$W/vars-$first.fd" --log "$W/uefi-aarch64-$first.log" \
            --timeout 240 --disk "$W/uefi-a.img,bus=nvme,boot=$([[ $first == a ]] && echo 1 || echo 2)" \
            --disk "$W/uefi-b.img,bus=virtio,boot=$([[ $first == b ]] && echo 1 || echo 2)" || true
        dev=$([[ $first == a ]] && echo nvme0n1 || echo vda)
        check "uefi-aarch64-$first" "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+marker esp-$first" \
            "+EFI stub: Booting Linux Kernel" "+root-dm-uuid DDIBOOT-VERITY-$(<"$W/ddi-$first.raw.roothash")" \
            "+booted from the ESP with PARTUUID ${esp_uuid[$first]} \(LoaderDevicePartUUID\)" \
            "+ddiboot: found /EFI/Linux/rootfs.raw on $dev partition 1 \(${esp_uuid[$first]}\)"
        rm -f "$W/vars-$first.fd"
    done
    unchanged uefi-aarch64 "$W/uefi-a.img" "$sha_a"
    unchanged uefi-aarch64 "$W/uefi-b.img" "$sha_b"
fi
