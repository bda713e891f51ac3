# shellcheck shell=bash
# shellcheck disable=SC2154  # the variables come from tests/e2e/run
# Sourced by tests/e2e/run: uses its helpers (boot, check, unchanged, want) and
# variables ($arch, $W, $S, $bin, $kdir, $hash, $D, $FAILFAST, ...).
[[ $arch == x86_64 ]] || return 0

# --- Many block devices listed before the ESP's disk (issue 14, item 1) ---------------
# Four NVMe disks: three with 30 GPT partitions each (no ESP) and the ESP's disk second
# (nvme1n1). /sys/class/block lists its ~100 entries in kernfs name-hash order, and in
# that order 68 partitions come before nvme1n1: a reader that keeps a fixed number of
# entries per pass (the 16-entry list this replaced) never reaches it. Every whole disk
# must be read in the first pass.
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
    boot many-disks "roothash=$hash ddiboot.timeout=10 $FAILFAST" "${many[0]}" "$D" "${many[1]}" "${many[2]}"
    check many-disks "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+found /EFI/Linux/rootfs.raw on nvme1n1 partition 1" \
        "-waited"
    rm -f "${many[@]}"
fi
