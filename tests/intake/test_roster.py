"""Tests for grader.intake.roster: class lists as the LMS gradebook exports write them, and matching."""
from __future__ import annotations

from pathlib import Path

import pytest

from grader.errors import UsageError
from grader.intake.identity import Student, from_name, gradescope_metadata
from grader.intake.roster import load_roster

LMS = Path(__file__).resolve().parents[1] / "data" / "lms"


def test_a_canvas_gradebook_export_is_a_roster() -> None:
    roster = load_roster(LMS / "canvas" / "gradebook-export.csv")
    names = [m.student.name for m in roster.members]
    assert names == ['Smith, Alice "Ally"', "O'Connor, Seán", "Müller, Jörg", "=cmd|' /C calc'!A0"]  # no test student
    assert roster.members[2].student == Student(name="Müller, Jörg", id="34567", login="jmuller", sis_id="S003",
                                                section="Section B, evening", source="roster")


@pytest.mark.parametrize("download, expected", [
    ("smithalice_12345_678901_concat.py", 'Smith, Alice "Ally"'),  # by Canvas user id
    ("oconnorsean_LATE_99999999_789012_concat.py", "O'Connor, Seán"),  # id unknown: by name, accents folded
    ("mullerjorg_88888888_890123_concat.py", "Müller, Jörg"),
])
def test_canvas_downloads_match_by_id_then_by_name(download: str, expected: str) -> None:
    roster = load_roster(LMS / "canvas" / "gradebook-export.csv")
    member = roster.match(from_name(download))
    assert member is not None and member.student.name == expected


def test_the_moodle_worksheet_matches_downloads_by_participant_id() -> None:
    roster = load_roster(LMS / "moodle" / "grading-worksheet.csv")
    member = roster.match(from_name("Seán O'Connor_1024_assignsubmission_file_"))
    assert member is not None and member.participant == "1024"
    assert member.student.email == "sean.oconnor@example.edu"
    renamed = roster.match(from_name("Alice Smith-Jones_1023_assignsubmission_file_"))  # name changed since
    assert renamed is not None and renamed.student.name == "Alice Smith"


def test_a_moodle_export_with_first_and_last_names_matches_full_names(tmp_path: Path) -> None:
    path = tmp_path / "moodle-export.csv"
    path.write_text('"First name","Last name","ID number",Institution,Department,"Email address","Assignment: '
                    'concat (Real)"\nJörg,Müller,S003,,,joerg.mueller@example.edu,-\n', encoding="utf-8")
    member = load_roster(path).match(from_name("Jörg Müller_1025_assignsubmission_file_"))
    assert member is not None and (member.student.sis_id, member.student.email) == ("S003", "joerg.mueller@example.edu")


def test_a_gradescope_roster_matches_metadata_by_email(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("First Name,Last Name,SID,Email,Role,Sections\nAlice,Smith,S001,Alice.Smith@Example.edu,Student,"
                    "Lab 2\n", encoding="utf-8")
    metadata = gradescope_metadata(LMS / "gradescope")
    member = load_roster(path).match(metadata["submission_900001"])
    assert member is not None and member.student.section == "Lab 2"  # emails compared without case


def test_a_blackboard_download_utf16_with_tabs_is_a_roster(tmp_path: Path) -> None:
    path = tmp_path / "gc_download.xls"
    text = '"Last Name"\t"First Name"\t"Username"\t"Student ID"\t"Last Access"\n"Müller"\t"Jörg"\t"jmuller"\t"S003"\t""\n'
    path.write_bytes(text.encode("utf-16"))
    (member,) = load_roster(path).members
    assert (member.student.name, member.student.login, member.student.sis_id) == ("Jörg Müller", "jmuller", "S003")


def test_a_name_two_students_share_matches_neither(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("name,email\nAlex Kim,a1@example.edu\nAlex Kim,a2@example.edu\n", encoding="utf-8")
    assert load_roster(path).match(from_name("Alex Kim_77_assignsubmission_file_")) is None


@pytest.mark.parametrize("text, message", [
    ("", "is empty"),
    ("grade,comment\n9,good\n", "line 1: no column names a student"),
    ("ID,Student\n1,Ann\n1,Bob\n", "line 3: id '1' is already on line 2"),
    ("Email,Name\nann@x.edu,Ann\nANN@X.EDU,Ann B\n", "line 3: email 'ann@x.edu' is already on line 2"),
])
def test_a_file_that_is_not_a_roster_is_a_usage_error_naming_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        load_roster(path)


def test_an_excel_csv_in_windows_encoding_and_semicolons_reads(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes("Name;Email\nJörg Müller;jm@example.edu\n".encode("cp1252"))
    assert load_roster(path).members[0].student.name == "Jörg Müller"


@pytest.mark.parametrize("file_name", ["asmith.py", "S001.ipynb", "alice.smith/", "Alice Smith.py", "12345.py"])
def test_files_named_by_their_students_match_a_roster(file_name: str) -> None:
    roster = load_roster(LMS / "canvas" / "gradebook-export.csv")
    roster.members[0] = type(roster.members[0])(
        Student(name="Smith, Alice", id="12345", login="asmith", sis_id="S001", email="alice.smith@example.edu"), 2)
    roster = type(roster)(roster.members)
    member = roster.match(from_name(file_name.rstrip("/")))
    assert member is not None and member.student.login == "asmith"
    assert roster.match(from_name("concat.py")) is None
