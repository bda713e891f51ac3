#!/usr/bin/env python3
"""Prints the phases of one ddiboot debug boot as "STEP<TAB>MICROSECONDS" lines.

usage: steps.py SERIAL-LOG

The log is from a boot with "ddiboot.debug loglevel=8": ddiboot's own
"step: <what> took N us" lines, plus phases measured between printk
timestamps of the console lines around them:
  Run /init → ddiboot's first line       exec of /init, ddiboot's early mounts
  stage one done → "starting /sbin/init"  switch_root (moves, chroot)
  "starting /sbin/init" → stage-2 marker  exec of the stage-2 init and its first
                                          lines, its pages read through dm-verity
"""
import re
import sys

TS = re.compile(r"\[\s*(\d+\.\d+)\] (.*)$")


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    marks = {}
    out = []
    with open(sys.argv[1], "rb") as f:
        for raw in f:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            m = TS.search(line)
            if not m:
                continue
            t, text = float(m.group(1)), m.group(2)
            if text.startswith("Run ") and "as init process" in text:
                marks.setdefault("run", t)
            elif text.startswith("ddiboot: "):
                marks.setdefault("first", t)
                s = re.match(r"ddiboot: step: (.*) took (\d+) us", text)
                if s:
                    out.append((s.group(1), int(s.group(2))))
                if "stage one done" in text:
                    marks.setdefault("done", t)
                if text.startswith("ddiboot: starting "):
                    marks.setdefault("exec", t)
            elif text == "ddiboot-stage2: clock":
                marks.setdefault("clock", t)

    def span(a, b):
        if a in marks and b in marks:
            return int(round((marks[b] - marks[a]) * 1e6))
        return None

    rows = [("kernel: Run /init → ddiboot's first line", span("run", "first"))]
    rows += out
    rows += [("switch_root: stage one done → exec of the stage-2 init", span("done", "exec")),
             ("stage-2 init: exec → its first kmsg line (root read through dm-verity)", span("exec", "clock")),
             ("all: Run /init → stage-2 marker", span("run", "clock"))]
    for name, us in rows:
        if us is not None:
            print(f"{name}\t{us}")


if __name__ == "__main__":
    main()
