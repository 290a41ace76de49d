"""Tests for grader.formats: Gradescope's results.json and JUnit XML, rendered from one report dict."""
from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from grader.output.formats import FORMATS, GRADESCOPE_HIDDEN, render_formats, render_gradescope, render_junit, safe_stem

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "gradescope_schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def spec_result(name: str, points: float, outcome: str, message: str = "", *, visibility: str = "visible",
                duration_s: float = 0.25) -> dict[str, Any]:
    return {"name": name, "points": points, "score": points if outcome == "passed" else 0.0, "outcome": outcome,
            "message": message, "visibility": visibility, "device": "cpu", "duration_s": duration_s}


def make_report(tests: list[dict[str, Any]], *, status: str = "graded", error: dict[str, str] | None = None,
                wall_s: float = 3.6) -> dict[str, Any]:
    """Shaped like grader.score.GradingResult.to_dict()."""
    return {
        "schema": "grader-report/1", "assignment": "concat", "id": "student07",
        "submission": {"path": "/subs/student07.ipynb", "sha256": "0" * 64, "kind": "notebook"},
        "status": status, "error": error, "score": round(sum(t["score"] for t in tests), 4),
        "max_score": round(sum(t["points"] for t in tests), 4), "tests": tests,
        "extraction": {"dropped": [], "notes": []}, "devices": {"cpu": {"status": "ran"}}, "flags": [],
        "seed": 1234, "timing": {"wall_s": wall_s}, "environment": {}, "output": {}, "hashes": {},
        "internal_errors": [],
    }


def graded() -> dict[str, Any]:
    return make_report([
        spec_result("output shape", 2, "passed"),
        spec_result("output values", 3, "failed", "ConcatBlock output has the right shape but 4 of 24 values differ."),
        spec_result("axis argument", 2.5, "error", "Your code raised an error: ValueError at cell 3, line 2: bad"),
        spec_result("trains quickly", 1, "timeout", "Your code did not finish in time (60 s)."),
        spec_result("gpu only", 1, "skipped", "This check was skipped."),
        spec_result("hidden rule", 0.5, "passed", visibility="hidden"),
        spec_result("hidden edge", 1, "failed", "This hidden check did not pass.", visibility="hidden"),
    ])


def errored() -> dict[str, Any]:
    report = make_report([spec_result("output shape", 2, "error", "This check produced no result.")],
                         status="error", error={"kind": "syntax", "message": "Syntax error at line 3 (invalid syntax)"})
    return report


# --- Gradescope ----------------------------------------------------------------------------------

def test_gradescope_top_level_fields() -> None:
    out = render_gradescope(graded())
    assert set(out) == {"score", "execution_time", "output", "visibility", "stdout_visibility", "tests"}
    assert out["score"] == 2.5
    assert out["execution_time"] == 4 and isinstance(out["execution_time"], int)
    assert out["output"] == ""
    assert out["visibility"] == "visible"
    assert out["stdout_visibility"] == "hidden"


def test_gradescope_tests() -> None:
    tests = render_gradescope(graded())["tests"]
    assert [t["number"] for t in tests] == ["1", "2", "3", "4", "5", "6", "7"]
    assert tests[0] == {"name": "output shape", "number": "1", "score": 2, "max_score": 2, "status": "passed",
                        "output": "passed", "visibility": "visible", "tags": ["passed"]}
    assert tests[1] == {"name": "output values", "number": "2", "score": 0.0, "max_score": 3, "status": "failed",
                        "output": "ConcatBlock output has the right shape but 4 of 24 values differ.",
                        "visibility": "visible", "tags": ["failed"]}
    assert [t["status"] for t in tests] == ["passed", "failed", "failed", "failed", "failed", "passed", "failed"]
    assert [t["tags"] for t in tests][2:5] == [["error"], ["timeout"], ["skipped"]]
    assert tests[2]["output"] == "Your code raised an error: ValueError at cell 3, line 2: bad"
    assert sum(t["score"] for t in tests) == render_gradescope(graded())["score"]
    assert sum(t["max_score"] for t in tests) == 11


def test_gradescope_hidden_tests_get_the_default_visibility() -> None:
    assert GRADESCOPE_HIDDEN == "after_published"
    tests = render_gradescope(graded())["tests"]
    assert [t["visibility"] for t in tests] == ["visible"] * 5 + ["after_published"] * 2


@pytest.mark.parametrize("choice", ["hidden", "after_due_date", "after_published"])
def test_gradescope_hidden_tests_get_the_chosen_visibility(choice: str) -> None:
    out = render_gradescope(graded(), hidden_visibility=choice)
    assert [t["visibility"] for t in out["tests"]] == ["visible"] * 5 + [choice] * 2
    VALIDATOR.validate(out)


def test_gradescope_error_submission_says_why() -> None:
    out = render_gradescope(errored())
    assert out["output"] == "Your submission could not be graded: Syntax error at line 3 (invalid syntax)"
    assert out["score"] == 0
    assert out["tests"][0]["status"] == "failed"


def held() -> dict[str, Any]:
    report = make_report([spec_result("output shape", 2, "error", "Your work is held ...")], status="held")
    report["held"] = {"reason": "tampering", "message": "Your work is held for your instructor to review.",
                      "events": [{"where": "line 3", "event": "gc.get_objects"}]}
    return report


def test_gradescope_held_submission_tells_the_student_it_is_held() -> None:
    out = render_gradescope(held())
    assert out["output"] == "Your work is held for your instructor to review."
    assert "gc.get_objects" not in json.dumps(out)  # what happened is for the instructor


@pytest.mark.parametrize("report", [graded(), errored(), held(), make_report([]), make_report([], wall_s=0.0)],
                         ids=["graded", "errored", "held", "no-tests", "instant"])
def test_gradescope_output_matches_the_published_schema(report: dict[str, Any]) -> None:
    out = render_gradescope(report)
    VALIDATOR.validate(out)
    VALIDATOR.validate(json.loads(FORMATS["gradescope"].render(report)))  # what lands on disk, too


def test_gradescope_schema_is_a_valid_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize(("path", "value"), [
    (("tests", 0, "status"), "error"),
    (("tests", 0, "visibility"), "secret"),
    (("visibility",), "public"),
    (("stdout_visibility",), True),
    (("score",), "2.5"),
    (("tests", 0, "max_score"), None),
    (("tests", 0, "tags"), "passed"),
    (("tests", 0, "output_format"), "pdf"),
    (("leaderboard",), [{"name": "Accuracy"}]),
    (("leaderboard",), [{"name": "Accuracy", "value": 0.9, "order": "up"}]),
    (("tests", 0, "typo"), 1),
])
def test_schema_rejects_what_gradescope_rejects(path: tuple[Any, ...], value: Any) -> None:
    out = render_gradescope(graded())
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert not VALIDATOR.is_valid(out)


def test_schema_needs_a_score_somewhere() -> None:
    out = render_gradescope(graded())
    del out["score"]
    assert VALIDATOR.is_valid(out)  # every test has a score
    del out["tests"][0]["score"]
    assert not VALIDATOR.is_valid(out)


def test_schema_accepts_the_optional_extras() -> None:
    out = render_gradescope(graded())
    out.update({"output_format": "md", "test_output_format": "ansi", "test_name_format": "text", "extra_data": {},
                "leaderboard": [{"name": "Accuracy", "value": 0.926}, {"name": "Time", "value": 15.1, "order": "asc"},
                                {"name": "Stars", "value": "*****"}]})
    out["tests"][0].update({"name_format": "html", "output_format": "simple_format", "extra_data": {"k": 1}})
    VALIDATOR.validate(out)


def test_gradescope_does_not_change_the_report() -> None:
    report = graded()
    before = copy.deepcopy(report)
    render_gradescope(report)
    assert report == before


# --- JUnit ---------------------------------------------------------------------------------------

def parse_junit(report: dict[str, Any]) -> ET.Element:
    text = render_junit(report)
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n')
    return ET.fromstring(text.encode("utf-8"))


def test_junit_suite_counts() -> None:
    suite = parse_junit(graded())
    assert suite.tag == "testsuite"
    assert suite.attrib == {"name": "concat.student07", "tests": "7", "failures": "2", "errors": "2",
                            "skipped": "1", "time": "3.600"}


def test_junit_testcases() -> None:
    cases = parse_junit(graded()).findall("testcase")
    assert [c.get("name") for c in cases] == ["output shape", "output values", "axis argument", "trains quickly",
                                              "gpu only", "hidden rule", "hidden edge"]
    assert {c.get("classname") for c in cases} == {"concat.student07"}
    assert {c.get("time") for c in cases} == {"0.250"}
    scores = [c.find("properties/property[@name='score']").get("value") for c in cases]  # type: ignore[union-attr]
    assert scores == ["2/2", "0/3", "0/2.5", "0/1", "0/1", "0.5/0.5", "0/1"]


def test_junit_failure_error_and_skipped_elements() -> None:
    cases = parse_junit(graded()).findall("testcase")
    children = [[child.tag for child in case if child.tag != "properties"] for case in cases]
    assert children == [[], ["failure"], ["error"], ["error"], ["skipped"], [], ["failure"]]
    failure = cases[1].find("failure")
    assert failure is not None
    assert failure.attrib == {"message": "ConcatBlock output has the right shape but 4 of 24 values differ.",
                              "type": "failed"}
    assert cases[3].find("error").get("type") == "timeout"  # type: ignore[union-attr]


def test_junit_escapes_markup_in_names_and_messages() -> None:
    report = make_report([spec_result('a <b> & "c"', 1, "failed", "expected <shape (3, 8)> & got ']]>'")])
    case = parse_junit(report).find("testcase")
    assert case is not None
    assert case.get("name") == 'a <b> & "c"'
    assert case.find("failure").get("message") == "expected <shape (3, 8)> & got ']]>'"  # type: ignore[union-attr]


def test_junit_message_is_capped() -> None:
    report = make_report([spec_result("long", 1, "failed", "x" * 5000)])
    assert len(parse_junit(report).find("testcase/failure").get("message")) == 1000  # type: ignore[union-attr,arg-type]


def test_junit_stays_well_formed_with_control_characters_in_a_message() -> None:
    # Messages quote the student's own exception text ("Your code raised an error: ..."), which can hold
    # characters XML 1.0 forbids (a bell, a NUL, a lone ESC); the XML must still parse.
    message = "Your code raised an error: ValueError: ding\x07 nul\x00 esc\x1b done"
    report = make_report([spec_result("weird", 1, "error", message)])
    error = parse_junit(report).find("testcase/error")
    assert error is not None
    assert error.get("message", "").startswith("Your code raised an error: ValueError: ding")


def test_junit_with_no_tests() -> None:
    suite = parse_junit(errored() | {"tests": []})
    assert suite.get("tests") == "0" and suite.findall("testcase") == []


# --- the registry and files on disk --------------------------------------------------------------

def test_format_file_names() -> None:
    assert FORMATS["json"].file_name("student07") == "student07.json"
    assert FORMATS["gradescope"].file_name("student07") == "student07.results.json"
    assert FORMATS["junit"].file_name("student07") == "student07.junit.xml"
    assert FORMATS["json"].render is None
    assert FORMATS["html"].file_name("student07") == "student07.report.html"


@pytest.mark.parametrize("hostile", ["../../etc/cron.d/x", "a/b", "..", ".hidden", "", "<script>", "é" * 300])
def test_file_names_of_odd_ids_stay_in_the_folder_and_distinct(hostile: str) -> None:
    stem = safe_stem(hostile)
    assert re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*", stem) and len(stem) <= 120
    assert safe_stem(hostile) == stem and safe_stem(hostile + "x") != stem
    assert FORMATS["gradescope"].file_name(hostile) == f"{stem}.results.json"
    assert safe_stem("student-07_v2.final") == "student-07_v2.final"  # ids `grader grade` makes are kept


def test_render_formats_writes_each_requested_file(tmp_path: Path) -> None:
    render_formats(graded(), tmp_path, ["json", "gradescope", "junit"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["student07.junit.xml", "student07.results.json"]
    on_disk = json.loads((tmp_path / "student07.results.json").read_text())
    assert on_disk == render_gradescope(graded())
    ET.parse(tmp_path / "student07.junit.xml")


def test_render_formats_with_only_json_writes_nothing(tmp_path: Path) -> None:
    render_formats(graded(), tmp_path, ["json"])
    assert list(tmp_path.iterdir()) == []
