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

# The README's systemd-repart block, run as it is written after the by-hand block (it
# packs the by-hand root), the same way; then the DDI it made boots, verified, with the
# root hash it printed.
if want by-hand-repart; then
    block=$(sed -n '/^<!-- repart recipe:/,/^```$/p' "$top/README.md" | sed '1,2d;$d')
    block=${block//\/tmp\/ddiboot-by-hand/$W/by-hand}
    # As the README says for a foreign root: the arm64 partition types.
    if [[ $arch != "$(host_arch)" ]]; then
        block=$(sed "s/^Type=root\$/Type=root-$(dps_arch "$arch")/; s/^Type=root-verity\$/Type=root-$(dps_arch "$arch")-verity/" <<<"$block")
    fi
    [[ -d $W/by-hand/root ]] || "$S/mkroot" "$W/by-hand/root" --arch "$arch" 2>/dev/null
    rhash=''
    if [[ $block != *systemd-repart* ]]; then
        echo "    the README's repart block was not found (marker '<!-- repart recipe:')"
    elif (cd "$top" && bash -euo pipefail -c "$block") >"$W/by-hand-repart.out" 2>&1; then
        rhash=$(sed -n 's/.*"roothash" : "\([0-9a-f]*\)".*/\1/p' "$W/by-hand-repart.out" | head -n 1)
        echo "  README repart DDI: $(file_size "$W/by-hand/repart.raw") bytes"
    else
        echo "    the README's repart block failed: $(tail -n 2 "$W/by-hand-repart.out")"
    fi
    if [[ -n $rhash ]]; then
        "$S/mkdisk" --output "$W/by-hand-repart.img" --ddi "$W/by-hand/repart.raw" --arch "$arch" 2>/dev/null
        # An ext4 DDI needs ext4 (a module on arm64, built in on amd64: the README says so).
        "$S/mkinitrd" --binary "$bin" --output "$W/initrd-ext4.cpio" --kernel-dir "$kdir" \
            --modules "$modules ext4" 2>"$W/mkinitrd-ext4.log"
        "$S/qemu-boot" --arch "$arch" --kernel "$kdir/vmlinuz" --initrd "$W/initrd-ext4.cpio" \
            --append "roothash=$rhash $FAILFAST" --log "$W/by-hand-repart.log" --timeout 180 \
            --disk "$W/by-hand-repart.img" || true
    else
        : >"$W/by-hand-repart.log"
    fi
    check by-hand-repart "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+root-fstype ext4"
    # No oversized image: the 2 MB root's DDI stays below 10 MiB (systemd 252's default
    # partition minimum alone would make it 21 MiB).
    if [[ -f $W/by-hand/repart.raw ]] && (($(file_size "$W/by-hand/repart.raw") >= 10 * 1048576)); then
        echo "FAIL by-hand-repart-size: $(file_size "$W/by-hand/repart.raw") bytes"
        fail=$((fail + 1)) failed+=(by-hand-repart-size)
    fi
fi
