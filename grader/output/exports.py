"""Gradebook files an LMS imports (`--format canvas,moodle,blackboard`), one row per student.

What each import reads, and what it does with what it reads (checked in the platforms' source):
- Canvas, Grades > Import: a student identity (`Student` name, `ID` or `SIS User ID`), the
  `SIS Login ID` and `Section` columns (may be empty), then one column per assignment titled
  `Title` or `Title (assignment id)`. Sources: Ohio State's guide "Import a CSV file into Carmen
  Grades" (teaching.resources.osu.edu: four required parts, name or ID or SIS User ID; SIS
  Login ID; Section; the assignment) and Canvas' `GradebookImporter` (app/models): it finds a
  student by `ID`, then SIS ids, then name; it reads a "Points Possible" row's value as the
  column's points, so that row is written only for a new column (no `--lms-id`); and it counts
  an empty cell over an existing score as a change to no score. Canvas' own export starts with
  a UTF-8 byte-order mark when the user turns on "Include Byte-Order Mark in Gradebook Exports"
  (`lib/csv_with_i18n.rb`): written here so Excel reads the names right.
- Moodle, Grades > Import > CSV file: the teacher maps one identity column (user id, username,
  email address or ID number) and the grade item (`grade/import/csv/classes/load_data.php`):
  an empty grade is imported as "no grade", and a row whose identity cell is blank gets its
  grade given to the previous row's student. So every row has an email address, and `ID
  number` and `Username` are columns only when every row has one. When the download named
  its participant ids, also the assignment's grading worksheet (Assignment > Upload grading
  worksheet, `assignfeedback_offline`): `Identifier` = "Participant N", `Grade` and `Last
  modified (grade)` are needed, an empty grade is skipped, and there is no feedback column
  here (an empty one would overwrite comments).
- Blackboard Learn, Grade Center > Work Offline > Upload: `Username` is the key; an existing
  column is matched by its id in `Title [Total Pts: N Score] |<column id>` (without the id a
  new text column worth 0 points is made); comma-separated files have every value in quotes
  (Blackboard's help, "Uploading or Downloading Grade Center Items for Working Offline",
  library.blackboard.com).

Every file is RFC 4180 (CRLF, quotes doubled) UTF-8, and every text cell is safe for
spreadsheets: one starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading
`'`, so Excel or LibreOffice shows it instead of running it (OWASP "CSV injection"). Scores
are numbers. Work held for review is imported nowhere until an override sets its score: it is
left out of the gradebook files (an empty cell would clear a grade already in the LMS) and its
worksheet grade is empty (skipped). Work that could not be graded exports 0.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar

from grader.intake.identity import Student
from grader.output.report import write_atomic

LMS_FORMATS = ("canvas", "moodle", "blackboard")
Row = TypeVar("Row")
FILES = {"canvas": ("canvas-grades.csv",), "moodle": ("moodle-grades.csv", "moodle-worksheet.csv"),
         "blackboard": ("blackboard-grades.csv",)}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


@dataclass(frozen=True)
class Grade:
    """One submission's row material: who (one or more students), the final score and why."""

    submission_id: str
    students: tuple[Student, ...]
    final: float | None  # None: nothing to import (held for review)
    max_score: float
    participant_id: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Column:
    """The assignment's column in the LMS: its title and, where known, its id there."""

    title: str
    lms_id: str | None = None


@dataclass
class Written:
    """The files written and the submissions that could not go in them: {"file: why": [ids]}."""

    files: list[str] = field(default_factory=list)
    left_out: dict[str, list[str]] = field(default_factory=dict)

    def leave_out(self, file: str, why: str, submission_id: str) -> None:
        self.left_out.setdefault(f"{file}: {why}", []).append(submission_id)

    def lines(self) -> list[str]:
        """One line per reason, for the terminal."""
        return [f"{where}; left out: {', '.join(ids[:10])}{f' and {len(ids) - 10} more' if len(ids) > 10 else ''}"
                for where, ids in self.left_out.items()]


def safe_cell(value: object) -> str:
    """A text cell no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def score_cell(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def write_exports(out: Path, formats: Iterable[str], grades: list[Grade], column: Column,
                  now: datetime | None = None) -> Written:
    """Write the import file(s) of each LMS format asked for into `out`."""
    written = Written()
    people = per_student(grades)
    for name in formats:
        if name == "canvas":
            _canvas(out, people, column, written)
        elif name == "moodle":
            _moodle(out, people, column, written, grades, now or datetime.now(timezone.utc))
        elif name == "blackboard":
            _blackboard(out, people, column, written)
    return written


def per_student(grades: list[Grade]) -> list[tuple[Student, Grade]]:
    """One row per person: a group submission's grade goes to each member; a student with several
    submissions (Canvas lists each uploaded file) gets the best final score of them."""
    best: dict[str, tuple[Student, Grade]] = {}
    for grade in sorted(grades, key=lambda g: g.submission_id):
        for student in grade.students or (Student(),):
            key = _person_key(student, grade)
            held = best.get(key)
            if held is None or _rank(grade) > _rank(held[1]):
                best[key] = (student, grade)
    return sorted(best.values(), key=lambda pair: (pair[0].name or "", pair[1].submission_id))


def duplicates(grades: list[Grade]) -> dict[str, list[str]]:
    """Students with more than one submission: {who: [submission ids]} (the exports keep the best)."""
    seen: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for grade in grades:
        for student in grade.students:
            key = _person_key(student, grade)
            seen.setdefault(key, []).append(grade.submission_id)
            names[key] = student.name or student.login or student.email or key
    return {names[k]: sorted(v) for k, v in seen.items() if len(v) > 1}


def _person_key(student: Student, grade: Grade) -> str:
    for prefix, value in (("id", student.id), ("email", student.email), ("sis", student.sis_id),
                          ("login", student.login), ("participant", grade.participant_id)):
        if value:
            return f"{prefix}:{value.casefold()}"
    return f"submission:{grade.submission_id}"


def _rank(grade: Grade) -> float:
    return -1.0 if grade.final is None else grade.final


def _csv(rows: list[list[str]], *, quote_all: bool = False, bom: bool = False) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL).writerows(rows)
    return (BOM if bom else "") + buffer.getvalue()


def _canvas(out: Path, people: list[tuple[Student, Grade]], column: Column, written: Written) -> None:
    title = f"{column.title} ({column.lms_id})" if column.lms_id else column.title
    rows = [[safe_cell(h) for h in ("Student", "ID", "SIS User ID", "SIS Login ID", "Section", title)]]
    if not column.lms_id:  # a new column: Canvas takes its points from this row (an existing one keeps its own)
        points = max((g.max_score for _, g in people), default=0.0)
        rows.append(["    Points Possible", "", "", "", "", score_cell(points)])
    rows += _rows(people, lambda s, g: bool(s.id or s.sis_id or s.name),
                  lambda s, g: [safe_cell(s.name), safe_cell(s.id), safe_cell(s.sis_id), safe_cell(s.login),
                                safe_cell(s.section), score_cell(g.final)],
                  written, FILES["canvas"][0], "no Canvas ID, SIS User ID or name (add --roster)")
    write_atomic(out / FILES["canvas"][0], _csv(rows, bom=True))
    written.files.append(FILES["canvas"][0])


def _moodle(out: Path, people: list[tuple[Student, Grade]], column: Column, written: Written,
            grades: list[Grade], now: datetime) -> None:
    exported = _rows(people, lambda s, g: bool(s.email) or (None if g.participant_id else False),
                     lambda s, g: (s, g), written, FILES["moodle"][0], "no email address (add --roster)")
    # A blank identity cell makes Moodle give that row's grade to the student of the row before
    # (`load_data::prepare_import_grade_data` keeps the last id), so a column is offered for the
    # mapping only when every row has it; the email address always is.
    optional = [(name, key) for name, key in (("ID number", "sis_id"), ("Username", "login"))
                if exported and all(getattr(s, key) for s, _ in exported)]
    rows = [[safe_cell(h) for h in ("First name", "Last name", "Email address", *(n for n, _ in optional),
                                    column.title)]]
    for student, grade in exported:
        first, last = _first_last(student.name)
        rows.append([safe_cell(first), safe_cell(last), safe_cell(student.email),
                     *(safe_cell(getattr(student, key)) for _, key in optional), score_cell(grade.final)])
    write_atomic(out / FILES["moodle"][0], _csv(rows))
    written.files.append(FILES["moodle"][0])
    worksheet = [g for g in grades if g.participant_id]
    if worksheet:
        stamp = now.astimezone(timezone.utc).isoformat(timespec="seconds")
        sheet = [["Identifier", "Full name", "Email address", "Grade", "Maximum Grade", "Last modified (grade)"]]
        for grade in sorted(worksheet, key=lambda g: int(g.participant_id or 0)):
            student = grade.students[0] if grade.students else Student()
            sheet.append([f"Participant {grade.participant_id}", safe_cell(student.name), safe_cell(student.email),
                          score_cell(grade.final), score_cell(grade.max_score), stamp])  # an empty grade is skipped
        write_atomic(out / FILES["moodle"][1], _csv(sheet))
        written.files.append(FILES["moodle"][1])


def _rows(people: list[tuple[Student, Grade]], keyed: Callable[[Student, Grade], bool | None],
          row: Callable[[Student, Grade], Row], written: Written, file: str, why: str) -> list[Row]:
    """A row per student the LMS can find (`keyed` true) with a final score; the others are listed as left
    out of `file`, unless `keyed` says None (they go in another file). Work held for review is left out,
    not written empty: Canvas and Moodle import an empty cell as "no grade", clearing one already there."""
    rows = []
    for student, grade in people:
        found = keyed(student, grade)
        if found and grade.final is None:
            written.leave_out(file, "held for review: nothing is imported until an override sets its score",
                              grade.submission_id)
        elif found:
            rows.append(row(student, grade))
        elif found is False:
            written.leave_out(file, why, grade.submission_id)
    return rows


def _first_last(name: str | None) -> tuple[str, str]:
    """Moodle's export splits first and last names; a roster's "Last, First" is split at the comma,
    a download's "Full Name" at the last space (a display guess: the import keys on the id columns)."""
    if not name:
        return "", ""
    if "," in name:
        last, first = name.split(",", 1)
        return first.strip(), last.strip()
    first, _, last = name.strip().rpartition(" ")
    return (first, last) if first else (last, "")


def _blackboard(out: Path, people: list[tuple[Student, Grade]], column: Column, written: Written) -> None:
    points = max((g.max_score for _, g in people), default=0.0)
    title = f"{column.title} [Total Pts: {points:g} Score]"
    if column.lms_id:
        title += f" |{column.lms_id}"
    rows = [[safe_cell(h) for h in ("Last Name", "First Name", "Username", "Student ID", title)]]
    def row(student: Student, grade: Grade) -> list[str]:
        first, last = _first_last(student.name)
        return [safe_cell(last), safe_cell(first), safe_cell(student.login), safe_cell(student.sis_id),
                score_cell(grade.final)]

    rows += _rows(people, lambda s, g: bool(s.login), row, written, FILES["blackboard"][0],
                  "no username (add --roster with a Username column)")
    write_atomic(out / FILES["blackboard"][0], _csv(rows, quote_all=True))
    written.files.append(FILES["blackboard"][0])
