"""Stage 4, the TRUSTED side: run an assignment's specs with pytest against a submission.

This process never imports student code. Specs get the submission through the
`submission` fixture (a `grader.judge.session.Submission`), and a result-collector
plugin object records each test's outcome, points and message. Messages of
hidden tests are kept to what spec helpers wrote for students, never the spec's
own source or assertion introspection.
"""
from __future__ import annotations

import contextlib
import os
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.errors import GraderError, ProtocolError, SubmissionError, WorkerCrashed, WorkerTampered, WorkerTimeout
from grader.judge.course_faults import COULD_NOT_RUN, CourseFault
from grader.judge.session import HELD_MESSAGE, AnswerTooLarge, MissingName, StudentCodeError, Submission

SPEC_INI = Path(__file__).with_name("specs.ini")
HIDDEN_FAILURE = "This hidden check did not pass; re-read the exercise's requirements for this part."
VISIBLE_FAILURE = "This check did not pass."


class SpecsBroken(GraderError):
    """The specs themselves could not be collected or run: a grader failure, not the student's."""


@dataclass(frozen=True)
class TestOutcome:
    """One spec's result on one submission and device leg."""

    __test__ = False  # not a pytest test class, despite the name

    name: str
    points: float
    outcome: str  # passed | failed | error | timeout | skipped
    message: str
    visibility: str
    duration_s: float
    device: str = "cpu"
    internal: str | None = None  # a spec's own bug, for instructors only
    clause: str = ""  # the contract sentence it checks (`grader.spec.clause`); "" = its own name


class SubmissionPlugin:
    """Provides the `submission` and `rng` fixtures to specs."""

    def __init__(self, submission: Submission, seed: int) -> None:
        self._submission = submission
        self._seed = seed

    @pytest.fixture
    def submission(self) -> Submission:
        return self._submission

    @pytest.fixture
    def rng(self, request: pytest.FixtureRequest) -> np.random.Generator:
        """A generator seeded by the run's seed and the test's name, so order does not matter."""
        return np.random.default_rng([self._seed, zlib.crc32(request.node.name.encode())])


class ResultCollector:
    """Records every collected spec and its outcome (the pattern of pytest's LogXML)."""

    def __init__(self, default_visibility: dict[str, str], device: str = "cpu") -> None:
        self._visibility = default_visibility
        self._device = device
        self.expected: dict[str, tuple[str, float, str, str]] = {}
        self.results: dict[str, TestOutcome] = {}
        self.collection_errors: list[str] = []
        self.unpointed: list[str] = []  # tests without @points: an error, not a silent default

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            marker = item.get_closest_marker("points")
            if not (marker and marker.args):
                self.unpointed.append(item.nodeid)
            points = float(marker.args[0]) if marker and marker.args else 0.0
            vis_marker = item.get_closest_marker("visibility")
            visibility = vis_marker.args[0] if vis_marker else self._visibility.get(str(item.path), "hidden")
            clause = item.get_closest_marker("clause")
            text = str(clause.args[0]) if clause and clause.args else base_name(item.name)
            self.expected[item.nodeid] = (item.name, points, visibility, text)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(f"{report.nodeid}: {report.longreprtext[-2000:]}")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        outcome = yield
        report = outcome.get_result()
        if item.nodeid not in self.expected or (report.when == "teardown" and item.nodeid in self.results):
            return
        if report.when == "call" or report.failed or report.skipped:
            self.results[item.nodeid] = self._outcome(item.nodeid, report, call)

    def _outcome(self, nodeid: str, report: pytest.TestReport, call: pytest.CallInfo[None]) -> TestOutcome:
        name, points, visibility, clause = self.expected[nodeid]
        kind, message, internal = "passed", _note(report), None
        if report.skipped:
            kind, message = "skipped", "This check was skipped."
        elif report.failed:
            kind, message, internal = classify(call.excinfo.value if call.excinfo else None, visibility)
        return TestOutcome(name=name, points=points, outcome=kind, message=message, visibility=visibility,
                           duration_s=round(report.duration, 3), device=self._device, internal=internal,
                           clause=clause)

    def outcomes(self) -> list[TestOutcome]:
        """Every expected test, in collection order; one without a result scores nothing."""
        out = []
        for nodeid, (name, points, visibility, clause) in self.expected.items():
            out.append(self.results.get(nodeid) or TestOutcome(
                name=name, points=points, outcome="error", visibility=visibility, duration_s=0.0,
                device=self._device, message="This check produced no result.", clause=clause))
        return out


def base_name(test: str) -> str:
    """A test's name without its parameters (`test_x[a-b]` -> `test_x`): its own clause by default."""
    return test.split("[", 1)[0]


def _note(report: pytest.TestReport) -> str:
    """A passing spec's note to the student (`record_property("note", text)`), or ""."""
    notes = [str(value) for key, value in report.user_properties if key == "note"]
    return " ".join(notes)[:2000]


def classify(exc: BaseException | None, visibility: str) -> tuple[str, str, str | None]:
    """Map an exception raised in a spec to (outcome, student message, internal note)."""
    if isinstance(exc, pytest.fail.Exception):
        # an example holds expected values: only visible tests show it (grader.spec.Failure)
        example = getattr(exc, "example", "") if visibility == "visible" else ""
        return "failed", f"{exc.msg} {example}" if example else str(exc.msg), None
    if isinstance(exc, CourseFault):  # the course's own mistake: the instructor's to see, never the student's
        return "error", COULD_NOT_RUN, exc.detail
    if isinstance(exc, MissingName):
        return "failed", str(exc), None
    if isinstance(exc, StudentCodeError):
        return "error", f"Your code raised an error: {exc}", None
    if isinstance(exc, WorkerTampered):
        return "error", HELD_MESSAGE, None
    if isinstance(exc, WorkerTimeout):
        return "timeout", ("Your code did not finish in time (" + str(exc) + "); look for an endless loop, "
                           "a sleep, or training far longer than the exercise needs."), None
    if isinstance(exc, WorkerCrashed) and exc.flag == "memory-limit":
        return "error", (f"Your code was stopped: {exc}. Look for tensors or lists that grow without "
                         "bound, or data far larger than the exercise needs."), None
    if isinstance(exc, WorkerCrashed):
        return "error", "Your code stopped the grading process (exit, crash or memory exhaustion).", None
    if isinstance(exc, SubmissionError):
        return ("timeout" if exc.kind == "timeout" else "error"), exc.message, None
    if isinstance(exc, AnswerTooLarge):
        return "error", (f"Your code's answers were too large to read back ({exc}); return only what the "
                         "exercise asks for."), None
    if isinstance(exc, ProtocolError):
        return "error", "Your code's answer could not be read back (it was not plain numbers or text).", None
    if isinstance(exc, AssertionError):
        text = str(exc).strip()
        if visibility != "hidden" and text:
            return "failed", text, None
        return "failed", HIDDEN_FAILURE if visibility == "hidden" else VISIBLE_FAILURE, None
    internal = f"the spec raised {type(exc).__name__}: {exc}"[:1000] if exc else "unknown"
    return "error", COULD_NOT_RUN, internal


def require_points(collector: ResultCollector) -> None:
    """Every spec says what it is worth: a test without `@points(...)` stops the run before any score is made."""
    if collector.unpointed:
        listed = ", ".join(collector.unpointed[:5]) + (f" and {len(collector.unpointed) - 5} more"
                                                      if len(collector.unpointed) > 5 else "")
        raise SpecsBroken(f"{listed}: no @points(...); every spec says what it is worth "
                          "(`from grader.spec import points`, then `@points(1)` above the test)")


def spec_root(specs: list[Path] | tuple[Path, ...]) -> str:
    """The folder above every spec: pytest names spec modules by their path from here, so two
    assignments' `tests/test_public.py` never share a module in a long-lived judge."""
    # <course>/assignments/<slug>/tests/test_x.py and <course>/solutions/<slug>/hidden/test_x.py
    tops = [p.resolve().parents[min(3, len(p.resolve().parents) - 1)] for p in specs]
    return os.path.commonpath([str(t) for t in tops]) if specs else "."


@contextlib.contextmanager
def spec_modules_forgotten(root: str) -> Iterator[None]:
    """Forget the spec modules a pytest run imported under `root` when it ends.

    With --import-mode=importlib pytest names a spec module by its path from the rootdir and reuses
    whatever `sys.modules` holds under that name, so two courses' `assignments/<slug>/tests/test_public.py`
    (or one spec file edited between two runs) would share the first module loaded. Only modules whose
    file is under `root`, and the bare packages pytest made above them, are dropped: what the specs
    imported from elsewhere (numpy, TensorFlow) stays loaded.
    """
    before = set(sys.modules)
    try:
        yield
    finally:
        top = Path(root).resolve()
        added = [name for name in list(sys.modules) if name not in before]
        ours = {name for name in added if _is_under(getattr(sys.modules.get(name), "__file__", None), top)}
        parents = {name for name in added if any(o.startswith(name + ".") for o in ours)
                   and getattr(sys.modules.get(name), "__file__", None) is None}
        for name in ours | parents:
            sys.modules.pop(name, None)


def _is_under(file: object, top: Path) -> bool:
    if not isinstance(file, str):
        return False
    try:
        return Path(file).resolve().is_relative_to(top)
    except (OSError, ValueError):
        return False


def run_specs(specs: list[Path], submission: Submission, *, seed: int, visibility: dict[str, str],
              device: str = "cpu") -> tuple[list[TestOutcome], list[str]]:
    """Run the spec files with pytest in this (trusted) process; return outcomes and collection errors."""
    collector = ResultCollector(visibility, device)
    args = [str(p) for p in specs] + [
        "-c", str(SPEC_INI), "--rootdir", spec_root(specs),
        "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:stepwise", "-p", "no:logging",
        "--assert=plain", "--import-mode=importlib", "-s",
        "--timeout", str(int(submission.budget.submission_s * 2 + 60)),
    ]
    with spec_modules_forgotten(spec_root(specs)):
        code = pytest.main(args, plugins=[collector, SubmissionPlugin(submission, seed)])
    require_points(collector)
    if code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR) or not collector.expected:
        raise SpecsBroken(f"pytest exited with {code!r} on {', '.join(map(str, specs))}: "
                          + "; ".join(collector.collection_errors)[:2000])
    return collector.outcomes(), collector.collection_errors
