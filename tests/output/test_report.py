"""Tests for grader.report: atomic files, the per-submission report, summary.json and gradebook.csv."""
from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from grader.output.report import (
    SUMMARY_SCHEMA,
    read_report,
    report_name,
    summary_entry,
    write_atomic,
    write_gradebook,
    write_json,
    write_report,
    write_summary,
)


def spec_result(name: str, points: float, outcome: str, message: str = "") -> dict[str, Any]:
    return {"name": name, "points": points, "score": points if outcome == "passed" else 0.0, "outcome": outcome,
            "message": message, "visibility": "visible", "device": "cpu", "duration_s": 0.1}




def make_report(id: str, tests: list[dict[str, Any]], *, status: str = "graded",
                error: dict[str, str] | None = None, flags: list[str] | None = None) -> dict[str, Any]:
    """Shaped like grader.score.GradingResult.to_dict()."""
    return {
        "schema": "grader-report/1", "assignment": "concat", "id": id,
        "submission": {"path": f"/subs/{id}.py", "sha256": "0" * 64, "kind": "python"},
        "status": status, "error": error, "score": round(sum(t["score"] for t in tests), 4),
        "max_score": 10.0, "tests": tests, "extraction": {"dropped": [], "notes": []},
        "devices": {"cpu": {"status": "ran"}}, "flags": flags or [], "seed": 1234, "timing": {"wall_s": 3.1},
        "environment": {"python": "3.11.7"}, "output": {}, "hashes": {}, "internal_errors": [],
    }


def reports() -> list[dict[str, Any]]:
    return [
        make_report("student07", [spec_result("shape", 3, "passed"), spec_result("values", 7, "failed", "differs")]),
        make_report("alice", [spec_result("shape", 3, "passed"), spec_result("values", 7, "passed")]),
        make_report("bob", [], status="error", error={"kind": "syntax", "message": "Syntax error at line 3"}),
        make_report("carol", [spec_result("shape", 3, "timeout"), spec_result("values", 7, "error")],
                    flags=["timeout", "tampering"]),
    ]


def entries() -> list[dict[str, Any]]:
    return [summary_entry(r, {"json": report_name(r["id"]), "gradescope": f"{r['id']}.results.json"})
            for r in reports()]


# --- atomic writes -------------------------------------------------------------------------------

def test_write_atomic_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "out" / "deep" / "a.json"
    write_atomic(target, "first\n")
    write_atomic(target, "second ✓\n")
    assert target.read_text(encoding="utf-8") == "second ✓\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.json"]


def test_write_atomic_keeps_newlines_as_given(tmp_path: Path) -> None:
    target = tmp_path / "a.csv"
    write_atomic(target, "a\r\nb\n")
    assert target.read_bytes() == b"a\r\nb\n"


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664), (0o077, 0o600)])
def test_written_files_follow_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    """Not mkstemp's 0600: a teaching assistant in the owner's group reads the reports when the umask lets them."""
    import os
    import stat

    old = os.umask(umask)
    try:
        write_atomic(tmp_path / "a.json", "first\n")
        write_atomic(tmp_path / "a.json", b"second\n")  # a replaced file gets the mode of a new one too
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == mode
    assert (tmp_path / "a.json").read_bytes() == b"second\n"


def test_a_temporary_name_in_use_is_never_written_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import secrets

    victim = tmp_path / "elsewhere.txt"
    victim.write_text("keep\n")
    names = iter(["aaaaaaaaaaaa", "bbbbbbbbbbbb"])
    monkeypatch.setattr(secrets, "token_hex", lambda n: next(names))
    (tmp_path / ".a.json.aaaaaaaaaaaa.tmp").symlink_to(victim)  # someone put a link where the first name goes
    write_atomic(tmp_path / "a.json", "new\n")
    assert victim.read_text() == "keep\n" and (tmp_path / "a.json").read_text() == "new\n"


def test_failed_write_keeps_the_old_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a.json"
    write_atomic(target, "old\n")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("grader.output.report.os.fsync", disk_full)
    with pytest.raises(OSError):
        write_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_write_json_is_indented_and_keeps_unicode(tmp_path: Path) -> None:
    write_json(tmp_path / "x.json", {"name": "José", "n": [1]})
    assert (tmp_path / "x.json").read_text(encoding="utf-8") == '{\n  "name": "José",\n  "n": [\n    1\n  ]\n}\n'


# --- one report ----------------------------------------------------------------------------------

def test_write_report_and_read_it_back(tmp_path: Path) -> None:
    report = reports()[0]
    assert write_report(report, tmp_path) == "student07.json"
    assert read_report(tmp_path / "student07.json") == report


@pytest.mark.parametrize("text", ["{broken", "[]", '{"schema": "grader-report/0"}', '{"id": "x"}'])
def test_read_report_ignores_what_is_not_a_report(tmp_path: Path, text: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(text)
    assert read_report(path) is None
    assert read_report(tmp_path / "missing.json") is None


# --- summary.json --------------------------------------------------------------------------------

def test_summary_fields(tmp_path: Path) -> None:
    before = datetime.now(timezone.utc).replace(microsecond=0)
    write_summary(tmp_path, "concat", entries())
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["schema"] == SUMMARY_SCHEMA == "grader-summary/1"
    assert summary["assignment"] == "concat"
    graded_at = datetime.fromisoformat(summary["graded_at"])
    assert graded_at.tzinfo is not None
    assert before <= graded_at <= datetime.now(timezone.utc) + timedelta(seconds=1)
    assert [s["id"] for s in summary["submissions"]] == ["alice", "bob", "carol", "student07"]
    assert summary["submissions"][3] == {
        "id": "student07", "path": "/subs/student07.py", "status": "graded", "score": 3.0, "max_score": 10.0,
        "report": "student07.json",
        "reports": {"json": "student07.json", "gradescope": "student07.results.json"},
        "flags": [],
    }
    bob = summary["submissions"][1]
    assert (bob["status"], bob["score"], bob["report"]) == ("error", 0.0, "bob.json")
    assert summary["submissions"][2]["flags"] == ["timeout", "tampering"]


def test_summary_totals_distribution_and_errored(tmp_path: Path) -> None:
    write_summary(tmp_path, "concat", entries())
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["totals"] == {"submissions": 4, "graded": 3, "errored": 1, "held": 0, "mean_score": 3.25,
                                 "max_score": 10.0}
    assert summary["distribution"] == {"0": 2, "3": 1, "10": 1}
    assert list(summary["distribution"]) == ["0", "3", "10"]  # numeric order, not text order
    assert summary["errored"] == ["bob"]


def held_report(submission_id: str = "dave") -> dict[str, Any]:
    report = make_report(submission_id, [spec_result("shape", 3, "error"), spec_result("values", 7, "error")],
                         status="held", flags=["tampering"])
    report["held"] = {"reason": "tampering", "message": "Your work is held for your instructor to review: ...",
                      "events": [{"where": "cell 3, line 2", "event": "gc.get_objects"}]}
    return report


def test_a_held_submission_is_counted_apart_and_its_withheld_score_is_left_out_of_the_mean(tmp_path: Path) -> None:
    everyone = reports() + [held_report()]
    write_summary(tmp_path, "concat", [summary_entry(r, {"json": report_name(r["id"])}) for r in everyone],
                  reports=everyone)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["totals"]["held"] == 1 and summary["held"] == ["dave"]
    assert summary["totals"]["mean_score"] == 3.25 and summary["distribution"] == {"0": 2, "3": 1, "10": 1}
    assert summary["submissions"][3]["status"] == "held"
    assert [i["not_graded"] for i in summary["item_analysis"]] == [1, 1]  # dave is held (bob ran no test)
    write_gradebook(tmp_path, everyone)
    rows = list(csv.reader((tmp_path / "gradebook.csv").open()))
    assert rows[4][:5] == ["dave", "0", "10", "held", "tampering"]


def test_summary_of_nothing(tmp_path: Path) -> None:
    write_summary(tmp_path, "concat", [])
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["submissions"] == [] and summary["errored"] == [] and summary["distribution"] == {}
    assert summary["totals"] == {"submissions": 0, "graded": 0, "errored": 0, "held": 0, "mean_score": 0.0,
                                 "max_score": 0.0}


def test_summary_extra_fields(tmp_path: Path) -> None:
    write_summary(tmp_path, "concat", entries(), extra={"shard": "1/2"})
    assert json.loads((tmp_path / "summary.json").read_text())["shard"] == "1/2"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


# --- gradebook.csv -------------------------------------------------------------------------------

def read_gradebook(folder: Path) -> list[list[str]]:
    with (folder / "gradebook.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_gradebook_columns_and_rows(tmp_path: Path) -> None:
    write_gradebook(tmp_path, reports())
    rows = read_gradebook(tmp_path)
    assert rows[0][:4] == ["id", "score", "max_score", "status"]
    assert rows[0] == ["id", "score", "max_score", "status", "flags", "test:shape", "test:values"]
    assert rows[1:] == [
        ["alice", "10", "10", "graded", "", "3", "7"],
        ["bob", "0", "10", "error", "", "0", "0"],
        ["carol", "0", "10", "graded", "timeout tampering", "0", "0"],
        ["student07", "3", "10", "graded", "", "3", "0"],
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["gradebook.csv"]


def test_gradebook_quotes_awkward_test_names_and_keeps_fractions(tmp_path: Path) -> None:
    odd = make_report("zoe", [spec_result('shape, "exact"', 2.5, "passed"), spec_result("ünïcode", 1, "failed")])
    write_gradebook(tmp_path, [odd])
    text = (tmp_path / "gradebook.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == 'id,score,max_score,status,flags,"test:shape, ""exact""",test:ünïcode'
    assert read_gradebook(tmp_path)[1] == ["zoe", "2.5", "10", "graded", "", "2.5", "0"]


def test_gradebook_of_nothing_has_the_header(tmp_path: Path) -> None:
    write_gradebook(tmp_path, [])
    assert (tmp_path / "gradebook.csv").read_text() == "id,score,max_score,status,flags\n"


def test_text_that_is_not_valid_unicode_is_written_escaped(tmp_path: Path) -> None:
    from grader.output.report import safe_text, write_atomic, write_json

    write_json(tmp_path / "r.json", {"message": "bad \udcff byte", "path\udc80": ["ok é"]})
    text = (tmp_path / "r.json").read_text(encoding="utf-8")
    assert json.loads(text) == {"message": "bad \\udcff byte", "path\\udc80": ["ok é"]}
    write_atomic(tmp_path / "g.csv", "id,\udcff\n")
    assert (tmp_path / "g.csv").read_text(encoding="utf-8") == "id,\\udcff\n"
    assert safe_text("plain é") == "plain é"


def test_summary_holds_the_item_analysis(tmp_path: Path) -> None:
    data = write_summary(tmp_path, "concat", entries(), reports=reports())
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary == data
    by_name = {i["name"]: i for i in summary["item_analysis"]}
    assert list(by_name) == ["shape", "values"]
    assert (by_name["shape"]["passed"], by_name["shape"]["submissions"], by_name["shape"]["mean_score"]) == (2, 4, 1.5)
    assert by_name["values"]["top_messages"][0]["message"] == "differs"
    assert write_summary(tmp_path, "concat", [])["item_analysis"] == []
