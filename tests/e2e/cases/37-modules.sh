# shellcheck shell=bash
# shellcheck disable=SC2154  # the variables come from tests/e2e/run
# Sourced by tests/e2e/run: uses its helpers (check) and variables ($arch, $W, $S, $kdir,
# $hash, $D, $FAILFAST, NO_STAGE2). A broken module list in the initrd is refused with
# a clear error, on both architectures (issue 14 item 6): never loaded in part.

# order_initrd NAME FILE: the test initrd with /modules/order replaced by FILE (a second
# cpio appended, as a loader would: the kernel unpacks it over the first).
order_initrd() {
    local d=$W/$1.order
    rm -rf "$d"
    mkdir -p "$d/modules"
    cp "$2" "$d/modules/order"
    { cat "$W/initrd.cpio"; (cd "$d" && printf '%s\n' modules modules/order | cpio -o -H newc --quiet); } \
        >"$W/initrd-$1.cpio"
}

# boot_order NAME APPEND: boot the initrd made by order_initrd NAME.
boot_order() {
    "$S/qemu-boot" --arch "$arch" --kernel "$kdir/vmlinuz" --initrd "$W/initrd-$1.cpio" \
        --append "$2" --log "$W/$1.log" --timeout 180 --disk "$D" || true
}

if want modules-order-long; then
    # The real list, then blank lines past 4 KiB and a module at the end: ddiboot reads
    # 4096 bytes and must not load the head and ignore the tail.
    cpio -i --quiet --to-stdout modules/order <"$W/initrd.cpio" >"$W/order-real"
    { cat "$W/order-real"; head -c 5000 /dev/zero | tr '\0' '\n'; echo overlay.ko; } >"$W/order-long"
    order_initrd modules-order-long "$W/order-long"
    boot_order modules-order-long "roothash=$hash $FAILFAST"
    check modules-order-long "${NO_STAGE2[@]}" \
        "+loading modules: reading /modules/order: longer than the 4096 bytes ddiboot reads" "-module dm-mod.ko ready"
fi

if want modules-bad-name; then
    # A good first line (the real list's first module, which needs no other), then a path.
    { cpio -i --quiet --to-stdout modules/order <"$W/initrd.cpio" | sed -n 1p; echo ../init; } >"$W/order-bad"
    order_initrd modules-bad-name "$W/order-bad"
    boot_order modules-bad-name "roothash=$hash $FAILFAST"
    check modules-bad-name "${NO_STAGE2[@]}" "+loading modules: module name \.\./init: starts with '\.'" \
        "-opening module \.\./init"
fi
