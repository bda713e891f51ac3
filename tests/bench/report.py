#!/usr/bin/env python3
"""Writes docs/benchmarks.md and docs/benchmarks.svg from one scripts/bench run.

usage: report.py --run DIR --md FILE --svg FILE

DIR holds the run's tab-separated data written by scripts/bench:
  meta.txt       key, value
  variants.tsv   arch, id, label, initrd bytes, zstd -19 bytes, gzip -9 bytes, status
  results.tsv    arch, id, mode (icount|tcg), round, ok, run-init-to-stage-2 s,
                 kernel-start-to-run-init s, host wall s
  steps.tsv      arch, id, round, step, microseconds
  binaries.tsv   arch, ddiboot bytes, stripped bytes, initrd bytes, zstd, gzip
Nothing in the outputs is typed in: every figure comes from these files.
"""
import argparse
import os
import statistics
from html import escape

ARCH_ORDER = ["x86_64", "aarch64"]
VARIANT_ORDER = ["ddiboot", "busybox", "dracut", "modules", "null", "esp-small", "esp-big"]


def read_tsv(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def fmt_bytes(n):
    return f"{int(n):,}" if str(n).isdigit() else str(n)


def stats(vals):
    if not vals:
        return None
    return statistics.median(vals), min(vals), max(vals)


def fmt_stat(st, n_want):
    if st is None:
        return "–"
    med, lo, hi = st[0], st[1], st[2]
    out = f"**{med:.3f}** ({lo:.3f}–{hi:.3f})"
    if st[3] < n_want:
        out += f" [{st[3]}/{n_want} ok]"
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--md", required=True)
    ap.add_argument("--svg", required=True)
    args = ap.parse_args()

    meta = dict((r[0], r[1] if len(r) > 1 else "") for r in read_tsv(os.path.join(args.run, "meta.txt")))
    variants = read_tsv(os.path.join(args.run, "variants.tsv"))
    variants.sort(key=lambda v: (ARCH_ORDER.index(v[0]) if v[0] in ARCH_ORDER else 9,
                                 VARIANT_ORDER.index(v[1]) if v[1] in VARIANT_ORDER else 99))
    results = read_tsv(os.path.join(args.run, "results.tsv"))
    steps = read_tsv(os.path.join(args.run, "steps.tsv"))
    bins = read_tsv(os.path.join(args.run, "binaries.tsv"))
    boots = int(meta.get("boots", "0"))
    tcg_boots = int(meta.get("tcg_boots", "0"))
    arches = [a for a in ARCH_ORDER if a in meta.get("arches", "").split()]

    # (arch, id, mode) -> lists of (a, b) for the boots that reached stage 2
    runs = {}
    for arch, vid, mode, _round, ok, a, b, _wall in results:
        key = (arch, vid, mode)
        runs.setdefault(key, {"a": [], "b": [], "t": [], "n": 0})
        runs[key]["n"] += 1
        if ok == "1":
            runs[key]["a"].append(float(a))
            runs[key]["b"].append(float(b))
            runs[key]["t"].append(float(a) + float(b))

    def stat(arch, vid, mode, field):
        r = runs.get((arch, vid, mode))
        if not r or not r[field]:
            return None
        s = stats(r[field])
        return (s[0], s[1], s[2], len(r[field]))

    md = []
    w = md.append
    w("# Benchmarks: stage one in QEMU")
    w("")
    w("Written by `scripts/bench` from the data of one run; do not edit by hand, rerun it.")
    w("")
    w(f"- command: `{meta.get('command', '?')}` ({int(meta.get('elapsed', '0')) // 60} min)")
    w(f"- date: {meta.get('date', '?')}")
    w(f"- host: {meta.get('host', '?')}; {meta.get('os', '?')}")
    w(f"- QEMU: {meta.get('qemu', '?')} (TCG, 1 vCPU, 512 MiB; x86_64 `q35`, aarch64 `virt` cortex-a57; the disk on NVMe)")
    for a in ARCH_ORDER:
        if f"kernel_{a}" in meta:
            w(f"- kernel {a}: {meta[f'kernel_{a}']} (Debian, unmodified)")
    w(f"- ddiboot: {meta.get('ddiboot', '?')}")
    w(f"- every boot's command line: `{meta.get('append', '')}` and {meta.get('idle', '')}"
      " (the `ddiboot.*` keys are ignored by the other stage ones; dracut's differs, see below)")
    w("")
    w("## What is measured")
    w("")
    w(f"Each variant boots the same kernel and the same disk {boots} times with `scripts/qemu-boot --icount` "
      "(`-icount shift=2,sleep=off`: the guest clock follows the instruction count, so the "
      "figures hardly depend on the host's load) and, only as a cross-check, "
      f"{tcg_boots} times under plain TCG (host-speed dependent). The boots are interleaved, one "
      "of each variant per round. The stage-2 init (`tests/stage2/init`, the DDI's `/sbin/init`) "
      "writes a marker to `/dev/kmsg` and reads the printk timestamps:")
    w("")
    w("- **/init → stage 2**: from the kernel's `Run /init as init process` to that marker: "
      "the whole stage one, up to and including the exec of the stage-2 init (busybox `sh`) and its first lines;")
    w("- **total**: from the kernel's clock start (printk time 0) to the marker; the part before "
      "`Run /init` includes unpacking the initramfs, so it grows with the initrd.")
    w("")
    w(f"Every boot has {meta.get('idle', 'a polling idle loop')} on its command line: the guest's idle loop "
      "polls instead of halting. With `sleep=off`, a halted guest makes QEMU jump the guest clock to the next "
      "timer deadline; while the guest waited for the disk that gave rare outliers of seconds (once a "
      "minute) in the variants that read the disk, and none in the floors. Polling keeps the clock on "
      "executed instructions, so a disk wait costs the instructions the idle loop runs meanwhile.")
    w("")
    w("Medians in bold, (min–max) after them, in seconds of guest time. Initrd sizes are the "
      "uncompressed newc archive and that archive compressed with `zstd -19` and `gzip -9 -n` "
      "(the benchmark boots the uncompressed archives, except dracut's, which boots as dracut wrote it).")
    w("")
    w("The variants:")
    w("")
    w(f"- **ddiboot**: `scripts/mkinitrd` with ddiboot and the modules it loads (x86_64: `{meta.get('mods_x86_64', '')}`; "
      f"aarch64: `{meta.get('mods_aarch64', '')}`, with their dependencies).")
    w("- **busybox + veritysetup**: `tests/bench/busybox-init` run by busybox-static `sh`: insmod, "
      "wait for the disk, `mount -t vfat -o ro` the ESP, `losetup -r -P` the DDI file, "
      "`veritysetup open` with the `roothash=`, `mount -t erofs`, `switch_root`; veritysetup "
      "(cryptsetup-bin) with its whole shared-library closure (glibc, OpenSSL's libcrypto, "
      "libdevmapper, ...) and the same modules plus "
      f"`{meta.get('bb_mods', '')}`. It takes the DDI's partitions by number, where ddiboot checks types and UUIDs.")
    w("- **dracut (systemd), plain root**: a generic (`--no-hostonly`) systemd-based dracut initrd "
      "(`scripts/mkdracut`) for the same kernel, booting the same erofs root straight from the DDI's "
      "root partition: the DDI file is attached as the disk and the command line is "
      "`quiet root=PARTUUID=<the data partition> rootfstype=erofs ro rd.emergency=poweroff`. "
      "**Without dm-verity**: mkdracut's initrd has no systemd-veritysetup module, so dracut does "
      "less than the others here (no ESP, no loop, no verity).")
    w("- **floor: switch_root only**: the same root tree inside the initramfs; `tests/bench/floor-init` "
      "binds it, moves it over `/` and execs its init. The least any stage one can cost.")
    w("- **floor: insmod + switch_root**: the same, after `insmod` of ddiboot's modules in `/modules/order` order.")
    w("- **ddiboot, DDI sizes**: ddiboot with the small DDI and with one whose root is padded with "
      "1 GiB of random data, each alone on an ESP of the same (large) size.")
    w("")

    vmap = {(v[0], v[1]): v for v in variants}
    for arch in arches:
        w(f"## {arch}")
        w("")
        w("| variant | initrd bytes | zstd -19 | gzip -9 | /init → stage 2 (icount) | total (icount) | "
          "plain TCG: /init → stage 2 | plain TCG: total |")
        w("|---|---:|---:|---:|---|---|---|---|")
        for v in variants:
            if v[0] != arch:
                continue
            _, vid, label, raw, zs, gz, status = v
            if status != "ok":
                w(f"| {label} | {status} | | | | | | |")
                continue
            ta = stat(arch, vid, "tcg", "a")
            tt = stat(arch, vid, "tcg", "t")
            tcg_a = f"{ta[0]:.3f}" if ta else "–"
            tcg_t = f"{tt[0]:.3f}" if tt else "–"
            w(f"| {label} | {fmt_bytes(raw)} | {fmt_bytes(zs)} | {fmt_bytes(gz)} | "
              f"{fmt_stat(stat(arch, vid, 'icount', 'a'), boots)} | {fmt_stat(stat(arch, vid, 'icount', 't'), boots)} | "
              f"{tcg_a} | {tcg_t} |")
        w("")
        # The cost above the floors, from the medians.
        def med(vid):
            s = stat(arch, vid, "icount", "a")
            return s[0] if s else None
        parts = []
        d, n, m = med("ddiboot"), med("null"), med("modules")
        if d is not None and m is not None:
            parts.append(f"ddiboot's stage one is {1000 * (d - m):.0f} ms above the insmod floor")
        if d is not None and n is not None:
            parts.append(f"{1000 * (d - n):.0f} ms above the switch_root-only floor")
        bb = med("busybox")
        if bb is not None and d is not None:
            parts.append(f"the busybox + veritysetup stage one takes {1000 * (bb - d):.0f} ms more than ddiboot "
                         f"({bb / d:.1f}×)")
        dr = med("dracut")
        if dr is not None and d is not None:
            parts.append(f"dracut takes {1000 * (dr - d):.0f} ms more ({dr / d:.1f}×)")
        es, eb = med("esp-small"), med("esp-big")
        if es is not None and eb is not None:
            parts.append(f"the 1 GiB DDI costs {1000 * (eb - es):+.0f} ms against the small one on the same ESP")
        if parts:
            w(f"Medians, icount: {'; '.join(parts)}.")
            w("")

    w("## ddiboot binary and initrd, both architectures")
    w("")
    w("| arch | ddiboot bytes | stripped (`strip --strip-all`) | initrd bytes | zstd -19 | gzip -9 |")
    w("|---|---:|---:|---:|---:|---:|")
    for b in sorted(bins, key=lambda r: ARCH_ORDER.index(r[0]) if r[0] in ARCH_ORDER else 9):
        w(f"| {b[0]} | {fmt_bytes(b[1])} | {fmt_bytes(b[2])} | {fmt_bytes(b[3])} | {fmt_bytes(b[4])} | {fmt_bytes(b[5])} |")
    w("")

    w("## Where ddiboot's stage one goes")
    w("")
    w(f"{meta.get('debug_boots', '?')} boot(s) per DDI with `ddiboot.debug loglevel=8` (and `--icount`): "
      "ddiboot logs `step: <what> took N us` from its own clock (CLOCK_BOOTTIME); the rows named "
      "`kernel:`, `switch_root:`, `stage-2 init:` and `all:` are differences of the printk timestamps of "
      "the console lines around them (`tests/bench/steps.py`). "
      "Debug output goes to the serial console, so these boots are a little slower than the ones above. "
      "Milliseconds, median (min–max):")
    w("")
    order = []
    for s in steps:
        if s[3] not in order:
            order.append(s[3])
    for arch in arches:
        for vid in ("ddiboot", "ddiboot+noverity", "esp-small", "esp-big"):
            rows = [s for s in steps if s[0] == arch and s[1] == vid]
            if not rows:
                continue
            if vid == "ddiboot+noverity":
                label = "ddiboot, the same disk with `ddiboot.verity=off` (dm-linear only)"
            else:
                label = vmap.get((arch, vid), [arch, vid, vid])[2]
            w(f"**{arch}, {label}**")
            w("")
            w("| step | ms |")
            w("|---|---:|")
            for name in order:
                vals = [int(s[4]) / 1000 for s in rows if s[3] == name]
                if not vals:
                    continue
                st = stats(vals)
                w(f"| {name} | **{st[0]:.1f}** ({st[1]:.1f}–{st[2]:.1f}) |")
            w("")

    # A summary from the same data.
    def step_med(arch, vid, prefix):
        vals = [int(r[4]) / 1000 for r in steps if r[0] == arch and r[1] == vid and r[3].startswith(prefix)]
        return statistics.median(vals) if vals else None
    for arch in arches:
        allm, mods = step_med(arch, "ddiboot", "all:"), step_med(arch, "ddiboot", "modules")
        if not allm or mods is None:
            continue
        own = sum(filter(None, [step_med(arch, "ddiboot", p) for p in
                                ("finding the ESP", "mapping and verity", "mounting the root")]))
        s2, s2n = step_med(arch, "ddiboot", "stage-2 init:"), step_med(arch, "ddiboot+noverity", "stage-2 init:")
        text = (f"{arch}: of {allm:.0f} ms from `Run /init` to the stage-2 marker, loading the modules takes "
                f"{mods:.0f} ms ({100 * mods / allm:.0f} %); ddiboot's own work (finding the ESP and the DDI, "
                f"mapping, verity, mounting) {own:.0f} ms")
        if s2 is not None:
            text += f"; the stage-2 init's first lines {s2:.0f} ms"
            if s2n is not None:
                text += f" ({s2n:.0f} ms with `ddiboot.verity=off`: the rest is dm-verity hashing the pages it reads)"
        fb, fs = step_med(arch, "esp-big", "finding the ESP"), step_med(arch, "esp-small", "finding the ESP")
        if fb is not None and fs is not None:
            text += (f". On the large ESP, finding the DDI takes {fs:.0f} ms for the small DDI and {fb:.0f} ms "
                     "for the 1 GiB one (ddiboot follows the DDI's FAT cluster chain)")
        w(text + ".")
        w("")

    w("## Chart")
    w("")
    w(f"![stage-one phases per variant]({os.path.basename(args.svg)})")
    w("")
    w("Medians of the `--icount` boots: grey is kernel start → `Run /init`, coloured is `Run /init` → stage 2.")
    w("")
    os.makedirs(os.path.dirname(os.path.abspath(args.md)), exist_ok=True)
    with open(args.md, "w") as f:
        f.write("\n".join(md))

    write_svg(args.svg, arches, variants, stat, meta)


def write_svg(path, arches, variants, stat, meta):
    bars = []  # (arch, label, b, a) or a heading
    for arch in arches:
        bars.append(("head", arch))
        for v in variants:
            if v[0] != arch:
                continue
            sa, sb = stat(arch, v[1], "icount", "a"), stat(arch, v[1], "icount", "b")
            if v[6] != "ok" or not sa or not sb:
                bars.append(("skip", v[2], v[6] if v[6] != "ok" else "no data"))
            else:
                bars.append(("bar", v[2], sb[0], sa[0]))
    vmax = max([b[2] + b[3] for b in bars if b[0] == "bar"] + [0.001])
    left, width, row, top = 330, 520, 26, 70
    height = top + row * len(bars) + 60
    scale = width / vmax
    colors = {"x86_64": "#2b6cb0", "aarch64": "#c05621"}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 90}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="22" font-size="15" font-weight="bold">Stage one in QEMU (--icount): medians, seconds of guest time</text>',
           f'<text x="10" y="42" fill="#444">{escape(meta.get("date", ""))}; {escape(meta.get("command", ""))}</text>']
    # axis ticks
    step = 0.5
    for cand in (0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 20):
        if vmax / cand <= 10:
            step = cand
            break
    t = 0.0
    while t <= vmax + 1e-9:
        x = left + t * scale
        out.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{top + row * len(bars)}" stroke="#ddd"/>')
        out.append(f'<text x="{x:.1f}" y="{top + row * len(bars) + 16}" text-anchor="middle" fill="#444">{t:g}</text>')
        t += step
    y = top
    arch = ""
    for b in bars:
        if b[0] == "head":
            arch = b[1]
            out.append(f'<text x="10" y="{y + 17}" font-weight="bold">{escape(arch)}</text>')
        elif b[0] == "skip":
            out.append(f'<text x="{left - 8}" y="{y + 17}" text-anchor="end">{escape(b[1])}</text>')
            out.append(f'<text x="{left + 4}" y="{y + 17}" fill="#888">{escape(b[2])}</text>')
        else:
            _, label, kb, ka = b
            wb, wa = kb * scale, ka * scale
            out.append(f'<text x="{left - 8}" y="{y + 17}" text-anchor="end">{escape(label)}</text>')
            out.append(f'<rect x="{left}" y="{y + 4}" width="{wb:.1f}" height="{row - 8}" fill="#bbb">'
                       f'<title>kernel start → Run /init: {kb:.3f} s</title></rect>')
            out.append(f'<rect x="{left + wb:.1f}" y="{y + 4}" width="{max(wa, 0.5):.1f}" height="{row - 8}" '
                       f'fill="{colors.get(arch, "#2f855a")}"><title>Run /init → stage 2: {ka:.3f} s</title></rect>')
            out.append(f'<text x="{left + wb + wa + 5:.1f}" y="{y + 17}" fill="#222">{ka:.3f}</text>')
        y += row
    ly = top + row * len(bars) + 34
    out.append(f'<rect x="{left}" y="{ly}" width="14" height="12" fill="#bbb"/>')
    out.append(f'<text x="{left + 20}" y="{ly + 11}">kernel start → Run /init</text>')
    out.append(f'<rect x="{left + 190}" y="{ly}" width="14" height="12" fill="{colors["x86_64"]}"/>')
    out.append(f'<rect x="{left + 206}" y="{ly}" width="14" height="12" fill="{colors["aarch64"]}"/>')
    out.append(f'<text x="{left + 226}" y="{ly + 11}">Run /init → stage 2 (its value printed, s)</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
