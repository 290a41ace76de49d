"""A class folder (`--out DIR`): everything derived from its reports, rebuilt from every report in it.

`grade` (after grading all or some submissions), `merge` and `report` end here, so grading one
student into the class's folder updates that report and rebuilds the summary, gradebook, LMS
exports, similarity check, class report and feedback from the whole class. The folder also
keeps its settings (`roster.csv`, `overrides.csv`, `late-policy.toml`), copied there when given
on the command line, so every later run applies them again, `--force` included.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from grader.errors import UsageError
from grader.intake.identity import Identity, IdentityReader, merged
from grader.intake.roster import Roster, load_roster
from grader.output.adjust import Final, final_score
from grader.output.exports import LMS_FORMATS, Column, Grade, duplicates, safe_cell, write_exports
from grader.output.formats import FORMATS
from grader.output.late_policy import LatePolicy, load_late_policy
from grader.output.overrides import Override, load_overrides
from grader.output.report import build_summary, read_report, summary_entry, write_gradebook, write_json

SETTINGS = {"roster": "roster.csv", "overrides": "overrides.csv", "late_policy": "late-policy.toml"}
CLASS_FORMATS = (*LMS_FORMATS, "feedback")  # written once for the class, not per report
FEEDBACK_HIDDEN = ("outcomes", "total")
KEPT_FROM_SUMMARY = ("graded_at", "seed", "grader", "shard", "merged_from", "formats", "lms", "feedback_hidden")


@dataclass(frozen=True)
class Settings:
    roster: Roster | None = None
    overrides: tuple[Override, ...] = ()
    late_policy: LatePolicy | None = None
    files: dict[str, str] = field(default_factory=dict)


@dataclass
class Context:
    """What the command knows beyond the folder: the assignment, formats, how this run went."""

    assignment: str
    formats: tuple[str, ...] = ("json", "html")
    extra: dict[str, Any] = field(default_factory=dict)
    column: Column | None = None
    feedback_hidden: str | None = None
    this_run: set[str] | None = None  # ids graded or reused by this run; None: not a grading run
    scanned: tuple[Path, ...] = ()  # folders this run listed (a report from one of them that is gone is "missing")


@dataclass
class Rebuilt:
    summary: dict[str, Any]
    skipped: list[str] = field(default_factory=list)  # reports too malformed to use
    warnings: list[str] = field(default_factory=list)


def install_settings(out: Path, *, roster: str | Path | None = None, overrides: str | Path | None = None,
                     late_policy: str | Path | None = None) -> None:
    """Check each settings file given, then copy it into `out`, replacing the folder's earlier one."""
    given = {"roster": roster, "overrides": overrides, "late_policy": late_policy}
    loaders = {"roster": load_roster, "overrides": load_overrides, "late_policy": load_late_policy}
    for key, path in given.items():
        if path is not None:
            loaders[key](Path(path))  # a bad file is a usage error before anything is graded
    out.mkdir(parents=True, exist_ok=True)
    for key, path in given.items():
        if path is not None and Path(path).resolve() != (out / SETTINGS[key]).resolve():
            shutil.copyfile(path, out / SETTINGS[key])


def load_settings(out: Path) -> Settings:
    """The settings kept in the folder (each file is checked again: it may have been edited there)."""
    files = {key: name for key, name in SETTINGS.items() if (out / name).is_file()}
    return Settings(
        roster=load_roster(out / files["roster"]) if "roster" in files else None,
        overrides=tuple(load_overrides(out / files["overrides"])) if "overrides" in files else (),
        late_policy=load_late_policy(out / files["late_policy"]) if "late_policy" in files else None,
        files=files)


def read_reports(out: Path) -> tuple[list[tuple[Path, dict[str, Any]]], list[str]]:
    """Every report in the folder with the file it came from, and the ids of those too malformed to use."""
    found, skipped = [], []
    for path in sorted(out.glob("*.json")):
        report = read_report(path)
        if report is None:
            continue
        if usable(report):
            found.append((path, report))
        else:
            skipped.append(str(report.get("id", "?"))[:100])
    return found, skipped


def usable(report: dict[str, Any]) -> bool:
    """Shaped like a report this grader writes (a hand-edited one may not be)."""
    number = (int, float)
    return (isinstance(report.get("id"), str) and isinstance(report.get("assignment"), str)
            and isinstance(report.get("status"), str) and isinstance(report.get("score"), number)
            and isinstance(report.get("max_score"), number) and isinstance(report.get("submission"), dict)
            and isinstance(report["submission"].get("path"), str)
            and isinstance(report.get("tests"), list) and all(isinstance(t, dict) for t in report["tests"]))


def previous_summary(out: Path) -> dict[str, Any]:
    """What the folder's summary.json says about how it was graded (kept across rebuilds)."""
    try:
        old = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {key: old[key] for key in KEPT_FROM_SUMMARY if key in old} if isinstance(old, dict) else {}


def rebuild_folder(folder: Path) -> Rebuilt:
    """`grader report DIR`: rebuild a graded folder from its reports and settings, as its last run wrote it."""
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder")
    found, _ = read_reports(folder)
    if not found:
        raise UsageError(f"no grader reports in {folder}: run `grader grade ... --out {folder}` first")
    assignments = sorted({r["assignment"] for _, r in found})
    if len(assignments) > 1:
        raise UsageError(f"{folder} holds reports of several assignments ({', '.join(assignments)}); "
                         "render one assignment per folder")
    kept = previous_summary(folder)
    formats = [str(f) for f in kept.get("formats") or () if f in FORMATS or f in CLASS_FORMATS]
    formats = list(dict.fromkeys(["json", "html", *formats]))  # re-rendering the pages is what `report` is for
    formats += [name for name, fmt in FORMATS.items()  # per-report formats whose files are there
                if name not in formats and any((folder / fmt.file_name(r["id"])).exists() for _, r in found)]
    return rebuild(folder, Context(assignment=assignments[0], formats=tuple(formats), extra=kept))


def rebuild(out: Path, context: Context) -> Rebuilt:
    """Rebuild summary, gradebook, exports, similarity, pages and feedback from every report in `out`."""
    found, skipped = read_reports(out)
    rebuilt = Rebuilt(summary={}, skipped=skipped)
    others = sorted({r["assignment"] for _, r in found if r["assignment"] != context.assignment})
    if others:
        rebuilt.warnings.append(f"{out} also holds reports of {', '.join(others)}; they were left out")
    found = [(path, r) for path, r in found if r["assignment"] == context.assignment]
    settings = load_settings(out)
    reports = [_with_identity(path, report, settings.roster) for path, report in found]
    finals = _finals(reports, settings, rebuilt.warnings)
    entries = [_entry(report, finals[report["id"]], context) for report in reports]
    summary = build_summary(context.assignment, entries, reports=reports)
    summary.update(context.extra)
    summary.update(_settings_summary(settings, context))
    _check_duplicates(reports, finals, summary, rebuilt.warnings)
    _similarity(out, context, reports, summary, rebuilt.warnings)
    if any(f in context.formats for f in LMS_FORMATS):
        written = write_exports(out, [f for f in context.formats if f in LMS_FORMATS],
                                [_grade(r, finals[r["id"]]) for r in reports], _column(context))
        summary["exports"] = {"files": written.files, "left_out": written.left_out}
        rebuilt.warnings += written.lines()
    if "feedback" in context.formats:
        from grader.output.feedback import write_feedback

        write_feedback(out, summary, reports, hidden=summary["feedback_hidden"])  # adds summary["feedback"]
    write_json(out / "summary.json", summary)
    write_gradebook(out, reports, extra={r["id"]: _gradebook_columns(r, finals[r["id"]]) for r in reports})
    if "html" in context.formats:
        from grader.output.html_report import write_html

        rebuilt.skipped += write_html(out, summary, reports)
    rebuilt.summary = summary
    return rebuilt


def _with_identity(path: Path, report: dict[str, Any], roster: Roster | None) -> dict[str, Any]:
    """The report with `student`, `submitted_at`, `late` (from the download, completed from the roster);
    written back to its file when that changed, so every report says who it is."""
    if "student" in report:
        identity = Identity.from_report(report)
    else:  # graded before reports named their students: what its name and folder say
        identity = IdentityReader()(Path(report["submission"]["path"]))
    member = roster.match(identity) if roster else None
    if member is not None:
        identity = merged(identity, member.student)
    fields = identity.to_report()
    if any(report.get(key) != value for key, value in fields.items()):
        report = {**report, **fields}
        write_json(path, report)
    return report


def _finals(reports: list[dict[str, Any]], settings: Settings, warnings: list[str]) -> dict[str, Final]:
    by_id: dict[str, list[Override]] = {}
    for row in settings.overrides:
        by_id.setdefault(row.id, []).append(row)
    known = {r["id"] for r in reports}
    for sid, rows in sorted(by_id.items()):
        if sid not in known:
            warnings.append(f"{SETTINGS['overrides']} line {rows[0].line}: no submission {sid!r} in this folder; "
                            "the row was not applied (ids are those in gradebook.csv)")
    finals = {r["id"]: final_score(r, by_id.get(r["id"], []), settings.late_policy) for r in reports}
    for sid, final in sorted(finals.items()):
        warnings += [f"{sid}: {note}" for note in final.notes]
    return finals


def _entry(report: dict[str, Any], final: Final, context: Context) -> dict[str, Any]:
    files = {f: FORMATS[f].file_name(report["id"]) for f in context.formats if f in FORMATS}
    entry = summary_entry(report, files)
    entry.update(final.to_dict())
    entry.update({key: report.get(key) for key in ("student", "submitted_at", "late")})
    if context.this_run is not None:
        entry["in_this_run"] = report["id"] in context.this_run
        entry["missing"] = not entry["in_this_run"] and _gone(report, context.scanned)
    return entry


def _gone(report: dict[str, Any], scanned: tuple[Path, ...]) -> bool:
    """Its submission was in a folder this run listed, and is not there now."""
    path = Path(report["submission"]["path"])
    try:
        return path.parent.resolve() in {s.resolve() for s in scanned} and not path.exists()
    except OSError:
        return False


def _settings_summary(settings: Settings, context: Context) -> dict[str, Any]:
    column = _column(context)
    return {"settings": dict(settings.files), "lms": {"title": column.title, "id": column.lms_id},
            "feedback_hidden": context.feedback_hidden or context.extra.get("feedback_hidden") or FEEDBACK_HIDDEN[0]}


def _column(context: Context) -> Column:
    if context.column is not None:
        return context.column
    kept = context.extra.get("lms") if isinstance(context.extra.get("lms"), dict) else {}
    title = kept.get("title") or _assignment_title(context.assignment)
    return Column(str(title), str(kept["id"]) if kept.get("id") else None)


def _assignment_title(slug: str) -> str:
    from grader.assignments import load_assignment

    try:
        return load_assignment(slug).title
    except UsageError:
        return slug


def _check_duplicates(reports: list[dict[str, Any]], finals: dict[str, Final], summary: dict[str, Any],
                      warnings: list[str]) -> None:
    twice = duplicates([_grade(r, finals[r["id"]]) for r in reports])
    summary["totals"]["adjusted"] = sum(f.adjusted for f in finals.values())
    summary["totals"].setdefault("held", sum(r["status"] == "held" for r in reports))
    summary["duplicates"] = [{"student": who, "submissions": ids} for who, ids in sorted(twice.items())]
    warnings += [f"{who} has {len(ids)} submissions ({', '.join(ids)}); the LMS exports keep the best"
                 for who, ids in sorted(twice.items())]


def _grade(report: dict[str, Any], final: Final) -> Grade:
    identity = Identity.from_report(report)
    people = tuple(p for p in (identity.student, *identity.group) if any((p.id, p.name, p.email, p.login, p.sis_id)))
    return Grade(submission_id=report["id"], students=people, final=final.final, max_score=final.max_score,
                 participant_id=identity.lms.get("participant_id"), note=final.describe())


def _gradebook_columns(report: dict[str, Any], final: Final) -> dict[str, str]:
    student = Identity.from_report(report).student
    late = report.get("late")
    return {"final_score": "" if final.final is None else f"{final.final:g}",
            "adjustments": safe_cell(final.describe()), "student": safe_cell(student.name or ""),
            "submitted_at": str(report.get("submitted_at") or "unknown"),
            "late": "" if late is None else ("yes" if late else "no")}


def _similarity(out: Path, context: Context, reports: list[dict[str, Any]], summary: dict[str, Any],
                warnings: list[str]) -> None:
    """Compare the class's graded code; a course without this assignment (a merge elsewhere) uses the
    code kept by the runs that graded it."""
    from grader.output import similarity as sim

    try:
        from grader.assignments import load_assignment

        assignment = load_assignment(context.assignment)
    except UsageError:
        assignment = None
    codes, missing = {}, []
    for report in reports:
        sha = str(report["submission"].get("sha256") or "")
        code = sim.cached_code(out, report["id"], sha)
        if code is None and assignment is not None and Path(report["submission"]["path"]).exists():
            code = sim.graded_code(Path(report["submission"]["path"]), assignment)
            if code is not None:
                sim.keep_code(out, report["id"], sha, code)
        if code is None:
            missing.append(report["id"])
        else:
            codes[report["id"]] = code
    boilerplate = sim.stub_code(assignment) if assignment is not None else ""
    shas = {r["id"]: str(r["submission"].get("sha256") or "") for r in reports}
    result = sim.compare_class(codes, boilerplate=boilerplate, sha256=shas)
    result.skipped.update({sid: "no code to compare: it could not be read or extracted" for sid in missing})
    pages = {}
    if "html" in context.formats:
        from grader.output.html_report import write_pair_pages

        pages = write_pair_pages(out, result, codes)
    data = sim.write_similarity(out, result, codes, pages, {"computed_at": datetime.now(timezone.utc).isoformat(
        timespec="seconds"), "stub_as_boilerplate": bool(boilerplate)})
    summary["similarity"] = {"file": "similarity.json", "flagged": [p for p in data["pairs"] if p["flagged"]],
                             "skipped": len(data["skipped"]), "unavailable": result.unavailable}
    if result.unavailable:
        warnings.append(f"similarity: {result.unavailable}")
    elif not boilerplate:
        warnings.append(f"similarity: no stub of {context.assignment!r} here, so starter code was not set aside")
