"""What a worker's root holds, whichever tool builds it (bubblewrap, or the mount script where it is missing).

An allow-list: `/usr`, part of `/etc`, Python's installation, the grading environment's
site-packages, the grader package and the course's `assignments/`, all read-only, wherever
they are (a virtual environment under `/tmp` included: `fresh_tmp_keeps`). /dev holds only a
few harmless devices (and GPU nodes where present); /proc masks runc's paths; /sys is a
read-only sliver. Nothing else of the machine exists there.
"""
from __future__ import annotations

import site
import sys
from pathlib import Path

# What a worker may see of /etc: enough for the dynamic loader, locales and SSL, nothing more.
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group", "nsswitch.conf", "hosts",
       "host.conf", "resolv.conf", "ssl", "ca-certificates", "alternatives", "mime.types", "fonts")
# The only device nodes a worker gets (GPU nodes are added where they exist): no tty, pts or disk.
DEVICES = ("null", "zero", "full", "random", "urandom")
GPU_DEVICES = ("nvidia0", "nvidia1", "nvidia2", "nvidia3", "nvidia4", "nvidia5", "nvidia6", "nvidia7",
               "nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset", "nvidia-caps")
# runc's masked paths (files get /dev/null, folders an empty read-only tmpfs) and read-only paths.
PROC_MASKED = ("acpi", "asound", "interrupts", "kcore", "keys", "latency_stats", "timer_list", "timer_stats",
               "sched_debug", "scsi", "kallsyms", "kmsg", "sysrq-trigger", "kpagecount", "kpageflags",
               "kpagecgroup", "config.gz")
PROC_READONLY = ("bus", "fs", "irq", "sys")
# What a worker sees of /sys (read-only): CPU and NUMA topology, and where a GPU exists, the PCI tree.
SYS_VISIBLE = ("/sys/devices/system/cpu", "/sys/devices/system/node")
SYS_FOR_GPU = ("/sys/bus/pci", "/sys/devices", "/sys/module/nvidia")
# Each worker gets these fresh and empty (`grader.sandbox.confine`).
FRESH = ("/tmp", "/var/tmp", "/dev/shm")


def visible_paths(show: list[Path] = ()) -> list[Path]:
    """Read-only parts of the machine a worker sees, in mount order (parents first): Python, the grading
    environment's site-packages, the grader package and the course's assignments; nothing from the
    judge's PYTHONPATH or .pth-added folders, nothing of /opt."""
    from grader.assignments import course_root

    package = Path(__file__).resolve().parents[1]  # the grader package
    paths = [Path("/usr"), *(Path("/etc") / name for name in ETC)]
    paths += [Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()]
    paths += [Path(p).resolve() for p in site.getsitepackages()]
    paths += [course_root().resolve() / "assignments", package, *(Path(s).resolve() for s in show)]
    return sorted({p for p in paths if p.exists()}, key=lambda p: len(p.parts))


def fresh_tmp_keeps(visible: list[Path]) -> list[str]:
    """The visible paths that lie in a folder each worker gets fresh (a project or virtual environment under
    /tmp, common in CI containers): the worker binds them again over its fresh /tmp, read-only."""
    keeps = [p for p in visible if any(p.is_relative_to(f) and p != Path(f) for f in FRESH)]
    return [str(p) for p in keeps if not any(p != q and p.is_relative_to(q) for q in keeps)]
