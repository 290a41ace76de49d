"""Tests for grader.intake.identity: who handed a submission in and when, from LMS download names."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.intake.identity import UNKNOWN, Identity, IdentityReader, Student, from_name, gradescope_metadata, merged

GRADESCOPE = Path(__file__).resolve().parents[1] / "data" / "lms" / "gradescope"


@pytest.mark.parametrize("name, student, late, lms", [
    ("smithalice_12345_678901_concat.py", ("smithalice", "12345"), False,
     {"platform": "canvas", "user_id": "12345", "attachment_id": "678901", "original_name": "concat.py",
      "download_name": "smithalice"}),
    ("oconnorsean_LATE_23456_789012_concat-1.py", ("oconnorsean", "23456"), True,  # resubmitted, late
     {"platform": "canvas", "user_id": "23456", "attachment_id": "789012", "original_name": "concat.py",
      "resubmission": "1", "download_name": "oconnorsean"}),
    ("müllerjörg_34567_890123_Concat Final (2).ipynb", ("müllerjörg", "34567"), False,
     {"platform": "canvas", "user_id": "34567", "attachment_id": "890123", "original_name": "Concat Final (2).ipynb",
      "download_name": "müllerjörg"}),
    ("smithalice_12345_678901_concat", ("smithalice", "12345"), False,  # the folder an instructor unzipped to
     {"platform": "canvas", "user_id": "12345", "attachment_id": "678901", "original_name": "concat",
      "download_name": "smithalice"}),
])
def test_canvas_download_names(name: str, student: tuple[str, str], late: bool, lms: dict[str, str]) -> None:
    found = from_name(name)
    assert (found.student.name, found.student.id, found.student.source) == (*student, "canvas download")
    assert found.late is late and found.lms == lms
    assert found.submitted_at == UNKNOWN  # Canvas' names hold no time


@pytest.mark.parametrize("name, full_name, participant, original", [
    ("Alice Smith_1023_assignsubmission_file_", "Alice Smith", "1023", None),  # a folder (Moodle 3.1+)
    ("Alice Smith_1023_assignsubmission_file", "Alice Smith", "1023", None),  # a folder (Moodle 4.1+)
    ("Seán O'Connor_1024_assignsubmission_file_concat.ipynb", "Seán O'Connor", "1024", "concat.ipynb"),
    ("Group A-Jörg Müller_1025_assignsubmission_onlinetext_", "Group A-Jörg Müller", "1025", None),
    ("Participant_1026_assignsubmission_file_concat.py", "Participant", "1026", "concat.py"),  # blind marking
])
def test_moodle_download_names(name: str, full_name: str, participant: str, original: str | None) -> None:
    found = from_name(name)
    assert (found.student.name, found.student.id, found.student.source) == (full_name, None, "moodle download")
    assert found.lms.get("participant_id") == participant and found.lms.get("original_name") == original
    assert found.late is None and found.submitted_at == UNKNOWN


@pytest.mark.parametrize("name, stem", [("alice.py", "alice"), ("concat.ipynb", "concat"), ("bob", "bob"),
                                        ("hw_final.py", "hw_final"), ("submission_900001", "submission_900001"),
                                        ("12345_678901.py", "12345_678901"), ("smith_alice_12345.py", "smith_alice_12345"),
                                        ("asmith.v2.py", "asmith.v2")])
def test_other_names_say_nothing_but_keep_the_name_for_a_roster(name: str, stem: str) -> None:
    assert from_name(name) == Identity(lms={"file_stem": stem})  # a roster may know it (a login, a name)


def test_gradescope_metadata_names_submitters_and_submission_times() -> None:
    found = gradescope_metadata(GRADESCOPE)
    assert sorted(found) == ["submission_900001", "submission_900002", "submission_900003"]
    alice = found["submission_900001"]
    assert alice.student == Student(name="Alice Smith", sis_id="S001", email="alice.smith@example.edu",
                                    source="gradescope metadata")
    assert alice.submitted_at == "2026-03-01T23:41:07.201483-05:00"
    assert alice.lms == {"platform": "gradescope", "submission_id": "900001"} and alice.late is None
    group = found["submission_900002"]
    assert group.student.name == "Seán O'Connor" and [m.name for m in group.group] == ["Jörg Müller"]
    assert group.submitted_at == "2026-03-03T09:15:00-05:00"  # the latest attempt's time, not the history's
    assert found["submission_900003"].student.name == "=cmd|' /C calc'!A0"  # kept as text; exports make it safe


def test_a_reader_uses_the_metadata_beside_the_folders_and_names_elsewhere(tmp_path: Path) -> None:
    export = tmp_path / "assignment_4242_export"
    shutil.copytree(GRADESCOPE, export)
    (export / "submission_900001").mkdir()
    reader = IdentityReader()
    assert reader(export / "submission_900001").student.email == "alice.smith@example.edu"
    assert reader(export / "submission_999999").student == Student()  # not in the metadata
    assert reader(tmp_path / "smithalice_12345_678901_concat.py").student.id == "12345"


@pytest.mark.parametrize("text", ["", "- just a list\n", ":submitters: [\n", "a: !!python/object/apply:os.system ['x']\n",
                                  "submission_1: {':created_at': 2026-03-01 10:00:00}\n"])
def test_broken_or_hostile_metadata_gives_no_identity_and_runs_nothing(tmp_path: Path, text: str) -> None:
    (tmp_path / "submission_metadata.yml").write_text(text, encoding="utf-8")
    found = gradescope_metadata(tmp_path)
    assert all(i.submitted_at == UNKNOWN for i in found.values())  # a time without a zone is not a time


def test_a_report_round_trips_its_identity() -> None:
    identity = from_name("oconnorsean_LATE_23456_789012_concat-1.py")
    assert Identity.from_report(identity.to_report()) == identity
    group = gradescope_metadata(GRADESCOPE)["submission_900002"]
    assert Identity.from_report(group.to_report()) == group


def test_the_roster_completes_a_download_identity() -> None:
    download = from_name("smithalice_12345_678901_concat.py")
    roster = Student(name="Smith, Alice", id="12345", login="asmith", sis_id="S001", section="A", source="roster")
    found = merged(download, roster)
    assert found.student == Student(name="Smith, Alice", id="12345", login="asmith", sis_id="S001", section="A",
                                    source="canvas download + roster")
    assert found.late is False and found.lms == download.lms
    assert merged(download, None) == download


def test_without_pyyaml_the_names_still_say_who(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "yaml", None)
    shutil.copy(GRADESCOPE / "submission_metadata.yml", tmp_path)
    assert gradescope_metadata(tmp_path) == {}
    assert IdentityReader()(tmp_path / "smithalice_12345_678901_concat.py").student.id == "12345"
