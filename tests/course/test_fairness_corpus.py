"""The fairness corpus (tests/data/fairness/, issue 20): students' files, correct in their own style
or with one realistic mistake, each graded as its manifest entry says: full marks, or exactly the
tests of one clause with the messages asked for. One `grader grade` batch per assignment."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "fairness"
MANIFEST = tomllib.loads((CORPUS / "manifest.toml").read_text(encoding="utf-8"))
SEED = 20


def entry_id(path: Path) -> str:
    return path.name if path.is_dir() else path.stem


def test_the_manifest_lists_every_file_and_nothing_else():
    folders = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
    assert sorted(MANIFEST) == folders
    for slug in folders:
        assert sorted(MANIFEST[slug]) == sorted(entry_id(p) for p in (CORPUS / slug).iterdir()), slug
        for name, entry in MANIFEST[slug].items():
            assert ("expect" in entry) != ("loses" in entry), name
            assert set(entry.get("says", {})) | set(entry.get("hides", {})) <= set(entry.get("loses", [])), name


def grade(slug: str, tmp_path: Path) -> dict[str, dict]:
    folder = tmp_path / "class"
    shutil.copytree(CORPUS / slug, folder)
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "grader", "grade", slug, str(folder), "--out", str(out),
                           "--jobs", "2", "--seed", str(SEED), "--format", "json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    return {s["id"]: json.loads((out / s["report"]).read_text()) for s in summary["submissions"]}


@pytest.mark.slow
@pytest.mark.parametrize("slug", sorted(MANIFEST))
def test_every_file_scores_what_its_manifest_entry_says(slug: str, tmp_path: Path) -> None:
    reports = grade(slug, tmp_path)
    assert sorted(reports) == sorted(MANIFEST[slug])
    for name, entry in MANIFEST[slug].items():
        report = reports[name]
        lost = {t["name"]: t["message"] for t in report["tests"] if t["score"] < t["points"]}
        assert report["status"] == "graded", (name, report["error"])
        if entry.get("expect") == "full":
            assert report["score"] == report["max_score"] == 10, (name, lost)
            continue
        assert sorted(lost) == sorted(entry["loses"]), (name, lost)
        assert len({t["clause"] for t in report["tests"] if t["name"] in lost}) == 1, name  # one clause
        for test, fragment in entry.get("says", {}).items():
            assert fragment in lost[test], (name, test, lost[test])
        for test, fragment in entry.get("hides", {}).items():
            assert fragment not in lost[test], (name, test, lost[test])
