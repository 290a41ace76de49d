"""The student bundle never ships hidden material."""
from __future__ import annotations

from pathlib import Path

from grader.api import release
from grader.course.assignments import list_assignments

ROOT = Path(__file__).resolve().parents[2]


def test_release_bundle_is_free_of_solutions_hidden_specs_and_mutants(tmp_path):
    slugs = list_assignments()
    files = release(slugs, out=tmp_path)
    shipped = {p.read_bytes() for p in files}
    secret = [p for p in (ROOT / "solutions").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert secret, "expected grader-only files to compare against"
    shipped_lines = {ln.strip() for s in shipped for ln in s.splitlines()}
    for path in secret:
        body = path.read_bytes()
        assert body not in shipped, f"{path} was shipped"
        slug = path.relative_to(ROOT / "solutions").parts[0]
        public = {ln.strip() for p in (ROOT / "assignments" / slug).rglob("*.py") for ln in p.read_bytes().splitlines()}
        distinctive = [ln.strip() for ln in body.splitlines() if len(ln.strip()) > 20 and ln.strip() not in public]
        leaked = [ln for ln in distinctive if ln in shipped_lines]
        assert len(leaked) <= len(distinctive) // 4, f"code from {path} was shipped: {leaked[:3]}"
    names = {p.relative_to(tmp_path).as_posix() for p in files}
    assert "assignments/concat/concat.py" in names and "assignments/concat/concat.ipynb" in names
    assert "assignments/concat/tests/test_public.py" in names and "grader/cli.py" in names
    assert not any("solution" in n or "hidden" in n or "mutant" in n for n in names)
