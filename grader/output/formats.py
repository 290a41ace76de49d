"""Report formats rendered from the same report dict: JSON (always), Gradescope, JUnit XML, HTML.

Each format is a small object with `file_name(id)` and `render(report, ...)`;
`--format` picks them by name.
"""
from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from grader.output.report import write_atomic

GRADESCOPE_HIDDEN = "after_published"


def render_gradescope(report: dict[str, Any], hidden_visibility: str = GRADESCOPE_HIDDEN) -> dict[str, Any]:
    """Gradescope's `results.json` (the autograder results specification)."""
    tests = []
    for number, test in enumerate(report["tests"], start=1):
        visibility = hidden_visibility if test["visibility"] == "hidden" else "visible"
        tests.append({
            "name": test["name"], "number": str(number), "score": test["score"], "max_score": test["points"],
            "status": "passed" if test["outcome"] == "passed" else "failed",
            "output": test["message"] or test["outcome"], "visibility": visibility, "tags": [test["outcome"]],
        })
    output = ""
    if report["status"] == "error" and report.get("error"):
        output = f"Your submission could not be graded: {report['error']['message']}"
    elif report["status"] == "held" and isinstance(report.get("held"), dict):
        output = str(report["held"].get("message", ""))
    return {"score": report["score"], "execution_time": int(round(report.get("timing", {}).get("wall_s", 0))),
            "output": output, "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}


def render_junit(report: dict[str, Any]) -> str:
    """JUnit XML: one testsuite per submission, one testcase per spec."""
    tests = report["tests"]
    suite = ET.Element("testsuite", {
        "name": f"{report['assignment']}.{report['id']}", "tests": str(len(tests)),
        "failures": str(sum(t["outcome"] == "failed" for t in tests)),
        "errors": str(sum(t["outcome"] in ("error", "timeout") for t in tests)),
        "skipped": str(sum(t["outcome"] == "skipped" for t in tests)),
        "time": f"{report.get('timing', {}).get('wall_s', 0):.3f}",
    })
    for test in tests:
        case = ET.SubElement(suite, "testcase", {"classname": f"{report['assignment']}.{report['id']}",
                                                 "name": test["name"], "time": f"{test['duration_s']:.3f}"})
        ET.SubElement(case, "properties").append(ET.Element("property", {
            "name": "score", "value": f"{test['score']:g}/{test['points']:g}"}))
        tag = {"failed": "failure", "error": "error", "timeout": "error", "skipped": "skipped"}.get(test["outcome"])
        if tag:
            ET.SubElement(case, tag, {"message": _xml_safe(test["message"][:1000]), "type": test["outcome"]})
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    """XML 1.0 cannot hold most control characters, even escaped; a student's message may have them."""
    return _NOT_XML.sub("?", text)


_SAFE_STEM = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}")
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def safe_stem(submission_id: str) -> str:
    """An id usable as a file name. Ids from `grader grade` already are; an id read back from an
    edited report may hold `/`, `..` or markup, so it is cleaned and made unique with a hash."""
    if _SAFE_STEM.fullmatch(submission_id):
        return submission_id
    cleaned = _UNSAFE_CHARS.sub("_", submission_id[:200]).strip("._")[:100] or "submission"
    return f"{cleaned}-{hashlib.sha256(submission_id.encode('utf-8', 'replace')).hexdigest()[:8]}"


@dataclass(frozen=True)
class Format:
    """A named output format: where it goes and how to render it."""

    suffix: str
    render: Callable[[dict[str, Any]], str] | None

    def file_name(self, submission_id: str) -> str:
        return f"{safe_stem(submission_id)}{self.suffix}"


FORMATS: dict[str, Format] = {
    "json": Format(".json", None),  # written by grader.output.report itself
    "gradescope": Format(".results.json", lambda r: json.dumps(render_gradescope(r), indent=2) + "\n"),
    "junit": Format(".junit.xml", render_junit),
    "html": Format(".report.html", None),  # a page per submission, written with the class page by grader.output.html_report
}
DEFAULT_FORMATS = ("json", "html")


def render_formats(report: dict[str, Any], out: Path, formats: Iterable[str]) -> None:
    """Write every requested non-JSON format of one report into `out`."""
    for name in formats:
        fmt = FORMATS[name]
        if fmt.render is not None:
            write_atomic(out / fmt.file_name(report["id"]), fmt.render(report))
