"""Device legs: the CPU leg always, a GPU leg when a GPU is visible; and how their results compare.

GPUs are detected without importing TensorFlow (the judge never does): NVIDIA's
device files and driver folder, or `nvidia-smi -L`. `GRADER_FAKE_GPUS=N`
pretends N GPUs exist, so the leg logic is tested on machines without one. A
GPU leg holds a file lock per GPU while it runs, so parallel judges never put
two submissions on one card at once.
"""
from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader.errors import UsageError

DEVICE_CHOICES = ("auto", "cpu", "gpu", "all")
RTOL, ATOL = 1e-3, 1e-4  # float32 kernels differ between CPU and GPU by more than bit-for-bit


@dataclass(frozen=True)
class LegPlan:
    """Which legs run, and why the others do not."""

    run: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...] = ()

    @property
    def scoring(self) -> str:
        return "cpu" if "cpu" in self.run else self.run[0]


@functools.cache
def detect_gpus() -> tuple[str, ...]:
    """Names of the visible NVIDIA GPUs (empty on a machine without one)."""
    fake = os.environ.get("GRADER_FAKE_GPUS")
    if fake is not None:
        return tuple(f"fake-gpu-{i}" for i in range(int(fake or 0)))
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return ()
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            done = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=20)
            names = [line.split(":", 1)[1].split("(")[0].strip() for line in done.stdout.splitlines()
                     if re.match(r"GPU \d+:", line)]
            if names:
                return tuple(names)
        except (OSError, subprocess.TimeoutExpired):
            pass
    driver = Path("/proc/driver/nvidia/gpus")
    if driver.is_dir():
        return tuple(sorted(p.name for p in driver.iterdir()))
    return tuple(sorted(p.name for p in Path("/dev").glob("nvidia[0-9]*")))


def plan_legs(choice: str, gpus: tuple[str, ...]) -> LegPlan:
    """`--devices auto|cpu|gpu|all` and the GPUs found -> the legs to run."""
    if choice not in DEVICE_CHOICES:
        raise UsageError(f"--devices must be one of {', '.join(DEVICE_CHOICES)}, got {choice!r}")
    if choice == "cpu":
        return LegPlan(("cpu",), (("gpu", "--devices cpu"),))
    if not gpus:
        if choice in ("gpu", "all"):
            raise UsageError(f"--devices {choice} needs a GPU, and none is visible")
        return LegPlan(("cpu",), (("gpu", "no GPU visible"),))
    if choice == "gpu":
        return LegPlan(("gpu",), (("cpu", "--devices gpu"),))
    return LegPlan(("cpu", "gpu"))


@contextlib.contextmanager
def gpu_slot(count: int) -> Iterator[int]:
    """Hold one GPU exclusively (a file lock per GPU, across processes); yield its index.

    Without `fcntl` (Windows) there is no lock: the first GPU, shared with any other judge."""
    try:
        import fcntl  # POSIX only
    except ImportError:
        yield 0
        return
    handles = []
    try:
        for index in range(max(count, 1)):
            handle = open(Path(tempfile.gettempdir()) / f"grader-gpu-{index}.lock", "w")  # noqa: SIM115
            handles.append(handle)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                yield index
                return
            except BlockingIOError:
                continue
        fcntl.flock(handles[0], fcntl.LOCK_EX)  # every GPU busy: wait for the first
        yield 0
    finally:
        for handle in handles:
            handle.close()


def disagreements(legs: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    """Tests that passed on one leg and not on the other."""
    if len(legs) < 2:
        return []
    (a, first), (b, second) = list(legs.items())[:2]
    return [{"test": name, a: first[name], b: second[name]} for name in first
            if name in second and (first[name] == "passed") != (second[name] == "passed")]


def compare_answers(first: list[Any], second: list[Any]) -> dict[str, Any]:
    """Numeric answers both legs produced, compared elementwise within RTOL/ATOL."""
    compared, worst, mismatches = 0, 0.0, 0
    for x, y in zip(_arrays(first), _arrays(second)):
        if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray)) or x.shape != y.shape:
            continue
        if x.dtype.kind not in "fiu" or y.dtype.kind not in "fiu" or x.size == 0:
            continue
        compared += 1
        diff = np.abs(x.astype(np.float64) - y.astype(np.float64))
        worst = max(worst, float(np.nanmax(diff)))
        mismatches += int(not np.allclose(x, y, rtol=RTOL, atol=ATOL, equal_nan=True))
    return {"compared": compared, "mismatched": mismatches, "max_abs_diff": worst,
            "tolerance": {"rtol": RTOL, "atol": ATOL}}


def _arrays(value: Any) -> list[Any]:
    """Every leaf of a nested answer, in order (arrays and everything else)."""
    if isinstance(value, dict):
        return [leaf for key in sorted(value) for leaf in _arrays(value[key])]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _arrays(item)]
    return [value]
