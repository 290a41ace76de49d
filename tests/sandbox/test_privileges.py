"""grader.privileges: after drop_privileges() no capability is left and mounting fails."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r'''
import subprocess, sys, tempfile
from grader.sandbox.privileges import drop_privileges
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


SWITCH = r'''
import os, sys
from pathlib import Path
from grader.sandbox.privileges import become_unprivileged
print("HOW", become_unprivileged(Path(sys.argv[1])))
print("IDS", os.getresuid(), os.getresgid(), os.getgroups())
for line in open("/proc/self/status"):
    if line.startswith(("CapEff", "CapPrm", "NoNewPrivs")):
        print(line.strip())
for path in ("/etc/shadow", sys.argv[2]):
    try:
        open(path).read(); print("READ", path)
    except OSError:
        print("DENIED", path)
'''


@pytest.mark.skipif(os.geteuid() != 0, reason="switching to another uid needs root")
def test_a_root_worker_switches_to_the_uid_that_owns_its_home(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    os.chown(home, 1234567, 1234567)
    private = tmp_path / "root-only.txt"
    private.write_text("root's")
    private.chmod(0o600)
    done = subprocess.run([sys.executable, "-c", SWITCH, str(home), str(private)], capture_output=True,
                          text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "HOW host-uid" in out
    assert "IDS (1234567, 1234567, 1234567) (1234567, 1234567, 1234567) []" in out
    assert "CapEff:\t0000000000000000" in out and "CapPrm:\t0000000000000000" in out
    assert f"DENIED {private}" in out and "DENIED /etc/shadow" in out
