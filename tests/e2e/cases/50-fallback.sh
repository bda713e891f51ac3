# shellcheck shell=bash
# shellcheck disable=SC2154  # the variables come from tests/e2e/run
# Issue 6: the in-memory DDI (network boot, no ESP) and versioned DDIs with fallback, on
# both architectures.

# An initrd that carries the test DDI itself (what PXE or the loader would append).
mem_initrd() {
    [[ -f $W/initrd-mem.cpio ]] ||
        "$S/mkinitrd" --binary "$bin" --output "$W/initrd-mem.cpio" --kernel-dir "$kdir" \
            --modules "$modules loop" --ddi "$W/ddi.raw" 2>/dev/null
}

# boot_with INITRD NAME APPEND DISK... : like boot, with another initrd.
boot_with() {
    local initrd=$1 name=$2 append=$3
    shift 3
    local -a d=()
    local spec
    for spec in "$@"; do d+=(--disk "$spec"); done
    "$S/qemu-boot" --arch "$arch" --kernel "$kdir/vmlinuz" --initrd "$initrd" \
        --append "$append" --log "$W/$name.log" --timeout 180 "${d[@]}" || true
}

if want memory; then
    mem_initrd
    # No disk at all: after the wait for an ESP, the DDI in the initramfs is used.
    boot_with "$W/initrd-mem.cpio" memory-nodisk "roothash=$hash ddiboot.timeout=1 $FAILFAST"
    check memory-nodisk "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+marker main-ddi" \
        "+using the in-memory DDI /ddiboot/rootfs.raw" "+loop[0-9]+"
    # ddiboot.image= and ddiboot.timeout= at their defaults: a short wait, not the 30 s.
    boot_with "$W/initrd-mem.cpio" memory-nodisk-short "roothash=$hash $FAILFAST"
    check memory-nodisk-short "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+marker main-ddi" \
        "+the initramfs carries a DDI: waiting 2 s for an ESP" "+waited 2 s" \
        "+using the in-memory DDI /ddiboot/rootfs.raw"
    # Explicitly asked for, with a disk present: no waiting for disks at all.
    boot_with "$W/initrd-mem.cpio" memory-explicit "roothash=$hash ddiboot.image=memory $FAILFAST" "$D"
    check memory-explicit "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+using the in-memory DDI /ddiboot/rootfs.raw" \
        "-found /EFI"
fi

if want versions; then
    # Three copies of the verified DDI as versions 1..3, a newer DDI that the trusted
    # root hash does not cover (an update the UKI does not know yet) as version 9.
    "$S/mkroot" "$W/root-new" --arch "$arch" --marker "newer" 2>/dev/null
    "$S/mkddi" --root "$W/root-new" --output "$W/ddi-new.raw" --arch "$arch" >/dev/null 2>&1
    cp "$W/ddi.raw" "$W/ddi-bad.raw"
    # Flip one byte in the erofs superblock of the copy's root partition.
    off=$(python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); print(d.find(bytes.fromhex("e2e1f5e0")) + 8)' "$W/ddi-bad.raw")
    printf '\x5a' | dd of="$W/ddi-bad.raw" bs=1 seek="$off" conv=notrunc status=none
    L=/EFI/Linux
    "$S/mkdisk" --output "$W/versions.img" --ddi "$W/ddi.raw" --ddi-path "$L/rootfs_2.raw" \
        --add "$W/ddi.raw:$L/rootfs_1.raw" --add "$W/ddi.raw:$L/rootfs_3.raw" 2>/dev/null
    boot versions-newest "roothash=$hash ddiboot.image=$L/rootfs_*.raw $FAILFAST" "$W/versions.img"
    check versions-newest "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+booting $L/rootfs_3.raw" "-rejected"

    "$S/mkdisk" --output "$W/versions-bad.img" --ddi "$W/ddi.raw" --ddi-path "$L/rootfs_2.raw" \
        --add "$W/ddi.raw:$L/rootfs_1.raw" --add "$W/ddi-bad.raw:$L/rootfs_3.raw" \
        --add "$W/ddi-new.raw:$L/rootfs_9.raw" 2>/dev/null
    boot versions-fallback "roothash=$hash ddiboot.image=$L/rootfs_*.raw $FAILFAST" "$W/versions-bad.img"
    check versions-fallback "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+marker main-ddi" \
        "+candidates: $L/rootfs_9.raw, $L/rootfs_3.raw, $L/rootfs_2.raw, $L/rootfs_1.raw" \
        "+no root or usr partition matching the root hash" "+rejected $L/rootfs_9.raw: failed while mapping the DDI" \
        "+read failed: EIO" "+rejected $L/rootfs_3.raw: failed while mounting the root" "+booting $L/rootfs_2.raw"

    # Boot counting: a candidate with no tries left goes last, even when newest.
    "$S/mkdisk" --output "$W/versions-count.img" --ddi "$W/ddi.raw" --ddi-path "$L/rootfs_1+2-1.raw" \
        --add "$W/ddi.raw:$L/rootfs_5+0-3.raw" 2>/dev/null
    boot versions-counting "roothash=$hash ddiboot.image=$L/rootfs_*.raw $FAILFAST" "$W/versions-count.img"
    check versions-counting "${STAGE2_OK[@]}" "+candidates: $L/rootfs_1\+2-1.raw, $L/rootfs_5\+0-3.raw" \
        "+booting $L/rootfs_1\+2-1.raw"

    # Every candidate bad, no in-memory DDI: the final error lists them all.
    "$S/mkdisk" --output "$W/versions-allbad.img" --ddi "$W/ddi-bad.raw" --ddi-path "$L/rootfs_2.raw" \
        --add "$W/ddi-new.raw:$L/rootfs_3.raw" 2>/dev/null
    boot versions-allbad "roothash=$hash ddiboot.image=$L/rootfs_*.raw $FAILFAST" "$W/versions-allbad.img"
    check versions-allbad "${NO_STAGE2[@]}" "+rejected $L/rootfs_3.raw" "+rejected $L/rootfs_2.raw" \
        "+no DDI could be booted; rejected: $L/rootfs_3.raw \(mapping the DDI\), $L/rootfs_2.raw \(mounting the root\)"

    # ... and with the in-memory DDI as the last resort.
    mem_initrd
    boot_with "$W/initrd-mem.cpio" versions-then-memory \
        "roothash=$hash ddiboot.image=$L/rootfs_*.raw $FAILFAST" "$W/versions-allbad.img"
    check versions-then-memory "${STAGE2_OK[@]}" "+rejected $L/rootfs_2.raw" \
        "+using the in-memory DDI /ddiboot/rootfs.raw"
fi

# break_chain IMG PATH: the FAT32 entry of PATH's first cluster becomes 0 ("free") in
# every FAT of the ESP at 1 MiB in IMG: a broken chain, as an interrupted write leaves it.
break_chain() {
    local img=$1 path=$2 first bps rsv nfats fsz i
    first=$(mshowfat -i "$img@@1M" "::$path")
    first=${first#*<}
    first=${first%%[->]*}
    le() { od -An -tu"$3" --endian=little -j $((1048576 + $2)) -N "$3" -- "$1" | tr -d ' '; }
    bps=$(le "$img" 11 2) rsv=$(le "$img" 14 2) nfats=$(le "$img" 16 1) fsz=$(le "$img" 36 4)
    for ((i = 0; i < nfats; i++)); do
        printf '\0\0\0\0' | dd of="$img" bs=1 seek=$((1048576 + (rsv + i * fsz) * bps + first * 4)) \
            conv=notrunc status=none
    done
}

L=/EFI/Linux
if want versions-many; then
    # Eight versions written oldest first: the newest are last in the directory, and more
    # than MAX_CANDIDATES (6) match. The newest six are kept, the newest boots.
    adds=()
    for v in 1 2 3 4 5 6 7; do adds+=(--add "$W/ddi.raw:$L/rootfs_$v.raw"); done
    "$S/mkdisk" --output "$W/versions-many.img" --ddi "$W/ddi.raw" --ddi-path "$L/rootfs_8.raw" \
        "${adds[@]}" 2>/dev/null
    boot versions-many "roothash=$hash ddiboot.image=$L/rootfs_*.raw $FAILFAST" "$W/versions-many.img"
    check versions-many "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+booting $L/rootfs_8.raw" "-rejected" \
        "+candidates: $L/rootfs_8.raw, $L/rootfs_7.raw, $L/rootfs_6.raw, $L/rootfs_5.raw, $L/rootfs_4.raw, $L/rootfs_3.raw" \
        "+more than 6 versions of the DDI; leaving out rootfs_2.raw" \
        "+more than 6 versions of the DDI; leaving out rootfs_1.raw"
    rm -f "$W/versions-many.img"
fi

if want versions-broken; then
    # The newest version's FAT chain is broken: it is skipped with a warning, and the
    # others on the same ESP are still candidates.
    "$S/mkdisk" --output "$W/versions-broken.img" --ddi "$W/ddi.raw" --ddi-path "$L/rootfs_2.raw" \
        --add "$W/ddi.raw:$L/rootfs_1.raw" --add "$W/ddi.raw:$L/rootfs_3.raw" 2>/dev/null
    break_chain "$W/versions-broken.img" "$L/rootfs_3.raw"
    boot versions-broken "roothash=$hash ddiboot.image=$L/rootfs_*.raw $FAILFAST" "$W/versions-broken.img"
    check versions-broken "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+skipping $L/rootfs_3.raw: free cluster in chain" \
        "+candidates: $L/rootfs_2.raw, $L/rootfs_1.raw" "+booting $L/rootfs_2.raw" "-rejected"
    rm -f "$W/versions-broken.img"
fi
