"""Tests for grader.output.similarity: copies rank above independent work, starter code raises nothing.

The class is tests/data/similarity/tying/ (see COPIES.md there): eight independent, correct
`tying` solutions in different styles and five disguised copies of some of them. Similarity is
computed from ingest + extract alone, as `grade` does it: no worker, no TensorFlow.
"""
from __future__ import annotations

import itertools
import json
import re
import shutil
from pathlib import Path

import pytest

from grader.assignments import load_assignment
from grader.output import similarity as sim
from grader.output.html_report import write_pair_pages

CLASS = Path(__file__).resolve().parents[1] / "data" / "similarity" / "tying"
COPIES = {frozenset(p) for p in (("ada", "ivan"), ("bruno", "jonas"), ("chen", "kim"), ("dara", "lena"), ("gus", "max"))}
INDEPENDENT = ("ada", "bruno", "chen", "dara", "emeka", "farah", "gus", "hana")


@pytest.fixture(scope="module")
def tying() -> tuple[dict[str, str], str]:
    assignment = load_assignment("tying")
    codes = {p.stem: sim.graded_code(p, assignment) for p in sorted(CLASS.iterdir()) if p.suffix in (".py", ".ipynb")}
    assert all(codes.values()) and len(codes) == 13
    return codes, sim.stub_code(assignment)


@pytest.fixture(scope="module")
def result(tying) -> sim.Similarity:
    codes, stub = tying
    return sim.compare_class(codes, boilerplate=stub)


def test_every_copy_pair_ranks_above_every_independent_pair(result: sim.Similarity) -> None:
    scores = {frozenset((p.a, p.b)): p.score for p in result.pairs}
    copies = [scores[pair] for pair in COPIES]
    independent = [scores.get(frozenset(pair), 0.0) for pair in itertools.combinations(INDEPENDENT, 2)]
    assert min(copies) > max(independent)
    assert {frozenset((p.a, p.b)) for p in result.flagged} == COPIES  # flagged: the copies, and only they
    assert result.skipped == {}


def test_a_renamed_copy_is_the_same_code_once_normalized(result: sim.Similarity) -> None:
    pair = next(p for p in result.pairs if {p.a, p.b} == {"ada", "ivan"})
    assert pair.identical_code and not pair.identical and pair.score == 1.0


def test_the_notebook_copy_is_compared_as_the_code_that_would_be_graded(result: sim.Similarity) -> None:
    pair = next(p for p in result.pairs if {p.a, p.b} == {"dara", "lena"})
    assert pair.score > 0.95  # magics, demo cells and net.summary() did not hide it


def test_starter_code_raises_nothing(tying) -> None:
    codes, stub = tying
    assignment = load_assignment("tying")
    starters = {f"stub{i}": sim.graded_code(assignment.stub_py, assignment) for i in range(3)}
    starters["nb"] = sim.graded_code(assignment.stub_ipynb, assignment)
    found = sim.compare_class({**starters, "ada": codes["ada"]}, boilerplate=stub)
    assert found.flagged == [] and set(found.skipped) == set(starters)  # the stub alone is not a student's code
    with_stub = {"a": stub + codes["ada"], "b": stub + codes["chen"]}  # both kept the stub's text above their work
    assert score(sim.compare_class(with_stub, boilerplate=stub)) < sim.FLAG
    assert score(sim.compare_class(with_stub)) > score(sim.compare_class(with_stub, boilerplate=stub))


def score(result: sim.Similarity) -> float:
    return result.pairs[0].score if result.pairs else 0.0


def test_identical_files_are_flagged_outright_even_when_short(tying) -> None:
    codes, stub = tying
    short = "def build_tied_net(units=4):\n    return None\n"
    found = sim.compare_class({"x": short, "y": short, "ada": codes["ada"]}, boilerplate=stub,
                              sha256={"x": "1" * 64, "y": "1" * 64, "ada": "2" * 64})
    (pair,) = found.flagged
    assert (pair.a, pair.b, pair.identical, pair.score) == ("x", "y", True, 1.0)


def test_pair_pages_show_both_codes_with_the_shared_passages_marked_and_escaped(tmp_path: Path, tying) -> None:
    codes, stub = tying
    hostile = codes["ada"] + '\n# </pre><script>alert(1)</script>\n'
    codes = {"ada": codes["ada"], "ivan<x>": hostile, "farah": codes["farah"]}
    found = sim.compare_class(codes, boilerplate=stub)
    pages = write_pair_pages(tmp_path, found, codes)
    (name,) = pages.values()
    page = (tmp_path / name).read_text()
    assert name.startswith("similarity/") and "<script>alert" not in page and "&lt;script&gt;alert(1)" in page
    assert "script-src 'none'" in page and "<mark>" in page
    marked = "".join(re.findall(r"<mark>(.*?)</mark>", page, flags=re.S))
    assert "GradientTape" in marked  # the shared code is what is marked
    data = sim.write_similarity(tmp_path, found, codes, pages)
    assert json.loads((tmp_path / "similarity.json").read_text()) == data
    assert data["pairs"][0]["page"] == name and data["pairs"][0]["flagged"]
    assert [p["score"] for p in data["pairs"]] == sorted((p["score"] for p in data["pairs"]), reverse=True)


def test_segments_cover_the_code_exactly_once() -> None:
    code = "abcdefghij"
    pieces = sim.segments(code, [(2, 4), (3, 6), (8, 20)])
    assert "".join(text for text, _ in pieces) == code
    assert [text for text, marked in pieces if marked] == ["cd", "ef", "ij"]


def test_kept_code_is_reused_only_for_the_same_bytes(tmp_path: Path) -> None:
    sim.keep_code(tmp_path, "alice", "a" * 64, "x = 1\n")
    assert sim.cached_code(tmp_path, "alice", "a" * 64) == "x = 1\n"
    assert sim.cached_code(tmp_path, "alice", "b" * 64) is None  # the submission changed since
    assert sim.cached_code(tmp_path, "bob", "a" * 64) is None


def test_unreadable_submissions_give_no_code(tmp_path: Path) -> None:
    assignment = load_assignment("tying")
    (tmp_path / "empty.py").write_text("")
    (tmp_path / "broken.py").write_text("def build_tied_net(:\n")
    assert sim.graded_code(tmp_path / "empty.py", assignment) is None
    assert sim.graded_code(tmp_path / "missing.py", assignment) is None
    shutil.copy(CLASS / "ada.py", tmp_path / "ada.py")
    assert "GradientTape" in sim.graded_code(tmp_path / "ada.py", assignment)


def test_without_copydetect_identical_files_are_still_flagged(monkeypatch: pytest.MonkeyPatch, tying) -> None:
    import sys

    codes, stub = tying
    monkeypatch.setitem(sys.modules, "copydetect", None)  # a machine without it: the import fails
    found = sim.compare_class({"ada": codes["ada"], "ivan": codes["ivan"], "x": codes["ada"]}, boilerplate=stub,
                              sha256={"ada": "1" * 64, "x": "1" * 64, "ivan": "2" * 64})
    assert [(p.a, p.b, p.identical) for p in found.flagged] == [("ada", "x", True)]
    assert "copydetect is not installed" in found.unavailable
