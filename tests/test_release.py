"""The student bundle never ships hidden material."""
from __future__ import annotations

from pathlib import Path

from grader.api import release
from grader.course import list_assignments

ROOT = Path(__file__).resolve().parent.parent


def test_release_bundle_is_free_of_solutions_hidden_specs_and_mutants(tmp_path):
    slugs = list_assignments()
    files = release(slugs, out=tmp_path)
    shipped = {p.read_bytes() for p in files}
    secret = [p for p in (ROOT / "solutions").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert secret, "expected grader-only files to compare against"
    for path in secret:
        body = path.read_bytes()
        assert body not in shipped, f"{path} was shipped"
        for lines in _chunks(body):
            assert not any(lines in s for s in shipped), f"code from {path} was shipped"
    names = {p.relative_to(tmp_path).as_posix() for p in files}
    assert "assignments/concat/concat.py" in names and "assignments/concat/concat.ipynb" in names
    assert "assignments/concat/tests/test_public.py" in names and "grader/cli.py" in names
    assert not any("solution" in n or "hidden" in n or "mutant" in n for n in names)


def _chunks(body: bytes) -> list[bytes]:
    """Distinctive multi-line chunks (function bodies) of a secret file."""
    lines = [ln for ln in body.splitlines() if len(ln.strip()) > 30]
    return [b"\n".join(lines[i:i + 3]) for i in range(0, max(len(lines) - 2, 0), 3)]
