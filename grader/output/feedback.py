"""Feedback to send (`--format feedback`): a page per student in `DIR/feedback/`, and the zips the
LMS' bulk feedback uploads take.

A page holds what the student may see: the score (the final one, with every adjustment and
its reason), the tests (a hidden test only as `--feedback-hidden` allows: "outcomes", its name,
points and pass or fail but never its message; or "total", one line for all hidden tests),
what of the file ran and what was left out, and notes on reading it. Never the instructor's
paths, the seed, the sandbox, versions, flags or similarity. A report held for review says the
work is being reviewed, never that it scored 0; one that could not be graded says why and
that nothing (or what) of it ran.

Bulk uploads (each takes one zip for the class, with one file per student named so the LMS
finds the student):
- Canvas (Assignment > Re-Upload Submissions): `Assignment#generate_comments_from_files` reads
  the first two all-digit parts of each name as user id and attachment id (the submitted
  file's), so pages are named `<name>_<user id>_<attachment id>_feedback.html`, from the
  download's own name, and attached as a comment to that submission.
- Moodle (Assignment > Upload multiple feedback files in a zip): `assignfeedback_file_zip_importer`
  splits each name at `_` into full name, participant id, plugin type and name, then the file
  name, so pages are named `<Full Name>_<participant id>_assignfeedback_file_feedback.html`.
Students whose download did not carry these ids are left out of that zip, and listed.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from grader.intake.identity import Identity
from grader.output.formats import safe_stem
from grader.output.html_report import clean_text, render_page, what_ran
from grader.output.report import write_atomic

FOLDER = "feedback"
CANVAS_ZIP = "canvas-feedback.zip"
MOODLE_ZIP = "moodle-feedback.zip"
PAGE = "feedback.html"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def write_feedback(out: Path, summary: dict[str, Any], reports: list[dict[str, Any]], *,
                   hidden: str = "outcomes") -> dict[str, Any]:
    """Write every student's page and the LMS zips; return what was written (for summary.json)."""
    entries = {e["id"]: e for e in summary.get("submissions") or [] if isinstance(e, dict) and "id" in e}
    folder = out / FOLDER
    pages: dict[str, str] = {}
    for report in reports:
        page = render_feedback(report, entries.get(report["id"], {}), assignment=_title(summary), hidden=hidden)
        name = f"{safe_stem(report['id'])}.html"
        write_atomic(folder / name, page)
        pages[report["id"]] = page
    canvas, canvas_left = _bundle(reports, pages, _canvas_name)
    moodle, moodle_left = _bundle(reports, pages, _moodle_name)
    written = {"pages": len(pages), "zips": [], "left_out": {}}
    for zip_name, files, left in ((CANVAS_ZIP, canvas, canvas_left), (MOODLE_ZIP, moodle, moodle_left)):
        if files:
            write_atomic(folder / zip_name, _zip(files))
            written["zips"].append(f"{FOLDER}/{zip_name}")
            if left:
                written["left_out"][zip_name] = left
    summary["feedback"] = written
    return written


def render_feedback(report: dict[str, Any], entry: dict[str, Any], *, assignment: str, hidden: str = "outcomes") -> str:
    """One student's page: only what a student may see."""
    identity = Identity.from_report(report)
    tests = [t for t in report.get("tests") or [] if isinstance(t, dict)]
    visible = [_visible(t, not_run=report.get("status") == "error") for t in tests if t.get("visibility") == "visible"]
    secret = [t for t in tests if t.get("visibility") != "visible"]  # anything not plainly visible is hidden
    held = report.get("status") == "held"
    error = report.get("error") if report.get("status") == "error" and isinstance(report.get("error"), dict) else None
    extraction = report.get("extraction") if isinstance(report.get("extraction"), dict) else {}
    return render_page(
        "feedback.html.j2", assignment=assignment, student=_display_name(identity), file=_file_name(report, identity),
        held=held, error=error, ran=what_ran(report), score=_score(report, entry), visible=visible,
        hidden_rows=[_hidden(t) for t in secret] if hidden == "outcomes" else [],
        hidden_total=_hidden_total(secret) if secret and hidden == "total" else None,
        dropped=[d for d in extraction.get("dropped") or [] if isinstance(d, dict)] if not error else [],
        problems=[p for p in extraction.get("problems") or [] if isinstance(p, dict)],
        notes=[clean_text(n) for n in extraction.get("notes") or []], submitted_at=identity.submitted_at)


def _title(summary: dict[str, Any]) -> str:
    lms = summary.get("lms") if isinstance(summary.get("lms"), dict) else {}
    return str(lms.get("title") or summary.get("assignment") or "")


def _display_name(identity: Identity) -> str | None:
    """A name to greet the student by: Canvas' download key (`smithalice`) is not one; a roster's is."""
    return None if identity.student.source == "canvas download" else identity.student.name


def _file_name(report: dict[str, Any], identity: Identity) -> str:
    """The student's own file name, never the folder it sits in on the instructor's machine."""
    name = identity.lms.get("original_name") or Path(str(report["submission"].get("path", ""))).name
    member = report["submission"].get("member")
    return f"{name} ({member})" if member else name


def _score(report: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    adjustments = [a for a in entry.get("adjustments") or [] if isinstance(a, dict)]
    final = entry.get("final_score", report.get("score"))
    return {"graded": report.get("score"), "final": final, "max": report.get("max_score"),
            "adjustments": [f"{clean_text(a.get('change'))}{' on ' + clean_text(a.get('test')) if a.get('test') else ''}"
                            f": {clean_text(a.get('reason'))}" for a in adjustments]}


def _visible(test: dict[str, Any], not_run: bool) -> dict[str, Any]:
    """A public test as `grader check` shows it; when nothing could run, its message is the error, shown once above."""
    message = "" if not_run or test.get("outcome") == "passed" else test.get("message")
    return {"name": test.get("name"), "score": test.get("score"), "points": test.get("points"),
            "outcome": test.get("outcome"), "message": message}


def _hidden(test: dict[str, Any]) -> dict[str, Any]:
    """A hidden test's name, points and outcome: never its message (it may describe the hidden inputs)."""
    return {"name": test.get("name"), "score": test.get("score"), "points": test.get("points"),
            "outcome": test.get("outcome")}


def _hidden_total(tests: list[dict[str, Any]]) -> dict[str, Any]:
    def number(value: Any) -> float:
        return float(value) if isinstance(value, (int, float)) else 0.0

    return {"tests": len(tests), "passed": sum(t.get("outcome") == "passed" for t in tests),
            "score": round(sum(number(t.get("score")) for t in tests), 4),
            "points": round(sum(number(t.get("points")) for t in tests), 4)}


def _bundle(reports: list[dict[str, Any]], pages: dict[str, str], namer: Any) -> tuple[dict[str, str], list[str]]:
    files, left = {}, []
    platform = "canvas" if namer is _canvas_name else "moodle"
    for report in reports:
        identity = Identity.from_report(report)
        if identity.lms.get("platform") != platform:
            left.append(report["id"])
            continue
        name = namer(identity)
        if name is None or name in files:
            left.append(report["id"])
            continue
        files[name] = pages[report["id"]]
    return files, left


def _canvas_name(identity: Identity) -> str | None:
    user, attachment = identity.lms.get("user_id"), identity.lms.get("attachment_id")
    if not (user and attachment and user.isdigit() and attachment.isdigit()):
        return None
    name = identity.lms.get("download_name") or identity.student.name or "student"
    prefix = "".join(ch for ch in name if ch.isalnum() and not ch.isdigit()) or "student"  # as Canvas named the download
    return f"{prefix}_{user}_{attachment}_{PAGE}"


def _moodle_name(identity: Identity) -> str | None:
    participant = identity.lms.get("participant_id")
    if not (participant and participant.isdigit()):
        return None
    name = identity.lms.get("download_name") or identity.student.name or "Participant"  # as Moodle named the download
    name = " ".join(name.replace("_", " ").replace("/", " ").split())
    return f"{name}_{participant}_assignfeedback_file_{PAGE}"


def _zip(files: dict[str, str]) -> bytes:
    """A zip that is the same bytes for the same pages (fixed times, sorted names)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name].encode("utf-8"))
    return buffer.getvalue()
