# shellcheck shell=bash
# shellcheck disable=SC2154  # the variables come from tests/e2e/run
# kernels: stock builtin
# --- an SD card (what ARM64 boards boot from): QEMU's sdhci-pci + sd-card -> /dev/mmcblk0 --
# with partitions mmcblk0pN. On Debian's arm64 kernel MMC and mmc_block are built in and
# sdhci + sdhci-pci go into the initrd; on the built-in kernel the initrd is ddiboot alone.
[[ $arch == aarch64 ]] || return 0
want sdcard || return 0

if [[ $kernel_kind == stock ]]; then
    "$S/mkinitrd" --binary "$bin" --output "$W/initrd-sd.cpio" --kernel-dir "$kdir" \
        --modules "$modules sdhci sdhci-pci" 2>"$W/mkinitrd-sd.log"
    sd_initrd=$W/initrd-sd.cpio
else
    sd_initrd=$W/initrd.cpio
fi
# QEMU wants an SD card image whose size is a power of 2: the test disk, grown to the next
# one, its backup GPT moved to the new end.
cp "$D" "$W/sdcard.img"
size=$(file_size "$W/sdcard.img") p2=1
while ((p2 < size)); do p2=$((p2 * 2)); done
truncate -s "$p2" "$W/sdcard.img"
sgdisk -e "$W/sdcard.img" >/dev/null 2>&1
sd_sha=$(sha256sum <"$W/sdcard.img")
"$S/qemu-boot" --arch "$arch" --kernel "$kdir/vmlinuz" --initrd "$sd_initrd" \
    --append "roothash=$hash $FAILFAST" --log "$W/sdcard-$kernel_kind.log" --timeout 180 \
    --disk "$W/sdcard.img,bus=sd" || true
check "sdcard-$kernel_kind" "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+marker main-ddi" \
    "+mmcblk0: mmc0:[0-9a-f]+ " "+ddiboot: found /EFI/Linux/rootfs.raw on mmcblk0 partition 1 " \
    "-mmcblk0boot|mmcblk0rpmb.*(error|failed)"
unchanged "sdcard-$kernel_kind" "$W/sdcard.img" "$sd_sha"
