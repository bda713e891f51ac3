# shellcheck shell=bash
# shellcheck disable=SC2154  # the variables come from tests/e2e/run
# Sourced by tests/e2e/run: uses its helpers (check, want) and variables ($arch, $W,
# $top, ...).
#
# The README's "Building the pieces by hand" block, run as it is written (from the top
# of the repository, as the README says): x86_64 as it stands, aarch64 with its second
# line uncommented, as the README tells the reader. The only change: its output
# directory /tmp/ddiboot-by-hand becomes this run's work directory. Its last command
# boots the disk under UEFI and gives qemu-boot's verdict.
if want by-hand-readme; then
    block=$(sed -n '/^<!-- by-hand recipe:/,/^```$/p' "$top/README.md" | sed '1,2d;$d')
    [[ $arch == x86_64 ]] || block=$(sed '2s/^# //' <<<"$block")
    block=${block//\/tmp\/ddiboot-by-hand/$W/by-hand}
    rm -rf "$W/by-hand"
    if [[ $block != *"scripts/qemu-boot"* ]]; then
        echo "    the README's by-hand block was not found (marker '<!-- by-hand recipe:')"
        : >"$W/by-hand-readme.log"
    else
        printf '%s\n' "$block" >"$W/by-hand.sh"
        # As a user runs it: qemu-boot prints its verdict (no DDIBOOT_VERDICT=quiet).
        (cd "$top" && PATH=$HOME/.cargo/bin:$PATH env -u DDIBOOT_VERDICT bash -euo pipefail "$W/by-hand.sh") \
            >"$W/by-hand-readme.log" 2>&1 || echo "    the README's by-hand block failed (exit $?)"
    fi
    check by-hand-readme "+qemu-boot: PASS: DDIBOOT-STAGE2: reached" "${STAGE2_OK[@]}" "${VERIFIED[@]}" \
        "+booted from the ESP with PARTUUID .* \(LoaderDevicePartUUID\)" "-qemu-boot: FAIL" "-mkuki: note"
fi
