#!/usr/bin/env python3
"""Runs human-monitor (HMP) commands in a running QEMU through its QMP socket and
prints one line per command: "TIME COMMAND: RESULT" (scripts/qemu-boot --late-disk
uses it to hot-plug a disk: drive_add, device_add).

usage: qmp-hmp.py SOCKET COMMAND...
"""
import json
import socket
import sys
import time
if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
    print(__doc__)
    sys.exit(0)
if len(sys.argv) < 2:
    sys.exit(__doc__)
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
def call(cmd, **a):
    f.write(json.dumps({"execute": cmd, "arguments": a}) + "\n")
    f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            return r
json.loads(f.readline())  # greeting
call("qmp_capabilities")
for c in sys.argv[2:]:
    r = call("human-monitor-command", **{"command-line": c})
    out = r.get("return", r.get("error"))
    print(f"{time.time():.3f} {c}: {out if out else 'ok'}".rstrip())
