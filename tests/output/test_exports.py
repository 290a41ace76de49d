"""Tests for grader.output.exports: the gradebook files Canvas, Moodle and Blackboard import.

Each written file is compared byte for byte with a sample written by hand from the platform's
documented import format (tests/data/lms/expected/, see its README), for a class whose names
carry commas, quotes and non-ASCII letters and one student named like a spreadsheet formula.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from pathlib import Path

import pytest

from grader.intake.identity import Student
from grader.output.exports import Column, Grade, duplicates, per_student, safe_cell, write_exports

EXPECTED = Path(__file__).resolve().parents[1] / "data" / "lms" / "expected"
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def student(name: str, number: int, login: str, email: str, section: str) -> Student:
    return Student(name=name, id=str(12345 + 11111 * number), sis_id=f"S00{number + 1}", login=login, email=email,
                   section=section, source="canvas download + roster")


ALICE = student('Smith, Alice "Ally"', 0, "asmith", "alice.smith@example.edu", "Section A")
SEAN = student("O'Connor, Seán", 1, "soconnor", "sean.oconnor@example.edu", "Section A")
JOERG = student("Müller, Jörg", 2, "jmuller", "joerg.mueller@example.edu", "Section B, evening")
MALLORY = student("=cmd|' /C calc'!A0", 3, "@mallory", "+mallory@example.edu", "-B")


def the_class() -> list[Grade]:
    return [
        Grade("smithalice_12345_678901_concat", (ALICE,), 10.0, 10.0, participant_id="1023"),
        Grade("oconnorsean_LATE_23456_789012_concat-1", (SEAN,), 8.0, 10.0, participant_id="1024",
              note="-1 (late): late: marked late"),
        Grade("mullerjorg_34567_890123_concat", (JOERG,), None, 10.0, participant_id="1025"),  # held for review
        Grade("mallory", (MALLORY,), 0.0, 10.0, participant_id="1026"),  # could not be graded
        Grade("stray", (), 5.0, 10.0),  # a file whose name says nothing: no row anywhere, and listed
    ]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("exports")
    result = write_exports(out, ["canvas", "moodle", "blackboard"], the_class(),
                           Column("Homework 4: concat", "70001"), now=NOW)
    return out, result


@pytest.mark.parametrize("name", ["canvas-grades.csv", "moodle-grades.csv", "moodle-worksheet.csv"])
def test_files_match_the_documented_samples(written, name: str) -> None:
    out, result = written
    assert name in result.files
    assert (out / name).read_bytes() == (EXPECTED / name).read_bytes()


def test_blackboard_matches_its_sample_with_the_column_id(tmp_path: Path) -> None:
    write_exports(tmp_path, ["blackboard"], the_class(), Column("Homework 4: concat", "2750"))
    assert (tmp_path / "blackboard-grades.csv").read_bytes() == (EXPECTED / "blackboard-grades.csv").read_bytes()


def test_held_work_and_submissions_without_an_identity_are_left_out_and_listed(written) -> None:
    _, result = written
    held = "held for review: nothing is imported until an override sets its score"
    assert result.left_out == {
        f"canvas-grades.csv: {held}": ["mullerjorg_34567_890123_concat"],
        "canvas-grades.csv: no Canvas ID, SIS User ID or name (add --roster)": ["stray"],
        f"moodle-grades.csv: {held}": ["mullerjorg_34567_890123_concat"],
        "moodle-grades.csv: no email address (add --roster)": ["stray"],
        f"blackboard-grades.csv: {held}": ["mullerjorg_34567_890123_concat"],
        "blackboard-grades.csv: no username (add --roster with a Username column)": ["stray"],
    }
    assert result.lines()[0] == "canvas-grades.csv: no Canvas ID, SIS User ID or name (add --roster); left out: stray"


def test_a_new_canvas_column_gets_its_points_and_moodle_offers_only_complete_id_columns(tmp_path: Path) -> None:
    partial = Grade("x", (Student(name="Kim, Lee", email="lee.kim@example.edu"),), 4.0, 10.0)
    write_exports(tmp_path, ["canvas", "moodle"], [*the_class()[:2], partial], Column("concat"))
    canvas = (tmp_path / "canvas-grades.csv").read_text(encoding="utf-8-sig").splitlines()
    assert canvas[:2] == ["Student,ID,SIS User ID,SIS Login ID,Section,concat", "    Points Possible,,,,,10"]
    moodle = (tmp_path / "moodle-grades.csv").read_text().splitlines()
    assert moodle[0] == "First name,Last name,Email address,concat"  # Kim has no ID number or username
    assert moodle[1] == "Lee,Kim,lee.kim@example.edu,4"


def test_every_file_reads_back_with_a_csv_reader_and_no_cell_is_a_formula(written) -> None:
    out, _ = written
    for path in sorted(out.glob("*.csv")):
        text = path.read_bytes().decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert len({len(r) for r in rows}) == 1, path.name  # RFC 4180: every row has the header's cells
        cells = [cell for row in rows for cell in row]
        assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))], path.name
        assert "Seán" in text  # UTF-8, not mangled
    assert "Müller" in (out / "moodle-worksheet.csv").read_text(encoding="utf-8")  # held: its grade empty


@pytest.mark.parametrize("text, expected", [
    ("=1+1", "'=1+1"), ("+49 170", "'+49 170"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("Smith, Alice", "Smith, Alice"), ("", ""), (None, ""), ("a=b", "a=b"),
])
def test_safe_cell(text, expected) -> None:
    assert safe_cell(text) == expected


def test_a_blackboard_column_without_id_is_still_written_and_canvas_without_id_matches_by_title(tmp_path: Path) -> None:
    write_exports(tmp_path, ["canvas", "blackboard"], the_class()[:1], Column("concat"))
    assert (tmp_path / "canvas-grades.csv").read_text(encoding="utf-8-sig").splitlines()[0].endswith(",concat")
    assert "Points Possible" not in (EXPECTED / "canvas-grades.csv").read_text(encoding="utf-8-sig")  # with an id
    assert (tmp_path / "blackboard-grades.csv").read_text().splitlines()[0].endswith('"concat [Total Pts: 10 Score]"')


def test_a_group_submission_gives_each_member_a_row_and_a_student_twice_keeps_the_best() -> None:
    group = Grade("team", (ALICE, SEAN), 7.0, 10.0)
    notes = Grade("smithalice_12345_678902_notes", (ALICE,), 0.0, 10.0)  # Canvas lists each uploaded file
    rows = per_student([group, notes])
    assert [(s.name, g.submission_id, g.final) for s, g in rows] == [
        ("O'Connor, Seán", "team", 7.0), ('Smith, Alice "Ally"', "team", 7.0)]
    assert duplicates([group, notes]) == {'Smith, Alice "Ally"': ["smithalice_12345_678902_notes", "team"]}
