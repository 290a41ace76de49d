"""grader.sandbox.disk: a submission's home is a size-limited tmpfs, seen full by the judge, removed with its folder.

End to end (a worker filling its home, with bubblewrap and with the mount script, as root and as an
ordinary user) in tests/sandbox/test_hostile_host.py; here the parts, in private mount namespaces.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from grader.sandbox import disk
from grader.sandbox.confine import home_full

PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="mounting on the host needs root (an ordinary user's zygote "
                               "mounts homes instead: tests/sandbox/test_hostile_host.py runs that as a user)")


def test_the_policy_says_what_bounds_a_workers_writes():
    assert disk.policy(False) == "64 MB per file only"
    capped = disk.policy(True)
    assert capped.startswith("512 MB home folder (tmpfs) per submission, 1GB /tmp, 256MB /var/tmp, 1GB /dev/shm")


def test_a_home_without_its_own_mount_is_never_full(tmp_path):
    (tmp_path / "home").mkdir()
    assert not home_full(tmp_path)


HOME = """
    import os, sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    from grader.sandbox import disk
    from grader.sandbox.confine import home_full
    base = Path(sys.argv[2])
    folder = base / "grader-1-test"
    (folder / "home").mkdir(parents=True)
    print("shared", disk.share_base(base))
    print("mounted", disk.mount_home(folder, 4242, 2))
    info = os.stat(folder / "home")
    print("owner", info.st_uid, oct(info.st_mode & 0o777), "tmp" in os.listdir(folder / "home"))
    print("full_before", home_full(folder))
    written = 0
    try:
        with open(folder / "home" / "fill", "wb") as handle:
            while written < 8 << 20:
                handle.write(b"x" * 65536)
                handle.flush()
                written += 65536
    except OSError as exc:
        print("stopped", exc.strerror)
    print("written_mb", round(written / (1 << 20)))
    print("full_after", home_full(folder))
    disk.release(folder)
    print("released", folder.exists(), any(str(folder) in line for line in open("/proc/self/mountinfo")))
"""


@ROOT_ONLY
def test_a_root_judge_mounts_a_capped_home_sees_it_full_and_releases_it(tmp_path):
    base = tmp_path / "base"
    base.mkdir()
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable, "-c",
                           textwrap.dedent(HOME), PACKAGE_PARENT, str(base)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["shared True", "mounted True", "owner 4242 0o700 True", "full_before False",
                                        "stopped No space left on device", "written_mb 2", "full_after True",
                                        "released False False"]


def test_sweep_removes_only_folders_of_judges_long_gone_or_of_this_batch(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone, me, other = int(dead.stdout), os.getpid(), os.getppid()
    old = time.time() - disk.STALE_S - 60
    folders = {"stale": tmp_path / f"grader-{gone}-{other}-abc", "alive": tmp_path / f"grader-{me}-{other}-abc",
               "recent": tmp_path / f"grader-{gone}-{other}-def", "other": tmp_path / "grader-abcdefgh",
               "my_dead_judge": tmp_path / f"grader-{gone}-{me}-ghi"}
    for name, folder in folders.items():
        (folder / "home").mkdir(parents=True)
        if name not in ("recent", "my_dead_judge"):
            os.utime(folder, (old, old))
    disk.sweep(tmp_path)
    assert {name for name, folder in folders.items() if folder.exists()} == {"alive", "recent", "other",
                                                                             "my_dead_judge"}
    disk.sweep(tmp_path, parent=me)  # after a batch: its own judges that died, at once
    assert {name for name, folder in folders.items() if folder.exists()} == {"alive", "recent", "other"}


def test_folders_are_named_by_their_judge_and_its_parent():
    assert disk.folder_prefix() == f"grader-{os.getpid()}-{os.getppid()}-"
