"""grader.sandbox.bubblewrap: the worker's root as bubblewrap builds it (the mount script is the fallback)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.sandbox import bubblewrap, host, seccomp
from grader.sandbox.bubblewrap import bwrap_command
from grader.sandbox.confine import PARK
from grader.sandbox.isolation import sandbox_base
from grader.sandbox.root import visible_paths

NEEDS_BWRAP = pytest.mark.skipif(not shutil.which("bwrap") and not os.environ.get("GRADER_REQUIRE_BWRAP"),
                                 reason="bubblewrap is not installed (CI installs it and sets GRADER_REQUIRE_BWRAP)")


def command(tmp_path: Path, **kwargs: object) -> list[str]:
    options = {"visible": [Path("/usr"), tmp_path / "deep" / "course" / "assignments"], "hide": [],
               "base": tmp_path / "base", "seccomp_fd": None, "park": PARK, **kwargs}
    return bwrap_command(["true"], **options)  # type: ignore[arg-type]


def pairs(args: list[str], option: str) -> list[str]:
    return [args[i + 1] for i, arg in enumerate(args) if arg == option]


@pytest.fixture
def fake_bwrap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bubblewrap, "bwrap_path", lambda: "/usr/bin/bwrap")
    monkeypatch.setattr(bubblewrap, "features", lambda path: frozenset({"--size", "--disable-userns", "--perms"}))


def test_the_namespaces_and_the_capabilities_the_zygote_keeps_for_its_workers(tmp_path, fake_bwrap, monkeypatch):
    monkeypatch.setattr(host, "is_root", lambda: True)
    args = command(tmp_path, seccomp_fd=9)
    for option in ("--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--as-pid-1", "--new-session"):
        assert option in args
    assert pairs(args, "--cap-add") == ["ALL"] and pairs(args, "--seccomp") == ["9"]
    assert "--unshare-user" not in args  # root: workers switch to host uids of their own, which need the host's
    assert args[-3:] == ["--remount-ro", "/", "true"]  # the root's own tmpfs read-only, then the command


def test_an_ordinary_user_gets_a_user_namespace_and_no_nested_ones(tmp_path, fake_bwrap, monkeypatch):
    monkeypatch.setattr(host, "is_root", lambda: False)
    args = command(tmp_path)
    assert "--unshare-user" in args and "--disable-userns" in args
    assert pairs(args, "--uid") == pairs(args, "--gid") == ["65534"]
    monkeypatch.setattr(bubblewrap, "features", lambda path: frozenset())  # a bubblewrap older than 0.8
    older = command(tmp_path)
    assert "--disable-userns" not in older and "--size" not in older  # the seccomp filter still refuses them


def test_folders_on_the_way_to_a_bound_path_are_made_crossable(tmp_path, fake_bwrap):
    args = command(tmp_path)
    made = pairs(args, "--dir")
    target = tmp_path / "deep" / "course" / "assignments"
    for folder in (tmp_path / "deep", tmp_path / "deep" / "course"):
        assert str(folder) in made  # bubblewrap would make them 0700, closed to the worker's uid
    assert args.index(str(tmp_path / "deep" / "course")) < args.index("--ro-bind", args.index(str(tmp_path / "deep")))
    assert pairs(args, "--ro-bind").count(str(target)) == 1 and not any(m.startswith("/usr/") for m in made)
    assert pairs(args, "--bind") == [str(tmp_path / "base")] and PARK in made


def test_tmp_is_mounted_before_the_paths_that_live_in_it(tmp_path, fake_bwrap):
    venv = Path("/tmp/ci-venv-for-test")
    args = command(tmp_path, visible=[Path("/usr"), venv])
    assert args.index("/tmp") < args.index(str(venv))  # a fresh /tmp would otherwise hide a venv under /tmp


def test_hidden_folders_inside_bound_ones_get_an_empty_mount(tmp_path, fake_bwrap):
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    args = command(tmp_path, visible=[Path("/usr"), course], hide=[course / "solutions", tmp_path / "elsewhere"])
    tmpfs = pairs(args, "--tmpfs")
    assert str(course / "solutions") in tmpfs and str(tmp_path / "elsewhere") not in tmpfs
    at = args.index(str(course / "solutions"))
    assert args[at - 5:at - 1] == ["--perms", "000", "--size", "4096"]


def test_a_missing_bubblewrap_is_an_error_not_an_unwrapped_command(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_NO_BWRAP", "1")
    assert bubblewrap.bwrap_path() is None
    with pytest.raises(OSError):
        command(tmp_path)


ROOT_VIEW = r"""
import os
print("ROOT", sorted(os.listdir("/")))
print("DEV", sorted(os.listdir("/dev")))
try:
    print("KEYS", open("/proc/keys").read().strip() or "empty")
except OSError:
    print("KEYS", "masked")
print("PID", os.getpid())
print("UID", os.getuid())
"""


@NEEDS_BWRAP
def test_a_command_in_bubblewraps_root_sees_only_the_allow_list():
    fd = seccomp.export("sandbox") if seccomp.available() else None
    argv = bwrap_command([sys.executable, "-I", "-c", ROOT_VIEW], visible=visible_paths(), hide=[],
                         base=sandbox_base().resolve(), seccomp_fd=fd, park=PARK)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, pass_fds=() if fd is None else (fd,))
    finally:
        if fd is not None:
            os.close(fd)
    assert done.returncode == 0, done.stderr
    seen = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    top = set(eval(seen["ROOT"]))  # noqa: S307 - our own probe's repr of a list of names
    assert top <= {"bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc", "dev", "proc", "sys", "tmp", "var",
                   "run", "root", "home", "work", "opt", *(p.parts[1] for p in visible_paths())}
    assert "boot" not in top and "mnt" not in top and "srv" not in top
    assert set(eval(seen["DEV"])) <= {"null", "zero", "full", "random", "urandom", "fd", "stdin", "stdout", "stderr",
                                      "shm"} | {d for d in os.listdir("/dev") if d.startswith("nvidia")}
    assert seen["KEYS"] in ("masked", "empty")
    assert seen["PID"] == "1"  # the namespace's first process, as the zygote is
    assert (seen["UID"] == "0") == host.is_root()
