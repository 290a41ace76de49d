"""grader.sandbox.host: what of the Linux cage this machine has, asked without POSIX-only imports."""
from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from grader.sandbox import host


@pytest.fixture(autouse=True)
def fresh_answers() -> Iterator[None]:
    host.linux_missing.cache_clear()
    yield
    host.linux_missing.cache_clear()


def test_this_linux_machine_has_every_part_of_the_cage():
    assert sys.platform.startswith("linux")  # the suite runs on Linux; other systems are emulated below
    assert host.linux_missing() == ()
    assert host.proc_available() and host.euid() == os.geteuid()


def test_each_missing_part_is_named(monkeypatch):
    monkeypatch.delattr(os, "fork")
    monkeypatch.delattr(os, "geteuid")
    monkeypatch.setitem(sys.modules, "fcntl", None)  # `import fcntl` raises ImportError, as on Windows
    monkeypatch.setattr(sys, "platform", "win32")
    missing = host.linux_missing()
    assert missing[0] == "a Linux kernel (this is win32)"
    assert {"os.fork", "os.geteuid", "fcntl"} <= set(missing) and "resource" not in missing
    assert host.euid() is None and not host.is_root()


def test_no_proc_and_no_prctl_are_named(monkeypatch, tmp_path):
    monkeypatch.setattr(host, "PROC", tmp_path)  # an empty folder where /proc should be
    monkeypatch.setattr(host, "_libc_has", lambda name: name != "prctl")
    assert not host.proc_available()
    assert host.linux_missing() == ("/proc", "prctl()")
