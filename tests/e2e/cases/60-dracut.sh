# shellcheck shell=bash
# shellcheck disable=SC2154  # the variables come from tests/e2e/run
# Sourced by tests/e2e/run: uses its helpers (boot, check, unchanged, want) and
# variables ($arch, $W, $S, $bin, $kdir, $top, $FAILFAST, ...).
#
# A full systemd initrd as the DDI (issue 9): ddiboot verifies and enters a DDI made
# from a generic dracut initrd; systemd in it runs in initrd mode, mounts the real root
# (root=PARTUUID=, an ext4 partition on the same disk as the ESP) and switches to it.
# The real root's /sbin/init is tests/stage2/realroot-init ("REALROOT: ..." lines).
[[ $arch == x86_64 ]] || return 0

# dracut_fail NAME MESSAGE: count a case as failed before it could boot.
dracut_fail() {
    fail=$((fail + 1))
    failed+=("$1")
    echo "FAIL $1: $2"
}

# --- unpacking initrds: early cpio prefixes, each compressor (no boot) --------------------
if want initrd-formats; then
    # A separate bash, so that set -e holds inside (it does not in an if condition).
    if bash -s -- "$W/formats" "$S" >"$W/initrd-formats.out" 2>&1 <<'FORMATS'; then
set -euo pipefail
f=$1 S=$2
mkdir -p "$f/src/etc" "$f/src/bin" "$f/early/kernel/x86/microcode"
echo hello >"$f/src/etc/hello"
ln "$f/src/etc/hello" "$f/src/etc/hello-hardlink"
ln -s ../etc/hello "$f/src/bin/link"
install -m 4755 /dev/null "$f/src/bin/setuid"
install -m 0640 -o 1000 -g 1000 /dev/null "$f/src/etc/user-owned"
mknod -m 0600 "$f/src/console" c 5 1
mkfifo -m 0644 "$f/src/fifo"
printf 'microcode' >"$f/early/kernel/x86/microcode/GenuineIntel.bin"
(cd "$f/src" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) >"$f/main.cpio"
(cd "$f/early" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) >"$f/early.cpio"
listing() {
    (cd "$1" && find . -mindepth 1 ! -path './kernel*' | LC_ALL=C sort |
        xargs -d '\n' stat -c '%n %f %u:%g %t:%T %h %s')
}
want_list=$(listing "$f/src")
command -v lz4 >/dev/null || { echo "lz4 is not installed (Debian package lz4)"; exit 1; }
gzip -9n -c "$f/main.cpio" >"$f/main.gzip"
zstd -q -19 -c "$f/main.cpio" >"$f/main.zstd"
xz --check=crc32 -c "$f/main.cpio" >"$f/main.xz"
lz4 -q -l -9 -c "$f/main.cpio" >"$f/main.lz4"
cp "$f/main.cpio" "$f/main.none"
for c in none gzip zstd xz lz4; do
    for early in 0 1; do
        img=$f/initrd-$c-$early
        if ((early)); then
            # The early microcode archive first, zero padding, then the main one.
            { cat "$f/early.cpio"; head -c 512 /dev/zero; cat "$f/main.$c"; } >"$img"
        else
            cp "$f/main.$c" "$img"
        fi
        "$S/mkddi-from-initrd" --initrd "$img" --tree "$img.tree" 2>"$img.log" ||
            { echo "$c (early=$early): mkddi-from-initrd failed: $(tail -n 1 "$img.log")"; exit 1; }
        [[ $(listing "$img.tree") == "$want_list" ]] ||
            { echo "$c (early=$early): the unpacked tree differs"; diff <(echo "$want_list") <(listing "$img.tree"); exit 1; }
        if ((early)); then
            [[ -f $img.tree/kernel/x86/microcode/GenuineIntel.bin ]] ||
                { echo "$c: the early archive was not unpacked"; exit 1; }
        fi
    done
done
# Data that is no initrd segment is refused, not silently ignored.
{ cat "$f/main.cpio"; printf 'garbage'; } >"$f/initrd-bad"
if "$S/mkddi-from-initrd" --initrd "$f/initrd-bad" --tree "$f/bad.tree" 2>"$f/bad.log"; then
    echo "trailing garbage was accepted"
    exit 1
fi
grep -q 'unknown data at byte' "$f/bad.log" || { echo "no clear error for the garbage"; exit 1; }
FORMATS
        pass=$((pass + 1))
        echo "ok   initrd-formats"
    else
        dracut_fail initrd-formats "see $W/initrd-formats.out"
        sed 's/^/    | /' "$W/initrd-formats.out" | tail -20
    fi
fi

# --- the dracut initrd as a DDI, continuing to the real root -------------------------------
# The fixture: the dracut initrd (cached by mkdracut), its DDI (cached here by the
# initrd's sha256; mkddi is reproducible), a busybox real root as ext4, and one disk with
# the ESP (the DDI at /EFI/Linux/rootfs.raw) and the real root partition after it.
dracut_fixture() {
    local dc=$DDIBOOT_CACHE/dracut sum start rules=$top/contrib/udev/09-ddiboot.rules
    # mkdracut's progress (debootstrap and dracut take a minute on the first run) is shown.
    log "the dracut fixture: scripts/mkdracut (cached after the first run)"
    "$S/mkdracut" --kernel-dir "$kdir" --output "$W/dracut.img" 2> >(tee "$W/mkdracut.log" >&2) || return 1
    sum=$(cat "$W/dracut.img" "$rules" | sha256sum)
    dracut_ddi=$dc/ddi-${sum:0:16}-none.raw
    if [[ ! -s $dracut_ddi.roothash ]]; then
        rm -f -- "$dc"/ddi-*.raw "$dc"/ddi-*.raw.* # DDIs of older initrds
        log "the dracut fixture: making the DDI from the dracut initrd (mkddi-from-initrd, mkddi)"
        # The initrd's tree plus ddiboot's udev rules for stage 2 (docs/stage2-contract.md).
        rm -rf -- "$W/dracut-tree"
        "$S/mkddi-from-initrd" --initrd "$W/dracut.img" --tree "$W/dracut-tree" 2>"$W/mkddi-dracut.log" ||
            return 1
        install -D -m 0644 "$rules" "$W/dracut-tree/etc/udev/rules.d/09-ddiboot.rules"
        "$S/mkddi" --root "$W/dracut-tree" --output "$dracut_ddi.tmp" >/dev/null 2>>"$W/mkddi-dracut.log" ||
            return 1
        rm -rf -- "$W/dracut-tree"
        mv "$dracut_ddi.tmp" "$dracut_ddi"
        mv "$dracut_ddi.tmp.roothash" "$dracut_ddi.roothash"
        rm -f "$dracut_ddi".tmp.*
    fi
    dhash=$(<"$dracut_ddi.roothash")
    real_uuid=$(uuid_from_text "ddiboot realroot $dhash")
    real_uuid2=$(uuid_from_text "ddiboot realroot second disk $dhash")
    "$S/mkroot" "$W/realroot" --init "$top/tests/stage2/realroot-init" --marker real-root 2>/dev/null ||
        return 1
    truncate -s 24M "$W/realroot.ext4"
    mkfs.ext4 -q -F -d "$W/realroot" -L realroot -E root_owner=0:0 "$W/realroot.ext4" || return 1
    "$S/mkdisk" --output "$W/dracut-disk.img" --ddi "$dracut_ddi" \
        --disk-size $(($(file_size "$dracut_ddi") / 1048576 + 48)) 2>"$W/mkdisk-dracut.log" || return 1
    # A copy with the ESP only, for the variant with the real root on a second disk.
    cp "$W/dracut-disk.img" "$W/dracut-esp-only.img"
    sgdisk -n 2:0:+24M -t 2:8300 -u "2:$real_uuid" -c 2:realroot "$W/dracut-disk.img" >/dev/null || return 1
    start=$(sgdisk -i 2 "$W/dracut-disk.img" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
    [[ -n $start ]] || return 1
    dd if="$W/realroot.ext4" of="$W/dracut-disk.img" bs=512 seek="$start" conv=notrunc status=none
    truncate -s 26M "$W/dracut-root-disk.img"
    sgdisk -n 1:2048:+24M -t 1:8300 -u "1:$real_uuid2" -c 1:realroot "$W/dracut-root-disk.img" >/dev/null ||
        return 1
    dd if="$W/realroot.ext4" of="$W/dracut-root-disk.img" bs=512 seek=2048 conv=notrunc status=none
}

if want dracut || want dracut-weak || want dracut-second-disk || want dracut-tampered || want dracut-classic; then
    if dracut_fixture; then
        # On a failure in the dracut initrd, power off instead of waiting in a shell.
        RD="root=PARTUUID=$real_uuid rw rd.shell=0 rd.emergency=poweroff"
        REAL_OK=("+REALROOT: reached" "+REALROOT: marker real-root" "+REALROOT: root-fstype ext4"
            "+REALROOT: poweroff" "+reboot: Power down")

        if want dracut; then
            cp "$W/dracut-disk.img" "$W/dracut-ddi.img"
            boot dracut "roothash=$dhash ddiboot.overlay=tmpfs $RD $FAILFAST" "$W/dracut-ddi.img"
            # Stage 2's udev (with contrib/udev/09-ddiboot.rules) links the DDI's filesystem
            # UUID and LABEL to the verified device, never to its unverified twin.
            check dracut "${REAL_OK[@]}" "+Running in initrd" "+ddiboot: starting /sbin/init" \
                "+REALROOT: dm dm-[0-9]+ ddiboot-root DDIBOOT-VERITY-$dhash" \
                "+REALROOT: dm dm-[0-9]+ ddiboot-data DDIBOOT-INNER-DATA" \
                "+REALROOT: disk-link by-uuid/[0-9a-f-]+ ddiboot-root" "-REALROOT: disk-link .* ddiboot-(data|hash)" \
                "+REALROOT: intermediate-root ddi erofs /dev/dm-[0-9]+" \
                "-Can't open blockdev" "-Failed to mount" "-Entering emergency mode"
        fi

        if want dracut-weak; then
            # The rule links the root whatever its uuid's prefix says (here a weakened
            # verity; a signed root is DDIBOOT-SIGNED-: the same alternation).
            cp "$W/dracut-disk.img" "$W/dracut-ddi.img"
            boot dracut-weak "roothash=$dhash systemd.verity_root_options=ignore-corruption ddiboot.overlay=tmpfs $RD $FAILFAST" \
                "$W/dracut-ddi.img"
            check dracut-weak "${REAL_OK[@]}" "+REALROOT: dm dm-[0-9]+ ddiboot-root DDIBOOT-WEAKVERITY-$dhash" \
                "+REALROOT: disk-link by-uuid/[0-9a-f-]+ ddiboot-root" "-REALROOT: disk-link .* ddiboot-data" \
                "-Failed to mount" "-Entering emergency mode"
        fi

        # The same with the real root on another disk than the ESP (the dracut case
        # also needs the ESP's disk to stay usable for the real root's partition).
        if want dracut-second-disk; then
            cp "$W/dracut-esp-only.img" "$W/dracut-second-esp.img"
            boot dracut-second-disk "roothash=$dhash ddiboot.overlay=tmpfs ${RD/$real_uuid/$real_uuid2} $FAILFAST" \
                "$W/dracut-second-esp.img" "$W/dracut-root-disk.img"
            check dracut-second-disk "${REAL_OK[@]}" "+Running in initrd" \
                "+REALROOT: dm dm-[0-9]+ ddiboot-root DDIBOOT-VERITY-$dhash" \
                "+REALROOT: intermediate-root ddi erofs /dev/dm-[0-9]+"
        fi

        if want dracut-tampered; then
            cp "$W/dracut-disk.img" "$W/dracut-tampered.img"
            # One flipped byte in the erofs superblock of the DDI (the first erofs magic on
            # the disk: the ESP, holding the DDI contiguously, comes before the real root).
            off=$(python3 - "$W/dracut-tampered.img" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
print(data.find(bytes.fromhex('e2e1f5e0')) + 8)
PY
)
            printf '\x5a' | dd of="$W/dracut-tampered.img" bs=1 seek="$off" conv=notrunc status=none
            boot dracut-tampered "roothash=$dhash ddiboot.overlay=tmpfs $RD $FAILFAST" "$W/dracut-tampered.img"
            check dracut-tampered "-REALROOT" "-Running in initrd" "+ddiboot: boot failed while" \
                "+device-mapper: verity.*data block .* is corrupted" \
                "+reading the root filesystem on /dev/dm-[0-9]+: read failed: EIO" "+reboot: Power down"
        fi

        # The control: the same initrd given to the kernel, the classic way. When this
        # fails, the fixture is broken, not ddiboot.
        if want dracut-classic; then
            cp "$W/dracut-disk.img" "$W/dracut-classic.img"
            "$S/qemu-boot" --arch "$arch" --kernel "$kdir/vmlinuz" --initrd "$W/dracut.img" \
                --append "$RD" --log "$W/dracut-classic.log" --timeout 240 \
                --disk "$W/dracut-classic.img" || true
            check dracut-classic "${REAL_OK[@]}" "+Running in initrd" "+REALROOT: intermediate-root initramfs"
        fi
    else
        dracut_fail dracut "building the fixture failed (logs: $W/mkdracut.log, $W/mkddi-dracut.log)"
        tail -n 5 "$W/mkdracut.log" "$W/mkddi-dracut.log" 2>/dev/null | sed 's/^/    | /'
    fi
fi
