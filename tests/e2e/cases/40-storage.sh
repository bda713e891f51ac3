# shellcheck shell=bash
# shellcheck disable=SC2154  # the variables come from tests/e2e/run
# Sourced by tests/e2e/run: uses its helpers (boot, check, unchanged, want) and
# variables ($arch, $W, $S, $bin, $kdir, $hash, $D, $FAILFAST, ...).
# --- storage: the buses and disks real machines and boards have ---------------------------
# NVMe, virtio-blk (vda), virtio-scsi (sda), 4096-byte logical sectors, a DDI with roots
# for several architectures, a disk that appears while ddiboot waits. Both arches.
# Not here: SD/eMMC (mmcblk0): neither q35 nor virt has an SD host controller that the
# stock kernels drive without extra boards (sdhci-pci is a module on neither initrd), so
# it is left to hardware tests.
# want gets one string holding every case name here, so --only picks any of them.
want 'storage-nvme storage-virtio storage-scsi storage-4k-nvme storage-4k-scsi storage-4k-as-512
      multi-arch-native multi-arch-foreign late-nvme late-scsi late-disk' || return 0

# The initrd for this file: the run's modules plus the virtio/SCSI disk drivers (modules
# on both Debian kernels; NVMe is built in on amd64 cloud and a module on arm64).
"$S/mkinitrd" --binary "$bin" --output "$W/initrd-storage.cpio" --kernel-dir "$kdir" \
    --modules "$modules virtio_pci virtio_blk virtio_scsi sd_mod" 2>"$W/mkinitrd-storage.log"

# sboot NAME APPEND QEMU-BOOT-ARG... : like boot, with the storage initrd and any
# qemu-boot options (--disk, --late-disk, ...).
sboot() {
    local name=$1 append=$2
    shift 2
    "$S/qemu-boot" --arch "$arch" --kernel "$kdir/vmlinuz" --initrd "$W/initrd-storage.cpio" \
        --append "$append" --log "$W/$name.log" --timeout 180 "$@" || true
}

# The bus name of a device as the kernel calls the first disk on it.
for bus in nvme:nvme0n1 virtio:vda scsi:sda; do
    dev=${bus#*:} bus=${bus%%:*}
    if want "storage-$bus"; then
        sboot "storage-$bus" "roothash=$hash $FAILFAST" --disk "$D,bus=$bus"
        check "storage-$bus" "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+marker main-ddi" \
            "+ddiboot: found /EFI/Linux/rootfs.raw on $dev partition 1 "
        unchanged "storage-$bus" "$D" "$disk_sha"
    fi
done

# --- 4096-byte logical sectors ("4Kn"): the disk's GPT and FAT in 4 KiB sectors; the DDI
# inside keeps its 512-byte GPT (ddiboot probes it), its partitions and verity blocks are
# 4 KiB aligned, which dm-linear and dm-verity need on such a disk.
if want 'storage-4k-nvme storage-4k-scsi storage-4k-as-512'; then
    "$S/mkdisk" --output "$W/disk4k.img" --ddi "$W/ddi.raw" --sector-size 4096 2>"$W/mkdisk-4k.log"
    sha4k=$(sha256sum <"$W/disk4k.img")
    for bus in nvme:nvme0n1 scsi:sda; do
        dev=${bus#*:} bus=${bus%%:*}
        want "storage-4k-$bus" || continue
        sboot "storage-4k-$bus" "roothash=$hash $FAILFAST" --disk "$W/disk4k.img,bus=$bus,lbs=4096"
        extra=()
        [[ $bus != scsi ]] || extra=("+\[sda\] [0-9]+ 4096-byte logical blocks")
        check "storage-4k-$bus" "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+marker main-ddi" "${extra[@]}" \
            "+ddiboot: found /EFI/Linux/rootfs.raw on $dev partition 1 "
        unchanged "storage-4k-$bus" "$W/disk4k.img" "$sha4k"
    done
    # The same image shown with 512-byte sectors has no GPT at LBA 1: proves the one
    # above was read in 4 KiB units, not found by luck.
    if want storage-4k-as-512; then
        sboot storage-4k-as-512 "roothash=$hash ddiboot.timeout=2 $FAILFAST" --disk "$W/disk4k.img"
        check storage-4k-as-512 "${NO_STAGE2[@]}" "+nvme0n1: no usable GPT" "+disks seen: nvme0n1"
    fi
fi

# --- one DDI, roots for x86-64 and arm64: the native pair is used -------------------------
if want 'multi-arch-native multi-arch-foreign'; then
    "$S/mkddi" --root "$W/root" --output "$W/multi.raw" --arch both >/dev/null 2>"$W/mkddi-multi.log"
    "$S/mkdisk" --output "$W/multi.img" --ddi "$W/multi.raw" 2>"$W/mkdisk-multi.log"
    sham=$(sha256sum <"$W/multi.img")
    native=$(<"$W/multi.raw.$arch.roothash")
    case $arch in
        x86_64) foreign=$(<"$W/multi.raw.aarch64.roothash") pair="1, verity partition 2" fdps=x86-64 ;;
        aarch64) foreign=$(<"$W/multi.raw.x86_64.roothash") pair="3, verity partition 4" fdps=arm64 ;;
    esac
    if want multi-arch-native; then
        sboot multi-arch-native "roothash=$native $FAILFAST" --disk "$W/multi.img"
        check multi-arch-native "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+root-dm-uuid DDIBOOT-VERITY-$native" \
            "+DDI: data partition $pair"
        unchanged multi-arch-native "$W/multi.img" "$sham"
    fi
    # The other architecture's root hash matches a pair in the DDI, but not one this
    # machine can run: refused.
    if want multi-arch-foreign; then
        sboot multi-arch-foreign "roothash=$foreign $FAILFAST" --disk "$W/multi.img"
        check multi-arch-foreign "${NO_STAGE2[@]}" \
            "+no root or usr partition matching the root hash for $fdps" "-DDIBOOT-VERITY-$foreign"
    fi
fi

# --- a disk that appears late (USB, slow controllers): hot-plugged through QMP a few
# seconds after the kernel started /init; a disk without an ESP is there from the start.
# ddiboot must keep waiting (uevents + rescans) and find it within ddiboot.timeout.
# late_check NAME DELAY: the "found" line must come DELAY s or more after "Run /init"
# (qemu-boot starts the delay when the host sees "Run /init"; guest and host clocks run
# at the same rate under TCG without -icount).
late_check() {
    local logf=$W/$1.log t0 t1
    if ! grep -q "device_add .*: ok" "$logf.late"; then
        echo "FAIL $1: qemu-boot did not hot-plug the disk"
        sed 's/^/    | /' "$logf.late"
        fail=$((fail + 1))
        failed+=("$1-late")
        return
    fi
    t0=$(sed -n 's/^\[ *\([0-9.]*\)\] Run \/init .*/\1/p' "$logf" | head -n 1)
    t1=$(sed -n 's/^\[ *\([0-9.]*\)\] ddiboot: found .*/\1/p' "$logf" | head -n 1)
    [[ -n $t1 ]] || return 0 # not found at all: check has said so
    if [[ -z $t0 || -z $t1 ]] || ! awk -v a="$t0" -v b="$t1" -v d="$2" 'BEGIN { exit !(b - a >= d) }'; then
        echo "FAIL $1: the disk was not found late: Run /init at ${t0:-?} s, found at ${t1:-?} s, attach $2 s after"
        sed 's/^/    | /' "$logf.late"
        fail=$((fail + 1))
        failed+=("$1-late")
    else
        echo "  $1: found $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s after Run /init (attach at +$2 s)"
    fi
}

cp "$W/ddi.raw" "$W/late-noesp.img" # a GPT disk without an ESP
for bus in nvme:nvme0n1:nvme1n1 scsi:sda:sdb; do
    IFS=: read -r bus first dev <<<"$bus"
    name=late-$bus
    want "$name late-disk" || continue
    sboot "$name" "roothash=$hash ddiboot.timeout=20 $FAILFAST" --disk "$W/late-noesp.img,bus=$bus" \
        --late-disk "$D,bus=$bus" --late-after 4
    check "$name" "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+$first: no ESP or XBOOTLDR partition" \
        "+ddiboot: found /EFI/Linux/rootfs.raw on $dev partition 1 "
    late_check "$name" 4
    unchanged "$name" "$D" "$disk_sha"
done
