"""grader.sandbox.seccomp: the calls a worker may not make, compiled by libseccomp and enforced by the kernel."""
from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.sandbox import seccomp

PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
REFUSED_EVERYWHERE = ("add_key", "keyctl", "request_key", "bpf", "perf_event_open", "ptrace", "kexec_load",
                      "init_module", "setns", "pivot_root", "userfaultfd", "io_uring_setup")


def denied(stage: str) -> dict[str, tuple[int, tuple[int, ...]]]:
    return {name: (code, masks) for name, code, masks in seccomp.rules(stage)}


@pytest.mark.parametrize("stage", ["sandbox", "worker"])
def test_keyrings_and_the_calls_docker_refuses_are_refused_in_both_stages(stage):
    rules = denied(stage)
    for name in REFUSED_EVERYWHERE:
        assert rules[name] == (errno.EPERM, ()), name
    assert rules["clone3"] == (errno.ENOSYS, ())  # the C library then falls back to clone, whose flags are checked
    assert seccomp.CLONE_NEWUSER in rules["clone"][1]


def test_only_the_worker_stage_refuses_what_a_worker_needs_to_set_itself_up():
    sandbox, worker = denied("sandbox"), denied("worker")
    assert "mount" not in sandbox and sandbox["unshare"] == (errno.EPERM, (seccomp.CLONE_NEWUSER,))
    assert worker["mount"] == worker["umount2"] == worker["unshare"] == (errno.EPERM, ())
    assert set(worker["clone"][1]) == set(seccomp.NAMESPACE_FLAGS)


def test_the_filter_exports_as_bpf_for_bubblewrap():
    if not seccomp.available():
        pytest.fail("libseccomp is missing: install Debian's libseccomp2 (the sandbox's tests need it)")
    fd = seccomp.export("sandbox")
    try:
        size = os.fstat(fd).st_size
        assert size > 0 and size % 8 == 0  # whole struct sock_filter instructions
        assert os.lseek(fd, 0, os.SEEK_CUR) == 0  # ready for bwrap to read from the start
    finally:
        os.close(fd)


INSTALLED = """
    import ctypes, errno, os, sys, threading
    sys.path.insert(0, sys.argv[1])
    from grader.sandbox import seccomp
    seccomp.install("worker")
    libc = ctypes.CDLL(None, use_errno=True)

    def outcome(result):
        return "ok" if result >= 0 else errno.errorcode[ctypes.get_errno()]

    print("keyctl", outcome(libc.syscall(250, 0, -3, 0)))
    print("unshare", outcome(libc.unshare(0x00020000)))
    print("clone3", outcome(libc.syscall(435, None, 0)))
    print("mount", outcome(libc.mount(b"none", b"/", None, 0, None)))
    pid = os.fork()  # what TensorFlow and students' code still need
    if pid == 0:
        os._exit(7)
    print("fork", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
    thread = threading.Thread(target=lambda: print("thread", "ok"))
    thread.start()
    thread.join()
    print("subprocess", __import__("subprocess").run(["true"]).returncode)
"""


def test_an_installed_filter_refuses_in_the_kernel_and_keeps_forks_threads_and_subprocesses():
    if not seccomp.available():
        pytest.fail("libseccomp is missing: install Debian's libseccomp2 (the sandbox's tests need it)")
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(INSTALLED), PACKAGE_PARENT], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:-1] == ["keyctl EPERM", "unshare EPERM", "clone3 ENOSYS", "mount EPERM", "fork 7",
                                            "thread ok", "subprocess 0"]


def test_without_libseccomp_the_filter_is_said_to_be_unavailable():
    done = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]);"
                           "from grader.sandbox import seccomp; print(seccomp.available())", PACKAGE_PARENT],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "GRADER_NO_SECCOMP": "1"})
    assert done.stdout.strip() == "False", done.stderr
