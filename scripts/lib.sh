# shellcheck shell=bash
# Shared helpers for the ddiboot host scripts. Source it; do not run it.
#
#   DDIBOOT_CACHE   cache directory (default: $HOME/.cache/ddiboot)
#   log MSG...      print "<prog>: MSG" to stderr
#   die MSG...      print "<prog>: error: MSG" to stderr and exit 1
#   need_tools T... make sure the named commands exist; as root, install the
#                   Debian packages that provide the missing ones, else die
#   arch_norm A     x86_64|amd64 -> x86_64, aarch64|arm64 -> aarch64
#   deb_arch A      x86_64 -> amd64, aarch64 -> arm64
#   dps_arch A      x86_64 -> x86-64, aarch64 -> arm64 (partition type names)
#   elf_arch F      the architecture an ELF file is for (x86_64, aarch64, or
#                   "not ELF"/"ELF machine N"); pe_arch F the same for a PE
#                   (EFI) image, kernel_arch F for a kernel image
#   apt_download DIR PKG...  apt-get download into DIR, sandboxed as _apt
#   with_progress LOG REGEX LABEL CMD...  run CMD (output to LOG), saying every
#                   10 s how long it has run and its last LOG line matching REGEX
#   host_tool NAME  builds the host tool NAME of tools/ (cargo, release, the host's
#                   target) if needed and prints its path
#   strip_terminal_codes     a filter: drops the escape sequences firmware
#                   writes to a serial console (OVMF clears the screen) and CRs

DDIBOOT_CACHE=${DDIBOOT_CACHE:-$HOME/.cache/ddiboot}
DDIBOOT_PROG=${DDIBOOT_PROG:-${0##*/}}
DDIBOOT_APT_UPDATED=${DDIBOOT_APT_UPDATED:-0}

log() {
    printf '%s: %s\n' "$DDIBOOT_PROG" "$*" >&2
}

die() {
    printf '%s: error: %s\n' "$DDIBOOT_PROG" "$*" >&2
    exit 1
}

# Prints the Debian package that provides command $1, or nothing if unknown.
tool_package() {
    case $1 in
        sgdisk) echo gdisk ;;
        mkfs.vfat | mkfs.fat | fsck.vfat | fsck.fat) echo dosfstools ;;
        mcopy | mmd | mdel | mdir | mshowfat | minfo | mtype | mattrib) echo mtools ;;
        mkfs.erofs | fsck.erofs | dump.erofs) echo erofs-utils ;;
        veritysetup) echo cryptsetup-bin ;;
        dpkg-deb) echo dpkg ;;
        apt-get | apt-cache) echo apt ;;
        python3) echo python3-minimal ;;
        zstd | unzstd | zstdcat) echo zstd ;;
        gzip | zcat) echo gzip ;;
        xz | unxz | xzcat) echo xz-utils ;;
        cpio) echo cpio ;;
        file) echo file ;;
        openssl) echo openssl ;;
        tar) echo tar ;;
        busybox) echo busybox-static ;;
        depmod | modinfo | modprobe) echo kmod ;;
        truncate | dd | sha256sum | stat | install | sort | od) echo coreutils ;;
        awk) echo mawk ;;
        find) echo findutils ;;
        sfdisk | blkid) echo util-linux ;;
        qemu-system-x86_64) echo qemu-system-x86 ;;
        qemu-system-aarch64) echo qemu-system-arm ;;
        *) ;;
    esac
}

apt_update_once() {
    if [[ $DDIBOOT_APT_UPDATED != 1 ]]; then
        log "running apt-get update"
        apt-get update >&2 || die "apt-get update failed"
        DDIBOOT_APT_UPDATED=1
    fi
}

# need_tools TOOL... : all commands must be runnable (busybox: /usr/bin/busybox).
need_tools() {
    local tool pkg
    local -a missing_pkgs=() unknown=()
    for tool in "$@"; do
        if command -v "$tool" >/dev/null 2>&1; then
            continue
        fi
        pkg=$(tool_package "$tool")
        if [[ -z $pkg ]]; then
            unknown+=("$tool")
        elif [[ " ${missing_pkgs[*]} " != *" $pkg "* ]]; then
            missing_pkgs+=("$pkg")
        fi
    done
    if ((${#unknown[@]})); then
        die "missing tools with no known Debian package: ${unknown[*]}"
    fi
    if ((${#missing_pkgs[@]} == 0)); then
        return 0
    fi
    if [[ $(id -u) != 0 ]]; then
        die "missing tools; install these Debian packages: ${missing_pkgs[*]}"
    fi
    apt_update_once
    log "installing ${missing_pkgs[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        "${missing_pkgs[@]}" >&2 || die "apt-get install ${missing_pkgs[*]} failed"
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool still missing after installing packages"
    done
}

arch_norm() {
    case ${1-} in
        x86_64 | amd64) echo x86_64 ;;
        aarch64 | arm64) echo aarch64 ;;
        *) die "unknown architecture '${1-}' (want x86_64|amd64 or aarch64|arm64)" ;;
    esac
}

deb_arch() {
    local a
    a=$(arch_norm "$1") || exit 1
    case $a in
        x86_64) echo amd64 ;;
        aarch64) echo arm64 ;;
    esac
}

dps_arch() {
    local a
    a=$(arch_norm "$1") || exit 1
    case $a in
        x86_64) echo x86-64 ;;
        aarch64) echo arm64 ;;
    esac
}

host_arch() {
    arch_norm "$(uname -m)"
}

# Byte size of a file.
file_size() {
    stat -L -c %s -- "$1"
}

# Formats 32 hex digits as a UUID 8-4-4-4-12.
hex_to_uuid() {
    local h=$1
    [[ $h =~ ^[0-9a-f]{32}$ ]] || die "internal: not 32 hex digits: $h"
    printf '%s-%s-%s-%s-%s\n' "${h:0:8}" "${h:8:4}" "${h:12:4}" "${h:16:4}" "${h:20:12}"
}

# A deterministic UUID from a text (first 128 bits of its sha256).
uuid_from_text() {
    local h
    h=$(printf '%s' "$1" | sha256sum)
    hex_to_uuid "${h:0:32}"
}

# Option-value helper: need_arg OPTION "$#" -> dies when no value follows.
need_arg() {
    (($2 >= 2)) || die "option $1 needs a value (see --help)"
}

# elf_arch FILE: x86_64 or aarch64 from the ELF header's e_machine (little-endian
# ELF64 only, as both targets are); anything else is described, never guessed.
elf_arch() {
    local magic machine
    magic=$(od -An -tx1 -N 6 -- "$1" 2>/dev/null | tr -d ' \n')
    [[ $magic == 7f454c460201 ]] || { echo "not a 64-bit little-endian ELF file"; return 0; }
    machine=$(od -An -tu2 --endian=little -j 18 -N 2 -- "$1" | tr -d ' ')
    case $machine in
        62) echo x86_64 ;;
        183) echo aarch64 ;;
        *) echo "ELF machine $machine" ;;
    esac
}

# pe_arch FILE: x86_64 or aarch64 from a PE image's COFF machine field (an EFI
# application: systemd-stub, an EFI-stub kernel, a UKI).
pe_arch() {
    local off machine
    [[ $(od -An -c -N 2 -- "$1" 2>/dev/null | tr -d ' ') == MZ ]] || { echo "not a PE image"; return 0; }
    off=$(od -An -tu4 --endian=little -j 60 -N 4 -- "$1" | tr -d ' ')
    [[ $(od -An -tx1 -j "$off" -N 4 -- "$1" | tr -d ' ') == 50450000 ]] || { echo "not a PE image"; return 0; }
    machine=$(od -An -tx2 --endian=little -j $((off + 4)) -N 2 -- "$1" | tr -d ' ')
    case $machine in
        8664) echo x86_64 ;;
        aa64) echo aarch64 ;;
        *) echo "PE machine 0x$machine" ;;
    esac
}

# kernel_arch FILE: the architecture of a kernel image: its EFI stub's PE header
# (Debian's amd64 bzImage and arm64 Image both have one), else the arm64 Image
# magic "ARM\x64" at byte 56, else a gzip'd arm64 Image.
kernel_arch() {
    local a
    a=$(pe_arch "$1")
    [[ $a == x86_64 || $a == aarch64 ]] && { echo "$a"; return 0; }
    if [[ $(od -An -tx1 -j 56 -N 4 -- "$1" 2>/dev/null | tr -d ' ') == 41524d64 ]]; then
        echo aarch64
    elif [[ $(od -An -tx1 -N 2 -- "$1" 2>/dev/null | tr -d ' ') == 1f8b ]] &&
        [[ $(gzip -dc -- "$1" 2>/dev/null | head -c 64 | od -An -tx1 -j 56 -N 4 | tr -d ' ') == 41524d64 ]]; then
        echo aarch64
    else
        echo "unknown kernel image format"
    fi
}

# apt_download DIR PKG...: apt-get download into DIR. apt fetches as the
# unprivileged _apt user and, as root, warns "Download is performed unsandboxed
# as root" when _apt cannot write the directory: so download into a fresh
# directory _apt owns, then move the files.
apt_download() {
    local dest=$1 dl rc=0
    shift
    mkdir -p -- "$dest"
    if [[ $(id -u) == 0 ]] && id _apt >/dev/null 2>&1; then
        dl=$(mktemp -d "${TMPDIR:-/tmp}/apt-download.XXXXXX")
        chown _apt: "$dl"
        (cd -- "$dl" && apt-get download -q "$@" >&2) || rc=$?
        if ((rc == 0)); then
            find "$dl" -maxdepth 1 -name '*.deb' -exec mv -f -t "$dest" -- {} +
        fi
        rm -rf -- "$dl"
        return "$rc"
    fi
    (cd -- "$dest" && apt-get download -q "$@" >&2)
}

# strip_terminal_codes: stdin to stdout without terminal escape sequences (CSI
# "ESC [ ... letter", charset "ESC ( X", other "ESC X"), CRs and other control
# characters but tab and newline. Unbuffered, so it can follow a live log.
strip_terminal_codes() {
    LC_ALL=C sed -u -e 's/\x1b\[[0-9;=?]*[@-~]//g' -e 's/\x1b[()][0-9A-Za-z]//g' \
        -e 's/\x1b.//g' -e 's/[\x00-\x08\x0b-\x1f\x7f]//g'
}

# with_progress LOG REGEX LABEL COMMAND...: runs COMMAND with its output in LOG and,
# while it runs, logs every 10 s "LABEL: N s" and the last line of LOG that matches
# REGEX (how far along it is, where the command says so). Returns COMMAND's status.
with_progress() {
    local logf=$1 re=$2 label=$3 pid t=0 rc=0 last
    shift 3
    "$@" >"$logf" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        sleep 1
        t=$((t + 1))
        if ((t % 10 == 0)) && kill -0 "$pid" 2>/dev/null; then
            last=$(grep -a -E -- "$re" "$logf" 2>/dev/null | tail -n 1 | cut -c1-110)
            log "$label: ${t} s${last:+, at: $last}"
        fi
    done
    wait "$pid" || rc=$?
    return "$rc"
}

# host_tool NAME: the path of tools/'s binary NAME, built first (a no-op when it is
# up to date). Cargo's output goes to stderr.
host_tool() {
    local top
    top=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
    command -v cargo >/dev/null || PATH=$HOME/.cargo/bin:$PATH
    command -v cargo >/dev/null || die "no Rust toolchain (cargo) to build $1: install rustup (https://rustup.rs)"
    (cd -- "$top" && cargo build --release --quiet --locked -p ddiboot-tools --bin "$1" >&2) ||
        die "building the host tool $1 (tools/) failed"
    printf '%s\n' "${CARGO_TARGET_DIR:-$top/target}/release/$1"
}
