# shellcheck shell=bash
# shellcheck disable=SC2154  # the variables come from tests/e2e/run
# Sourced by tests/e2e/run: uses its helpers (boot, check, unchanged, want) and
# variables ($arch, $W, $S, $bin, $kdir, $hash, $D, $FAILFAST, ...).
[[ $arch == x86_64 ]] || return 0

# --- Many block devices listed before the ESP's disk (issue 14, item 1) ---------------
# Three disks with 30 GPT partitions each (no ESP) and the ESP's disk last: ~90 entries
# of /sys/class/block, most of them partitions, many listed before the ESP's disk. Each
# whole disk must still be read, within the first pass.
if want many-disks; then
    many=()
    for n in 1 2 3; do
        img=$W/many-$n.img
        rm -f "$img"
        truncate -s 8M "$img"
        sg=(--clear -a 8)
        for p in $(seq 1 30); do sg+=(-n "$p:0:+128K" -t "$p:8300" -c "$p:data-$n-$p"); done
        sgdisk "${sg[@]}" "$img" >/dev/null
        many+=("$img")
    done
    boot many-disks "roothash=$hash ddiboot.timeout=10 $FAILFAST" "${many[@]}" "$D,bus=scsi"
    check many-disks "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+found /EFI/Linux/rootfs.raw on sda partition 1" \
        "+nvme0n1: no ESP or XBOOTLDR partition" "+nvme2n1: no ESP or XBOOTLDR partition" "-waited"
    rm -f "${many[@]}"
fi
