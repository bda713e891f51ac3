# shellcheck shell=bash
# shellcheck disable=SC2154  # the variables come from tests/e2e/run
# kernels: builtin
# Sourced by tests/e2e/run --kernel builtin: the kernel scripts/mkkernel builds, with every
# driver ddiboot needs built in; the initrd is ddiboot alone (no /modules). Both arches.
case $arch in
    x86_64) console=ttyS0 fw_code=$OVMF_CODE fw_vars=$OVMF_VARS ;;
    aarch64) console=ttyAMA0 fw_code=/usr/share/AAVMF/AAVMF_CODE.fd fw_vars=/usr/share/AAVMF/AAVMF_VARS.fd ;;
esac

# verdict NAME OK MESSAGE: a case decided here rather than by a log pattern.
verdict() {
    if (($2)); then
        pass=$((pass + 1))
        echo "ok   $1"
    else
        fail=$((fail + 1))
        failed+=("$1")
        echo "FAIL $1: $3"
    fi
}

# --- the initrd is ddiboot alone, and the kernel has what ddiboot needs ------------------
if want builtin-initrd; then
    size=$(file_size "$W/initrd.cpio")
    ok=1 why=''
    ((size <= 65536)) || { ok=0 why="initrd is $size bytes, more than 64 KiB"; }
    grep -q 'modules in load order: 0' "$W/mkinitrd.log" || { ok=0 why="the initrd carries modules"; }
    [[ $(sed -n 's/^CONFIG_MODULES=//p' "$kdir/config") == '' ]] || { ok=0 why="the kernel has CONFIG_MODULES"; }
    verdict builtin-initrd "$ok" "$why"
    echo "  initrd: $size bytes (ddiboot $(file_size "$bin") bytes), vmlinuz $(file_size "$kdir/vmlinuz") bytes"
fi

if want builtin-check-config; then
    # The checker accepts the built kernel (signed options included) ...
    ok=1 why=''
    "$S/check-kernel-config" --signed "$kdir/config" >"$W/check-config.log" 2>&1 ||
        { ok=0 why="check-kernel-config rejects $kdir/config: $(grep -m3 '^required' "$W/check-config.log")"; }
    # ... and names what a config without dm-verity and erofs would lack.
    sed -e 's/^CONFIG_DM_VERITY=y/# CONFIG_DM_VERITY is not set/' -e 's/^CONFIG_EROFS_FS=y/CONFIG_EROFS_FS=m/' \
        "$kdir/config" >"$W/config-broken"
    if "$S/check-kernel-config" "$W/config-broken" >"$W/check-broken.log" 2>&1; then
        ok=0 why="check-kernel-config accepts a config without dm-verity"
    elif ! grep -q '^required *CONFIG_DM_VERITY is not set: no dm-verity' "$W/check-broken.log" ||
        ! grep -q '^required *CONFIG_EROFS_FS is =m' "$W/check-broken.log"; then
        ok=0 why="check-kernel-config does not name CONFIG_DM_VERITY and CONFIG_EROFS_FS: $(cat "$W/check-broken.log")"
    fi
    verdict builtin-check-config "$ok" "$why"
fi

# --- booting: direct (-kernel/-initrd) ---------------------------------------------------
if want builtin-boot; then
    boot builtin-boot "roothash=$hash $FAILFAST" "$D"
    check builtin-boot "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+root-dm-uuid DDIBOOT-VERITY-$hash" \
        "+marker main-ddi" "+root-fstype erofs" "+no /modules/order: no modules to load" \
        "+ddiboot: found /EFI/Linux/rootfs.raw on nvme0n1 partition 1 "
    unchanged builtin-boot "$D" "$disk_sha"
fi

if want builtin-overlay; then
    boot builtin-overlay "roothash=$hash ddiboot.overlay=tmpfs stage2.write=1 $FAILFAST" "$D"
    check builtin-overlay "${STAGE2_OK[@]}" "+DDIBOOT-STAGE2: root-overlay" "+root-lower-dm-name ddiboot-root" \
        "+DDIBOOT-STAGE2: write ok"
    unchanged builtin-overlay "$D" "$disk_sha"
fi

# --- refusing ------------------------------------------------------------------------------
if want builtin-wrong-roothash; then
    bad=$(printf '%s' "$hash" | tr '0-9a-f' '1-9a-f0')
    boot builtin-wrong-roothash "roothash=$bad ddiboot.timeout=3 $FAILFAST" "$D"
    check builtin-wrong-roothash "${NO_STAGE2[@]}" "+no data partition matches the root hash|no .*partition.*root hash"
fi

# erofs_flip IMAGE: flips one byte of the first erofs superblock in IMAGE (the DDI's root).
erofs_flip() {
    local off
    off=$(python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); i = d.find(bytes.fromhex("e2e1f5e0")); print(i + 8 if i >= 0 else -1)' "$1")
    ((off > 0)) || { echo "  no erofs superblock in $1"; return 1; }
    printf '\x5a' | dd of="$1" bs=1 seek="$off" conv=notrunc status=none
}

if want builtin-tampered-data; then
    cp "$D" "$W/builtin-tampered.img"
    erofs_flip "$W/builtin-tampered.img"
    boot builtin-tampered-data "roothash=$hash $FAILFAST" "$W/builtin-tampered.img"
    check builtin-tampered-data "${NO_STAGE2[@]}" "+device-mapper: verity.*data block .* is corrupted" \
        "+reading the root filesystem on /dev/dm-[0-9]+: read failed: EIO"
fi

# --- the in-memory DDI (network boot): loop is built in ------------------------------------
if want builtin-memory; then
    "$S/mkinitrd" --binary "$bin" --output "$W/initrd-mem.cpio" --ddi "$W/ddi.raw" 2>/dev/null
    "$S/qemu-boot" --arch "$arch" --kernel "$kdir/vmlinuz" --initrd "$W/initrd-mem.cpio" \
        --append "roothash=$hash ddiboot.timeout=1 $FAILFAST" --log "$W/builtin-memory.log" --timeout 180 || true
    check builtin-memory "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+marker main-ddi" \
        "+using the in-memory DDI /ddiboot/rootfs.raw" "+loop[0-9]+"
fi

# --- versions: a bad newest copy and an untrusted update fall back to the trusted one ------
if want builtin-versions-fallback; then
    "$S/mkroot" "$W/root-new" --arch "$arch" --marker "newer" 2>/dev/null
    "$S/mkddi" --root "$W/root-new" --output "$W/ddi-new.raw" --arch "$arch" >/dev/null 2>&1
    cp "$W/ddi.raw" "$W/ddi-bad.raw"
    erofs_flip "$W/ddi-bad.raw"
    L=/EFI/Linux
    "$S/mkdisk" --output "$W/versions-bad.img" --ddi "$W/ddi.raw" --ddi-path "$L/rootfs_2.raw" \
        --add "$W/ddi.raw:$L/rootfs_1.raw" --add "$W/ddi-bad.raw:$L/rootfs_3.raw" \
        --add "$W/ddi-new.raw:$L/rootfs_9.raw" --arch "$arch" 2>/dev/null
    boot builtin-versions-fallback "roothash=$hash ddiboot.image=$L/rootfs_*.raw $FAILFAST" "$W/versions-bad.img"
    check builtin-versions-fallback "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+marker main-ddi" \
        "+candidates: $L/rootfs_9.raw, $L/rootfs_3.raw, $L/rootfs_2.raw, $L/rootfs_1.raw" \
        "+rejected $L/rootfs_9.raw: failed while mapping the DDI" \
        "+rejected $L/rootfs_3.raw: failed while mounting the root" "+booting $L/rootfs_2.raw"
fi

# --- UEFI: firmware -> UKI (systemd-stub + this kernel + ddiboot alone) on the ESP ---------
if want builtin-uefi; then
    "$S/mkuki" --arch "$arch" --kernel "$kdir/vmlinuz" --initrd "$W/initrd.cpio" \
        --cmdline "console=$console panic=-1 roothash=$hash $FAILFAST" --output "$W/builtin-uki.efi" \
        2>"$W/mkuki-builtin.log"
    uuid=b1e5b0a0-0000-4000-8000-0000000000e5
    "$S/mkdisk" --output "$W/builtin-uefi.img" --ddi "$W/ddi.raw" --uki "$W/builtin-uki.efi" \
        --arch "$arch" --esp-uuid "$uuid" 2>"$W/mkdisk-builtin-uefi.log"
    sha=$(sha256sum <"$W/builtin-uefi.img")
    cp "$fw_vars" "$W/builtin-vars.fd"
    "$S/qemu-boot" --arch "$arch" --uefi "$fw_code:$W/builtin-vars.fd" --log "$W/builtin-uefi.log" \
        --timeout 240 --disk "$W/builtin-uefi.img" || true
    check builtin-uefi "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+marker main-ddi" \
        "+booted from the ESP with PARTUUID $uuid \(LoaderDevicePartUUID\)"
    echo "  UKI: $(file_size "$W/builtin-uki.efi") bytes"
    unchanged builtin-uefi "$W/builtin-uefi.img" "$sha"
    rm -f "$W/builtin-vars.fd"
fi
