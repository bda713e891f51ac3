# shellcheck shell=bash
# shellcheck disable=SC2154  # the variables come from tests/e2e/run
# Sourced by tests/e2e/run: uses its helpers (boot, check, want) and variables ($arch,
# $W, $S, $hash, $D, $FAILFAST, ...). Mapping, verity and mounting on both architectures
# (issue 14 items 3, 7, 8, 9): what stage 2 is told about how its root was verified,
# DDIs whose verity does not cover what they hold, a failed mount that must be undone.

if want sha512; then
    # A sha512 hash tree: a 128-digit root hash; the dm uuid carries its first 96 digits
    # (the kernel's limit is 128 characters).
    h512=$("$S/mkddi" --root "$W/root" --output "$W/ddi-sha512.raw" --arch "$arch" --hash sha512 \
        2>"$W/mkddi-sha512.log" | tail -n 1)
    "$S/mkdisk" --output "$W/sha512.img" --ddi "$W/ddi-sha512.raw" --arch "$arch" 2>"$W/mkdisk-sha512.log"
    # The stock kernels have sha512 as a module (CONFIG_CRYPTO_SHA512=m).
    "$S/mkinitrd" --binary "$bin" --output "$W/initrd-sha512.cpio" --kernel-dir "$kdir" \
        --modules "$modules sha512_generic" 2>"$W/mkinitrd-sha512.log"
    "$S/qemu-boot" --arch "$arch" --kernel "$kdir/vmlinuz" --initrd "$W/initrd-sha512.cpio" \
        --append "roothash=$h512 $FAILFAST" --log "$W/sha512.log" --timeout 180 --disk "$W/sha512.img" || true
    check sha512 "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+verity table: 1 .* sha512 $h512 " \
        "+root-dm-uuid DDIBOOT-VERITY-${h512:0:96}([^0-9a-f]|$)" "+verified by dm-verity"
fi

if want verity-first; then
    # One dm-linear device carries the data partition, a gap (the `error` target) and the
    # verity partition, in that order whatever their order in the DDI (dm-verity's data
    # starts at the device's first byte): the table names the same device twice, and the
    # gap puts the hash tree's start on a whole 64-block prefetch cluster
    # (plan::mapping::VerityLayout). First the verity partition before the data
    # partition, then mkddi's and repart's layout (the hash tree follows the data).
    vf=$("$S/mkddi" --root "$W/root" --output "$W/ddi-vfirst.raw" --arch "$arch" --verity-first \
        2>"$W/mkddi-vfirst.log" | tail -n 1)
    "$S/mkdisk" --output "$W/vfirst.img" --ddi "$W/ddi-vfirst.raw" --arch "$arch" 2>"$W/mkdisk-vfirst.log"
    # The tree's first block, rounded down to a cluster: the check fails unless it was one.
    cluster() {
        local hs
        hs=$(sed -nE 's/.*verity table: 1 [0-9]+:0 [0-9]+:0 4096 4096 [0-9]+ ([0-9]+) sha256.*/\1/p' "$W/$1.log" | head -n 1)
        echo $((${hs:-1} / 64 * 64))
    }
    boot verity-first "roothash=$vf $FAILFAST" "$W/vfirst.img"
    check verity-first "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+DDI: data partition 2, verity partition 1" \
        "+verity table: 1 ([0-9]+:0) \1 4096 4096 [0-9]+ $(cluster verity-first) sha256 $vf "
    boot verity-follows "roothash=$hash $FAILFAST" "$D"
    check verity-follows "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+DDI: data partition 1, verity partition 2" \
        "+verity table: 1 ([0-9]+:0) \1 4096 4096 [0-9]+ $(cluster verity-follows) sha256 $hash "
fi

if want weakened; then
    # ignore-corruption lets corrupted blocks through: loud warning, and a uuid that does
    # not say DDIBOOT-VERITY-.
    boot weakened "roothash=$hash systemd.verity_root_options=ignore-corruption $FAILFAST" "$D"
    check weakened "${STAGE2_OK[@]}" "+root-dm-name ddiboot-root" "+root-dm-uuid DDIBOOT-WEAKVERITY-$hash" \
        "+ROOT IS NOT FULLY VERIFIED" "-verified by dm-verity" "-root-dm-uuid DDIBOOT-VERITY-"
fi

if want fs-past-verity; then
    # The verity superblock's data_blocks cover only the first 2 blocks of the erofs: the
    # verified device is shorter than the filesystem, refused before mounting.
    sh=$("$S/mkddi" --root "$W/root" --output "$W/ddi-short.raw" --arch "$arch" --verity-data-blocks 2 \
        2>"$W/mkddi-short.log" | tail -n 1)
    "$S/mkdisk" --output "$W/short.img" --ddi "$W/ddi-short.raw" --arch "$arch" 2>"$W/mkdisk-short.log"
    boot fs-past-verity "roothash=$sh $FAILFAST" "$W/short.img"
    check fs-past-verity "${NO_STAGE2[@]}" \
        "+checking the size of /dev/dm-[0-9]+: erofs of [0-9]+ bytes on a device of 8192: larger than its device"
fi

if want overlay-undo; then
    # A kernel without overlayfs (the initrd lacks the module) and two versions of the
    # DDI, ddiboot.overlay=tmpfs: the first candidate fails at the overlay mount, after
    # its lower mount. The step must undo that mount and /run, so that the DDI unmaps
    # and the second candidate gets as far (and fails for its own reason, not with
    # "creating ddiboot-data: EBUSY").
    "$S/mkinitrd" --binary "$bin" --output "$W/initrd-nooverlay.cpio" --kernel-dir "$kdir" \
        --modules "${modules/overlay/}" 2>"$W/mkinitrd-nooverlay.log"
    L=/EFI/Linux
    "$S/mkdisk" --output "$W/two.img" --ddi "$W/ddi.raw" --ddi-path "$L/rootfs_1.raw" --arch "$arch" \
        --add "$W/ddi.raw:$L/rootfs_2.raw" 2>"$W/mkdisk-two.log"
    "$S/qemu-boot" --arch "$arch" --kernel "$kdir/vmlinuz" --initrd "$W/initrd-nooverlay.cpio" \
        --append "roothash=$hash ddiboot.image=$L/rootfs_*.raw ddiboot.overlay=tmpfs $FAILFAST" \
        --log "$W/overlay-undo.log" --timeout 180 --disk "$W/two.img" || true
    check overlay-undo "${NO_STAGE2[@]}" "+rejected $L/rootfs_2.raw: failed while mounting the root" \
        "+rejected $L/rootfs_1.raw: failed while mounting the root" \
        "+no DDI could be booted; rejected: $L/rootfs_2.raw \(mounting the root\), $L/rootfs_1.raw \(mounting the root\)" \
        "-EBUSY" "-cannot remove" "-cannot unmount"
    n=$(grep -c "mounting the root: mounting overlayfs on /sysroot: ENODEV" "$W/overlay-undo.log" || true)
    if [[ $n != 2 ]]; then
        echo "FAIL overlay-undo: the overlay mount failed $n times, not once per candidate"
        fail=$((fail + 1)) failed+=(overlay-undo-count)
    fi
fi
