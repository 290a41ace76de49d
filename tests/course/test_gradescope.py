"""The Gradescope autograder bundle: its scripts, what its zip holds, and a simulated Gradescope run."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from grader.api import gradescope_bundle
from grader.cli import main
from grader.course.gradescope import write_results
from grader.course.mutants import mutant_source
from grader.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions" / "concat"
SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "gradescope_schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gradescope")
    gradescope_bundle("concat", out=out)
    return out


def zip_members(bundle: Path) -> dict[str, zipfile.ZipInfo]:
    with zipfile.ZipFile(bundle / "autograder.zip") as archive:
        return {info.filename: info for info in archive.infolist()}


def test_setup_and_run_autograder_exist_are_executable_and_parse(bundle):
    for name in ("setup.sh", "run_autograder"):
        script = bundle / name
        assert script.is_file() and os.access(script, os.X_OK), name
        assert script.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")
        subprocess.run(["bash", "-n", str(script)], check=True)
    assert "pip install ./course" in (bundle / "setup.sh").read_text(encoding="utf-8")


def test_zip_has_executable_scripts_at_its_root_and_the_hidden_specs(bundle):
    members = zip_members(bundle)
    for name in ("setup.sh", "run_autograder"):
        assert (members[name].external_attr >> 16) & 0o111, f"{name} is not executable in the zip"
    for name in ("course/solutions/concat/hidden/test_hidden.py", "course/assignments/concat/tests/test_public.py",
                 "course/assignments/concat/probes.py", "course/grader/cli.py", "course/pyproject.toml"):
        assert name in members, name


def test_zip_never_holds_a_solution_or_a_mutant(bundle):
    members = zip_members(bundle)
    course_files = [n for n in members if not n.startswith("course/grader/")]  # the grader's own code is not course
    assert not any("mutant" in n or n.endswith("solution.py") for n in course_files)
    assert not any(n.endswith((".diff", "solution.py")) or "/mutants/" in n for n in members)
    assert all(n.startswith("course/solutions/concat/hidden/") for n in members if n.startswith("course/solutions/"))
    with zipfile.ZipFile(bundle / "autograder.zip") as archive:
        bodies = {archive.read(n) for n in members}
    for secret in [SOLUTIONS / "solution.py", *sorted((SOLUTIONS / "mutants").glob("*"))]:
        assert secret.read_bytes() not in bodies, f"{secret.name} was bundled"
        code = mutant_source(secret, SOLUTIONS / "solution.py").encode("utf-8")
        assert code not in bodies, f"the code of {secret.name} was bundled"


def test_readme_says_the_bundle_is_not_for_students(bundle):
    assert "Do not give this to students" in (bundle / "README.md").read_text(encoding="utf-8")


def test_cli_builds_the_bundle_with_the_chosen_hidden_visibility(tmp_path, capsys):
    assert main(["gradescope", "concat", "--out", str(tmp_path), "--hidden-visibility", "hidden"]) == 0
    assert "HIDDEN_VISIBILITY=hidden\n" in (tmp_path / "run_autograder").read_text(encoding="utf-8")
    assert "autograder.zip" in capsys.readouterr().out


def test_cli_refuses_an_unknown_visibility_or_assignment(tmp_path, capsys):
    assert main(["gradescope", "concat", "--out", str(tmp_path), "--hidden-visibility", "never"]) == 2
    assert main(["gradescope", "nosuch", "--out", str(tmp_path)]) == 2
    assert "Error: no assignment named 'nosuch'" in capsys.readouterr().err
    with pytest.raises(UsageError, match="--hidden-visibility"):
        gradescope_bundle("concat", out=tmp_path, hidden_visibility="never")


def test_results_without_a_report_are_a_valid_failing_file(tmp_path):
    write_results(tmp_path / "no-such-run", tmp_path / "results.json")
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    VALIDATOR.validate(results)
    assert results["score"] == 0 and "tell your instructor" in results["output"]


def gradescope_layout(tmp_path: Path, bundle: Path) -> Path:
    """What Gradescope does: unzip into ROOT/source, copy run_autograder to ROOT, files in ROOT/submission."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle / "autograder.zip") as archive:
        archive.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    return root


def run_autograder(root: Path, python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), GRADER_PYTHON=python)
    return subprocess.run(["bash", str(root / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=300, cwd=root)


def test_simulated_gradescope_run_scores_a_correct_submission_10(tmp_path, bundle):
    root = gradescope_layout(tmp_path, bundle)
    shutil.copy(SOLUTIONS / "solution.py", root / "submission" / "concat.py")
    done = run_autograder(root)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    VALIDATOR.validate(results)
    assert results["score"] == 10, results
    assert {t["visibility"] for t in results["tests"]} == {"visible", "after_published"}


def test_run_autograder_writes_a_failing_results_file_when_the_grader_cannot_start(tmp_path, bundle):
    root = gradescope_layout(tmp_path, bundle)
    done = run_autograder(root, python=str(tmp_path / "no-python"))
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    VALIDATOR.validate(results)
    assert results["score"] == 0 and "tell your instructor" in results["output"]
