"""Where the course lives: assignments, their specs, probes, solutions and limits.

An assignment is a folder `assignments/<slug>/` with `assignment.toml`, the stubs,
`probes.py` (code the worker runs against the submission) and `tests/` (public
specs). The grader-only half lives in `solutions/<slug>/`: `solution.py`,
`hidden/` specs and `mutants/`.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import UnknownAssignment, UsageError

COURSE_ENV = "GRADER_COURSE"


@dataclass(frozen=True)
class Limits:
    """Wall-clock and resource limits for one submission's worker."""

    request_s: float = 60.0
    submission_s: float = 300.0
    memory_mb: int = 6144
    output_bytes: int = 64 * 1024
    max_file_mb: int = 5


@dataclass(frozen=True)
class Assignment:
    """One exercise: its files and its grading settings."""

    slug: str
    title: str
    folder: Path
    solutions: Path | None
    stub: str
    names: tuple[str, ...]
    limits: Limits = field(default_factory=Limits)
    logical_cpus: int = 0
    gpu_only: tuple[str, ...] = ()  # tests scored from the GPU leg (skipped where there is none)

    @property
    def stub_py(self) -> Path:
        return self.folder / self.stub

    @property
    def stub_ipynb(self) -> Path:
        return self.folder / (Path(self.stub).stem + ".ipynb")

    @property
    def probes(self) -> Path:
        return self.folder / "probes.py"

    @property
    def public_specs(self) -> list[Path]:
        return sorted((self.folder / "tests").glob("test_*.py"))

    @property
    def hidden_specs(self) -> list[Path]:
        if self.solutions is None:
            return []
        return sorted((self.solutions / "hidden").glob("test_*.py"))

    @property
    def solution(self) -> Path | None:
        return None if self.solutions is None else self.solutions / "solution.py"

    @property
    def mutants(self) -> list[Path]:
        if self.solutions is None:
            return []
        return sorted((self.solutions / "mutants").glob("*.py"))


def _limits(values: dict[str, object], where: Path) -> Limits:
    known = set(Limits.__dataclass_fields__)
    unknown = sorted(set(values) - known)
    if unknown:
        raise UsageError(f"{where}: unknown [limits] key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return Limits(**values)  # type: ignore[arg-type]


def course_root() -> Path:
    """The folder holding `assignments/`: $GRADER_COURSE, the source checkout, the copy a student
    bundle installs inside the package (`pip install BUNDLE.zip`, `grader.course.release`), or cwd."""
    env = os.environ.get(COURSE_ENV)
    if env:
        return Path(env).resolve()
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "assignments").is_dir():
        return checkout
    bundled = Path(__file__).resolve().parents[1] / "data" / "course"
    if (bundled / "assignments").is_dir():
        return bundled
    return Path.cwd().resolve()


def list_assignments(root: Path | None = None) -> list[str]:
    """Slugs of every assignment in the course, sorted."""
    folder = (root or course_root()) / "assignments"
    return sorted(p.parent.name for p in folder.glob("*/assignment.toml"))


def load_assignment(slug: str, root: Path | None = None) -> Assignment:
    """Read `assignments/<slug>/assignment.toml`; raise UnknownAssignment if absent."""
    root = root or course_root()
    folder = root / "assignments" / slug
    config_path = folder / "assignment.toml"
    if not slug.isidentifier() or not config_path.is_file():
        known = ", ".join(list_assignments(root)) or "none found"
        raise UnknownAssignment(f"no assignment named {slug!r} (known: {known})")
    config = tomllib.loads(config_path.read_text(encoding="utf-8"))
    solutions = root / "solutions" / slug
    return Assignment(
        slug=slug,
        title=config.get("title", slug),
        folder=folder,
        solutions=solutions if solutions.is_dir() else None,
        stub=config.get("stub", f"{slug}.py"),
        names=tuple(config.get("names", ())),
        limits=_limits(config.get("limits", {}), config_path),
        logical_cpus=int(config.get("worker", {}).get("logical_cpus", 0)),
        gpu_only=tuple(config.get("devices", {}).get("gpu_only", ())),
    )
