"""Grading day end to end from the command line, on classes laid out as Canvas, Moodle and Gradescope
download them: identities, LMS gradebook files, overrides and the late policy, regrading one student,
similar work, feedback to send, and file modes a teaching assistant's group can read."""
from __future__ import annotations

import csv
import io
import json
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "lms"
SOLUTION = ROOT / "solutions" / "concat" / "solution.py"
PARTLY_WRONG = ROOT / "examples" / "submissions" / "concat" / "bob_partly_wrong.py"  # 9 of 10: ignores axis
NOTEBOOK = ROOT / "examples" / "submissions" / "concat" / "carol_notebook.ipynb"
SYNTAX_ERROR = ROOT / "examples" / "submissions" / "concat" / "dana_syntax_error.py"


def grader(*args: str, umask: int = 0o022) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                          timeout=600, umask=umask)


def rows(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    return list(csv.DictReader(path.open(encoding=encoding, newline="")))


def test_a_canvas_class_from_download_to_lms_import_and_feedback(tmp_path: Path) -> None:
    canvas = tmp_path / "submissions"
    canvas.mkdir()
    shutil.copy(SOLUTION, canvas / "smithalice_12345_678901_concat.py")
    shutil.copy(PARTLY_WRONG, canvas / "oconnorsean_LATE_23456_789012_concat-1.py")  # late, resubmitted
    shutil.copy(NOTEBOOK, canvas / "mullerjorg_34567_890123_concat.ipynb")
    shutil.copy(SYNTAX_ERROR, canvas / "cmdcalca0_45678_901234_concat.py")
    shutil.copy(SOLUTION, canvas / "doejohn_56789_901235_concat.py")  # byte for byte alice's
    (tmp_path / "late.toml").write_text('due = 2026-03-01T23:59:00-05:00\npenalty_per_day = "10%"\n'
                                        'cap = "50%"\n', encoding="utf-8")
    out = tmp_path / "out"
    done = grader("grade", "concat", canvas, "--out", out, "--jobs", "2", "--seed", "7", "--quiet",
                  "--format", "json,html,canvas,feedback", "--roster", DATA / "canvas" / "gradebook-export.csv",
                  "--late-policy", tmp_path / "late.toml", "--lms-title", "Homework 4: concat", "--lms-id", "70001",
                  umask=0o027)
    assert done.returncode == 0, done.stderr
    assert "5 submission(s): 5 graded, 0 unchanged" in done.stdout

    grades = rows(out / "canvas-grades.csv", "utf-8-sig")
    assert list(grades[0]) == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Homework 4: concat (70001)"]
    score = {r["ID"]: r["Homework 4: concat (70001)"] for r in grades}
    assert score == {"12345": "10", "23456": "8", "34567": "10", "45678": "0", "56789": "10"}  # late: 9 - 1
    assert not (out / "canvas-grades.csv").read_text(encoding="utf-8-sig").count("Points Possible")  # an existing column
    assert {r["ID"]: r["Student"] for r in grades}["45678"] == "'=cmd|' /C calc'!A0"  # roster name, made safe
    sean = json.loads((out / "oconnorsean_LATE_23456_789012_concat-1.json").read_text())
    assert (sean["student"]["name"], sean["student"]["login"], sean["late"], sean["submitted_at"]) == (
        "O'Connor, Seán", "soconnor", True, "unknown")  # Canvas gives no time; the file's mtime is not one
    assert "least penalty for late work" in (out / "oconnorsean_LATE_23456_789012_concat-1.report.html").read_text()

    similar = json.loads((out / "similarity.json").read_text())
    assert [(p["a"], p["b"], p["identical"]) for p in similar["pairs"] if p["flagged"]] == [
        ("doejohn_56789_901235_concat", "smithalice_12345_678901_concat", True)]
    assert 'id="similarity"' in (out / "index.html").read_text()

    bulk = zipfile.ZipFile(io.BytesIO((out / "feedback" / "canvas-feedback.zip").read_bytes()))
    assert "oconnorsean_23456_789012_feedback.html" in bulk.namelist() and len(bulk.namelist()) == 5
    page = bulk.read("oconnorsean_23456_789012_feedback.html").decode()
    assert str(canvas) not in page and "seed" not in page.lower() and "Score" in page
    for path in [p for p in out.rglob("*") if p.is_file()]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o640, path  # the group (a TA) may read, others not

    (tmp_path / "overrides.csv").write_text("id,points,reason,by\ncmdcalca0_45678_901234_concat,=6,fixed a typo "
                                            "in line 5 by hand: the rest was right,Prof. Lee\n", encoding="utf-8")
    done = grader("report", out, "--overrides", tmp_path / "overrides.csv")
    assert done.returncode == 0, done.stderr
    assert {r["ID"]: r["Homework 4: concat (70001)"] for r in rows(out / "canvas-grades.csv", "utf-8-sig")}[
        "45678"] == "6"

    shutil.copy(SOLUTION, canvas / "oconnorsean_LATE_23456_789012_concat-1.py")  # regrade request, fixed
    done = grader("grade", "concat", canvas / "oconnorsean_LATE_23456_789012_concat-1.py", "--out", out, "--force",
                  "--quiet")
    assert done.returncode == 0, done.stderr
    assert "1 submission(s): 1 graded" in done.stdout and "the class: 5 report(s)" in done.stdout
    score = {r["ID"]: r["Homework 4: concat (70001)"] for r in rows(out / "canvas-grades.csv", "utf-8-sig")}
    assert score == {"12345": "10", "23456": "9", "34567": "10", "45678": "6", "56789": "10"}  # the class kept

    bad = tmp_path / "bad.csv"
    bad.write_text("id,points,reason\ncmdcalca0_45678_901234_concat,6,no sign\n", encoding="utf-8")
    done = grader("grade", "concat", canvas, "--out", out, "--overrides", bad)
    assert done.returncode == 2 and f"Error: {bad} line 2: points '6' is not a change like +1" in done.stderr


def test_a_moodle_class_gets_its_worksheet_and_feedback_zip(tmp_path: Path) -> None:
    moodle = tmp_path / "moodle"
    for name, source in (("Alice Smith_1023_assignsubmission_file_", SOLUTION),
                         ("Seán O'Connor_1024_assignsubmission_file_", PARTLY_WRONG)):
        (moodle / name).mkdir(parents=True)
        shutil.copy(source, moodle / name / "concat.py")
    out = tmp_path / "out"
    done = grader("grade", "concat", moodle, "--out", out, "--jobs", "1", "--seed", "3", "--quiet",
                  "--format", "moodle,feedback", "--roster", DATA / "moodle" / "grading-worksheet.csv")
    assert done.returncode == 0, done.stderr
    sheet = rows(out / "moodle-worksheet.csv")
    assert [(r["Identifier"], r["Full name"]) for r in sheet] == [("Participant 1023", "Alice Smith"),
                                                                   ("Participant 1024", "Seán O'Connor")]
    assert sheet[0]["Grade"] == "10" and float(sheet[1]["Grade"]) < 10 and sheet[0]["Last modified (grade)"]
    book = rows(out / "moodle-grades.csv")
    assert [r["Email address"] for r in book] == ["alice.smith@example.edu", "sean.oconnor@example.edu"]
    bulk = zipfile.ZipFile(io.BytesIO((out / "feedback" / "moodle-feedback.zip").read_bytes()))
    assert bulk.namelist() == ["Alice Smith_1023_assignfeedback_file_feedback.html",
                               "Seán O'Connor_1024_assignfeedback_file_feedback.html"]


def test_a_gradescope_export_knows_when_work_was_submitted(tmp_path: Path) -> None:
    export = tmp_path / "assignment_4242_export"
    export.mkdir()
    shutil.copy(DATA / "gradescope" / "submission_metadata.yml", export)
    for sid, source in (("submission_900001", SOLUTION), ("submission_900002", SOLUTION)):
        (export / sid).mkdir()
        shutil.copy(source, export / sid / "concat.py")
    (tmp_path / "late.toml").write_text('due = 2026-03-01T23:59:00-05:00\ngrace_minutes = 10\n'
                                        'penalty_per_day = "10%"\n', encoding="utf-8")
    out = tmp_path / "out"
    done = grader("grade", "concat", export, "--out", out, "--jobs", "1", "--seed", "3", "--quiet",
                  "--late-policy", tmp_path / "late.toml", "--format", "json,html,blackboard")
    assert done.returncode == 0, done.stderr
    book = {r["id"]: r for r in rows(out / "gradebook.csv")}
    assert sorted(book) == ["submission_900001", "submission_900002"]  # the metadata file is not a submission
    assert (book["submission_900001"]["final_score"], book["submission_900002"]["final_score"]) == ("10", "8")
    assert book["submission_900002"]["submitted_at"] == "2026-03-03T09:15:00-05:00"
    group = json.loads((out / "submission_900002.json").read_text())
    assert [m["name"] for m in group["group"]] == ["Jörg Müller"]
    assert "blackboard-grades.csv: no username" in done.stderr  # Gradescope knows no LMS username: said, not guessed
