# shellcheck shell=bash
# shellcheck disable=SC2154  # the variables come from tests/e2e/run
# Sourced by tests/e2e/run: uses its helpers (boot, check, unchanged, want) and
# variables ($arch, $W, $S, $bin, $kdir, $hash, $D, $FAILFAST, ...). Runs on both architectures.

    # --- refusing -------------------------------------------------------------------------
    if want wrong-roothash; then
        bad=$(printf '%s' "$hash" | tr '0-9a-f' '1-9a-f0')
        boot wrong-roothash "roothash=$bad $FAILFAST ddiboot.timeout=3" "$D"
        check wrong-roothash "${NO_STAGE2[@]}" "+no data partition matches the root hash|no .*partition.*root hash"
        unchanged wrong-roothash "$D" "$disk_sha"
    fi

    if want tampered-data; then
        cp "$D" "$W/tampered.img"
        # One flipped byte inside the erofs superblock of the DDI's root partition, found
        # by its magic inside the disk image (the ESP holds the DDI contiguously here).
        off=$(python3 - "$W/tampered.img" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
i = data.find(bytes.fromhex('e2e1f5e0'))
print(i + 8)
PY
)
        printf '\x5a' | dd of="$W/tampered.img" bs=1 seek="$off" conv=notrunc status=none
        boot tampered-data "roothash=$hash $FAILFAST" "$W/tampered.img"
        check tampered-data "${NO_STAGE2[@]}" "+device-mapper: verity.*data block .* is corrupted" \
            "+reading the root filesystem on /dev/dm-[0-9]+: read failed: EIO"
    fi

    if want ddi-missing; then
        boot ddi-missing "roothash=$hash ddiboot.image=/EFI/Linux/absent.raw ddiboot.timeout=2 $FAILFAST" "$D"
        check ddi-missing "${NO_STAGE2[@]}" "+/EFI/Linux/absent.raw: .*not found|absent.raw: no such" \
            "+no ESP holds /EFI/Linux/absent.raw: timed out" "+disks seen: nvme0n1"
    fi

    if want no-esp; then
        cp "$W/ddi.raw" "$W/noesp.img"  # a GPT disk whose partitions are not ESPs
        boot no-esp "roothash=$hash ddiboot.timeout=2 $FAILFAST" "$W/noesp.img"
        check no-esp "${NO_STAGE2[@]}" "+nvme0n1: no ESP or XBOOTLDR partition" "+disks seen: nvme0n1"
    fi

    if want no-roothash; then
        boot no-roothash "$FAILFAST" "$D"
        # Without roothash= only a signed DDI could boot (tests/e2e/cases/70-signed.sh).
        check no-roothash "${NO_STAGE2[@]}" "+no roothash= on the command line and the DDI is not signed"
    fi

    if want verity-off; then
        boot verity-off "ddiboot.verity=off $FAILFAST" "$D"
        check verity-off "${STAGE2_OK[@]}" "+ROOT IS NOT VERIFIED" "+root-dm-name ddiboot-data"
    fi
