"""Who handed a submission in, and when: read from the names LMS bulk downloads give their files.

- Canvas ("Download Submissions"): `lastnamefirstname[_LATE]_<user id>_<attachment id>_<original name>`,
  where a student's re-upload of a same-named file gets `-1`, `-2` before the suffix
  (`concat-1.py`). Canvas' own re-upload of feedback files reads the first two all-digit parts
  of such a name as user id and attachment id (`Assignment#infer_comment_context_from_filename`).
- Moodle ("Download all submissions"): `Full Name_<participant id>_assignsubmission_file_<original
  name>`, or a folder `Full Name_<participant id>_assignsubmission_file[_]` per student (Moodle
  3.1+; `mod/assign/locallib.php` `download_submissions`, with `_` in names turned into spaces).
  The participant id is the assignment's own number for the student, not the Moodle user id.
- Gradescope ("Export Submissions"): a folder `submission_<id>/` per submission beside
  `submission_metadata.yml`, which maps each folder to its `:submitters:` (`:name:`, `:sid:`,
  `:email:`) and `:created_at:` (the submission time).

Nothing here trusts the file's modification time: a copy or an unzip sets it, so where the
download holds no time the submission time is "unknown".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

UNKNOWN = "unknown"
GRADESCOPE_METADATA = "submission_metadata.yml"
METADATA_MAX_BYTES = 20 * 1024 * 1024  # a class of thousands is a few MB; bound what we parse

_CANVAS = re.compile(r"(?P<name>[^_]+?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<attachment>\d+)(?:_(?P<original>.*))?",
                     re.DOTALL)
_MOODLE = re.compile(r"(?P<name>[^_]+)_(?P<participant>\d+)_assignsubmission_(?P<plugin>[a-z]+)(?:_(?P<original>.*))?",
                     re.DOTALL)
_GRADESCOPE = re.compile(r"submission_(?P<submission>\d+)")
_RESUBMITTED = re.compile(r"(?P<stem>.+)-(?P<n>\d+)(?P<suffix>\.[A-Za-z0-9]+)?")
STUDENT_KEYS = ("name", "id", "login", "sis_id", "email", "section", "source")


@dataclass(frozen=True)
class Student:
    """A person as the course's systems know them; any field may be unknown (None)."""

    name: str | None = None
    id: str | None = None  # the LMS user id (Canvas user id); not Moodle's per-assignment participant id
    login: str | None = None  # SIS login id, username
    sis_id: str | None = None  # SIS user id, Moodle ID number, Gradescope SID
    email: str | None = None
    section: str | None = None
    source: str = "file name"

    def to_dict(self) -> dict[str, str | None]:
        return {key: getattr(self, key) for key in STUDENT_KEYS}

    @classmethod
    def from_dict(cls, data: Any) -> Student:
        if not isinstance(data, dict):
            return cls()
        values = {k: (str(data[k]) if data.get(k) is not None else None) for k in STUDENT_KEYS if k != "source"}
        return cls(**values, source=str(data.get("source") or "file name"))


@dataclass(frozen=True)
class Identity:
    """What a submission's download says about it: who, when, late or not, and the LMS' own ids."""

    student: Student = field(default_factory=Student)
    submitted_at: str = UNKNOWN  # ISO 8601 with offset, or "unknown"
    late: bool | None = None  # None: the download does not say
    lms: dict[str, str] = field(default_factory=dict)  # platform, user_id, attachment_id, participant_id...
    group: tuple[Student, ...] = ()  # the other members of a group submission

    def to_report(self) -> dict[str, Any]:
        """The keys a report carries: `student`, `submitted_at`, `late`, `lms` (and `group` when there is one)."""
        out: dict[str, Any] = {"student": self.student.to_dict(), "submitted_at": self.submitted_at,
                               "late": self.late, "lms": dict(self.lms)}
        if self.group:
            out["group"] = [member.to_dict() for member in self.group]
        return out

    @classmethod
    def from_report(cls, report: dict[str, Any]) -> Identity:
        lms = report.get("lms") if isinstance(report.get("lms"), dict) else {}
        group = report.get("group") if isinstance(report.get("group"), list) else []
        late = report.get("late")
        return cls(student=Student.from_dict(report.get("student")),
                   submitted_at=str(report.get("submitted_at") or UNKNOWN),
                   late=late if isinstance(late, bool) else None,
                   lms={str(k): str(v) for k, v in lms.items()},
                   group=tuple(Student.from_dict(m) for m in group[:50]))


def from_name(name: str) -> Identity:
    """The identity a Canvas or Moodle download name holds (a file's or a folder's); empty for other names."""
    moodle = _MOODLE.fullmatch(name)
    if moodle:
        lms = {"platform": "moodle", "participant_id": moodle["participant"], "download_name": moodle["name"]}
        if moodle["original"]:
            lms["original_name"] = moodle["original"]
        return Identity(student=Student(name=moodle["name"].strip(), source="moodle download"), lms=lms)
    canvas = _CANVAS.fullmatch(name)
    if canvas:
        lms = {"platform": "canvas", "user_id": canvas["user"], "attachment_id": canvas["attachment"],
               "download_name": canvas["name"]}
        original = canvas["original"] or ""
        resubmitted = _RESUBMITTED.fullmatch(original)
        if resubmitted:  # Canvas renames a student's second upload of concat.py to concat-1.py
            lms["resubmission"] = resubmitted["n"]
            original = resubmitted["stem"] + (resubmitted["suffix"] or "")
        if original:
            lms["original_name"] = original
        student = Student(name=canvas["name"], id=canvas["user"], source="canvas download")
        return Identity(student=student, late=bool(canvas["late"]), lms=lms)
    stem = name[:-len(Path(name).suffix)] if Path(name).suffix.lower() in (".py", ".ipynb", ".zip") else name
    return Identity(lms={"file_stem": stem}) if stem else Identity()  # a roster may know it as a login or name


def identify(path: Path, metadata: dict[str, Identity] | None = None) -> Identity:
    """A submission's identity: Gradescope's metadata for its folder if given, else what its name says."""
    if metadata and path.name in metadata:
        return metadata[path.name]
    return from_name(path.name)


class IdentityReader:
    """`identify` for a batch: each folder's Gradescope metadata is read once."""

    def __init__(self) -> None:
        self._metadata: dict[Path, dict[str, Identity]] = {}

    def __call__(self, path: Path) -> Identity:
        folder = path.parent
        if folder not in self._metadata:
            self._metadata[folder] = gradescope_metadata(folder)
        return identify(path, self._metadata[folder])


def gradescope_metadata(folder: Path) -> dict[str, Identity]:
    """`submission_metadata.yml` in `folder`, as {submission folder name: identity}; {} when absent.

    The file is written by Ruby (symbol keys like `:submitters:`, tags like `!ruby/object`):
    PyYAML's safe loader reads it, with unknown tags read as plain values, never as objects.
    """
    path = folder / GRADESCOPE_METADATA
    try:
        if not path.is_file() or path.stat().st_size > METADATA_MAX_BYTES:
            return {}
        data = _load_yaml(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    found = {}
    for key, record in data.items():
        match = _GRADESCOPE.fullmatch(str(key))
        if match and isinstance(record, dict):
            found[str(key)] = _gradescope_identity(match["submission"], record)
    return found


def _gradescope_identity(submission_id: str, record: dict[Any, Any]) -> Identity:
    people = [_gradescope_student(p) for p in _field(record, "submitters") or [] if isinstance(p, dict)]
    created = _field(record, "created_at")
    return Identity(student=people[0] if people else Student(source="gradescope metadata"),
                    submitted_at=_iso(created), lms={"platform": "gradescope", "submission_id": submission_id},
                    group=tuple(people[1:]))


def _gradescope_student(person: dict[Any, Any]) -> Student:
    def text(key: str) -> str | None:
        value = _field(person, key)
        return str(value).strip() or None if value is not None else None

    return Student(name=text("name"), sis_id=text("sid"), email=text("email"), source="gradescope metadata")


def _field(record: dict[Any, Any], key: str) -> Any:
    """Ruby writes symbol keys as `:name`; be lenient and take `name` too."""
    return record.get(f":{key}", record.get(key))


def _iso(value: Any) -> str:
    """A time as ISO 8601 with its offset; "unknown" unless the value carries a time zone."""
    if isinstance(value, datetime):
        return value.isoformat() if value.tzinfo is not None else UNKNOWN
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace(" +", "+").replace(" -", "-"))
        except ValueError:
            return UNKNOWN
        return parsed.isoformat() if parsed.tzinfo is not None else UNKNOWN
    return UNKNOWN


def _load_yaml(text: str) -> Any:
    try:
        import yaml
    except ImportError:  # without PyYAML the download's names still say who; Gradescope's times are lost
        raise ValueError("PyYAML is not installed") from None

    class Lenient(yaml.SafeLoader):
        """The safe loader, reading any tag it does not know (`!ruby/object:...`) as the plain value."""

    def plain(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
        if isinstance(node, yaml.MappingNode):
            return loader.construct_mapping(node, deep=True)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_scalar(node)

    Lenient.add_multi_constructor("!", plain)
    Lenient.add_multi_constructor("tag:", plain)
    try:
        return yaml.load(text, Loader=Lenient)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ValueError(str(exc)) from None


def merged(found: Identity, roster_student: Student | None) -> Identity:
    """The download's identity completed from the roster: roster fields win where the download is silent
    or guesses (Canvas' `lastnamefirstname` is not a display name)."""
    if roster_student is None:
        return found
    base = found.student
    values = {key: getattr(roster_student, key) or getattr(base, key) for key in STUDENT_KEYS if key != "source"}
    source = "roster" if base.source == "file name" else base.source
    source = source if source.endswith("roster") else f"{source} + roster"  # once, however often it is merged
    return replace(found, student=Student(**values, source=source))

