"""Benchmark: batch grading and `grader check` against cold TensorFlow imports, measured in one run.

    python3 dev.py bench [--n 25] [--jobs 2]

Prints per-submission wall time, peak memory (all grader processes together) and the ratios
batch / (N x one cold import), check / one cold import and a notebook's check() / one cold import.

    python3 dev.py bench --check-only [--baseline-runs 5]

Only `grader check` and a notebook kernel's `check()` against cold imports (a few seconds).

    python3 dev.py bench --assignments transfer,lenet [--copies 8] [--jobs 2]

Per assignment instead: grades N submissions made of the reference solution and its mutants (in
turn) with public and hidden specs, and prints seconds per submission for each assignment side by
side, with the load average before and after (the machine may be shared).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
GRADER = [sys.executable, "-m", "grader"]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # the kernel's and workers' TensorFlow start-up lines


def make_submissions(folder: Path, n: int) -> None:
    """Mixed good/bad, .py and notebooks, like a real class."""
    solution = (ROOT / "solutions" / "concat" / "solution.py").read_text()
    mutants = sorted((ROOT / "solutions" / "concat" / "mutants").glob("*.py"))
    for i in range(n):
        code = solution if i % 3 == 0 else mutants[i % len(mutants)].read_text()
        if i % 5 == 4:
            code = "def broken(:\n"
        if i % 2:
            cells = [nbformat.v4.new_code_cell("%matplotlib inline"), nbformat.v4.new_code_cell(code),
                     nbformat.v4.new_code_cell("model.fit(X, y, epochs=30)")]
            nbformat.write(nbformat.v4.new_notebook(cells=cells), folder / f"s{i:03d}.ipynb")
        else:
            (folder / f"s{i:03d}.py").write_text(code)


class PeakMemory:
    """Samples the summed RSS of a process and all its descendants."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(_rss(p) for p in _tree(self.pid)))
            time.sleep(0.1)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, stack = [], [pid]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(children.get(current, []))
    # forked workers are children of the zygote, itself a child of the grader: all included
    return out


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def timed(command: list[str]) -> tuple[float, int]:
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    memory = PeakMemory(process.pid)
    process.wait()
    return time.monotonic() - started, memory.stop()


def check_costs(runs: int) -> None:
    """`grader check` and a notebook's check() against cold imports timed in this run, on an idle machine."""
    work = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    load = os.getloadavg()[0]
    cold = [timed([sys.executable, "-c", "import tensorflow"])[0] for _ in range(runs)]
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, load average {load:.1f}")
    print(f"cold `import tensorflow`: {sum(cold) / len(cold):.2f} s (mean of {len(cold)})")
    check_ratios(work, sum(cold) / len(cold))
    shutil.rmtree(work, ignore_errors=True)


def check_ratios(work: Path, one_import: float) -> None:
    shutil.copy(ROOT / "solutions" / "concat" / "solution.py", work / "concat.py")
    check, _ = timed([*GRADER, "check", "concat", str(work / "concat.py")])
    print(f"`grader check` one file: {check:.2f} s; ratio check / cold import: {check / one_import:.2f}"
          "   (target <= 1.5)")
    (work / "kernel").mkdir()
    in_kernel = notebook_check(work / "kernel")
    print(f"`check()` in a notebook kernel (best of 2): {in_kernel:.2f} s; ratio / cold import: "
          f"{in_kernel / one_import:.2f}   (target <= 1.5: one cold import, and the specs' own work)")


def notebook_check(folder: Path, runs: int = 2) -> float:
    """Seconds a notebook's `check("concat")` takes, in a real kernel that has run the solution (best of `runs`):
    the check runs in a fresh process and pays TensorFlow's import there (the kernel's own import does not count)."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", cwd=str(folder))
    quiet = {"output_hook": lambda message: None, "timeout": 600}
    try:
        client.execute_interactive((ROOT / "solutions" / "concat" / "solution.py").read_text(), **quiet)
        client.execute_interactive("from grader import check", **quiet)
        times = []
        for _ in range(runs):
            started = time.monotonic()
            reply = client.execute_interactive("result = check('concat')\nassert result['score'] == 2.5", **quiet)
            times.append(time.monotonic() - started)
            if reply["content"]["status"] != "ok":
                raise SystemExit(f"check() in the kernel failed: {reply['content']}")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return min(times)


def isolation_cost(work: Path, n: int, jobs: int) -> None:
    """The same batch graded with the isolation of before issue 14 (GRADER_BENCH_ISOLATION=previous: no uid
    switch, /tmp shared per zygote, no CPU quota) and with today's, alternately, in this run."""
    times: dict[str, list[float]] = {"previous": [], "current": []}
    for round_ in range(2):
        for mode in ("previous", "current") if round_ == 0 else ("current", "previous"):
            env = dict(os.environ, GRADER_BENCH_ISOLATION=mode)
            started = time.monotonic()
            subprocess.run([*GRADER, "grade", "concat", str(work / "class"), "--out", str(work / f"out-{mode}"),
                            "--jobs", str(jobs), "--quiet", "--seed", "1"], cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[mode].append((time.monotonic() - started) / n)
            shutil.rmtree(work / f"out-{mode}", ignore_errors=True)
    before, after = (sum(times[m]) / len(times[m]) for m in ("previous", "current"))
    print(f"isolation (issue 14), per submission, mean of 2 batches each: before {before:.2f} s, "
          f"after {after:.2f} s, {100 * (after / before - 1):+.1f}%   (target <= +10%); batches: "
          + ", ".join(f"{m} {' '.join(f'{t:.2f}' for t in times[m])}" for m in times))


def assignment_submissions(folder: Path, slug: str, n: int) -> None:
    """N submissions of one assignment: its reference solution, then each mutant, in turn."""
    solutions = ROOT / "solutions" / slug
    sources = [solutions / "solution.py", *sorted((solutions / "mutants").glob("*.py"))]
    folder.mkdir(parents=True)
    for i in range(n):
        shutil.copy(sources[i % len(sources)], folder / f"s{i:03d}.py")


def per_assignment(slugs: list[str], copies: int, jobs: int) -> None:
    """Seconds per submission for each assignment, graded as a batch with hidden specs."""
    work = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    load_before = os.getloadavg()
    seconds = {}
    for slug in slugs:
        assignment_submissions(work / slug, slug, copies)
        elapsed, _ = timed([*GRADER, "grade", slug, str(work / slug), "--out", str(work / f"{slug}-out"),
                            "--jobs", str(jobs), "--quiet", "--seed", "1"])
        seconds[slug] = elapsed / copies
    load_after = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")
    print(f"{copies} submissions each (solution and mutants), --jobs {jobs}, seconds per submission:")
    print("  ".join(f"{slug:>12}" for slug in slugs))
    print("  ".join(f"{seconds[slug]:>12.2f}" for slug in slugs))
    shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=25)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--baseline-runs", type=int, default=0, help="cold imports to time (default: N)")
    parser.add_argument("--no-isolation-cost", action="store_true", help="skip the before/after isolation batches")
    parser.add_argument("--assignments", default="", help="comma-separated slugs: time each one instead")
    parser.add_argument("--copies", type=int, default=8, help="submissions per assignment (with --assignments)")
    parser.add_argument("--check-only", action="store_true", help="only `grader check` and a notebook's check()")
    args = parser.parse_args()
    if args.assignments:
        per_assignment([s for s in args.assignments.split(",") if s], args.copies, args.jobs)
        return
    if args.check_only:
        check_costs(args.baseline_runs or 5)
        return
    work = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    (work / "class").mkdir()
    make_submissions(work / "class", args.n)
    cold = [timed([sys.executable, "-c", "import tensorflow"])[0] for _ in range(args.baseline_runs or args.n)]
    one_import = sum(cold) / len(cold)
    batch, peak = timed([*GRADER, "grade", "concat", str(work / "class"), "--out", str(work / "out"),
                         "--jobs", str(args.jobs), "--quiet", "--seed", "1"])
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"cold `import tensorflow`: {one_import:.2f} s (mean of {len(cold)})")
    print(f"batch of {args.n} with --jobs {args.jobs}: {batch:.1f} s, {batch / args.n:.2f} s per submission, "
          f"peak memory {peak / 2**30:.2f} GiB")
    print(f"ratio batch / ({args.n} x cold import): {batch / (args.n * one_import):.3f}   (target <= 0.25)")
    check_ratios(work, one_import)
    print(f"peak memory under 3 GiB: {'yes' if peak < 3 * 2**30 else 'NO'}")
    if not args.no_isolation_cost:
        isolation_cost(work, args.n, args.jobs)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
