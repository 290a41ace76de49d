"""Stage 6: write results to disk: one JSON report per submission, a summary, a gradebook.

Every file is written atomically (a temporary file, then `os.replace`), so an
interrupted batch never leaves half a report behind, and safely: text that is
not valid Unicode (a lone surrogate in an exception message, a file name that
is not UTF-8) is written escaped (`\udcff` as those six characters), never
stopping the batch.
"""
from __future__ import annotations

import csv
import io
import json
import os
import secrets
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from grader.output.item_analysis import item_analysis

SUMMARY_SCHEMA = "grader-summary/1"


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write `text` to `path` so readers see the old file or the whole new one, never a part.

    The file gets the mode any new file gets here (0666 less the umask, as `open` gives), so a
    teaching assistant in the owner's group can read the reports when the umask allows it;
    `tempfile.mkstemp` would make every output 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = _new_temporary(path)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(text if isinstance(text, bytes) else text.encode("utf-8", errors="backslashreplace"))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _new_temporary(path: Path) -> tuple[int, Path]:
    """A new, exclusively created file beside `path`, with the umask's mode (O_EXCL: never someone else's)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def write_json(path: Path, data: Any) -> None:
    write_atomic(path, json.dumps(safe_strings(data), indent=2, ensure_ascii=False) + "\n")


def safe_text(text: str) -> str:
    """`text` as valid Unicode: lone surrogates become their escape (`\\udcff`), everything else is kept."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def safe_strings(data: Any) -> Any:
    """`data` with every string (keys too) made valid Unicode by `safe_text`."""
    if isinstance(data, str):
        return safe_text(data)
    if isinstance(data, dict):
        return {safe_strings(k): safe_strings(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [safe_strings(v) for v in data]
    return data


def report_name(submission_id: str) -> str:
    return f"{submission_id}.json"


def write_report(report: dict[str, Any], out: Path) -> str:
    """Write one submission's report; return its file name relative to `out`."""
    name = report_name(report["id"])
    write_json(out / name, report)
    return name


def read_report(path: Path) -> dict[str, Any] | None:
    """A report written earlier, or None if it is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("schema") == "grader-report/1" else None


def course_notes(report: dict[str, Any]) -> list[str]:
    """The report's internal errors that are the course's own failures (a spec, probe or stub of the exercise),
    not the tamper review's findings (`tampering: ...`, `introspection: ...`)."""
    notes = report.get("internal_errors")
    return [str(n) for n in (notes if isinstance(notes, list) else [])
            if not str(n).startswith(("tampering:", "introspection:"))]


def summary_entry(report: dict[str, Any], reports: dict[str, str]) -> dict[str, Any]:
    return {"id": report["id"], "path": report["submission"]["path"], "status": report["status"],
            "score": report["score"], "max_score": report["max_score"], "report": reports["json"],
            "reports": reports, "flags": report.get("flags", [])}


def build_summary(assignment: str, entries: list[dict[str, Any]], extra: dict[str, Any] | None = None, *,
                  reports: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """`summary.json`'s data: every submission, totals, the score distribution, which errored, which are held
    for review (their withheld scores are left out of the mean and the distribution), item analysis."""
    entries = sorted(entries, key=lambda e: e["id"])
    scores = [e["score"] for e in entries if e["status"] != "held"]
    data = {
        "schema": SUMMARY_SCHEMA, "assignment": assignment,
        "graded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "submissions": entries,
        "totals": {"submissions": len(entries), "graded": sum(e["status"] == "graded" for e in entries),
                   "errored": sum(e["status"] == "error" for e in entries),
                   "held": sum(e["status"] == "held" for e in entries),
                   "mean_score": round(sum(scores) / len(scores), 4) if scores else 0.0,
                   "max_score": max((e["max_score"] for e in entries), default=0.0)},
        "distribution": _distribution(scores),
        "errored": [e["id"] for e in entries if e["status"] == "error"],
        "held": [e["id"] for e in entries if e["status"] == "held"],
        "item_analysis": item_analysis(reports),
    }
    data.update(extra or {})
    return data


def write_summary(out: Path, assignment: str, entries: list[dict[str, Any]],
                  extra: dict[str, Any] | None = None, *, reports: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """Write `summary.json` (see `build_summary`) and return what was written."""
    data = build_summary(assignment, entries, extra, reports=reports)
    write_json(out / "summary.json", data)
    return data


def _distribution(scores: list[float]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for score in scores:
        key = f"{score:g}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: float(kv[0])))


def write_gradebook(out: Path, reports: Iterable[dict[str, Any]], *,
                    extra: dict[str, dict[str, str]] | None = None) -> None:
    """`gradebook.csv`: id, score, max_score, status, flags, the `extra` columns (per id: final score,
    adjustments, student...), then one `test:<name>` column per test."""
    rows = sorted(reports, key=lambda r: r["id"])
    extra = extra or {}
    more = list(dict.fromkeys(name for columns in extra.values() for name in columns))
    tests: list[str] = []
    for report in rows:
        for test in report.get("tests", []):
            if test["name"] not in tests:
                tests.append(test["name"])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "score", "max_score", "status", "flags"] + more + [f"test:{t}" for t in tests])
    for report in rows:
        by_name = {t["name"]: t["score"] for t in report.get("tests", [])}
        added = extra.get(report["id"], {})
        writer.writerow([report["id"], f"{report['score']:g}", f"{report['max_score']:g}", report["status"],
                         " ".join(report.get("flags", []))] + [added.get(name, "") for name in more]
                        + [f"{by_name.get(t, 0):g}" for t in tests])
    write_atomic(out / "gradebook.csv", buffer.getvalue())
