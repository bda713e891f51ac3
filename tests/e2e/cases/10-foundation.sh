# shellcheck shell=bash
# shellcheck disable=SC2154  # the variables come from tests/e2e/run
# Sourced by tests/e2e/run: uses its helpers (boot, check, unchanged, want) and
# variables ($arch, $W, $S, $bin, $kdir, $hash, $D, $FAILFAST, ...).
# --- the foundation: PID 1, command line, failure policy ---------------------------------
if want foundation; then
    boot foundation "roothash=$hash ddiboot.image=/parsed/from-cmdline.raw ddiboot.timeout=1 ddiboot.bogus=1 $FAILFAST"
    check foundation "+ddiboot: ddiboot .* running as PID 1" "+image /parsed/from-cmdline.raw" \
        "+ignoring ddiboot.bogus: unknown ddiboot option" "+no ESP holds /parsed/from-cmdline.raw" \
        "+ddiboot: powering off in 0 s" "+reboot: Power down" "-DDIBOOT-STAGE2"
fi

# --- booting --------------------------------------------------------------------------------
if want boot-verified; then
    boot boot-verified "roothash=$hash $FAILFAST" "$D"
    check boot-verified "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+root-dm-uuid DDIBOOT-VERITY-$hash" \
        "+marker main-ddi" "+root-fstype erofs" "+verified by dm-verity"
    unchanged boot-verified "$D" "$disk_sha"
fi
