#!/usr/bin/env python3
"""Markdown section "Built-in kernels" from a tests/bench/builtin-kernel run directory.

Usage: builtin-report.py RUN_DIR   (prints the section on stdout)
"""
import statistics
import sys
from collections import defaultdict

run = sys.argv[1]
LABEL = {
    "ddiboot": "ddiboot (the whole initrd)",
    "busybox": "busybox + veritysetup",
    "floor": "floor: switch_root only",
    "signed": "ddiboot, signed DDI, no `roothash=`",
}
ORDER = ["ddiboot", "busybox", "floor", "signed"]

meta = {"kernel": {}, "marker": {}}
for line in open(f"{run}/meta.tsv"):
    f = line.rstrip("\n").split("\t")
    if f[0] == "kernel":
        meta["kernel"][f[1]] = f[2:]
    elif f[0] == "marker":
        meta["marker"][f[1]] = f[2]
    else:
        meta[f[0]] = f[1]

times = defaultdict(list)  # (arch, id, s2) -> [stage one]
to_init = defaultdict(list)  # (arch, id) -> [kernel start -> Run /init]
failed = defaultdict(int)
arches = []
for line in open(f"{run}/results.tsv"):
    arch, id_, s2, _round, a, b = line.rstrip("\n").split("\t")
    if arch not in arches:
        arches.append(arch)
    if a == "-":
        failed[(arch, id_, s2)] += 1
        continue
    times[(arch, id_, s2)].append(float(a))
    to_init[(arch, id_)].append(float(b))

sizes = {}
ukis = defaultdict(list)
for line in open(f"{run}/sizes.tsv"):
    f = line.rstrip("\n").split("\t")
    if f[1] == "initrd":
        sizes[(f[0], f[2])] = tuple(int(x) for x in f[3:6])
    else:
        ukis[f[0]].append(f[2:])


def num(n):
    return f"{n:,}".replace(",", " ")


def cell(xs, n_failed=0):
    if not xs:
        return "failed" if n_failed else "-"
    s = f"**{statistics.median(xs):.3f}** ({min(xs):.3f}–{max(xs):.3f})"
    if n_failed:
        s += f", {n_failed} failed"
    return s


def med(arch, id_, s2):
    xs = times.get((arch, id_, s2))
    return statistics.median(xs) if xs else None


out = []
w = out.append
w("## Built-in kernels: ddiboot is the whole initrd")
w("")
w("Written by `tests/bench/builtin-kernel` (called by `scripts/bench`) from one run; "
  f"{meta['boots']} boots per variant and stage 2, interleaved, all under `--icount` "
  f"({int(meta['elapsed']) // 60} min; ddiboot {meta['ddiboot']}).")
w("")
w("The kernels: `scripts/mkkernel` from Debian's `linux-source-6.1`, `tinyconfig` + `kernel/ddiboot.config` + "
  "the architecture's fragment + `kernel/trusted-cert.config` (the test certificate) + "
  "`tests/bench/peer-kernel.config` (vfat and nls for the busybox peer); no modules. "
  "The same kernel and disk boot all three stage ones (the signed boot: a third disk). Command line: "
  "`quiet ddiboot.on_failure=poweroff ddiboot.failure_delay=0 roothash=<the DDI's>` and idle=poll (x86_64), "
  "nohlt (aarch64).")
w("")
w("Two stage 2s on two disks with the same root tree: the tests' busybox `sh` init (**→ sh**: "
  "from the kernel's `Run /init as init process` to the shell's first kmsg line, which includes dm-verity "
  "hashing the pages of busybox as it is paged in), and `tests/bench/marker.c`, a static nolibc "
  "program of " + ", ".join(f"{meta['marker'][a]} bytes ({a})" for a in arches) + " "
  "that writes one kmsg line and powers off (**→ marker**: stage one itself). Seconds of guest time, "
  "median in bold, (min–max).")
w("")
for arch in arches:
    k = meta["kernel"].get(arch, ["?", "?", "?", "?"])
    w(f"### {arch}")
    w("")
    w(f"Kernel {k[1]} ({k[0]}); its build took {k[2]} s on this machine's 2 shared cores, reusing the object "
      f"tree of the architecture's previous mkkernel build (cold builds: docs/kernel.md); a cached call {k[3]} s.")
    w("")
    w("| stage one | /init → marker | /init → sh | kernel start → /init | initrd raw | zstd -19 | gzip -9 |")
    w("|---|---|---|---|---|---|---|")
    for id_ in ORDER:
        raw, zs, gz = sizes.get((arch, "ddiboot" if id_ == "signed" else id_), ("-", "-", "-"))
        w(f"| {LABEL[id_]} | {cell(times.get((arch, id_, 'marker'), []), failed[(arch, id_, 'marker')])} | "
          f"{cell(times.get((arch, id_, 'sh'), []), failed[(arch, id_, 'sh')])} | "
          f"{cell(to_init.get((arch, id_), []))} | {num(raw)} | {num(zs)} | {num(gz)} |"
          if isinstance(raw, int) else f"| {LABEL[id_]} | - | - | - | - | - | - |")
    w("")
    d, bb, fl = med(arch, "ddiboot", "marker"), med(arch, "busybox", "marker"), med(arch, "floor", "marker")
    if d is not None and bb is not None and fl is not None:
        ratio = bb / d if d > 0 else float("inf")
        w(f"Targets (→ marker, medians): ddiboot ≤ 1/10 of the busybox peer: {d * 1000:.1f} ms vs "
          f"{bb * 1000:.1f} ms, 1/{ratio:.1f} ({'met' if ratio >= 10 else 'not met'}); within 30 ms of the floor: "
          f"{(d - fl) * 1000:+.1f} ms ({'met' if d - fl <= 0.030 else 'not met'}).")
        w("")
    sg = med(arch, "signed", "marker")
    if d is not None and sg is not None:
        w(f"A signed boot (the DDI's verity-sig partition read and its signature checked by the kernel, "
          f"no `roothash=`) against the `roothash=` boot of the same root: {sg * 1000:.1f} ms vs "
          f"{d * 1000:.1f} ms ({(sg - d) * 1000:+.1f} ms). Nearly all of the difference is the kernel's "
          "PKCS#7 check in dm-verity's table constructor (RSA in generic C under TCG; see the notes).")
        w("")
    w("| kernel | release | vmlinuz | initrd (raw) | UKI |")
    w("|---|---|---|---|---|")
    for kind, vml, ird, uki, rel in ukis[arch]:
        what = "built-in (mkkernel), ddiboot alone" if kind == "builtin" else "Debian stock, ddiboot + modules"
        w(f"| {what} | {rel} | {num(int(vml))} | {num(int(ird))} | {num(int(uki))} |")
    w("")
w("Notes. The built-in kernels leave no module loading in stage one, so the figures are ddiboot's own work: "
  "run with `ddiboot.debug loglevel=8` to see its steps. The **→ sh** column differs by architecture because of "
  "the SHA-256 dm-verity uses: QEMU's default x86_64 CPU (`qemu64`) has no SSSE3, AVX2 or SHA-NI, so "
  "`sha256-ssse3` cannot register and the shell's pages are hashed by `sha256-generic`; the emulated "
  "cortex-a57 has the ARMv8 crypto extensions (`sha2-ce`). The same holds, on a smaller scale, for "
  "**→ marker** on x86_64: a verified boot reads a few blocks through dm-verity (the superblock's, "
  "the directories and inodes on the way to /sbin/init, the marker's one page) and each 4 KiB block, data "
  "or hash tree, costs ~0.7 ms of guest time in `sha256-generic` (and dm-verity hashes a zero block when "
  "it builds the table): about 6 ms of ddiboot's time, more than all of its time over the floor, which "
  "verifies nothing; the peer reads the same blocks. On CPU models with SSSE3 the kernel's "
  "`sha256-ssse3` takes that over: in a by-hand trial (ddiboot as of the fourth session, 4 ms slower "
  "than now), `-cpu Nehalem-v2` (x86-64-v2, the oldest model with SSSE3) gave ddiboot 16.6 ms, the "
  "peer 169.9 and the floor 11.2, `qemu64` 19.7, 172.3 and 11.1, and `-cpu max` (AVX2, but a "
  "slower kernel elsewhere) 17.8, 176.6 and 13.4. The signed boot's extra time, with `ddiboot.debug` on "
  "x86_64: ~14.6 ms between dm-verity's `sha256 using implementation` line and the table's next line (the "
  "kernel checking the PKCS#7 signature against its keyring), ~0.5 ms in ddiboot (finding and reading the "
  "signature partition, the JSON and base64, the key). The busybox peer's larger "
  "kernel start → /init is the unpacking of its 12 MB initrd.")
w("")
print("\n".join(out))
