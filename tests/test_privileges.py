"""grader.privileges: after drop_privileges() no capability is left and mounting fails."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r'''
import subprocess, sys, tempfile
from grader.privileges import drop_privileges
print("DROPPED", drop_privileges())
for line in open("/proc/self/status"):
    if line.startswith(("CapEff", "CapPrm", "CapBnd", "NoNewPrivs")):
        print(line.strip())
target = tempfile.mkdtemp()
done = subprocess.run(["mount", "-t", "tmpfs", "tmpfs", target], capture_output=True, text=True)
print("MOUNT", done.returncode)
subprocess.run(["umount", target], capture_output=True)
'''


def test_no_capability_survives_and_mount_fails():
    command = [sys.executable, "-c", SCRIPT]
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "--mount", "true"], capture_output=True).returncode == 0:
        command = [unshare, "--mount", "--propagation", "private", *command]  # a failed drop mounts nowhere real
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(None, 1) for line in done.stdout.splitlines() if line.strip())
    assert lines["CapEff:"] == "0000000000000000"
    assert lines["CapPrm:"] == "0000000000000000"
    assert lines["CapBnd:"] == "0000000000000000"
    assert lines["NoNewPrivs:"] == "1"
    assert lines["MOUNT"] != "0"
