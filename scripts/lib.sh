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
        depmod | modinfo) echo kmod ;;
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
