"""Held submissions: what the worker's tamper checks reported, in the instructor's terms.

A submission whose worker tripped its tamper checks (`grader.worker.tripwire`, an unsealed reply,
a changed namespace), or whose code names the grader's internals (`grader.intake.tampering`), is
not scored: its report gets the status `held` and a `held` section for a person to review, with
each event at the student's own cell and line. The student is told the work is held for review,
never that it scored 0.
"""
from __future__ import annotations

from typing import Any

from grader.intake.extract import Extracted
from grader.judge.session import clean_message

MAX_EVENTS = 10
REASON = "tampering"


def held_event(raw: Any, extracted: Extracted) -> dict[str, str]:
    """One event as the worker sent it (untrusted: bounded and cleaned), with its place in the student's terms."""
    raw = raw if isinstance(raw, dict) else {}
    event = clean_message(str(raw.get("event", "")), limit=200) or "not known"
    file, line = raw.get("file"), raw.get("line")
    where = None
    if isinstance(file, str) and file and type(line) is int and line > 0:
        where = extracted.where_in(file[:200], line) or \
            f"{clean_message(file, limit=80)}, line {line} (code your submission built while it ran)"
    out = {"where": where or "not known", "event": event}
    via = raw.get("via")
    if isinstance(via, str) and via:
        out["via"] = clean_message(via, limit=200)
    return out


def held_section(events: list[dict[str, str]], message: str, outcomes: dict[str, str] | None = None) -> dict[str, Any]:
    """The report's `held` section: why, what happened where, the student's message, and what the specs saw
    before the hold (for the instructor; none of it is scored)."""
    section: dict[str, Any] = {"reason": REASON, "message": message, "events": events[:MAX_EVENTS]}
    if outcomes:
        section["outcomes_before_hold"] = outcomes
    return section
