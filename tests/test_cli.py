"""The command line end to end, as users and CI scripts call it."""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cli import build_parser, main
from grader.course.mutants import mutant_source
from grader.output.console import ISOLATION
from grader.sandbox.backend import current_backend

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "concat" / "solution.py"


def grader(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """A small class: a correct file, a wrong one, a syntax error, random bytes, a student folder."""
    folder = tmp_path_factory.mktemp("class")
    shutil.copy(SOLUTION, folder / "alice.py")
    (folder / "bob.py").write_text(mutant_source(ROOT / "solutions" / "concat" / "mutants" / "sums.diff", SOLUTION))
    (folder / "carol.py").write_text("def broken(:\n", encoding="utf-8")
    (folder / "dave.bin").write_bytes(bytes(range(256)) * 8)
    (folder / "erin").mkdir()
    shutil.copy(SOLUTION, folder / "erin" / "concat.py")
    out = tmp_path_factory.mktemp("out")
    done = grader("grade", "concat", str(folder), "--out", str(out), "--jobs", "2", "--seed", "7",
                  "--format", "json,gradescope,junit")
    return folder, out, done


def test_grade_writes_a_report_per_submission_and_exits_0(graded_class):
    _, out, done = graded_class
    assert done.returncode == 0, done.stderr
    assert "5 submission(s): 5 graded, 0 unchanged" in done.stdout
    for sid in ("alice", "bob", "carol", "dave", "erin"):
        report = json.loads((out / f"{sid}.json").read_text())
        assert report["schema"] == "grader-report/1" and report["id"] == sid and report["seed"] == 7
        assert (out / f"{sid}.results.json").exists() and (out / f"{sid}.junit.xml").exists()


def test_summary_and_gradebook_follow_the_contract(graded_class):
    _, out, _ = graded_class
    summary = json.loads((out / "summary.json").read_text())
    assert summary["schema"] == "grader-summary/1" and summary["assignment"] == "concat"
    by_id = {s["id"]: s for s in summary["submissions"]}
    assert by_id["alice"]["score"] == 10 and by_id["erin"]["score"] == 10
    assert by_id["carol"]["status"] == "error" and by_id["dave"]["status"] == "error"
    assert by_id["alice"]["reports"] == {"json": "alice.json", "gradescope": "alice.results.json",
                                         "junit": "alice.junit.xml"}
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert [r["id"] for r in rows] == ["alice", "bob", "carol", "dave", "erin"]
    assert list(rows[0])[:4] == ["id", "score", "max_score", "status"]
    # bob sums instead of concatenating: every test of what call returns fails, his sub-nets are tracked
    assert rows[1]["score"] == "1" and rows[0]["max_score"] == "10"


def test_regrading_unchanged_submissions_reuses_reports(graded_class):
    folder, out, _ = graded_class
    again = grader("grade", "concat", str(folder), "--out", str(out), "--seed", "7", "--quiet")
    assert again.returncode == 0
    assert "0 graded, 5 unchanged" in again.stdout


def test_check_exit_codes_and_table(tmp_path):
    shutil.copy(SOLUTION, tmp_path / "concat.py")
    good = grader("check", "concat", cwd=tmp_path)  # default file: the stub's name here
    assert good.returncode == 0, good.stderr
    assert "PASS  test_output_shape" in good.stdout
    assert good.stdout.splitlines()[-1] == ("  Total: 2.5 / 2.5 on the public tests; hidden tests worth 7.5 more "
                                            "points run when your work is graded")  # 10 points in all
    assert f"  Isolation: {ISOLATION[current_backend().sandbox()['mode']]}\n" in good.stdout
    bad = grader("check", "concat", str(ROOT / "assignments" / "concat" / "concat.py"))
    assert bad.returncode == 1
    assert "NotImplementedError at line 17" in bad.stdout and "Total: 0 / 2.5 on the public tests" in bad.stdout


def test_check_with_no_file_named_takes_the_stub_saved_last_and_says_so(tmp_path):
    shutil.copy(SOLUTION, tmp_path / "concat.py")
    shutil.copy(ROOT / "assignments" / "concat" / "concat.ipynb", tmp_path / "concat.ipynb")
    os.utime(tmp_path / "concat.py", (1_000_000_000, 1_000_000_000))  # the notebook was saved after the .py
    done = grader("check", "concat", cwd=tmp_path)
    assert done.returncode == 1 and done.stdout.startswith("concat: concat.ipynb\n")
    assert "NotImplementedError at cell 3, line 10" in done.stdout
    assert ("note: concat.ipynb was checked, not concat.py: it was saved more recently (pass the file name to "
            "check the other one).") in done.stdout


def test_usage_errors_exit_2_with_a_message(tmp_path, capsys):
    assert main(["grade", "nosuch", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: no assignment named 'nosuch' in the course at ") and "GRADER_COURSE" in err
    assert err.rstrip().endswith("known: concat, devices, initializer, lenet, mydense, saveload, transfer, tying")
    assert main(["grade", "concat", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 2
    assert main(["grade", "concat", str(tmp_path), "--out", str(tmp_path / "o"), "--shard", "3/2"]) == 2
    assert main(["grade", "concat", str(tmp_path), "--out", str(tmp_path / "o"), "--format", "pdf"]) == 2
    assert main(["frobnicate"]) == 2


def test_every_command_has_help_and_is_in_the_readme():
    parser = build_parser()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = parser._subparsers._group_actions[0].choices  # argparse keeps them here
    for name, sub in commands.items():
        assert sub.description or sub.format_help(), name
        assert f"grader {name}" in readme, f"README does not mention `grader {name}`"


def test_notebook_callable_check_prints_the_table(tmp_path, capsys, monkeypatch):
    import grader

    shutil.copy(SOLUTION, tmp_path / "concat.py")
    monkeypatch.chdir(tmp_path)
    result = grader.check("concat")
    assert result is not None and result.passed and result.exit_code == 0 and result["score"] == 2.5
    printed = capsys.readouterr().out
    assert "Total: 2.5 / 2.5" in printed and printed.strip() == str(result).strip()


def test_notebook_callable_check_says_why_nothing_was_checked(tmp_path, capsys, monkeypatch):
    import grader

    monkeypatch.chdir(tmp_path)
    assert grader.check("concat") is None
    assert "no concat.py or concat.ipynb in" in capsys.readouterr().err


def test_grade_writes_the_html_class_report_unless_formats_say_otherwise():
    default = build_parser().parse_args(["grade", "concat", "subs", "--out", "out"])
    assert default.format.split(",") == ["json", "html"]
    chosen = build_parser().parse_args(["grade", "concat", "subs", "--out", "out", "--format", "json,junit"])
    assert "html" not in chosen.format.split(",")


LEAN = """
import sys
for name in ("jinja2", "markupsafe", "matplotlib", "jsonschema"):  # the instructor's packages, not installed
    sys.modules[name] = None
from grader.cli import main
from grader.output.check_result import CheckResult
code = main(sys.argv[1:])
if sys.argv[1] == "check":
    from pathlib import Path
    print("HTML", "PASS</td>" in CheckResult.load(Path(sys.argv[-1]))._repr_html_())
sys.exit(code)
"""


def test_a_students_lean_install_checks_and_grade_names_the_extra_it_needs(tmp_path):
    """Also on a console whose code page cannot encode the student's text (Windows pipes often lack ✘ or é):
    the table is printed escaped, not a traceback."""
    mine = tmp_path / "mine_é✘.py"
    shutil.copy(SOLUTION, mine)
    done = subprocess.run([sys.executable, "-c", LEAN, "check", "concat", mine.name, "--json", str(tmp_path / "r.json")],
                          capture_output=True, timeout=600, cwd=tmp_path, env={**os.environ, "PYTHONIOENCODING": "ascii"})
    assert done.returncode == 0, done.stderr[-3000:]
    printed = done.stdout.decode("ascii")
    assert printed.startswith("concat: mine_\\xe9\\u2718.py\n")
    assert "Total: 2.5 / 2.5" in printed and "HTML True" in printed  # the notebook table too
    out = tmp_path / "out"
    refused = subprocess.run([sys.executable, "-c", LEAN, "grade", "concat", str(SOLUTION), "--out", str(out)],
                             capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert refused.returncode == 2 and not out.exists()  # before any grading, not after an hour of it
    assert ("the html class report (--format html, on by default) needs jinja2 and matplotlib: pip install "
            "'keras-grader[instructor]'") in refused.stderr



def test_release_says_where_the_bundle_went(tmp_path, capsys):
    assert main(["release", "concat", "--out", str(tmp_path / "bundle")]) == 0
    assert capsys.readouterr().out == f"student bundle: {tmp_path / 'bundle'}\n"
    assert (tmp_path / "bundle" / "assignments" / "concat" / "concat.py").is_file()
