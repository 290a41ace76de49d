"""Tests for grader.html_report: the class page and per-submission pages, escaped, offline, in a real browser.

The browser tests grade the bundled concat examples once, open the pages in
headless Debian Chromium through selenium and chromium-driver (never a
downloaded browser), and save a screenshot; `GRADER_UPDATE_SCREENSHOT=1`
copies it to docs/class-report.png for the README.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grader.cli import main
from grader.output.html_report import (
    INDEX,
    histogram_counts,
    histogram_svg,
    needs_a_look,
    page_name,
    render_class_page,
    render_submission_page,
)
from grader.output.report import build_summary, summary_entry

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = '<script>window.pwned = 1</script><b id="injected">bold</b> & "quotes"'


def spec_result(name: str, points: float, outcome: str, message: str = "") -> dict[str, Any]:
    return {"name": name, "points": points, "score": points if outcome == "passed" else 0.0, "outcome": outcome,
            "message": message, "visibility": "visible", "device": "cpu", "duration_s": 0.1}


def make_report(id: str, tests: list[dict[str, Any]], *, status: str = "graded", flags: list[str] | None = None,
                error: dict[str, str] | None = None, assignment: str = "concat") -> dict[str, Any]:
    """Shaped like grader.score.GradingResult.to_dict()."""
    return {
        "schema": "grader-report/1", "assignment": assignment, "id": id,
        "submission": {"path": f"/subs/{id}.py", "sha256": "0" * 64, "kind": "python"},
        "status": status, "error": error, "score": round(sum(t["score"] for t in tests), 4),
        "max_score": round(sum(t["points"] for t in tests), 4) or 10.0, "tests": tests,
        "extraction": {"dropped": [{"line": 9, "code": "model.fit(x, y)"}], "notes": [], "problems": []},
        "devices": {"cpu": {"status": "ran", "tests": {t["name"]: t["outcome"] for t in tests}},
                    "gpu": {"status": "skipped", "reason": "no GPU visible"}},
        "flags": flags or [], "seed": 4321, "timing": {"wall_s": 1.25},
        "environment": {"python": "3.11.7", "keras": "3.15.1"}, "output": {"stdout": "", "stderr": ""},
        "hashes": {}, "internal_errors": [],
    }


def hostile_report() -> dict[str, Any]:
    report = make_report(f"../{HOSTILE}", [spec_result("output shape", 2, "failed", HOSTILE),
                                           spec_result(HOSTILE, 1, "passed")], flags=[HOSTILE])
    report["submission"]["path"] = HOSTILE
    report["extraction"]["dropped"][0]["code"] = HOSTILE
    report["output"]["stdout"] = HOSTILE + "\x00\x1b[31m"
    return report


def summary_of(reports: list[dict[str, Any]]) -> dict[str, Any]:
    entries = [summary_entry(r, {"json": f"{r['id']}.json"}) for r in reports]
    return build_summary("concat", entries, reports=reports)


def scripts_in(page: str) -> list[str]:
    return re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S)


# --- escaping and offline --------------------------------------------------------------------------

def test_student_text_is_escaped_on_the_submission_page() -> None:
    page = render_submission_page(hostile_report())
    assert "<script>window" not in page and 'id="injected"' not in page
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in page
    assert scripts_in(page) == [] and "script-src 'none'" in page
    assert "\x00" not in page and "\x1b" not in page


def test_student_text_is_escaped_on_the_class_page_and_only_our_script_may_run() -> None:
    reports = [hostile_report(), make_report("alice", [spec_result("output shape", 2, "passed")])]
    page = render_class_page(summary_of(reports), reports)
    assert "<script>window" not in page and 'id="injected"' not in page
    assert page.count("&lt;script&gt;window.pwned = 1&lt;/script&gt;") >= 3  # item analysis, needs a look, flags
    (script,) = scripts_in(page)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)[1]
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # nothing fetched from anywhere


def test_submission_page_shows_legs_disagreements_load_problems_and_versions() -> None:
    report = make_report("gpu_student", [spec_result("shape", 1, "passed"), spec_result("values", 2, "failed", "off")],
                         flags=["device-disagreement"])
    report["devices"] = {"cpu": {"status": "ran", "tests": {"shape": "passed", "values": "failed"}},
                         "gpu": {"status": "ran", "tests": {"shape": "passed", "values": "passed"}},
                         "disagreements": [{"test": "values", "cpu": "failed", "gpu": "passed"}],
                         "numeric": {"compared": 3, "mismatched": 1, "max_abs_diff": 0.5}}
    report["extraction"]["problems"] = [{"where": "cell 4, line 2", "error": "NameError: name 'np' is not defined"}]
    report["extraction"]["dropped"] = [{"line": 2, "code": "model.fit(x, y, epochs=30)", "cell": 4}]
    text = html.unescape(re.sub(r"<[^>]+>", " ", render_submission_page(report)))
    words = " ".join(text.split())
    assert "cpu ran 1 of 2" in words and "gpu ran 2 of 2" in words
    assert "test: values cpu: failed gpu: passed" in words
    assert "Numeric answers compared between legs: 3, mismatched: 1" in words
    assert "cell 4, line 2: NameError: name 'np' is not defined" in words
    assert "cell 4, line 2 model.fit(x, y, epochs=30)" in words
    assert "Needs a look: CPU and GPU legs disagree on a test" in words
    assert "Seed 4321" in words and "keras 3.15.1" in words and "✘ FAIL values 0/2 off" in words


@pytest.mark.parametrize("kind, said", [
    ("syntax", "Nothing of it ran: it could not be read or run"),
    ("import", "Loading stopped at the problem above: statements before it ran"),
    ("missing-name", "It loaded, but a name the tests need was missing"),
    ("grader", "The grader failed on it (see above), so what ran is not known"),
])
def test_a_report_that_was_not_graded_says_truly_what_ran(kind: str, said: str) -> None:
    report = make_report("dana", [spec_result("shape", 1, "error", "x")], status="error",
                         error={"kind": kind, "message": "Syntax error at line 5"})
    report["extraction"]["dropped"] = []
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", render_submission_page(report))).split())
    assert said in words
    assert "whole file ran" not in words and "were run; other top-level statements" not in words


@pytest.mark.parametrize("submission_id", ["../../etc/passwd", "<script>", "a/b", "..", "", "x" * 400])
def test_page_names_are_safe_file_names(submission_id: str) -> None:
    name = page_name(submission_id)
    assert re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*\.report\.html", name) and len(name) < 140
    assert page_name(submission_id) != page_name(submission_id + "!")  # cleaned ids stay distinct


def test_ordinary_ids_keep_their_name_and_never_clash_with_the_index() -> None:
    assert page_name("alice_correct") == "alice_correct.report.html"
    assert page_name("index") != INDEX


# --- histogram --------------------------------------------------------------------------------------

def test_histogram_counts_put_full_marks_in_the_last_band() -> None:
    assert histogram_counts([0, 0.5, 1, 9.99, 10, 10], 10) == [2, 1, 0, 0, 0, 0, 0, 0, 0, 3]
    assert histogram_counts([0, 2.5], 2.5) == [1, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert sum(histogram_counts([0, 0], 0)) == 2  # nothing could be scored: no division by zero


def test_histogram_svg_labels_each_band_with_its_count() -> None:
    svg = histogram_svg([0, 7, 10, 10], 10)
    assert svg.startswith("<svg")
    labels = dict(re.findall(r'<g id="bin-count-(\d+)">.*?<text[^>]*>(\d+)</text>', svg, flags=re.S))
    assert labels == {"0": "1", "7": "1", "9": "2"}
    assert not re.search(r'href="(?!#)', svg)  # it references nothing outside itself


# --- what needs a look ------------------------------------------------------------------------------

def test_needs_a_look_names_errors_flags_timeouts_and_grader_problems() -> None:
    assert needs_a_look(make_report("a", [spec_result("t", 1, "passed")])) == []
    broken = make_report("b", [], status="error", error={"kind": "syntax", "message": "Syntax error at line 3"})
    assert needs_a_look(broken) == ["not graded: Syntax error at line 3"]
    flagged = make_report("c", [spec_result("t", 1, "timeout")], flags=["memory-limit", "tampering"])
    assert needs_a_look(flagged) == ["hit the memory limit", "reached for grader internals (tampering)",
                                     "1 test(s) timed out"]
    spec_bug = make_report("d", [spec_result("t", 1, "passed")])
    spec_bug["internal_errors"] = ["test_x: the spec raised KeyError: 'w'", "introspection: line 3: gc.get_objects"]
    assert needs_a_look(spec_bug) == ["the grader could not run some checks: the course's own specs, probes or stub "
                                      "failed, not the student's code (1 note; see the page)"]


def held_report(events: list[dict[str, str]] | None = None) -> dict[str, Any]:
    report = make_report("mallory", [spec_result("shape", 2, "error", "held"), spec_result("values", 8, "error", "held")],
                         status="held", flags=["tampering"])
    report["held"] = {"reason": "tampering", "message": "Your work is held for your instructor to review: ...",
                      "events": events if events is not None else [
                          {"where": "cell 3, line 2", "event": "gc.get_objects"},
                          {"where": "blocks.py, line 4", "event": "sys._getframe", "via": "inspect.py:currentframe"}]}
    return report


def test_a_held_submission_needs_a_look_with_each_event_where_it_happened() -> None:
    assert needs_a_look(held_report()) == [
        "held for review, not scored (tampering): gc.get_objects at cell 3, line 2; sys._getframe at blocks.py, line 4"]
    hand_edited = held_report(events=[{"where": HOSTILE, "event": 3}, "not an event"])
    assert needs_a_look(hand_edited)[0].startswith("held for review, not scored (tampering): 3 at <script>")


def test_the_held_page_lists_the_events_and_the_class_page_counts_held_apart() -> None:
    report = held_report()
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", render_submission_page(report))).split())
    assert "Held for review: not scored" in text
    assert "cell 3, line 2 gc.get_objects" in text and "blocks.py, line 4 sys._getframe inspect.py:currentframe" in text
    assert "The student was told: Your work is held for your instructor to review" in text
    reports = [report, make_report("alice", [spec_result("shape", 2, "passed"), spec_result("values", 8, "passed")])]
    page = render_class_page(summary_of(reports), reports)
    assert re.search(r'data-total="held">1<', page) and re.search(r'data-total="mean_score">10 / 10<', page)
    assert "mallory</a>: held for review, not scored (tampering)" in html.unescape(page)


# --- grader report DIR ------------------------------------------------------------------------------

def write_reports(folder: Path, reports: list[dict[str, Any]]) -> None:
    folder.mkdir(exist_ok=True)
    for number, report in enumerate(reports):
        (folder / f"r{number}.json").write_text(json.dumps(report), encoding="utf-8")


def test_report_command_renders_every_page_and_the_index(tmp_path: Path, capsys) -> None:
    write_reports(tmp_path, [make_report("alice", [spec_result("t", 1, "passed")]), hostile_report()])
    (tmp_path / "summary.json").write_text(json.dumps({"graded_at": "2026-01-02T03:04:05+00:00", "seed": 99}))
    assert main(["report", str(tmp_path)]) == 0
    assert f"class report: {tmp_path / INDEX}" in capsys.readouterr().out
    pages = sorted(p.name for p in tmp_path.glob("*.html"))
    assert pages == sorted([INDEX, "alice.report.html", page_name(hostile_report()["id"])])
    index = (tmp_path / INDEX).read_text(encoding="utf-8")
    assert "Graded 2026-01-02T03:04:05+00:00 · seed 99" in index
    assert f'href="{page_name(hostile_report()["id"])}"' in index
    summary = json.loads((tmp_path / "summary.json").read_text())  # rebuilt from the reports, how it was graded kept
    assert (summary["graded_at"], summary["seed"], len(summary["submissions"])) == ("2026-01-02T03:04:05+00:00", 99, 2)


# (more of `grader report DIR`: tests/output/test_class_folder.py)


# --- in a real browser -------------------------------------------------------------------------------

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1200,900"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium through chromium-driver; CI (.ci/run) installs both."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        if os.environ.get("GRADER_REQUIRE_BROWSER"):
            pytest.fail("GRADER_REQUIRE_BROWSER is set but chromium/chromium-driver are not installed")
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="grader-chromium-")
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def graded_examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled concat examples graded once, HTML included (the default formats)."""
    from grader.api import grade

    out = tmp_path_factory.mktemp("concat-class")
    grade("concat", [ROOT / "examples" / "submissions" / "concat"], out=out, seed=7, jobs=1, progress=False)
    return out


def open_page(driver: Any, path: Path) -> None:
    driver.get_log("browser")  # empty the log: what follows is this page's
    driver.get(path.resolve().as_uri())


def console_errors(driver: Any) -> list[dict[str, Any]]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def column(driver: Any, index: int) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#submissions tbody tr'))"
        ".map(r => r.cells[arguments[0]].textContent.trim());", index)


def test_class_page_in_a_browser(browser: Any, graded_examples: Path) -> None:
    from selenium.webdriver.common.by import By

    summary = json.loads((graded_examples / "summary.json").read_text())
    reports = [json.loads((graded_examples / e["report"]).read_text()) for e in summary["submissions"]]
    open_page(browser, graded_examples / INDEX)
    assert console_errors(browser) == []
    save_screenshot(browser, graded_examples / "class-report.png")
    totals = {b.get_attribute("data-total"): b.text for b in browser.find_elements(By.CSS_SELECTOR, "[data-total]")}
    assert (totals["submissions"], totals["graded"], totals["errored"]) == ("4", "3", "1")

    # the histogram: each band's label is the number of scores in it, counted here independently
    max_score = summary["totals"]["max_score"]
    expected: dict[int, int] = {}
    for report in reports:
        band = min(int(report["score"] // (max_score / 10)), 9)
        expected[band] = expected.get(band, 0) + 1
    labels = browser.execute_script(
        "return Array.from(document.querySelectorAll('#histogram svg g[id^=\"bin-count-\"]'))"
        ".map(g => [g.id, g.textContent.trim()]);")
    assert {int(gid.rsplit("-", 1)[1]): int(text) for gid, text in labels} == expected

    # item analysis: one row per test, with pass counts recounted from the reports
    rows = browser.find_elements(By.CSS_SELECTOR, "#item-analysis tbody tr")
    assert [r.get_attribute("data-test") for r in rows] == [t["name"] for t in reports[0]["tests"]]
    for row in rows:
        name = row.get_attribute("data-test")
        passed = sum(t["outcome"] == "passed" for r in reports for t in r["tests"] if t["name"] == name)
        assert row.find_element(By.CSS_SELECTOR, "[data-col=passed]").text == f"{passed} of 4"
        assert row.find_element(By.CSS_SELECTOR, "[data-col=share]").text == f"{100 * passed / 4:.0f}%"
    axis = next(r for r in rows if r.get_attribute("data-test") == "test_axis_argument_is_used")
    assert "should have shape" in axis.text  # bob's mistake is among the top messages

    # needs a look: dana's syntax error
    assert "dana_syntax_error: not graded: Syntax error" in browser.find_element(By.ID, "needs-a-look").text

    # sorting: by score ascending, then descending; by id
    score_header = browser.find_element(By.XPATH, "//table[@id='submissions']//th[2]/button")
    score_header.click()
    ascending = [float(s.split("/")[0]) for s in column(browser, 1)]
    assert ascending == sorted(ascending) and ascending[0] == 0.0
    score_header.click()
    assert [float(s.split("/")[0]) for s in column(browser, 1)] == sorted(ascending, reverse=True)
    browser.find_element(By.XPATH, "//table[@id='submissions']//th[1]/button").click()
    assert column(browser, 0) == sorted(column(browser, 0))
    browser.find_element(By.XPATH, "//table[@id='submissions']//th[1]/button").click()
    assert column(browser, 0) == sorted(column(browser, 0), reverse=True)
    assert console_errors(browser) == []

    # one submission's page, reached by its link
    browser.find_element(By.LINK_TEXT, "bob_partly_wrong").click()
    assert browser.current_url.endswith("/bob_partly_wrong.report.html")
    assert console_errors(browser) == []
    bob = json.loads((graded_examples / "bob_partly_wrong.json").read_text())
    assert browser.find_element(By.ID, "score").text == f"{bob['score']:g} / {bob['max_score']:g}"
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.tests tbody tr")) == len(bob["tests"])
    failed = browser.find_element(By.CSS_SELECTOR, "table.tests tr.failed").text
    assert "FAIL" in failed and "test_axis_argument_is_used" in failed and "should have shape" in failed
    assert browser.find_element(By.ID, "seed").text == "7"
    assert "print(net(" in browser.find_element(By.ID, "dropped").text  # what extraction did not run


def save_screenshot(driver: Any, path: Path) -> None:
    """The whole page; GRADER_UPDATE_SCREENSHOT=1 also refreshes the README's copy."""
    height = driver.execute_script("window.scrollTo(0, 0); return document.documentElement.scrollHeight;")
    driver.set_window_size(1200, min(height + 140, 4000))  # the window's frame takes some of its height
    assert driver.save_screenshot(str(path)) and path.stat().st_size > 10_000
    driver.set_window_size(1200, 900)
    if os.environ.get("GRADER_UPDATE_SCREENSHOT"):
        (ROOT / "docs").mkdir(exist_ok=True)
        shutil.copy(path, ROOT / "docs" / "class-report.png")


def test_hostile_text_renders_as_text_in_a_browser(browser: Any, graded_examples: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    folder = tmp_path / "class"
    shutil.copytree(graded_examples, folder)
    (folder / "mallory.json").write_text(json.dumps(hostile_report()), encoding="utf-8")
    assert main(["report", str(folder)]) == 0
    page = folder / page_name(hostile_report()["id"])
    assert page.parent == folder and page.exists()
    for path in (folder / INDEX, page):
        open_page(browser, path)
        assert console_errors(browser) == []
        assert browser.execute_script("return window.pwned;") is None
        assert browser.find_elements(By.ID, "injected") == []
        assert "<script>window.pwned = 1</script>" in browser.find_element(By.TAG_NAME, "body").text
    assert browser.execute_script("return document.scripts.length;") == 0  # the submission page needs none
