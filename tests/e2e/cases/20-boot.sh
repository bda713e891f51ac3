# shellcheck shell=bash
# shellcheck disable=SC2154  # the variables come from tests/e2e/run
# Sourced by tests/e2e/run: uses its helpers (boot, check, unchanged, want) and
# variables ($arch, $W, $S, $bin, $kdir, $hash, $D, $FAILFAST, ...).
[[ $arch == x86_64 ]] || return 0

if want fragmented; then
    "$S/mkdisk" --output "$W/frag.img" --ddi "$W/ddi.raw" --fragment 2>"$W/mkdisk-frag.log"
    boot fragmented "roothash=$hash $FAILFAST" "$W/frag.img"
    check fragmented "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+rootfs.raw on .* [2-9] extent\(s\)|rootfs.raw on .* [1-9][0-9] extent\(s\)"
fi

if want damaged-primary-gpt; then
    cp "$D" "$W/gptdamage.img"
    # Corrupt the primary header's CRC field (LBA 1, offset 16).
    printf '\xde\xad' | dd of="$W/gptdamage.img" bs=1 seek=$((512 + 16)) conv=notrunc status=none
    sha=$(sha256sum <"$W/gptdamage.img")
    boot damaged-primary-gpt "roothash=$hash $FAILFAST" "$W/gptdamage.img"
    check damaged-primary-gpt "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+primary GPT header is damaged; using the backup"
    unchanged damaged-primary-gpt "$W/gptdamage.img" "$sha"
fi

if want damaged-backup-gpt; then
    cp "$D" "$W/gptbackup.img"
    # Corrupt the backup header's CRC field (the last LBA, offset 16).
    printf '\xde\xad' | dd of="$W/gptbackup.img" bs=1 seek=$(($(stat -c %s "$W/gptbackup.img") - 512 + 16)) conv=notrunc status=none
    sha=$(sha256sum <"$W/gptbackup.img")
    boot damaged-backup-gpt "roothash=$hash $FAILFAST" "$W/gptbackup.img"
    check damaged-backup-gpt "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+backup GPT: .*; using the primary"
    unchanged damaged-backup-gpt "$W/gptbackup.img" "$sha"
fi

if want esp-second; then
    "$S/mkdisk" --output "$W/second.img" --ddi "$W/ddi.raw" --extra-fat-first 2>"$W/mkdisk-second.log"
    boot esp-second "roothash=$hash $FAILFAST" "$W/second.img"
    check esp-second "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+rootfs.raw on nvme0n1 partition 2"
fi

if want overlay; then
    boot overlay "roothash=$hash ddiboot.overlay=tmpfs stage2.write=1 $FAILFAST" "$D"
    check overlay "${STAGE2_OK[@]}" "+DDIBOOT-STAGE2: root-overlay" "+root-lower-dm-name ddiboot-root" \
        "+DDIBOOT-STAGE2: write ok"
    unchanged overlay "$D" "$disk_sha"
fi

if want verity-options; then
    # systemd.verity_root_options= words that map to dm-verity table options reach the
    # table; format words are ignored with a warning. check-at-most-once weakens the
    # verification: the uuid says so (36-mapping.sh).
    boot verity-options "roothash=$hash systemd.verity_root_options=check-at-most-once,ignore-zero-blocks,hash=sha1 $FAILFAST" "$D"
    check verity-options "${STAGE2_OK[@]}" "+root-dm-uuid DDIBOOT-WEAKVERITY-$hash" "+ROOT IS NOT FULLY VERIFIED" \
        "+verity table: 1 .* $hash [0-9a-f]+ 2 ignore_zero_blocks check_at_most_once" \
        "+ignoring unsupported verity option hash=sha1"
fi

if want repart-ext4; then
    if "$top/tests/e2e/mkrepart" "$W/root" "$W/repart" >"$W/repart.hash" 2>"$W/repart.log"; then
        rhash=$(tail -n 1 "$W/repart.hash")
        "$S/mkdisk" --output "$W/repart.img" --ddi "$W/repart/ddi.raw" 2>"$W/mkdisk-repart.log"
        boot repart-ext4 "roothash=$rhash $FAILFAST" "$W/repart.img"
        check repart-ext4 "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+root-fstype ext4"
    else
        fail=$((fail + 1)) failed+=(repart-ext4)
        echo "FAIL repart-ext4: systemd-repart failed"; tail -20 "$W/repart.log"
    fi
fi

