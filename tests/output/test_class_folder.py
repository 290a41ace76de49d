"""Tests for grader.output.class_folder: a folder's summary, gradebook, exports and pages rebuilt from
every report in it, with the settings it keeps (roster, overrides, late policy). No grading here:
the reports are built as `grade` writes them."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from grader.cli import main
from grader.errors import UsageError
from grader.intake.identity import from_name
from grader.output.class_folder import Context, install_settings, rebuild, rebuild_folder
from grader.output.exports import Column
from grader.output.html_report import INDEX, page_name

DATA = Path(__file__).resolve().parents[1] / "data" / "lms"
HOSTILE = '<script>window.pwned = 1</script><b id="injected">bold</b>'


def test_result(name: str, points: float, outcome: str, visibility: str = "visible", message: str = "") -> dict[str, Any]:
    return {"name": name, "points": points, "score": points if outcome == "passed" else 0.0, "outcome": outcome,
            "message": message, "visibility": visibility, "device": "cpu", "duration_s": 0.1}


test_result.__test__ = False  # type: ignore[attr-defined]


def make_report(sid: str, outcomes: tuple[str, str, str] = ("passed", "passed", "passed"), *, status: str = "graded",
                folder: str = "/subs", assignment: str = "concat", **extra: Any) -> dict[str, Any]:
    tests = [test_result("test_shape", 2, outcomes[0]), test_result("test_axis", 3, outcomes[1], "hidden", "axis off"),
             test_result("test_values", 5, outcomes[2], "hidden")]
    report = {"schema": "grader-report/1", "assignment": assignment, "id": sid,
              "submission": {"path": f"{folder}/{sid}.py", "sha256": sid.ljust(64, "0")[:64], "kind": "python"},
              "status": status, "error": {"kind": "syntax", "message": "Syntax error at line 3"} if status == "error" else None,
              "score": sum(t["score"] for t in tests), "max_score": 10.0, "tests": tests,
              "extraction": {"dropped": [], "notes": []}, "devices": {"cpu": {"status": "ran"}}, "flags": [],
              "seed": 7, "timing": {"wall_s": 1.0}, "environment": {}, "output": {}, "hashes": {}, "internal_errors": []}
    report.update(from_name(f"{sid}.py").to_report())
    report.update(extra)
    return report


def write_reports(out: Path, reports: list[dict[str, Any]]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for report in reports:
        (out / f"{report['id']}.json").write_text(json.dumps(report), encoding="utf-8")


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in csv.DictReader((out / "gradebook.csv").open(encoding="utf-8"))}


def canvas_class() -> list[dict[str, Any]]:
    """The class of tests/data/lms/expected, as Canvas downloads name it."""
    return [make_report("smithalice_12345_678901_concat"),
            make_report("oconnorsean_LATE_23456_789012_concat-1", ("passed", "failed", "passed")),  # 7, late
            make_report("mullerjorg_34567_890123_concat", ("failed", "failed", "failed"), status="held",
                        flags=["tampering"]),
            make_report("cmdcalca0_45678_901234_concat", ("error",) * 3, status="error")]


def test_a_canvas_class_with_its_roster_overrides_and_late_policy_exports_the_documented_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_reports(out, canvas_class())
    (tmp_path / "overrides.csv").write_text("id,points,reason,test,by\noconnorsean_LATE_23456_789012_concat-1,+2,"
                                            "axis: regrade request granted,test_axis,TA Kim\n", encoding="utf-8")
    (tmp_path / "late.toml").write_text('due = 2026-03-01T23:59:00-05:00\npenalty_per_day = 1\n', encoding="utf-8")
    install_settings(out, roster=DATA / "canvas" / "gradebook-export.csv", overrides=tmp_path / "overrides.csv",
                     late_policy=tmp_path / "late.toml")
    rebuilt = rebuild(out, Context("concat", ("json", "html", "canvas"), column=Column("Homework 4: concat", "70001")))
    assert (out / "canvas-grades.csv").read_bytes() == (DATA / "expected" / "canvas-grades.csv").read_bytes()
    sean = gradebook(out)["oconnorsean_LATE_23456_789012_concat-1"]
    assert (sean["score"], sean["final_score"], sean["student"], sean["late"]) == ("7", "8", "O'Connor, Seán", "yes")
    assert sean["adjustments"].startswith("'+2 on test_axis: axis: regrade request granted, TA Kim; -1 (late): late: "
                                          "marked late by the LMS download")
    assert gradebook(out)["mullerjorg_34567_890123_concat"]["final_score"] == ""  # held: nothing to import
    assert "held: nothing goes to the LMS until an override sets its score" in (out / INDEX).read_text()
    report = json.loads((out / "smithalice_12345_678901_concat.json").read_text())
    assert report["student"] == {"name": 'Smith, Alice "Ally"', "id": "12345", "login": "asmith", "sis_id": "S001",
                                 "email": None, "section": "Section A", "source": "canvas download + roster"}
    assert report["submitted_at"] == "unknown" and report["late"] is False
    assert rebuilt.warnings == ["canvas-grades.csv: held for review: nothing is imported until an override sets its "
                                "score; left out: mullerjorg_34567_890123_concat"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["settings"] == {"roster": "roster.csv", "overrides": "overrides.csv",
                                   "late_policy": "late-policy.toml"}
    assert summary["totals"]["adjusted"] == 1 and summary["lms"] == {"title": "Homework 4: concat", "id": "70001"}


def test_every_report_in_the_folder_counts_not_only_this_runs(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "bob.py").write_text("x = 1\n")
    out = tmp_path / "out"
    write_reports(out, [make_report(s, folder=str(subs)) for s in ("alice", "bob", "carol")])
    rebuild(out, Context("concat", this_run={"bob"}, scanned=(subs,)))  # bob regraded alone
    summary = json.loads((out / "summary.json").read_text())
    by_id = {e["id"]: e for e in summary["submissions"]}
    assert sorted(by_id) == ["alice", "bob", "carol"] and sorted(gradebook(out)) == ["alice", "bob", "carol"]
    assert by_id["bob"]["in_this_run"] and not by_id["alice"]["in_this_run"]
    assert by_id["alice"]["missing"] and by_id["carol"]["missing"]  # their files are gone from subs/
    assert not by_id["bob"]["missing"]
    index = (out / INDEX).read_text()
    assert "alice</a>: its submission is no longer in the folder graded" in index
    rebuild(out, Context("concat", this_run={"bob"}, scanned=()))  # bob graded from elsewhere: no claim
    assert not any(e["missing"] for e in json.loads((out / "summary.json").read_text())["submissions"])


def test_reports_of_another_assignment_are_left_out_and_said(tmp_path: Path) -> None:
    write_reports(tmp_path, [make_report("alice"), make_report("zed", assignment="lenet")])
    rebuilt = rebuild(tmp_path, Context("concat"))
    assert [e["id"] for e in rebuilt.summary["submissions"]] == ["alice"]
    assert rebuilt.warnings == [f"{tmp_path} also holds reports of lenet; they were left out"]


def test_settings_are_checked_before_they_are_copied_and_an_override_for_no_one_is_said(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("alice,+x,why\n", encoding="utf-8")
    with pytest.raises(UsageError, match="bad.csv line 1: points"):
        install_settings(tmp_path / "out", overrides=bad)
    assert not (tmp_path / "out" / "overrides.csv").exists()
    good = tmp_path / "good.csv"
    good.write_text("alicee,+1,typo in the id\n", encoding="utf-8")
    install_settings(tmp_path / "out", overrides=good)
    write_reports(tmp_path / "out", [make_report("alice")])
    rebuilt = rebuild(tmp_path / "out", Context("concat"))
    assert rebuilt.warnings == ["overrides.csv line 1: no submission 'alicee' in this folder; the row was not "
                                "applied (ids are those in gradebook.csv)"]


def test_an_override_edited_in_the_folder_applies_and_the_pages_show_it_beside_the_graded_score(tmp_path: Path) -> None:
    write_reports(tmp_path, [make_report("alice", ("passed", "failed", "passed"))])
    (tmp_path / "overrides.csv").write_text(f"alice,=9,{HOSTILE},,Prof. Lee\n", encoding="utf-8")
    rebuild(tmp_path, Context("concat", ("json", "html", "feedback")))
    index, page = (tmp_path / INDEX).read_text(), (tmp_path / page_name("alice")).read_text()
    feedback = (tmp_path / "feedback" / "alice.html").read_text()
    for text in (index, page, feedback):
        assert "=9: &lt;script&gt;window.pwned = 1&lt;/script&gt;" in text and "<script>window" not in text
    assert 'id="final-score" class="adjusted">9 / 10' in page and 'id="score">7 / 10' in page
    assert 'id="score">9 / 10' in feedback and "The tests gave 7 / 10" in feedback


def test_report_command_rebuilds_every_page_and_keeps_how_the_folder_was_graded(tmp_path: Path, capsys) -> None:
    write_reports(tmp_path, [make_report("alice"), make_report("bob", ("passed", "failed", "failed"))])
    (tmp_path / "summary.json").write_text(json.dumps({"graded_at": "2026-01-02T03:04:05+00:00", "seed": 99,
                                                       "formats": ["json", "html", "canvas"]}))
    assert main(["report", str(tmp_path)]) == 0
    assert f"class report: {tmp_path / INDEX}" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.glob("*.html")) == sorted([INDEX, "alice.report.html", "bob.report.html"])
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (summary["graded_at"], summary["seed"], len(summary["submissions"])) == ("2026-01-02T03:04:05+00:00", 99, 2)
    assert (tmp_path / "canvas-grades.csv").exists()  # the folder's formats are kept up to date
    assert "Graded 2026-01-02T03:04:05+00:00 · seed 99" in (tmp_path / INDEX).read_text()


def test_report_command_applies_new_settings(tmp_path: Path) -> None:
    write_reports(tmp_path / "out", [make_report("alice")])
    (tmp_path / "o.csv").write_text("alice,-1,late by agreement\n", encoding="utf-8")
    assert main(["report", str(tmp_path / "out"), "--overrides", str(tmp_path / "o.csv")]) == 0
    assert gradebook(tmp_path / "out")["alice"]["final_score"] == "9"
    (tmp_path / "bad.csv").write_text("alice,9,no sign\n", encoding="utf-8")
    assert main(["report", str(tmp_path / "out"), "--overrides", str(tmp_path / "bad.csv")]) == 2
    assert gradebook(tmp_path / "out")["alice"]["final_score"] == "9"  # the folder's settings kept


def test_report_command_skips_malformed_reports_and_says_so(tmp_path: Path, capsys) -> None:
    bad = make_report("mallory")
    bad["score"] = "lots"
    write_reports(tmp_path, [make_report("alice"), bad])
    assert main(["report", str(tmp_path)]) == 0
    assert "skipped report 'mallory'" in capsys.readouterr().err
    assert not (tmp_path / "mallory.report.html").exists() and (tmp_path / "alice.report.html").exists()


def test_report_command_needs_reports_of_one_assignment(tmp_path: Path, capsys) -> None:
    assert main(["report", str(tmp_path)]) == 2
    assert "no grader reports in" in capsys.readouterr().err
    write_reports(tmp_path, [make_report("a"), make_report("b", assignment="lenet")])
    with pytest.raises(UsageError, match="several assignments"):
        rebuild_folder(tmp_path)
    assert main(["report", str(tmp_path / "missing")]) == 2


def test_a_report_written_before_identities_gets_one_from_its_name(tmp_path: Path) -> None:
    old = make_report("smithalice_12345_678901_concat")
    for key in ("student", "submitted_at", "late", "lms"):
        del old[key]
    write_reports(tmp_path, [old])
    rebuild(tmp_path, Context("concat"))
    assert json.loads((tmp_path / f"{old['id']}.json").read_text())["student"]["id"] == "12345"


def test_merge_rebuilds_the_class_with_the_shards_settings(tmp_path: Path) -> None:
    from grader.course.merge import merge_dirs

    for number, ids in enumerate((["alice"], ["bob"]), start=1):
        shard = tmp_path / f"out-{number}"
        write_reports(shard, [make_report(i) for i in ids])
        (shard / "summary.json").write_text(json.dumps({"formats": ["json", "html", "moodle"], "seed": 5}))
        (shard / "overrides.csv").write_text("bob,+1,bonus\n", encoding="utf-8")
    merged = merge_dirs([tmp_path / "out-1", tmp_path / "out-2"], tmp_path / "final")
    assert sorted(e["id"] for e in merged.summary["submissions"]) == ["alice", "bob"]
    assert gradebook(tmp_path / "final")["bob"]["final_score"] == "11" and (tmp_path / "final" / "moodle-grades.csv").exists()
    (tmp_path / "out-2" / "overrides.csv").write_text("bob,+2,bonus\n", encoding="utf-8")
    with pytest.raises(UsageError, match="differs from the overrides.csv of another shard"):
        merge_dirs([tmp_path / "out-1", tmp_path / "out-2"], tmp_path / "final2")


def test_gradescope_layout_identities_reach_the_gradebook(tmp_path: Path) -> None:
    export = tmp_path / "assignment_4242_export"
    shutil.copytree(DATA / "gradescope", export)
    from grader.intake.identity import IdentityReader

    reader = IdentityReader()
    reports = []
    for sid in ("submission_900001", "submission_900002"):
        (export / sid).mkdir()
        report = make_report(sid, folder=str(export))
        report.update(reader(export / sid).to_report())
        reports.append(report)
    write_reports(tmp_path / "out", reports)
    (tmp_path / "late.toml").write_text('due = 2026-03-01T23:59:00-05:00\npenalty_per_day = "10%"\n', encoding="utf-8")
    install_settings(tmp_path / "out", late_policy=tmp_path / "late.toml")
    rebuild(tmp_path / "out", Context("concat", ("json", "moodle")))
    book = gradebook(tmp_path / "out")
    assert (book["submission_900001"]["final_score"], book["submission_900001"]["submitted_at"]) == (
        "10", "2026-03-01T23:41:07.201483-05:00")
    assert book["submission_900002"]["final_score"] == "8"  # 1 d 9 h 16 min late: two started days, 10% each
    rows = list(csv.DictReader((tmp_path / "out" / "moodle-grades.csv").open(encoding="utf-8")))
    assert [(r["Email address"], r["A block that concatenates two blocks"]) for r in rows] == [
        ("alice.smith@example.edu", "10"), ("joerg.mueller@example.edu", "8"),
        ("sean.oconnor@example.edu", "8")]  # a group's grade goes to each member
