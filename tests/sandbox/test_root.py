"""grader.sandbox.root: what a worker's root holds, from wherever the grader runs (issue 24, class 8: /tmp)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grader.sandbox.isolation import namespaces_available
from grader.sandbox.root import fresh_tmp_keeps, visible_paths

ROOT = Path(__file__).resolve().parents[2]


def test_visible_paths_hold_python_the_environment_the_package_and_the_assignments_parents_first():
    paths = visible_paths([ROOT / "assignments" / "concat"])
    assert Path(sys.prefix).resolve() in paths and Path(sys.base_prefix).resolve() in paths
    assert (ROOT / "grader") in paths and (ROOT / "assignments") in paths and Path("/usr") in paths
    assert not any(p == ROOT / "solutions" or p.is_relative_to(ROOT / "solutions") for p in paths)
    depths = [len(p.parts) for p in paths]
    assert depths == sorted(depths)


def test_only_the_outermost_paths_under_a_fresh_folder_are_kept():
    visible = [Path("/usr"), Path("/tmp/ci/venv"), Path("/tmp/ci/venv/lib/python3.11/site-packages"),
               Path("/var/tmp/project/grader"), Path("/tmp"), Path("/home/me/tmpdir")]
    assert fresh_tmp_keeps(visible) == ["/tmp/ci/venv", "/var/tmp/project/grader"]


def _link_tree(source: Path, target: Path) -> None:
    """Hard links where /tmp shares a filesystem with the checkout (seconds), a copy where it does not."""
    if subprocess.run(["cp", "-al", str(source), str(target)], capture_output=True).returncode != 0:
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, symlinks=True)


def _install_under_tmp(place: Path) -> Path:
    """A real virtual environment under /tmp whose site-packages hold numpy and TensorFlow (linked from this
    one's), and the project installed into it (a path entry, as an editable install writes): its Python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(place / "venv")], check=True)
    python = place / "venv" / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import site; print(site.getsitepackages()[0])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    ours = Path(next(p for p in sys.path if p.endswith("site-packages") and Path(p, "numpy").is_dir()))
    for entry in ours.iterdir():
        if "keras_grader" not in entry.name and not (site / entry.name).exists():
            _link_tree(entry, site / entry.name)
    project = place / "project"
    ignore = shutil.ignore_patterns("__pycache__", "mutants")
    for part in ("grader", "assignments"):
        shutil.copytree(ROOT / part, project / part, ignore=ignore)
    shutil.copytree(ROOT / "solutions" / "concat", project / "solutions" / "concat", ignore=ignore)  # hidden specs
    (site / "keras_grader_under_tmp.pth").write_text(f"{project}\n")
    return python


@pytest.mark.slow
def test_a_project_and_virtual_environment_under_tmp_grade_the_reference_solution_to_full_marks():
    place = Path(tempfile.mkdtemp(prefix="grader-under-tmp-", dir="/tmp"))
    try:
        python = _install_under_tmp(place)
        found = subprocess.run([str(python), "-c", "import grader, numpy.random; print(grader.__file__)"],
                               capture_output=True, text=True, timeout=300, cwd=place)
        assert found.stdout.strip() == str(place / "project" / "grader" / "__init__.py"), found.stderr[-2000:]
        out = place / "out"
        solution = place / "project" / "solutions" / "concat" / "solution.py"
        done = subprocess.run([str(python), "-m", "grader", "grade", "concat", str(solution), "--out", str(out),
                               "--seed", "5", "--jobs", "1"], capture_output=True, text=True, timeout=600,
                              cwd=place)
        report = json.loads((out / "solution.json").read_text())
    finally:
        subprocess.run(["rm", "-rf", "--one-file-system", str(place)], check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert (report["status"], report["score"]) == ("graded", 10), report.get("tests")
    assert report["sandbox"]["mode"] == ("none" if not namespaces_available() else report["sandbox"]["mode"])
    assert report["environment"]["numpy"] != "missing"
