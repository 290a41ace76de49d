"""Dropping root's powers in a worker before student code runs.

The grader often runs as root in a container. A worker must not: it switches to a uid
with no rights on the host (`become_unprivileged`) after its mounts are built, so host
files, sysctls and device nodes deny it whatever it tries, and its sandbox folder is not
its own. Then every capability is dropped (and `no_new_privs` set so none comes back
through a setuid binary): inside the namespaces of `grader.sandbox.isolation` it can neither
remount the read-only course nor unhide `solutions/`.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import secrets
from pathlib import Path

PR_CAPBSET_DROP = 24
PR_SET_SECUREBITS = 28
PR_SET_NO_NEW_PRIVS = 38
# SECBIT_NOROOT | _LOCKED | SECBIT_NO_SETUID_FIXUP | _LOCKED | SECBIT_KEEP_CAPS_LOCKED
SECUREBITS_LOCKED_DOWN = 0x2F
CAPABILITY_VERSION_3 = 0x20080522
PR_SET_DUMPABLE = 4
CLONE_NEWUSER = 0x10000000
NOBODY = 65534
FIRST_WORKER_UID = 1 << 20  # per-submission uids are drawn above every ordinary and subordinate range


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_privileges() -> bool:
    """Drop all capabilities for good; True when the kernel accepted it."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    except OSError:
        return False
    for cap in range(64):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    libc.prctl(PR_SET_SECUREBITS, SECUREBITS_LOCKED_DOWN, 0, 0, 0)
    header = _CapHeader(CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    dropped = libc.capset(ctypes.byref(header), data) == 0
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    return dropped


def submission_uid() -> int:
    """A fresh uid for one submission's workers (the judge chowns their `home/` to it)."""
    return FIRST_WORKER_UID + secrets.randbelow(1 << 30)


def become_unprivileged(home: Path) -> str:
    """Switch this worker to a uid with no rights on the host; say which way it was done.

    - grader run as root: the uid that owns `home/` (one per submission, see `submission_uid`),
      no supplementary groups;
    - grader run as an ordinary user, inside its user namespace: a nested user namespace
      where the worker is 65534 (the grader's uid outside, the only one it may map);
    - otherwise the grader's own uid, which is not root.
    Capabilities are dropped in every case. Raises OSError when the switch fails.
    """
    if _host_root():
        uid = os.lstat(home).st_uid
        if uid == 0:  # the judge chose not to switch (`grader.sandbox.isolation.switches_uid`)
            drop_privileges()
            return "root-without-capabilities"
        _drop_bounding_set()
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        drop_privileges()
        return "host-uid"
    if os.geteuid() == 0:
        _nested_user_namespace()
        drop_privileges()
        return "user-namespace"
    drop_privileges()
    return "grader-uid"


def _host_root() -> bool:
    """Root of the machine (not root of a user namespace that maps only the grader's uid)."""
    try:
        first = open("/proc/self/uid_map").read().split()  # noqa: SIM115 - a one-line kernel file
    except OSError:
        return False
    return os.geteuid() == 0 and first[:3] == ["0", "0", "4294967295"]


def _nested_user_namespace() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWUSER) != 0:
        raise OSError(ctypes.get_errno(), "cannot create the worker's user namespace")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{NOBODY} 0 1"), ("gid_map", f"{NOBODY} 0 1")):
        with open(f"/proc/self/{name}", "w") as handle:
            handle.write(text)
    if os.getuid() != NOBODY:
        raise OSError("the worker's user namespace did not map it to 65534")


def _drop_bounding_set() -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    for cap in range(64):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
