"""Output for people: the result table, and a progress bar for batches."""
from __future__ import annotations

import sys
import time
from typing import Any, TextIO

OUTCOME_MARK = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "timeout": "TIME", "skipped": "SKIP"}


def result_table(report: dict[str, Any], *, width: int = 100) -> str:
    """A short, friendly table: each test, its points, and what went wrong."""
    lines = [f"{report['assignment']}: {report['submission']['path']}"]
    if report["status"] == "error" and report.get("error"):
        lines.append(f"  Could not grade this submission: {report['error']['message']}")
    else:
        name_width = min(48, max((len(t["name"]) for t in report["tests"]), default=10))
        for test in report["tests"]:
            mark = OUTCOME_MARK.get(test["outcome"], test["outcome"].upper())
            pts = f"{test['score']:g}/{test['points']:g}"
            lines.append(f"  {mark:<5} {test['name']:<{name_width}} {pts:>7}")
            if test["message"] and (test["outcome"] != "passed" or not test["points"]):  # 0 points: a note
                lines.extend(_wrap(test["message"], width, indent=8))
    for note in _extraction_notes(report):
        lines.append(f"  note: {note}")
    lines.append(f"  Total: {report['score']:g} / {report['max_score']:g}")
    return "\n".join(lines)


def _extraction_notes(report: dict[str, Any]) -> list[str]:
    extraction = report.get("extraction") or {}
    notes = list(extraction.get("notes", []))
    for problem in extraction.get("problems", []):
        notes.append(f"{problem['where']} failed when loaded: {problem['error']}")
    dropped = extraction.get("dropped", [])
    if dropped:
        notes.append(f"{len(dropped)} top-level statement(s) were not run (training, prints, plots...).")
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
        self.failed += status == "error"
        elapsed = time.monotonic() - self.started
        eta = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        bar = "#" * int(24 * self.done / max(self.total, 1))
        note = "unchanged" if skipped else f"{score:g}/{max_score:g}{' ERROR' if status == 'error' else ''}"
        line = (f"[{bar:<24}] {self.done}/{self.total}  errors {self.failed}  ETA {_clock(eta)}  "
                f"{submission_id}: {note}")
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
