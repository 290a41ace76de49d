"""The class list (`--roster FILE`): who is in the course, with the ids each LMS import needs.

The dependable roster is the course's own gradebook export, so these are read as they come:
- Canvas (Grades > Export): `Student, ID, SIS User ID, SIS Login ID, Section, ...`, with a
  "Points Possible" row under the header and "Student, Test" among the students;
- Moodle (Grades > Export > Plain text): `First name, Last name, ID number, Institution,
  Department, Email address, ...`; or the assignment's grading worksheet (`Identifier` =
  "Participant N", `Full name`, `Email address`), which carries the download's participant ids;
- Blackboard (Work Offline > Download): `Last Name, First Name, Username, Student ID, ...`,
  often tab-separated UTF-16;
- Gradescope (Roster > Download): `Name` or `First Name, Last Name`, `SID`, `Email`, `Section`;
- or any CSV with columns `name, id, login, sis_id, email, section`.
Header names are matched case-insensitively; other columns are ignored.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import UsageError
from grader.intake.identity import Identity, Student

MAX_BYTES = 20 * 1024 * 1024
# Roster field <- the header names the platforms' exports use for it.
COLUMNS = {
    "name": ("student", "name", "full name", "student name", "display name"),
    "first": ("first name", "firstname", "given name"),
    "last": ("last name", "lastname", "surname", "family name"),
    "id": ("id", "user id", "canvas user id", "userid"),
    "sis_id": ("sis user id", "id number", "idnumber", "student id", "sid", "sis_id", "student number"),
    "login": ("sis login id", "login id", "username", "user name", "login", "netid"),
    "email": ("email", "email address", "e-mail", "e-mail address"),
    "section": ("section", "sections", "group", "groups"),
    "participant": ("identifier",),
}
IDENTITY_FIELDS = ("id", "sis_id", "login", "email", "participant", "name", "first", "last")
_SKIP_NAMES = ("points possible", "student, test", "test student")


@dataclass(frozen=True)
class Member:
    """One roster row: the student, and the Moodle participant id when the worksheet gave it."""

    student: Student
    line: int
    participant: str | None = None
    first: str | None = None
    last: str | None = None


@dataclass
class Roster:
    """The class list with an index per key; `match` finds a download's student in it."""

    members: list[Member]
    source: str = "roster"
    _index: dict[str, dict[str, list[Member]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for member in self.members:
            for kind, key in _keys(member):
                self._index.setdefault(kind, {}).setdefault(key, []).append(member)

    def match(self, identity: Identity) -> Member | None:
        """The roster row for this download: by LMS user id, participant id, email, SIS id or login, then
        by name when exactly one row has it; None when nothing (or more than one row) matches."""
        lms, student = identity.lms, identity.student
        tries = [("id", lms.get("user_id") or student.id), ("participant", lms.get("participant_id")),
                 ("email", _fold(student.email)), ("sis_id", student.sis_id), ("login", _fold(student.login))]
        tries += [("name", key) for key in _name_keys(student.name)]
        stem = lms.get("file_stem")
        if stem and not student.name:  # files named by their students: `asmith.py`, `alice/`, `S001.ipynb`
            tries += [("login", _fold(stem)), ("sis_id", stem), ("id", stem), ("email_user", _fold(stem))]
            tries += [("name", key) for key in _name_keys(stem)]
        for kind, key in tries:
            rows = self._index.get(kind, {}).get(key or "", [])
            if len({id(r) for r in rows}) == 1:
                return rows[0]
        return None


def read_settings_file(path: Path, what: str, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a file the instructor gave (a roster, overrides, a late policy), at most `max_bytes`;
    a file that cannot be read or is too large is a usage error that names it."""
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise UsageError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise UsageError(f"the {what} {path} is over {max_bytes // 2**20} MB; is it the right file?")
    return data


def load_roster(path: Path) -> Roster:
    """Read a roster CSV; a file that is not one gets a usage error naming what is wrong and where."""
    data = read_settings_file(path, "roster")
    rows = list(csv.reader(io.StringIO(_decode(data, path)), dialect=_dialect(_decode(data, path))))
    if not rows:
        raise UsageError(f"the roster {path} is empty")
    columns = _columns(rows[0], path)
    members, seen = [], {}
    for number, row in enumerate(rows[1:], start=2):
        member = _member(row, columns, number)
        if member is None:
            continue
        for kind, key in _keys(member, unique_only=True):
            if (kind, key) in seen:
                raise UsageError(f"{path} line {number}: {kind.replace('_', ' ')} {key!r} is already on line "
                                 f"{seen[kind, key]}; each student once, please")
            seen[kind, key] = number
        members.append(member)
    return Roster(members, source=path.name)


def _decode(data: bytes, path: Path) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Blackboard's tab-separated download, Excel's "Unicode text"
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows


def _dialect(text: str) -> type[csv.Dialect]:
    header = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header.count)

    class Roster(csv.excel):
        pass

    Roster.delimiter = delimiter
    return Roster


def _columns(header: list[str], path: Path) -> dict[str, int]:
    wanted = {name: kind for kind, names in COLUMNS.items() for name in names}
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        kind = wanted.get(" ".join(title.strip().strip('"').lower().replace("_", " ").split()))
        if kind and kind not in columns:
            columns[kind] = index
    if not any(kind in columns for kind in IDENTITY_FIELDS):
        raise UsageError(f"{path} line 1: no column names a student; expected one of: ID, SIS User ID, "
                         "SIS Login ID, Username, Email, Student, Name, ID number (a course gradebook export works)")
    return columns


def _member(row: list[str], columns: dict[str, int], line: int) -> Member | None:
    def cell(kind: str) -> str | None:
        index = columns.get(kind)
        value = row[index].strip() if index is not None and index < len(row) else ""
        return value or None

    name, first, last = cell("name"), cell("first"), cell("last")
    if not any(row) or (name or "").lower().startswith(_SKIP_NAMES):
        return None  # a blank line, Canvas' "Points Possible" row or its test student
    if name is None and (first or last):
        name = " ".join(part for part in (first, last) if part)
    participant = cell("participant")
    if participant:
        participant = "".join(ch for ch in participant if ch.isdigit()) or None  # "Participant 123456"
    student = Student(name=name, id=cell("id"), login=cell("login"), sis_id=cell("sis_id"), email=cell("email"),
                      section=cell("section"), source="roster")
    if not any((student.name, student.id, student.login, student.sis_id, student.email, participant)):
        return None
    return Member(student, line, participant, first, last)


def _keys(member: Member, unique_only: bool = False) -> list[tuple[str, str]]:
    student = member.student
    keys = [("id", student.id), ("participant", member.participant), ("email", _fold(student.email)),
            ("sis_id", student.sis_id), ("login", _fold(student.login))]
    found = [(kind, key) for kind, key in keys if key]
    if unique_only:
        return found  # two students may share a name, never an id
    if student.email and "@" in student.email:
        found.append(("email_user", _fold(student.email.split("@", 1)[0]) or ""))
    names = {key for text in _name_texts(member) for key in _name_keys(text)}
    return found + [("name", key) for key in sorted(names)]


def _name_texts(member: Member) -> list[str]:
    texts = [member.student.name or ""]
    if member.first and member.last:
        texts += [f"{member.last} {member.first}", f"{member.first} {member.last}"]
    name = member.student.name or ""
    if "," in name:  # Canvas' "Last, First" -> also "First Last"
        last, first = name.split(",", 1)
        texts.append(f"{first} {last}")
    return texts


def _name_keys(name: str | None) -> list[str]:
    """`Smith, Alice` -> smithalice (Canvas' download prefix), and the same without accents."""
    if not name:
        return []
    key = "".join(ch for ch in name.casefold() if ch.isalnum())
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", key) if not unicodedata.combining(ch))
    return [k for k in dict.fromkeys((key, plain)) if k]


def _fold(text: str | None) -> str | None:
    return text.strip().casefold() if text else None
