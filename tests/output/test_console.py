"""Tests for grader.console: the table students read and the progress lines instructors watch."""
from __future__ import annotations

import io
import types
from typing import Any

import pytest

from grader.output import console
from grader.output.console import Progress, result_table

LONG = ("ConcatBlock output has the right shape but 4 of 24 values differ from the correct result; "
        "check that both branches see the same input and that you concatenate along the last axis.")


def spec_result(name: str, points: float, outcome: str, message: str = "") -> dict[str, Any]:
    return {"name": name, "points": points, "score": points if outcome == "passed" else 0.0, "outcome": outcome,
            "message": message, "visibility": "visible", "device": "cpu", "duration_s": 0.1}


def make_report(tests: list[dict[str, Any]], *, status: str = "graded", error: dict[str, str] | None = None,
                extraction: dict[str, Any] | None = None) -> dict[str, Any]:
    """Shaped like grader.score.GradingResult.to_dict()."""
    return {
        "schema": "grader-report/1", "assignment": "concat", "id": "concat",
        "submission": {"path": "/home/me/concat.py", "sha256": "0" * 64, "kind": "python"},
        "status": status, "error": error, "score": round(sum(t["score"] for t in tests), 4),
        "max_score": round(sum(t["points"] for t in tests), 4), "tests": tests,
        "extraction": extraction if extraction is not None else {"dropped": [], "notes": []},
        "devices": {}, "flags": [], "seed": 1, "timing": {}, "environment": {}, "output": {}, "hashes": {},
        "internal_errors": [],
    }


def test_table_for_a_graded_submission() -> None:
    report = make_report([
        spec_result("output shape", 2, "passed"),
        spec_result("output values", 3, "failed", "ConcatBlock output has the wrong values."),
        spec_result("axis", 1.5, "error", "Your code raised an error: ValueError: bad axis"),
        spec_result("speed", 1, "timeout", "Your code did not finish in time."),
        spec_result("gpu", 1, "skipped", "This check was skipped."),
    ])
    assert result_table(report) == "\n".join([
        "concat: /home/me/concat.py",
        "  PASS  output shape      2/2",
        "  FAIL  output values     0/3",
        "        ConcatBlock output has the wrong values.",
        "  ERROR axis            0/1.5",
        "        Your code raised an error: ValueError: bad axis",
        "  TIME  speed             0/1",
        "        Your code did not finish in time.",
        "  SKIP  gpu               0/1",
        "        This check was skipped.",
        "  Total: 2 / 8.5",
    ])


def test_passed_tests_show_no_message() -> None:
    report = make_report([spec_result("shape", 2, "passed", "should not be shown")])
    assert "should not be shown" not in result_table(report)


def test_a_zero_point_test_that_passes_shows_its_note() -> None:
    report = make_report([spec_result("shape", 2, "passed"),
                          spec_result("keras3 note", 0, "passed", "Note (no points lost): Keras 3 differs.")])
    assert result_table(report).splitlines()[1:] == [
        "  PASS  shape           2/2", "  PASS  keras3 note     0/0", "        Note (no points lost): Keras 3 differs.",
        "  Total: 2 / 2"]


def test_failure_without_message_shows_just_the_row() -> None:
    report = make_report([spec_result("shape", 2, "failed", "")])
    assert result_table(report).splitlines()[1:] == ["  FAIL  shape     0/2", "  Total: 0 / 2"]


def test_long_messages_wrap_at_the_width() -> None:
    report = make_report([spec_result("values", 3, "failed", LONG)])
    lines = result_table(report, width=60).splitlines()
    message_lines = lines[2:-1]
    assert len(message_lines) > 1
    assert all(line.startswith(" " * 8) and len(line) <= 60 for line in message_lines)
    assert " ".join(line.strip() for line in message_lines) == LONG


def test_long_test_names_are_not_cut() -> None:
    name = "a_very_long_test_name_that_goes_on_and_on_and_on_forever_and_more"
    report = make_report([spec_result(name, 1, "passed")])
    assert name in result_table(report)


def test_error_submission_shows_the_error_and_no_tests() -> None:
    report = make_report([spec_result("shape", 2, "error", "This check produced no result.")], status="error",
                         error={"kind": "syntax", "message": "Syntax error at cell 3, line 2 (invalid syntax): x = = 1"})
    assert result_table(report) == "\n".join([
        "concat: /home/me/concat.py",
        "  Could not grade this submission: Syntax error at cell 3, line 2 (invalid syntax): x = = 1",
        "  Total: 0 / 2",
    ])


def test_a_held_submission_says_it_is_held_and_shows_no_score() -> None:
    report = make_report([spec_result("shape", 2, "error", "Your work is held ...")], status="held")
    report["held"] = {"reason": "tampering", "message": "Your work is held for your instructor to review: your "
                      "code reached for the grader's own machinery.", "events": []}
    assert result_table(report) == "\n".join([
        "concat: /home/me/concat.py",
        "  Your work is held for your instructor to review: your code reached for the grader's own machinery.",
    ])


def test_extraction_notes_are_listed_before_the_total() -> None:
    extraction = {"dropped": [{"line": 3, "code": "model.fit(X)", "cell": 2}, {"line": 5, "code": "print(1)"}],
                  "notes": ["cell 4 was skipped: syntax error at line 1 (invalid syntax)."],
                  "problems": [{"where": "cell 5, line 1", "error": "NameError: name 'X' is not defined"}]}
    report = make_report([spec_result("shape", 2, "passed")], extraction=extraction)
    assert result_table(report).splitlines()[-4:] == [
        "  note: cell 4 was skipped: syntax error at line 1 (invalid syntax).",
        "  note: cell 5, line 1 failed when loaded: NameError: name 'X' is not defined",
        "  note: 2 top-level statement(s) were not run (training, prints, plots...).",
        "  Total: 2 / 2",
    ]


def test_what_ran_and_why_and_load_failures_name_the_graded_name() -> None:
    extraction = {"dropped": [{"line": 9, "code": "model.fit(X)"}], "dropped_left_out": 120, "notes": [],
                  "kept": [{"line": 4, "code": "AXIS = -1", "needed_by": "ConcatBlock"},
                           {"line": 2, "cell": 3, "code": "SCALE = load()", "needed_by": "MyDense"}],
                  "problems": [{"where": "cell 3, line 2", "error": "OSError: no file", "needed_by": "MyDense"}],
                  "problems_left_out": 7}
    report = make_report([spec_result("shape", 2, "passed")], extraction=extraction)
    assert result_table(report).splitlines()[-6:] == [
        "  note: cell 3, line 2 (needed by MyDense) failed when loaded: OSError: no file",
        "  note: 7 more statement(s) failed when loaded.",
        "  note: line 4 ran because ConcatBlock needs it: AXIS = -1",
        "  note: cell 3, line 2 ran because MyDense needs it: SCALE = load()",
        "  note: 121 top-level statement(s) were not run (training, prints, plots...).",
        "  Total: 2 / 2",
    ]


def test_fractional_scores_use_short_numbers() -> None:
    report = make_report([spec_result("a", 0.5, "passed"), spec_result("b", 1 / 3, "failed", "no")])
    lines = result_table(report).splitlines()
    assert lines[1].endswith("0.5/0.5")
    assert lines[-1] == "  Total: 0.5 / 0.8333"


# --- progress ------------------------------------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(console, "time", types.SimpleNamespace(monotonic=fake.monotonic))
    return fake


def test_progress_writes_done_total_errors_and_eta(clock: Clock) -> None:
    stream = io.StringIO()
    progress = Progress(4, stream)
    clock.now += 10
    progress.update("alice", "graded", 7, 10)
    clock.now += 10
    progress.update("bob", "error", 0, 10)
    clock.now += 40
    progress.update("carol", "graded", 10, 10, skipped=True)
    clock.now += 20
    progress.update("dave", "graded", 2.5, 10)
    assert stream.getvalue().splitlines() == [
        "[######                  ] 1/4  errors 0  ETA 0:30  alice: 7/10",
        "[############            ] 2/4  errors 1  ETA 0:20  bob: 0/10 ERROR",
        "[##################      ] 3/4  errors 1  ETA 0:20  carol: unchanged",
        "[########################] 4/4  errors 1  ETA 0:00  dave: 2.5/10",
    ]
    assert (progress.done, progress.failed) == (4, 1)


def test_progress_eta_in_minutes(clock: Clock) -> None:
    stream = io.StringIO()
    progress = Progress(101, stream)
    clock.now += 3
    progress.update("s1", "graded", 1, 1)
    assert "ETA 5:00" in stream.getvalue()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_redraws_one_line_on_a_terminal(clock: Clock) -> None:
    stream = Terminal()
    progress = Progress(2, stream)
    progress.update("alice", "graded", 1, 1)
    progress.update("bob", "graded", 1, 1)
    text = stream.getvalue()
    assert text.count("\r\x1b[2K") == 2
    assert text.endswith("bob: 1/1\n") and text.count("\n") == 1


def test_progress_defaults_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    Progress(1).update("alice", "graded", 1, 1)
    captured = capsys.readouterr()
    assert captured.out == "" and "1/1" in captured.err


HOSTILE_TEXT = ("a\x1b[31mred\x1b[0m \x1b]0;pwned title\x07 \x1b]52;c;cm0gLXJmIH4=\x1b\\ \x1b[?1049h"
                "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\ \rover\x08\x07 \x9b2J\x9d0;t\x9c \u202eevil "
                "\x1bc\x1b(0 \udcff end")


def assert_plain(text: str) -> None:
    assert not any(ord(c) < 32 and c not in "\n\t" or 0x7f <= ord(c) <= 0x9f for c in text), repr(text)
    assert "\u202e" not in text
    text.encode("utf-8")  # printable on a UTF-8 terminal


def test_plain_removes_every_escape_sequence_and_control_character() -> None:
    text = console.plain(HOSTILE_TEXT)
    assert_plain(text)
    for word in ("ared", "link", "over", "evil", "\\udcff end"):
        assert word in text
    assert "pwned" not in text and "cm0g" not in text and "evil.example" not in text


def test_plain_is_bounded_on_long_text() -> None:
    text = console.plain("\x1b[" + "0" * 1_000_000, limit=1000)
    assert text == "…"


def test_table_and_progress_show_no_student_control_characters() -> None:
    report = make_report([spec_result(HOSTILE_TEXT, 1, "failed", HOSTILE_TEXT)], extraction={
        "dropped": [], "notes": [HOSTILE_TEXT], "problems": [{"where": "line 1", "error": HOSTILE_TEXT}]})
    report["submission"]["path"] = "/home/\x1b]0;x\x07me/\udcffconcat.py"
    assert_plain(result_table(report))
    error = make_report([], status="error", error={"kind": "import", "message": HOSTILE_TEXT})
    assert_plain(result_table(error))
    stream = io.StringIO()
    Progress(1, stream).update(HOSTILE_TEXT, "graded", 1, 1)
    assert_plain(stream.getvalue())
