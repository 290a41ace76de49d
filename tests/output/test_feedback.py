"""Tests for grader.output.feedback: pages a student may see, and the zips the LMS bulk uploads take."""
from __future__ import annotations

import html
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from grader.intake.identity import from_name
from grader.output.feedback import render_feedback, write_feedback

SECRET = "expected [[1.5, -2.25]] for hidden input X=[[0.3, 0.7]]"


def test_result(name: str, points: float, outcome: str, visibility: str, message: str = "") -> dict[str, Any]:
    return {"name": name, "points": points, "score": points if outcome == "passed" else 0.0, "outcome": outcome,
            "message": message, "visibility": visibility, "device": "cpu", "duration_s": 0.1}


test_result.__test__ = False  # type: ignore[attr-defined]


def make_report(sid: str = "smithalice_12345_678901_concat", status: str = "graded", **extra: Any) -> dict[str, Any]:
    tests = [test_result("test_output_shape", 1, "passed", "visible"),
             test_result("test_values", 2, "failed", "visible", "output differs in 3 of 6 values"),
             test_result("test_axis_argument_is_used", 1, "failed", "hidden", SECRET),
             test_result("test_nests_inside_sequential", 1.5, "passed", "hidden"),
             test_result("test_odd_visibility", 1, "error", "after_due_date", SECRET)]
    report = {"schema": "grader-report/1", "assignment": "concat", "id": sid, "status": status,
              "submission": {"path": f"/home/prof/courses/ml-2026/private/{sid}.py", "sha256": "0" * 64, "kind": "python"},
              "error": None, "score": sum(t["score"] for t in tests), "max_score": 6.5, "tests": tests,
              "extraction": {"dropped": [{"line": 15, "code": "model.fit(X, y, epochs=30)"}], "notes": [],
                             "problems": []},
              "flags": ["tampering"] if status == "held" else [], "seed": 918273645, "timing": {"wall_s": 2.0},
              "environment": {"python": "3.11.7", "tensorflow": "2.21.0"}, "output": {"stdout": "hello"},
              "sandbox": {"mode": "bubblewrap", "network": "none", "uid": "65534"}, "internal_errors": ["KeyError x"]}
    report.update(from_name(f"{sid}.py").to_report())
    report.update(extra)
    return report


def text_of(page: str) -> str:
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_a_page_holds_what_a_student_may_see_and_nothing_of_the_instructors() -> None:
    page = render_feedback(make_report(), {"final_score": 2.5}, assignment="Homework 4: concat")
    words = text_of(page)
    assert "Feedback on concat.py" in words  # the student's own file name, not the download's
    assert "✔ PASS test_output_shape 1/1" in words and "✘ FAIL test_values 0/2 output differs in 3 of 6 values" in words
    assert "✘ FAIL test_axis_argument_is_used 0/1" in words and "✔ PASS test_nests_inside_sequential 1.5/1.5" in words
    for secret in (SECRET, "/home/prof", "918273645", "bubblewrap", "65534", "tensorflow", "2.21.0", "KeyError",
                   "tampering", "hello"):
        assert secret not in page
    assert "test_odd_visibility" in words  # anything not plainly visible is shown as hidden: no message
    assert "line 15 model.fit(X, y, epochs=30)" in words
    assert "script-src 'none'" in page and "http" not in page.replace("http-equiv", "")


def test_hidden_tests_can_be_reduced_to_their_total() -> None:
    words = text_of(render_feedback(make_report(), {}, assignment="concat", hidden="total"))
    assert "test_axis_argument_is_used" not in words
    assert "Hidden tests: 1 of 3 passed, 1.5 / 3.5 points." in words


def test_a_report_that_could_not_be_graded_says_so_truthfully() -> None:
    report = make_report(status="error", error={"kind": "syntax", "message": "Syntax error at line 5 (expected ':')"})
    for test in report["tests"]:
        test.update(score=0.0, outcome="error", message=report["error"]["message"])
    words = text_of(render_feedback(report, {"final_score": 0.0}, assignment="concat"))
    assert "Why it could not be graded Syntax error at line 5 (expected ':')" in words
    assert "Nothing of it ran: it could not be read or run" in words
    assert "Nothing was dropped" not in words and "whole file ran" not in words
    assert words.count("Syntax error at line 5") == 1  # once, not once per test
    loading = make_report(status="error", error={"kind": "import", "message": "Your code could not be loaded: x"})
    assert "Loading stopped at the problem above" in text_of(render_feedback(loading, {}, assignment="concat"))


def test_held_work_is_under_review_never_zero() -> None:
    words = text_of(render_feedback(make_report(status="held", score=0.0), {"final_score": None}, assignment="concat"))
    assert "Your submission is being reviewed by your instructor; your score will follow." in words
    assert "0 /" not in words and "Score" not in words and "test_values" not in words


def test_adjustments_show_beside_the_score_with_their_reasons() -> None:
    entry = {"final_score": 4.5, "adjustments": [
        {"kind": "late", "change": "-0.5 (late)", "points": -0.5, "reason": "late: submitted 3 h after the due time"},
        {"kind": "override", "change": "+2", "points": 2.0, "reason": "regrade: axis was right", "test": "test_values"}]}
    words = text_of(render_feedback(make_report(), entry, assignment="concat"))
    assert "Score 4.5 / 6.5" in words and "The tests gave 2.5 / 6.5; then:" in words
    assert "-0.5 (late): late: submitted 3 h after the due time" in words and "+2 on test_values: regrade" in words


def test_the_folder_gets_a_page_per_student_and_the_lms_zips(tmp_path: Path) -> None:
    reports = [make_report(), make_report("Seán O'Connor_1024_assignsubmission_file_"), make_report("plain")]
    summary = {"assignment": "concat", "lms": {"title": "Homework 4"},
               "submissions": [{"id": r["id"], "final_score": r["score"]} for r in reports]}
    written = write_feedback(tmp_path, summary, reports)
    assert sorted(p.name for p in (tmp_path / "feedback").glob("*.html")) == sorted(
        ["smithalice_12345_678901_concat.html", "Se_n_O_Connor_1024_assignsubmission_file-" +
         _hash("Seán O'Connor_1024_assignsubmission_file_") + ".html", "plain.html"])
    canvas = zipfile.ZipFile(io.BytesIO((tmp_path / "feedback" / "canvas-feedback.zip").read_bytes()))
    assert canvas.namelist() == ["smithalice_12345_678901_feedback.html"]  # Canvas: user id, then attachment id
    moodle = zipfile.ZipFile(io.BytesIO((tmp_path / "feedback" / "moodle-feedback.zip").read_bytes()))
    assert moodle.namelist() == ["Seán O'Connor_1024_assignfeedback_file_feedback.html"]  # Moodle: participant id
    assert "Homework 4" in moodle.read(moodle.namelist()[0]).decode()
    assert written["left_out"] == {"canvas-feedback.zip": ["Seán O'Connor_1024_assignsubmission_file_", "plain"],
                                   "moodle-feedback.zip": ["smithalice_12345_678901_concat", "plain"]}
    again = tmp_path / "again"
    write_feedback(again, summary, reports)
    assert (again / "feedback" / "canvas-feedback.zip").read_bytes() == \
        (tmp_path / "feedback" / "canvas-feedback.zip").read_bytes()  # the same class, the same bytes


def _hash(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:8]


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_output_files_follow_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    import os

    old = os.umask(umask)
    try:
        write_feedback(tmp_path, {"assignment": "concat", "submissions": []}, [make_report()])
    finally:
        os.umask(old)
    for path in (tmp_path / "feedback").iterdir():
        assert path.stat().st_mode & 0o777 == mode, path.name
