"""Domain errors carry what the report and the CLI need, and map to the documented exit codes."""
from __future__ import annotations

import shutil
from pathlib import Path

from grader.cli import main
from grader.errors import GraderError, SubmissionError, UnknownAssignment, UsageError

ROOT = Path(__file__).resolve().parent.parent


def test_submission_error_keeps_kind_and_message():
    exc = SubmissionError("syntax", "Syntax error at line 3")
    assert (exc.kind, exc.message, str(exc)) == ("syntax", "Syntax error at line 3", "Syntax error at line 3")
    assert issubclass(UnknownAssignment, UsageError) and issubclass(UsageError, GraderError)


def test_a_bad_assignment_config_is_a_usage_error(tmp_path, monkeypatch, capsys):
    course = tmp_path / "course"
    shutil.copytree(ROOT / "assignments" / "concat", course / "assignments" / "concat")
    toml = course / "assignments" / "concat" / "assignment.toml"
    toml.write_text(toml.read_text().replace("request_s = 60", "request_s = 60\nwall_s = 3"))
    monkeypatch.setenv("GRADER_COURSE", str(course))
    assert main(["check", "concat", str(ROOT / "solutions" / "concat" / "solution.py")]) == 2
    assert "unknown [limits] key(s) wall_s" in capsys.readouterr().err
