# shellcheck shell=bash
# shellcheck disable=SC2154  # the variables come from tests/e2e/run
# kernels: builtin stock
# Issue 13: signed DDIs (a verity-sig partition, checked by the kernel's keyring). The
# built-in kernel trusts the certificate of scripts/mktestkey; Debian's stock kernel does
# not. Both arches.

keydir=$("$S/mktestkey")
L=/EFI/Linux
SIGNED=("+root-dm-name ddiboot-root" "+root-dm-uuid DDIBOOT-SIGNED-" "+the kernel verified the DDI's signature")

# signed_ddi NAME MARKER [KEYDIR]: a DDI of a root with MARKER, signed with the test key (or
# KEYDIR's key), at $W/NAME.raw; its root hash in $W/NAME.raw.roothash.
signed_ddi() {
    local dir=${3:-$keydir}
    [[ -d $W/root-$2 ]] || "$S/mkroot" "$W/root-$2" --arch "$arch" --marker "$2" 2>/dev/null
    "$S/mkddi" --root "$W/root-$2" --output "$W/$1.raw" --arch "$arch" \
        --sign "$dir/key.pem" --cert "$dir/cert.pem" >/dev/null 2>"$W/mkddi-$1.log"
}

signed_ddi signed signed
shash=$(<"$W/signed.raw.roothash")
"$S/mkdisk" --output "$W/signed.img" --ddi "$W/signed.raw" --arch "$arch" 2>/dev/null

if [[ $kernel_kind == builtin ]]; then
    if want signed-no-roothash; then
        # No roothash= at all: the signature is the trust.
        boot signed-no-roothash "$FAILFAST" "$W/signed.img"
        check signed-no-roothash "${STAGE2_OK[@]}" "${SIGNED[@]}" "+root-dm-uuid DDIBOOT-SIGNED-$shash" \
            "+marker signed" "+verity table: .* $shash .* 2 root_hash_sig_key_desc ddiboot:root-hash-signature"
    fi

    if want signed-roothash; then
        # roothash= equal to the signature's rootHash: the signature is still checked.
        boot signed-roothash "roothash=$shash $FAILFAST" "$W/signed.img"
        check signed-roothash "${STAGE2_OK[@]}" "${SIGNED[@]}" "+root-dm-uuid DDIBOOT-SIGNED-$shash"
        # ... and ddiboot.verity=signed accepts it too.
        boot signed-mode "roothash=$shash ddiboot.verity=signed $FAILFAST" "$W/signed.img"
        check signed-mode "${STAGE2_OK[@]}" "${SIGNED[@]}"
    fi

    if want signed-update; then
        # A newer signed version on the ESP boots without a new UKI (no roothash=).
        signed_ddi signed-newer newer
        "$S/mkdisk" --output "$W/signed-update.img" --ddi "$W/signed.raw" --ddi-path "$L/rootfs_1.raw" \
            --add "$W/signed-newer.raw:$L/rootfs_2.raw" --arch "$arch" 2>/dev/null
        boot signed-update "ddiboot.image=$L/rootfs_*.raw $FAILFAST" "$W/signed-update.img"
        check signed-update "${STAGE2_OK[@]}" "${SIGNED[@]}" "+marker newer" "+booting $L/rootfs_2.raw" "-rejected"
    fi

    if want signed-untrusted; then
        # The newest is signed by a key the kernel does not trust: rejected (ENOKEY), the
        # older trusted one boots.
        other=$W/otherkey
        mkdir -p "$other"
        openssl req -new -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -subj "/CN=ddiboot untrusted test key/" \
            -keyout "$other/key.pem" -out "$other/cert.pem" 2>/dev/null
        signed_ddi signed-untrusted untrusted "$other"
        "$S/mkdisk" --output "$W/signed-untrusted.img" --ddi "$W/signed.raw" --ddi-path "$L/rootfs_1.raw" \
            --add "$W/signed-untrusted.raw:$L/rootfs_2.raw" --arch "$arch" 2>/dev/null
        boot signed-untrusted "ddiboot.image=$L/rootfs_*.raw $FAILFAST" "$W/signed-untrusted.img"
        check signed-untrusted "${STAGE2_OK[@]}" "${SIGNED[@]}" "+marker signed" \
            "+the kernel refused the DDI's signature: ENOKEY: the signing key is not trusted by the kernel" \
            "+rejected $L/rootfs_2.raw: failed while setting up dm-verity" "+booting $L/rootfs_1.raw"
    fi

    if want signed-wrong-pairs; then
        # A genuine signature (trusted key) of another DDI's root hash in this DDI: its
        # rootHash names no partitions here.
        signed_ddi signed-other other-ddi
        cp "$W/signed.raw" "$W/signed-swapped.raw"
        at=$(sgdisk -i 3 "$W/signed.raw" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
        from=$(sgdisk -i 3 "$W/signed-other.raw" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
        dd if="$W/signed-other.raw" of="$W/signed-swapped.raw" bs=512 skip="$from" seek="$at" count=8 \
            conv=notrunc status=none
        "$S/mkdisk" --output "$W/signed-swapped.img" --ddi "$W/signed-swapped.raw" --arch "$arch" 2>/dev/null
        boot signed-wrong-pairs "$FAILFAST" "$W/signed-swapped.img"
        check signed-wrong-pairs "${NO_STAGE2[@]}" "+DDI signed, rootHash $(<"$W/signed-other.raw.roothash")" \
            "+no root or usr partition matching the root hash"
    fi

    if want signed-roothash-differs; then
        # roothash= (here: the unsigned test DDI's) differs from the signature's rootHash.
        boot signed-roothash-differs "roothash=$hash $FAILFAST" "$W/signed.img"
        check signed-roothash-differs "${NO_STAGE2[@]}" "+the rootHash of the DDI's signature is not roothash="
    fi

    if want signed-mode-unsigned; then
        # ddiboot.verity=signed refuses an unsigned DDI even with the right roothash=.
        boot signed-mode-unsigned "roothash=$hash ddiboot.verity=signed $FAILFAST" "$D"
        check signed-mode-unsigned "${NO_STAGE2[@]}" "+ddiboot.verity=signed and the DDI is not signed"
        # ... and without roothash= an unsigned DDI has no trust at all.
        boot signed-unsigned-no-roothash "$FAILFAST" "$D"
        check signed-unsigned-no-roothash "${NO_STAGE2[@]}" \
            "+no roothash= on the command line and the DDI is not signed"
    fi

    if want signed-repart && [[ $arch == x86_64 ]]; then
        # Signed by systemd-repart itself (Verity=signature), booted without roothash=.
        if "$top/tests/e2e/mkrepart" "$W/root" "$W/repart-signed" "$keydir/key.pem" "$keydir/cert.pem" \
            >"$W/repart-signed.hash" 2>"$W/repart-signed.log"; then
            rhash=$(tail -n 1 "$W/repart-signed.hash")
            "$S/mkdisk" --output "$W/repart-signed.img" --ddi "$W/repart-signed/ddi.raw" 2>/dev/null
            boot signed-repart "$FAILFAST" "$W/repart-signed.img"
            check signed-repart "${STAGE2_OK[@]}" "${SIGNED[@]}" "+root-dm-uuid DDIBOOT-SIGNED-$rhash" \
                "+root-fstype ext4"
        else
            fail=$((fail + 1)) failed+=(signed-repart)
            echo "FAIL signed-repart: systemd-repart failed"
            tail -20 "$W/repart-signed.log"
        fi
    fi
fi

if [[ $kernel_kind == stock ]]; then
    if want signed-stock-refused; then
        # Debian's kernel does not trust the test key: refused, saying so.
        boot signed-stock-refused "$FAILFAST" "$W/signed.img"
        check signed-stock-refused "${NO_STAGE2[@]}" \
            "+the kernel refused the DDI's signature: ENOKEY: the signing key is not trusted by the kernel"
    fi

    if want signed-stock-roothash; then
        # With roothash= the signed command line vouches for the hash: the refused signature
        # is logged and the DDI boots verified by the hash alone.
        boot signed-stock-roothash "roothash=$shash $FAILFAST" "$W/signed.img"
        check signed-stock-roothash "${STAGE2_OK[@]}" "${VERIFIED[@]}" "+root-dm-uuid DDIBOOT-VERITY-$shash" \
            "+the kernel refused the DDI's signature \(ENOKEY: the signing key is not trusted by the kernel.*verified by roothash= alone"
        # ddiboot.verity=signed does not fall back.
        boot signed-stock-mode "roothash=$shash ddiboot.verity=signed $FAILFAST" "$W/signed.img"
        check signed-stock-mode "${NO_STAGE2[@]}" "+the kernel refused the DDI's signature: ENOKEY"
    fi
fi
