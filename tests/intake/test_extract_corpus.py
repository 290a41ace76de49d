"""The wrapper corpus (tests/data/wrappers/): correct solutions wrapped the way students really
submit them, and the bundled correct examples (examples/submissions/), each graded full marks with
no flag through the command line (no false tampering alarm, issue 24), one run per assignment so the
warm worker parent is shared."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "wrappers"
EXAMPLES = ROOT / "examples" / "submissions"


def correct_examples(slug: str) -> list[Path]:
    """The bundled examples meant to be right (the others say so in their names: partly_wrong, syntax_error)."""
    folder = EXAMPLES / slug
    return sorted(p for p in folder.iterdir() if not any(w in p.stem for w in ("wrong", "error"))) \
        if folder.is_dir() else []


def grade(slug: str, folder: Path, out: Path) -> dict:
    done = subprocess.run([sys.executable, "-m", "grader", "grade", slug, str(folder), "--out", str(out),
                           "--jobs", "2", "--seed", "11"], capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads((out / "summary.json").read_text())


def report(out: Path, summary: dict, submission_id: str) -> dict:
    entry = next(s for s in summary["submissions"] if s["id"] == submission_id)
    return json.loads((out / entry["report"]).read_text())


@pytest.mark.slow
@pytest.mark.parametrize("slug", sorted({p.name for p in [*CORPUS.iterdir(), *EXAMPLES.iterdir()] if p.is_dir()}))
def test_every_wrapper_and_correct_example_scores_full_marks_with_no_flag(slug: str, tmp_path: Path) -> None:
    folder = tmp_path / "class"
    if (CORPUS / slug).is_dir():
        shutil.copytree(CORPUS / slug, folder)
    folder.mkdir(exist_ok=True)
    for example in correct_examples(slug):
        shutil.copy(example, folder / f"example_{example.name}")
    summary = grade(slug, folder, tmp_path / "out")
    scores = {s["id"]: (s["status"], s["score"], s["max_score"], s["flags"]) for s in summary["submissions"]}
    assert len(scores) == len(list(folder.iterdir())) > 0
    assert all(status == "graded" and score == top > 0 and flags == []
               for status, score, top, flags in scores.values()), scores


@pytest.mark.slow
def test_concat_reports_say_what_ran_and_why_and_a_missing_run_file_is_a_precise_error(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("c01_colab_training.ipynb", "c02_globals_and_helpers.py", "c04_powershell_utf16.py"):
        shutil.copy(CORPUS / "concat" / name, folder / name)
    cells = ["import tensorflow as tf", "x = 1\n%run setup_data.py"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    (folder / "missing_run.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
    out = tmp_path / "out"
    summary = grade("concat", folder, out)

    training = report(out, summary, "c01_colab_training")
    assert training["score"] == training["max_score"]
    assert "history = model.fit(X, y, epochs=30, batch_size=32, verbose=1)" in [
        d["code"] for d in training["extraction"]["dropped"]]
    assert training["extraction"]["kept"] == []
    assert training["timing"]["wall_s"] < 120  # the 30 epochs never run

    helpers = report(out, summary, "c02_globals_and_helpers")["extraction"]
    assert [(k["line"], k["needed_by"]) for k in helpers["kept"]] == [(4, "ConcatBlock"), (5, "ConcatBlock"),
                                                                       (6, "ConcatBlock")]
    utf16 = report(out, summary, "c04_powershell_utf16")["extraction"]
    assert utf16["notes"][0].startswith("c04_powershell_utf16.py is saved as UTF-16")

    missing = report(out, summary, "missing_run")
    assert missing["status"] == "error" and missing["error"]["kind"] == "run"
    assert missing["error"]["message"].startswith("cell 2, line 2: `%run setup_data.py` runs setup_data.py, which "
                                                  "is not in your submission.")
