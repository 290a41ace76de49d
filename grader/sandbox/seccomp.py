"""System calls a worker may not make, as a seccomp filter built with libseccomp.

The filter refuses (EPERM) what Docker's default seccomp profile refuses a container without
extra capabilities: the kernel keyrings (`add_key`, `keyctl`, `request_key`: a key one
submission leaves is otherwise seen by the next, through the session keyring every worker
inherits from its zygote), new namespaces of any kind (`unshare`, `setns`, `clone` with a
namespace flag; `clone3`, whose flags a filter cannot read, gets ENOSYS so that the C library
falls back to `clone`), mounts, BPF, perf events, ptrace and reading other processes' memory,
kernel modules, kexec, reboot, swap, clocks, quotas, `userfaultfd`, `io_uring`, NUMA memory
policy and the obsolete calls. Everything else is allowed: TensorFlow needs a wide set.

Two stages, both from `rules(stage)`: "sandbox" is what bubblewrap installs in the zygote
(everything above except what a worker still needs to build its own mounts and IPC namespace
before student code runs), "worker" is the whole filter, which every worker installs on itself
as its last step before student code (`grader.sandbox.confine`). Filters stack, and a process
can never remove one.

libseccomp (Debian's `libseccomp2`, present wherever systemd is) compiles the rules to BPF for
the machine's architecture, kills calls made through another architecture's ABI (32-bit
`int 0x80` on x86-64), and handles the x32 ABI: a hand-written BPF program would have to get all
of that right itself. It is reached through ctypes (five functions of the C library):
libseccomp's own Python binding is not published on PyPI and `pyseccomp` was last released in
2021. Where the library is missing, `available()` is False and the report's `syscalls` says
that no filter is in force.
"""
from __future__ import annotations

import ctypes
import errno
import functools
import os
from typing import Any

LIBRARY = "libseccomp.so.2"
ACT_ALLOW = 0x7FFF0000
ATTR_NNP, ATTR_TSYNC = 3, 4  # enum scmp_filter_attr
CMP_MASKED_EQ = 7  # enum scmp_compare
CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS = 0x00020000, 0x02000000, 0x04000000
CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x08000000, 0x10000000, 0x20000000, 0x40000000
NAMESPACE_FLAGS = (CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
                   CLONE_NEWNET)

KEYRING = ("add_key", "keyctl", "request_key")
# What Docker's default profile refuses without CAP_SYS_ADMIN and friends (moby/profiles/seccomp/default.json),
# besides the keyrings and the namespace calls handled below; ptrace and process_vm_* too (Docker allows
# ptrace on new kernels: a worker has no business tracing its zygote or another worker).
DOCKER_DENIED = (
    "acct", "bpf", "clock_adjtime", "clock_settime", "create_module", "delete_module", "finit_module",
    "fanotify_init", "get_kernel_syms", "get_mempolicy", "init_module", "io_uring_enter", "io_uring_register",
    "io_uring_setup", "ioperm", "iopl", "kcmp", "kexec_file_load", "kexec_load", "lookup_dcookie", "mbind",
    "migrate_pages", "move_pages", "name_to_handle_at", "nfsservctl", "open_by_handle_at", "perf_event_open",
    "process_vm_readv", "process_vm_writev", "ptrace", "query_module", "quotactl", "quotactl_fd", "reboot",
    "set_mempolicy", "set_mempolicy_home_node", "settimeofday", "stime", "swapoff", "swapon", "syslog", "sysfs",
    "_sysctl", "uselib", "userfaultfd", "ustat", "vm86", "vm86old", "vhangup",
)
# What a new worker still does to itself before student code (its mounts, its IPC namespace).
SETUP_CALLS = ("mount", "umount2", "unshare")
MOUNTS = ("fsconfig", "fsmount", "fsopen", "fspick", "mount_setattr", "move_mount", "open_tree", "pivot_root",
          "chroot", "umount", "setns")


class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64),
                ("datum_b", ctypes.c_uint64)]


def errno_action(code: int) -> int:
    return 0x00050000 | (code & 0xFFFF)


def rules(stage: str) -> list[tuple[str, int, tuple[int, ...]]]:
    """(call, errno, flag masks) for `stage` ("sandbox" or "worker"): no mask refuses the call, a mask refuses
    it when its first argument has that flag set."""
    denied = [(name, errno.EPERM, ()) for name in KEYRING + DOCKER_DENIED + MOUNTS]
    if stage == "worker":
        denied += [(name, errno.EPERM, ()) for name in SETUP_CALLS]
    else:  # a worker's own setup still unshares its mount and IPC namespaces; never a user namespace
        denied.append(("unshare", errno.EPERM, (CLONE_NEWUSER,)))
    denied.append(("clone", errno.EPERM, NAMESPACE_FLAGS if stage == "worker" else (CLONE_NEWUSER,)))
    denied.append(("clone3", errno.ENOSYS, ()))
    return denied


@functools.cache
def _library() -> Any:
    lib = ctypes.CDLL(LIBRARY, use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    lib.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                           ctypes.POINTER(_ArgCmp)]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    return lib


@functools.cache
def available() -> bool:
    """Can this process build the filter (libseccomp present and working)?"""
    if os.environ.get("GRADER_NO_SECCOMP"):
        return False
    try:
        context = _build("worker")
    except OSError:
        return False
    _library().seccomp_release(context)
    return True


def _build(stage: str) -> int:
    lib = _library()
    context = lib.seccomp_init(ACT_ALLOW)
    if not context:
        raise OSError("seccomp_init failed")
    try:
        for name, code, masks in rules(stage):
            number = lib.seccomp_syscall_resolve_name(name.encode())
            if number < 0:  # not a call of this architecture (vm86 on x86-64, ...)
                continue
            for mask in masks or (None,):
                _check(_add(lib, context, errno_action(code), number, mask), f"seccomp rule for {name}")
        _check(lib.seccomp_attr_set(context, ATTR_NNP, 1), "seccomp no_new_privs")
    except OSError:
        lib.seccomp_release(context)
        raise
    return context


def _add(lib: Any, context: int, action: int, number: int, mask: int | None) -> int:
    if mask is None:
        return int(lib.seccomp_rule_add_array(context, action, number, 0, None))
    compare = (_ArgCmp * 1)(_ArgCmp(0, CMP_MASKED_EQ, mask, mask))
    return int(lib.seccomp_rule_add_array(context, action, number, 1, compare))


def _check(result: int, what: str) -> None:
    if result != 0:  # libseccomp returns -errno
        raise OSError(-result, f"{what}: {os.strerror(-result)}")


def install(stage: str = "worker") -> None:
    """Load the `stage` filter into this process (all its threads); OSError if it cannot be loaded."""
    lib = _library()
    context = _build(stage)
    try:
        _check(lib.seccomp_attr_set(context, ATTR_TSYNC, 1), "seccomp thread sync")
        _check(lib.seccomp_load(context), "seccomp_load")
    finally:
        lib.seccomp_release(context)


def export(stage: str = "sandbox") -> int:
    """The `stage` filter as BPF in a memory file, at offset 0: what `bwrap --seccomp FD` reads."""
    lib = _library()
    context = _build(stage)
    fd = os.memfd_create("grader-seccomp", os.MFD_CLOEXEC)
    try:
        _check(lib.seccomp_export_bpf(context, fd), "seccomp_export_bpf")
        os.lseek(fd, 0, os.SEEK_SET)
    except OSError:
        os.close(fd)
        raise
    finally:
        lib.seccomp_release(context)
    return fd
