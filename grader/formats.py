"""Report formats rendered from the same report dict: JSON (always), Gradescope, JUnit XML.

Each format is a small object with `file_name(id)` and `render(report, ...)`;
`--format` picks them by name.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from grader.report import write_atomic

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


@dataclass(frozen=True)
class Format:
    """A named output format: where it goes and how to render it."""

    suffix: str
    render: Callable[[dict[str, Any]], str] | None

    def file_name(self, submission_id: str) -> str:
        return f"{submission_id}{self.suffix}"


FORMATS: dict[str, Format] = {
    "json": Format(".json", None),  # written by grader.report itself
    "gradescope": Format(".results.json", lambda r: json.dumps(render_gradescope(r), indent=2) + "\n"),
    "junit": Format(".junit.xml", render_junit),
}


def render_formats(report: dict[str, Any], out: Path, formats: Iterable[str]) -> None:
    """Write every requested non-JSON format of one report into `out`."""
    for name in formats:
        fmt = FORMATS[name]
        if fmt.render is not None:
            write_atomic(out / fmt.file_name(report["id"]), fmt.render(report))
