"""Output for people: the result table, and a progress bar for batches.

Every piece of a student's text (paths, messages, notes, ids) goes through
`plain` before it reaches a terminal: no escape sequence or control character
of theirs can move the cursor, retitle the window, write the clipboard, open
the alternate screen or hide a line. The only control sequence printed is the
progress bar's own line redraw.

Not rich (which DESIGN.md suggests): its own stripping keeps ESC and so lets
escape sequences through, the table and progress lines are a format scripts
and tests read, and both are a few plain lines; `plain` is the part that matters.
"""
from __future__ import annotations

import re
import sys
import time
from typing import Any, TextIO

from grader.output.report import safe_text

MAX_PLAIN = 20_000  # characters of one text printed; nothing longer reaches a pattern
# Possessive quantifiers (Python 3.11+): every match consumes what it scanned, so removal is linear.
_ESCAPES = re.compile(r"""
    \x1b\[[0-?]*+[ -/]*+[@-~]?                                     # CSI: colours, cursor, alternate screen
  | \x9b[0-?]*+[ -/]*+[@-~]?                                        # 8-bit CSI
  | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*+(?:\x07|\x1b\\|\x9c)?  # OSC/DCS/SOS/PM/APC strings
  | \x1b[ -/]*+[0-~]?                                                # other ESC sequences (reset, charsets...)
""", re.VERBOSE)
# Other C0/C1 controls (\r, BEL, backspace...) and invisible reordering/zero-width characters.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")



def plain(text: Any, limit: int = MAX_PLAIN) -> str:
    """`text` safe to print: escape sequences and control characters removed (newlines and tabs kept),
    text that is not valid Unicode escaped, at most `limit` characters."""
    text = str(text)
    cut = text[:limit]
    return safe_text(_CONTROLS.sub("", _ESCAPES.sub("", cut))) + ("…" if len(text) > limit else "")


OUTCOME_MARK = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "timeout": "TIME", "skipped": "SKIP"}
OUTCOME_SIGN = {"passed": "✔", "failed": "✘", "error": "✘", "timeout": "✘", "skipped": "–"}
# The report's `sandbox.mode` (grader.sandbox.backend) in a student's words.
ISOLATION = {"none": "none: your own machine (your code ran as you, with no sandbox)",
             "namespaces": "a sandbox (Linux namespaces: no network, a private filesystem)",
             "bubblewrap": "a sandbox (bubblewrap: no network, a private filesystem)"}


def result_table(report: dict[str, Any], *, width: int = 100) -> str:
    """A short, friendly table: each test, its points, and what went wrong."""
    lines = [f"{plain(report['assignment'])}: {plain(report['submission']['path'])}"]
    held = report.get("held") if report["status"] == "held" else None
    if report["status"] == "error" and report.get("error"):
        lines.append(f"  Could not grade this submission: {plain(report['error']['message'])}")
    elif isinstance(held, dict):  # no per-test lines and no total: nothing was scored
        lines.extend(_wrap(plain(held.get("message", "")), width, indent=2))
        return "\n".join(lines)
    else:
        names = [plain(t["name"], 200) for t in report["tests"]]
        name_width = min(48, max((len(n) for n in names), default=10))
        for test, name in zip(report["tests"], names):
            mark = OUTCOME_MARK.get(test["outcome"], plain(test["outcome"], 20).upper())
            pts = f"{test['score']:g}/{test['points']:g}"
            lines.append(f"  {mark:<5} {name:<{name_width}} {pts:>7}")
            if test["message"] and (test["outcome"] != "passed" or not test["points"]):  # 0 points: a note
                lines.extend(_wrap(plain(test["message"]), width, indent=8))
    for note in extraction_notes(report):
        lines.append(f"  note: {plain(note)}")
    if isolation(report):
        lines.append(f"  Isolation: {isolation(report)}")
    lines.append(f"  {total_line(report)}")
    return "\n".join(lines)


def isolation(report: dict[str, Any]) -> str:
    """What kept the code apart from the machine, in words ("" when no code ran)."""
    sandbox = report.get("sandbox")
    mode = sandbox.get("mode") if isinstance(sandbox, dict) else None
    return ISOLATION.get(str(mode), plain(mode, 80)) if mode else ""


def total_line(report: dict[str, Any]) -> str:
    """The score, and for a check the points still to come: a public 2.5 / 2.5 is not the grade."""
    total = f"Total: {report['score']:g} / {report['max_score']:g}"
    hidden = report.get("hidden")
    if not isinstance(hidden, dict):
        return total
    points = hidden.get("points")
    if not isinstance(points, (int, float)):
        return f"{total} on the public tests; your instructor's hidden tests run when your work is graded"
    if points <= 0:
        return total
    return f"{total} on the public tests; hidden tests worth {points:g} more points run when your work is graded"


def extraction_notes(report: dict[str, Any]) -> list[str]:
    extraction = report.get("extraction") or {}
    notes = list(extraction.get("notes", []))
    for problem in extraction.get("problems", []):
        needed = f" (needed by {problem['needed_by']})" if problem.get("needed_by") else ""
        notes.append(f"{problem['where']}{needed} failed when loaded: {problem['error']}")
    if extraction.get("problems_left_out"):
        notes.append(f"{extraction['problems_left_out']} more statement(s) failed when loaded.")
    for kept in extraction.get("kept", []):
        where = f"line {kept['line']}" if "cell" not in kept else f"cell {kept['cell']}, line {kept['line']}"
        notes.append(f"{where} ran because {kept['needed_by']} needs it: {kept['code']}")
    dropped = len(extraction.get("dropped", [])) + int(extraction.get("dropped_left_out", 0) or 0)
    if dropped:
        notes.append(f"{dropped} top-level statement(s) were not run (training, prints, plots...).")
    return notes


def _wrap(text: str, width: int, indent: int) -> list[str]:
    words, lines, current = text.split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > width - indent:
            lines.append(" " * indent + current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(" " * indent + current)
    return lines


class Progress:
    """done/total, failures so far and an ETA; one line redrawn on a terminal, plain lines otherwise."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self.started = time.monotonic()
        self.stream = stream or sys.stderr
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())

    def update(self, submission_id: str, status: str, score: float, max_score: float, *, skipped: bool = False) -> None:
        self.done += 1
        self.failed += status in ("error", "held")
        elapsed = time.monotonic() - self.started
        eta = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        bar = "#" * int(24 * self.done / max(self.total, 1))
        note = "unchanged" if skipped else f"{score:g}/{max_score:g}{' ' + status.upper() if status != 'graded' else ''}"
        line = (f"[{bar:<24}] {self.done}/{self.total}  errors {self.failed}  ETA {_clock(eta)}  "
                f"{plain(submission_id, 200)}: {note}")
        if self.live:
            self.stream.write("\r\x1b[2K" + line[:150])
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    return f"{minutes}:{secs:02d}"
