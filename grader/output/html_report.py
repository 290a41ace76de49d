"""The class report in HTML: `index.html` for the class, one page per submission.

Rendered with Jinja2 from the same report dicts as every other format, with
autoescaping on for every template: messages, ids and paths hold student text.
The pages are self-contained (inline CSS, inline SVG chart, one small inline
script for sorting) and a Content-Security-Policy forbids any network access
and any script but ours, so a page opens offline by double-click and stays
inert even if some text ever escaped escaping.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import io
import re
import statistics
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from grader import __version__
from grader.output.console import OUTCOME_MARK, OUTCOME_SIGN
from grader.output.formats import FORMATS, safe_stem
from grader.output.report import course_notes, write_atomic

INDEX = "index.html"
HISTOGRAM_BINS = 10
TEXT_CHARS = 20_000  # longest student text put on a page; the JSON report keeps it all
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
LOOK_FLAGS = {
    "timeout": "ran past the time limit",
    "memory-limit": "hit the memory limit",
    "disk-limit": "filled the disk space a submission may use",
    "tampering": "reached for grader internals (tampering)",
    "introspection": "uses frame or garbage-collector introspection (no penalty; see the page)",
    "device-disagreement": "CPU and GPU legs disagree on a test",
    "device-numeric-mismatch": "CPU and GPU answers differ numerically",
    "gpu-out-of-memory": "ran out of GPU memory",
    "protocol": "broke the worker protocol",
    "output-truncated": "printed more than the grader keeps",
}


def page_name(submission_id: str) -> str:
    """The file name of a submission's page, relative to the output folder (a safe file name)."""
    return FORMATS["html"].file_name(submission_id)


def clean_text(value: Any) -> str:
    """Text as it may appear on a page: bounded, without control characters (Jinja escapes the rest)."""
    text = value if isinstance(value, str) else "" if value is None else str(value)
    if len(text) > TEXT_CHARS:
        text = text[:TEXT_CHARS] + " … (cut)"
    return _CONTROL.sub("\ufffd", text)


def points(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else clean_text(value)


def _seconds(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, (int, float)) else ""


def _percent(value: Any) -> str:
    return f"{100 * value:.0f}%" if isinstance(value, (int, float)) else ""


def _mark(outcome: Any) -> str:
    outcome = clean_text(outcome)
    return f"{OUTCOME_SIGN.get(outcome, '?')} {OUTCOME_MARK.get(outcome, outcome.upper())}"


@functools.cache
def _templates() -> jinja2.Environment:
    """Every template autoescaped, whatever its name: student text goes into all of them."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("grader.output", "templates"), autoescape=True,
                             keep_trailing_newline=True)
    env.filters.update(clean=clean_text, points=points, seconds=_seconds, percent=_percent, mark=_mark)
    return env


@functools.cache
def _asset(name: str) -> str:
    return (Path(__file__).with_name("templates") / name).read_text(encoding="utf-8")


def render_page(template: str, script: str | None = None, **context: Any) -> str:
    """A whole page: our CSS inline, our script (if any) allowed by its hash and nothing else."""
    scripts = f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'" if script else "'none'"
    csp = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src {scripts}"
    return _templates().get_template(template).render(
        csp=Markup(csp), css=Markup(_asset("report.css")), script=Markup(script) if script else None,
        version=__version__, **context)


def needs_a_look(report: dict[str, Any]) -> list[str]:
    """Why an instructor should open this submission: not graded, flags, timeouts, grader problems."""
    reasons = []
    error = report.get("error")
    if report.get("status") == "error":
        message = error.get("message", "") if isinstance(error, dict) else ""
        reasons.append(f"not graded: {clean_text(message)[:300]}")
    held = held_events(report)
    if report.get("status") == "held":
        shown = "; ".join(f"{e['event']} at {e['where']}" for e in held[:3]) or "see the page"
        reasons.append(f"held for review, not scored (tampering): {shown}")
    flags = [clean_text(f) for f in report.get("flags") or []
             if not (f == "tampering" and report.get("status") == "held")]
    reasons += [LOOK_FLAGS.get(flag, flag) for flag in flags]
    timeouts = sum(isinstance(t, dict) and t.get("outcome") == "timeout" for t in report.get("tests") or [])
    if timeouts and "timeout" not in flags:
        reasons.append(f"{timeouts} test(s) timed out")
    course = course_notes(report)
    if course:
        reasons.append(f"the grader could not run some checks: the course's own specs, probes or stub failed, not the "
                       f"student's code ({len(course)} note{'s' if len(course) > 1 else ''}; see the page)")
    return reasons


def held_events(report: dict[str, Any]) -> list[dict[str, str]]:
    """The `held` section's events, as text fit for a page (a hand-edited report may hold anything)."""
    held = report.get("held")
    events = held.get("events") if isinstance(held, dict) else None
    return [{key: clean_text(event.get(key, ""))[:300] for key in ("where", "event", "via") if event.get(key)}
            for event in (events if isinstance(events, list) else []) if isinstance(event, dict)]


def render_submission_page(report: dict[str, Any], entry: dict[str, Any] | None = None) -> str:
    """A submission's page; `entry` (its row of summary.json) adds the final score and its adjustments."""
    extraction = report.get("extraction") if isinstance(report.get("extraction"), dict) else {}
    devices = report.get("devices") if isinstance(report.get("devices"), dict) else {}
    return render_page(
        "submission.html.j2", report=report, extraction=extraction, look=needs_a_look(report),
        final=_final(entry), student=_student(report), ran=what_ran(report), held=held_events(report),
        legs=_legs(devices), disagreements=[_pairs(row) for row in devices.get("disagreements") or []],
        numeric=devices.get("numeric") if isinstance(devices.get("numeric"), dict) else None,
        output=report.get("output") if isinstance(report.get("output"), dict) else {},
        internal=list(report.get("internal_errors") or []), wall_s=_wall(report),
        environment=_pairs(report.get("environment")), sandbox=_pairs(report.get("sandbox")))


# Error kinds: where loading began and stopped (some code ran), where it loaded but lacked a name,
# where the grader itself failed; any other kind means the file was never run.
_STOPPED_LOADING = ("timeout", "crash", "import")
_GRADER_FAILED = ("grader", "judge-stopped")


def what_ran(report: dict[str, Any]) -> str | None:
    """For a submission that was not graded, what of it ran, truthfully; None for a graded one."""
    if report.get("status") != "error":
        return None
    error = report.get("error") if isinstance(report.get("error"), dict) else {}
    kind = error.get("kind")
    if kind in _STOPPED_LOADING:
        return "Loading stopped at the problem above: statements before it ran, the rest did not, and no test ran."
    if kind == "missing-name":
        return "It loaded, but a name the tests need was missing (see above), so no test ran."
    if kind in _GRADER_FAILED:
        return "The grader failed on it (see above), so what ran is not known; no score came from it."
    return "Nothing of it ran: it could not be read or run (see above)."


def _final(entry: dict[str, Any] | None) -> dict[str, Any]:
    """The final score beside the graded one: {"graded", "final", "adjusted", "adjustments": [line, ...]}."""
    entry = entry if isinstance(entry, dict) else {}
    adjustments = [a for a in entry.get("adjustments") or [] if isinstance(a, dict)]
    graded, final = entry.get("graded_score", entry.get("score")), entry.get("final_score", entry.get("score"))
    lines = [f"{clean_text(a.get('change'))}{' on ' + clean_text(a.get('test')) if a.get('test') else ''}: "
             f"{clean_text(a.get('reason'))}{', ' + clean_text(a.get('by')) if a.get('by') else ''}" for a in adjustments]
    adjusted = bool(adjustments) or (final is not None and final != graded)
    return {"graded": graded, "final": final, "adjusted": adjusted, "adjustments": lines,
            "notes": [clean_text(n) for n in entry.get("adjustment_notes") or []]}


def _student(report: dict[str, Any]) -> dict[str, Any]:
    student = report.get("student") if isinstance(report.get("student"), dict) else {}
    facts = [(label, student.get(key)) for key, label in (("name", "Name"), ("id", "LMS id"), ("login", "Login"),
                                                         ("sis_id", "SIS id"), ("email", "Email"),
                                                         ("section", "Section"), ("source", "From"))]
    late = report.get("late")
    return {"facts": [(k, v) for k, v in facts if v], "submitted_at": report.get("submitted_at") or "unknown",
            "late": "" if late is None else ("late" if late else "on time")}


def _legs(devices: dict[str, Any]) -> list[dict[str, str]]:
    legs = []
    for name, leg in devices.items():
        if not isinstance(leg, dict) or "status" not in leg:
            continue  # "disagreements" and "numeric" sit beside the legs
        tests = leg.get("tests") if isinstance(leg.get("tests"), dict) else {}
        passed = f"{sum(v == 'passed' for v in tests.values())} of {len(tests)}" if tests else ""
        legs.append({"name": name, "status": leg["status"], "passed": passed,
                     "note": leg.get("reason") or leg.get("error") or ""})
    return legs


def _pairs(value: Any) -> list[tuple[str, Any]]:
    return list(value.items()) if isinstance(value, dict) else []


def _wall(report: dict[str, Any]) -> float:
    timing = report.get("timing")
    wall = timing.get("wall_s") if isinstance(timing, dict) else None
    return float(wall) if isinstance(wall, (int, float)) else 0.0


def render_class_page(summary: dict[str, Any], reports: list[dict[str, Any]]) -> str:
    """`index.html`: totals, the histogram, what needs a look, item analysis, the sortable submissions table."""
    ordered = sorted(reports, key=lambda r: str(r.get("id", "")))
    scores = [float(r.get("score") or 0.0) for r in ordered]
    max_score = float(summary["totals"]["max_score"] or 0.0)
    entries = {e.get("id"): e for e in summary.get("submissions") or [] if isinstance(e, dict)}
    rows = [{"id": r.get("id", ""), "page": page_name(str(r.get("id", ""))), "score": r.get("score", 0.0),
             "max_score": r.get("max_score", 0.0), "status": r.get("status", ""),
             "flags": r.get("flags") or [], "wall_s": _wall(r), "final": _final(entries.get(r.get("id"))),
             "student": _student(r)} for r in ordered]
    look = [{"id": row["id"], "page": row["page"], "reasons": needs_a_look(r) + _class_reasons(entries.get(r.get("id")))}
            for row, r in zip(rows, ordered)]
    return render_page("class.html.j2", script=_asset("sort.js"), summary=summary, rows=rows,
                 look=[row for row in look if row["reasons"]], items=summary.get("item_analysis", []),
                 similar=_similar(summary), duplicates=summary.get("duplicates") or [],
                 median=statistics.median(scores) if scores else 0.0,
                 histogram=Markup(histogram_svg(scores, max_score)), bin_width=_bin_width(max_score))


def _class_reasons(entry: dict[str, Any] | None) -> list[str]:
    """Why to look that only the class knows: a submission gone from its folder, notes on its overrides."""
    entry = entry if isinstance(entry, dict) else {}
    reasons = []
    if entry.get("missing"):
        reasons.append("its submission is no longer in the folder graded; this report is from an earlier run")
    if entry.get("status") == "held" and entry.get("final_score") is None:
        reasons.append("held: nothing goes to the LMS until an override sets its score (=N in overrides.csv)")
    reasons += [f"override: {clean_text(note)}" for note in entry.get("adjustment_notes") or []]
    return reasons


def _similar(summary: dict[str, Any]) -> dict[str, Any]:
    data = summary.get("similarity") if isinstance(summary.get("similarity"), dict) else {}
    pairs = [p for p in data.get("flagged") or [] if isinstance(p, dict)]
    return {"pairs": pairs, "skipped": data.get("skipped", 0), "file": data.get("file"),
            "unavailable": data.get("unavailable")}


def _bin_width(max_score: float) -> float:
    return (max_score or 1.0) / HISTOGRAM_BINS


def histogram_counts(scores: list[float], max_score: float) -> list[int]:
    """How many scores fall in each of HISTOGRAM_BINS equal bands of [0, max]; full marks in the last."""
    import numpy as np

    counts, _ = np.histogram(np.clip(scores, 0, max_score or 1.0), bins=HISTOGRAM_BINS, range=(0, max_score or 1.0))
    return [int(c) for c in counts]


def histogram_svg(scores: list[float], max_score: float) -> str:
    """The score histogram as an inline SVG element; each bar's count is an SVG text (id `bin-count-K`)."""
    import matplotlib
    from matplotlib.figure import Figure  # no pyplot: no global figure state, no GUI backend

    top = max_score or 1.0
    width = _bin_width(max_score)
    counts = histogram_counts(scores, max_score)
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "grader", "font.size": 10}):
        figure = Figure(figsize=(7.5, 2.8), layout="constrained")
        axes = figure.add_subplot()
        lefts = [k * width for k in range(HISTOGRAM_BINS)]
        bars = axes.bar(lefts, counts, width=width, align="edge", color="#2f81f7", edgecolor="white")
        for k, (bar, count) in enumerate(zip(bars, counts)):
            bar.set_gid(f"bin-{k}")
            if count:
                label = axes.annotate(str(count), (bar.get_x() + width / 2, count), ha="center", va="bottom",
                                      xytext=(0, 2), textcoords="offset points")
                label.set_gid(f"bin-count-{k}")
        axes.set_xlim(0, top)
        axes.set_ylim(0, max(counts + [1]) * 1.18)
        axes.set_xlabel("score")
        axes.set_ylabel("submissions")
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.spines[["top", "right"]].set_visible(False)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]


def write_html(out: Path, summary: dict[str, Any], reports: Iterable[dict[str, Any]]) -> list[str]:
    """Write one page per report and `index.html` into `out`; return the ids whose page could not be made."""
    written, broken = [], []
    entries = {e.get("id"): e for e in summary.get("submissions") or [] if isinstance(e, dict)}
    for report in reports:
        try:
            write_atomic(out / page_name(str(report["id"])), render_submission_page(report, entries.get(report["id"])))
            written.append(report)
        except (KeyError, TypeError, ValueError, AttributeError, jinja2.TemplateError):
            broken.append(clean_text(report.get("id", "?"))[:100])  # a hand-edited report: skip it, say so
    write_atomic(out / INDEX, render_class_page(summary, written))
    return broken


def write_pair_pages(out: Path, similarity: Any, codes: dict[str, str]) -> dict[tuple[str, str], str]:
    """A page per flagged pair of similar submissions (`similarity/<a>--<b>.html`): both codes side by side,
    the passages they share marked; returns {(a, b): the page's path relative to `out`}."""
    from grader.output.similarity import FOLDER, MAX_PAGES, segments

    pages = {}
    for pair in similarity.flagged[:MAX_PAGES]:
        name = f"{FOLDER}/{safe_stem(pair.a)}--{safe_stem(pair.b)}.html"
        sides = [{"id": sid, "page": f"../{page_name(sid)}", "share": share, "segments": segments(codes[sid], spans)}
                 for sid, share, spans in ((pair.a, pair.shares[0], pair.slices[0]),
                                           (pair.b, pair.shares[1], pair.slices[1]))]
        write_atomic(out / name, render_page("pair.html.j2", pair=pair, sides=sides))
        pages[(pair.a, pair.b)] = name
    return pages
