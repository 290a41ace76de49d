"""The judge's view of one submission: a worker to load it into and probes to call.

Specs receive a `Submission` through the `submission` fixture. `call()` runs one
probe in the worker and returns plain data; student errors, timeouts and
crashes come back as exceptions the result collector turns into outcomes.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.assignments import Assignment, Limits
from grader.errors import (GraderError, ProtocolError, SubmissionError, WorkerCrashed, WorkerNotStarted,
                           WorkerTampered, WorkerTimeout)
from grader.intake.extract import Extracted
from grader.judge.course_faults import (COULD_NOT_LOAD, CourseFault, check_call, probe_table, undefined_by_stub,
                                        worker_fault, worker_missing)
from grader.protocol import decoded_bytes
from grader.sandbox.confine import WorkerLimits
from grader.sandbox.disk import release
from grader.sandbox.workers import Worker, make_folder, start_cold

Launcher = Callable[[Path, WorkerLimits], Worker]

MAX_ANSWER_BYTES = 1024 * 1024 * 1024  # data one submission may send back in all (arrays and values)
MAX_KEPT_BYTES = 64 * 1024 * 1024  # of which kept to compare device legs
MAX_SCAN = 4000  # characters of worker text any pattern runs on
MAX_NAMES = 500
MAX_PROBLEMS = 100
MAX_HELD_EVENTS = 10
HELD_MESSAGE = ("Your work is held for your instructor to review: while it was graded, your code reached for "
                "the grader's own machinery, which could change how it is graded. Your instructor will look at "
                "it and decide the grade.")


class StudentCodeError(GraderError):
    """The student's code raised while a probe ran it."""


class MissingName(GraderError):
    """The submission does not define a name the contract requires."""


class AnswerTooLarge(ProtocolError):
    """The submission's answers added up to more data than the judge reads from one submission."""


@dataclass
class LoadInfo:
    """What loading the submission told us."""

    defined: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)


class Submission:
    """A loaded submission, as specs see it."""

    def __init__(self, extracted: Extracted, assignment: Assignment, *, seed: int,
                 launcher: Launcher | None = None, limits: Limits | None = None) -> None:
        self.extracted = extracted
        self.assignment = assignment
        self.seed = seed
        self.answers: list[Any] = []  # numeric answers, in order, to compare device legs
        self.budget = limits or assignment.limits
        self.limits = WorkerLimits(memory_mb=self.budget.memory_mb, output_bytes=self.budget.output_bytes,
                                   disk_mb=self.budget.disk_mb)
        self._launch = launcher or start_cold
        self._folder = make_folder(self.limits.disk_mb)
        self._worker: Worker | None = None
        self._deadline = time.monotonic() + self.budget.submission_s
        self._calls = 0
        self._received = 0  # bytes decoded from this submission's replies
        self._kept = 0
        self.flags: set[str] = set()
        self.load_info: LoadInfo | None = None
        self.load_error: SubmissionError | None = None
        self.held: list[dict[str, Any]] = []  # what the worker's tamper checks reported (then nothing more runs)

    # -- the API specs use ------------------------------------------------------
    def call(self, probe: str, **kwargs: Any) -> Any:
        """Run `probe` from the assignment's probes.py on the submission; return its answer."""
        __tracebackhide__ = True
        check_call(probe_table(self._probes_source()), probe, kwargs)  # a spec's typo is the course's, found here
        worker = self._ensure_loaded()
        self._calls += 1
        reply = self._request(worker, {"op": "call", "probe": probe, "kwargs": kwargs,
                                       "seed": self.seed + self._calls})
        if not reply.get("ok"):
            self._blame(probe, reply.get("error"))
            raise StudentCodeError(self.describe_error(reply.get("error")) + self._disk_hint(worker))
        value = reply.get("value")
        size = decoded_bytes(value)
        if len(self.answers) < 1000 and self._kept + size <= MAX_KEPT_BYTES:
            self.answers.append(value)
            self._kept += size
        return value

    def defines(self, name: str) -> bool:
        """True when the submission defines `name` at top level."""
        self._ensure_loaded()
        return self.load_info is not None and name in self.load_info.defined

    def require(self, *names: str) -> None:
        """Fail the test (not the submission) if a contract name is missing."""
        __tracebackhide__ = True
        for name in names:
            if undefined_by_stub([name], self.assignment.stub_py):
                raise CourseFault(f"the spec requires {name}, which the stub {self.assignment.stub} does not define")
            if not self.defines(name):
                raise MissingName(self.missing_message(name))

    def _blame(self, probe: str, error: Any) -> None:
        """Raise what a failed call is when it is not the student's code: the course's fault, or a name missing."""
        __tracebackhide__ = True
        fault = worker_fault(error, probe)
        if fault is not None:
            raise CourseFault(fault)
        missing = worker_missing(error)
        if missing is None:
            return
        if undefined_by_stub([missing], self.assignment.stub_py):
            raise CourseFault(f"probe {probe!r} reads {missing} from the submission, which the stub "
                              f"{self.assignment.stub} does not define")
        raise MissingName(self.missing_message(missing))

    def restart(self) -> None:
        """A fresh process for the same submission; files in its working folder stay."""
        self._stop()
        self._ensure_loaded()

    # -- lifecycle ----------------------------------------------------------------
    def load(self) -> LoadInfo:
        """Start a worker and load the submission; raise SubmissionError if it cannot run."""
        self._ensure_loaded()
        assert self.load_info is not None
        return self.load_info

    def _probes_source(self) -> str:
        """The probes' text, sent with the load request: the worker needs no path to the course (a course
        under /tmp, say, lies beneath the worker's own fresh /tmp)."""
        return self.assignment.probes.read_text(encoding="utf-8")

    def _ensure_loaded(self) -> Worker:
        if self.held:
            raise WorkerTampered(self.held)
        if self.load_error is not None:
            raise self.load_error
        if self._worker is not None and self._worker.alive():
            return self._worker
        self._stop()
        self._worker = self._launch(self._folder, self.limits)
        message = {"op": "load", "code": self.extracted.code, "probes": str(self.assignment.probes), "probes_source": self._probes_source(),
                   "names": list(self.assignment.names), "seed": self.seed,
                   "logical_cpus": self.assignment.logical_cpus,
                   "modules": {m.name: m.code for m in self.extracted.modules}}
        try:
            reply = self._request(self._worker, message, startup=True)
        except WorkerNotStarted as exc:
            self._stop()
            self.load_error = SubmissionError("grader", not_started_message(exc))
            raise self.load_error from None
        except WorkerTimeout:
            self.load_error = SubmissionError("timeout", "Loading your code did not finish in time; "
                                              "look for an endless loop or long work at top level"
                                              + self._load_work())
            raise self.load_error from None
        except WorkerTampered:
            self.load_error = SubmissionError("tampering", HELD_MESSAGE)
            raise self.load_error from None
        except WorkerCrashed as exc:
            self.load_error = SubmissionError("crash", "Your code stopped the grading process while it was "
                                              f"loading ({exc}): look for exit() or os._exit() calls, or changes "
                                              "to Python's builtins, at top level.")
            raise self.load_error from None
        if not reply.get("ok"):
            fault = worker_fault(reply.get("error"), "")
            self.load_error = (SubmissionError("course", COULD_NOT_LOAD, internal=fault) if fault is not None else
                               SubmissionError("import", "Your code could not be loaded: "
                                               + self.describe_error(reply.get("error"))))
            raise self.load_error
        self.load_info = _load_info(reply.get("value"))
        return self._worker

    def _request(self, worker: Worker, message: dict[str, Any], *, startup: bool = False) -> dict[str, Any]:
        left = self._deadline - time.monotonic()
        if left <= 0:
            self.flags.add("timeout")
            raise WorkerTimeout("the time allowed for the whole submission ran out")
        budget = self.budget.request_s + (30.0 if startup else 0.0)
        try:
            reply = worker.request(message, min(budget, left))
        except WorkerTimeout:
            self.flags.add("timeout")
            self._stop()
            raise
        except WorkerCrashed as exc:
            out_of_memory = worker.cage.out_of_memory()
            self._stop()
            if out_of_memory:
                self.flags.add("memory-limit")
                raise WorkerCrashed(f"it used more than the {self.limits.memory_mb} MB of memory allowed",
                                    flag="memory-limit") from None
            raise exc
        except WorkerTampered as exc:
            self.held.extend(exc.events[:MAX_HELD_EVENTS])
            self.flags.add("tampering")
            self._stop()
            raise
        except ProtocolError:
            self.flags.add("protocol")
            self._stop()
            raise
        return self._account(reply)

    def _account(self, reply: dict[str, Any]) -> dict[str, Any]:
        """Count the data this submission sent; past the budget it gets an error, not more memory."""
        self._received += decoded_bytes(reply)
        if self._received > MAX_ANSWER_BYTES:
            self.flags.add("protocol")
            self._stop()
            raise AnswerTooLarge(f"your code's answers added up to more than {MAX_ANSWER_BYTES >> 20} MB")
        return reply

    def _stop(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self.flags |= self._worker.flags
            self._worker = None

    def output(self) -> tuple[str, str, bool]:
        """Student stdout/stderr over all of this submission's processes."""
        probe = Worker(pid=0, req_fd=-1, resp_fd=-1, folder=self._folder, limits=self.limits)
        return probe.output()

    def close(self) -> None:
        self._stop()
        release(self._folder)  # with the tmpfs on its home, where the judge mounted one

    def _disk_hint(self, worker: Worker) -> str:
        """Said after an error of the student's code when its home folder is full (it may be why it failed)."""
        if not worker.disk_full():
            return ""
        self.flags.add("disk-limit")
        return (f" (your code filled the {self.limits.disk_mb} MB of disk space a submission may use; "
                "write less, or smaller files)")

    # -- messages -------------------------------------------------------------------
    def describe_error(self, error: Any) -> str:
        """An exception from the worker, in the student's terms ('ValueError at cell 3, line 2: ...')."""
        if not isinstance(error, dict):
            return "your code raised an error"
        kind = clean_message(str(error.get("type", "Error"))[:MAX_SCAN], limit=80) or "Error"
        text = clean_message(str(error.get("message", ""))[:MAX_SCAN])
        raw_lines = error.get("lines")
        lines = [n for n in raw_lines[-5:] if type(n) is int] if isinstance(raw_lines, list) else []
        # no line of theirs in the traceback: the error surfaced in the test's use of their objects
        where = f" at {self.extracted.where(lines[-1])}" if lines else " when the test used your objects"
        message = f"{kind}{where}: {text}" if text else f"{kind}{where}"
        return message + self._unrun_hint(kind, str(error.get("message", ""))[:300])

    def _unrun_hint(self, kind: str, text: str) -> str:
        """For a NameError on a name only skipped code sets: which line that was and why it did not run."""
        match = _NAME_ERROR.search(text) if kind in ("NameError", "UnboundLocalError") else None
        found = self.extracted.unrun_binding(match.group(1)) if match else None
        if found is None:
            return ""
        line, code = found
        return (f" ({match.group(1)} is set only at {self.extracted.where(line)}, `{code[:60]}`, which the grader "
                "did not run: only imports, definitions and what the graded names need run when your file is "
                "loaded; move what your code needs into a function or set it before it is used.)")

    def _load_work(self) -> str:
        """The statements besides imports and definitions that ran at load, where the time must have gone."""
        kept = [k for k in self.extracted.kept if k.needed_by][:3]
        if not kept:
            return "."
        listed = "; ".join(f"{'line' if k.cell is None else f'cell {k.cell}, line'} {k.line} `{k.code[:60]}` "
                           f"(needed by {k.needed_by})" for k in kept)
        return f": besides definitions, these statements ran: {listed}."

    def missing_message(self, name: str) -> str:
        import difflib

        names = self.load_info.names if self.load_info else list(self.extracted.defined)
        names = list(names) + [bound for bound, _, _ in self.extracted.unrun]  # a misspelt definition is not run
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        hint = f" (found {close[0]!r}; names are case-sensitive and must match exactly)" if close else ""
        return f"Your code does not define {name}{hint}."


def not_started_message(exc: WorkerNotStarted) -> str:
    """The grader's own failure, told as such: no code of the student's ran."""
    cause = f" ({clean_message(exc.cause, limit=300)})" if exc.cause else ""
    return (f"The grader could not run on this machine: its worker process {exc}{cause}, before any of your "
            "code ran. This is not a problem with your code; it was not graded. Re-run to retry, and tell your "
            "instructor if it happens again.")


_NAME_ERROR = re.compile(r"name '([A-Za-z_][A-Za-z0-9_]{0,99})' is not defined")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_TF_NODE = re.compile(r"\{\{function_node [^}]*\}\}")


def clean_message(text: str, limit: int = 400) -> str:
    """An exception message made readable: no terminal colours, no TensorFlow node names, one paragraph."""
    text = _TF_NODE.sub("", _ANSI.sub("", text[:MAX_SCAN]))  # patterns never run on unbounded worker text
    if text.startswith("Exception encountered when calling"):
        parts = [p.strip() for p in text.split("\n\n") if p.strip()]
        text = parts[1] if len(parts) > 1 else parts[0]
        text = text.split("Arguments received by")[0]
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _load_info(value: Any) -> LoadInfo:
    """The load reply, kept to bounded plain data: at most 500 names of 200 characters, 100 problems."""
    if not isinstance(value, dict):
        raise ProtocolError("bad load reply")
    lists = {k: value.get(k) if isinstance(value.get(k), list) else [] for k in ("defined", "missing", "problems", "names")}
    names = {k: [x[:200] for x in lists[k][:MAX_NAMES] if isinstance(x, str)] for k in ("defined", "missing", "names")}
    problems = [_problem(p) for p in lists["problems"][:MAX_PROBLEMS] if isinstance(p, dict)]
    return LoadInfo(problems=problems, **names)


def _problem(problem: dict[str, Any]) -> dict[str, Any]:
    line = problem.get("line")
    out: dict[str, Any] = {"line": line if type(line) is int else 1, "type": str(problem.get("type", "Error"))[:80],
                           "message": str(problem.get("message", ""))[:MAX_SCAN]}
    left_out, module = problem.get("left_out"), problem.get("module")
    if type(left_out) is int and left_out > 0:  # how many more failed (the worker lists only the first ones)
        out["left_out"] = min(left_out, 10**9)
    if isinstance(module, str) and module:  # a failure inside the submission's own %%writefile module
        out["module"] = module[:80]
    return out


