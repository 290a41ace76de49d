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
    disk_mb: int = 512  # all a submission's workers may write in their home folder (grader.sandbox.disk)


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
        """Hand-written mutants: full copies (`NAME.py`) and diffs against the solution (`NAME.diff`), by name."""
        if self.solutions is None:
            return []
        return sorted(p for p in (self.solutions / "mutants").glob("*") if p.suffix in (".py", ".diff") and p.is_file())


def _limits(values: dict[str, object], where: Path) -> Limits:
    known = set(Limits.__dataclass_fields__)
    unknown = sorted(set(values) - known)
    if unknown:
        raise UsageError(f"{where}: unknown [limits] key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return Limits(**values)  # type: ignore[arg-type]


def course_root() -> Path:
    """The folder holding `assignments/` (see `find_course`); the working folder when there is none."""
    found = find_course()
    return found[0] if found else Path.cwd().resolve()


def find_course() -> tuple[Path, str] | None:
    """The course and how it was found, first match wins: `$GRADER_COURSE`; the working folder or the nearest
    folder above it that holds a course (so an instructor's commands work from anywhere inside it, with any
    install); the source checkout this grader runs from (an editable install of a course repository); the
    copy a student bundle installs inside the package (`pip install BUNDLE.zip`, `grader.course.release`)."""
    env = os.environ.get(COURSE_ENV)
    if env:
        return Path(env).resolve(), f"${COURSE_ENV}"
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if _is_course(folder):
            return folder, "the working folder" if folder == here else f"a folder above the working folder ({here})"
    checkout = Path(__file__).resolve().parents[1]
    if _is_course(checkout):
        return checkout, "the grader's own source checkout"
    bundled = Path(__file__).resolve().parent / "data" / "course"
    if _is_course(bundled):
        return bundled, "the course installed with the grader (a student bundle)"
    return None


def _is_course(folder: Path) -> bool:
    try:
        return any((folder / "assignments").glob("*/assignment.toml"))
    except OSError:
        return False


def not_found_hint() -> str:
    """How the course is looked for, for an error where none was found."""
    env = os.environ.get(COURSE_ENV)
    return (f"no course found: the grader looks for the folder that holds assignments/<name>/assignment.toml in "
            f"${COURSE_ENV} ({env if env else 'not set'}), then in the working folder ({Path.cwd()}) and the folders "
            f"above it. Run the command from inside your course, or set {COURSE_ENV}=/path/to/your/course")


def list_assignments(root: Path | None = None) -> list[str]:
    """Slugs of every assignment in the course, sorted."""
    folder = (root or course_root()) / "assignments"
    return sorted(p.parent.name for p in folder.glob("*/assignment.toml"))


def load_assignment(slug: str, root: Path | None = None) -> Assignment:
    """Read `assignments/<slug>/assignment.toml`; raise UnknownAssignment if absent, saying where the course was
    looked for."""
    found = (root, "") if root is not None else find_course()
    if found is None:
        raise UnknownAssignment(f"no assignment named {slug!r}: {not_found_hint()}")
    root, how = found
    folder = root / "assignments" / slug
    config_path = folder / "assignment.toml"
    if not slug.isidentifier() or not config_path.is_file():
        known = ", ".join(list_assignments(root)) or "none found"
        where = f" (found from {how}" + (f"; set {COURSE_ENV} for another" if how != f"${COURSE_ENV}" else "") + ")"
        raise UnknownAssignment(f"no assignment named {slug!r} in the course at {root}{where if how else ''}; "
                                f"known: {known}")
    try:
        config = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{config_path}: not valid TOML ({exc})") from None
    return _assignment(slug, root, folder, config, config_path)


def _assignment(slug: str, root: Path, folder: Path, config: dict[str, object], config_path: Path) -> Assignment:
    solutions = root / "solutions" / slug
    worker, devices = _table(config, "worker", config_path), _table(config, "devices", config_path)
    _known(worker, {"logical_cpus"}, "[worker]", config_path)
    _known(devices, {"gpu_only"}, "[devices]", config_path)
    return Assignment(
        slug=slug,
        title=str(config.get("title", slug)),
        folder=folder,
        solutions=solutions if solutions.is_dir() else None,
        stub=str(config.get("stub", f"{slug}.py")),
        names=tuple(str(n) for n in _list(config.get("names", ()), "names", config_path)),
        limits=_limits(_table(config, "limits", config_path), config_path),
        logical_cpus=int(str(worker.get("logical_cpus", 0))),
        gpu_only=tuple(str(n) for n in _list(devices.get("gpu_only", ()), "[devices] gpu_only", config_path)),
    )


TOP_KEYS = {"title", "stub", "names", "limits", "worker", "devices", "graded_later"}


def _table(config: dict[str, object], name: str, where: Path) -> dict[str, object]:
    unknown = sorted(set(config) - TOP_KEYS)
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(TOP_KEYS))}")
    value = config.get(name, {})
    if not isinstance(value, dict):
        raise UsageError(f"{where}: [{name}] must be a table")
    return value


def _known(table: dict[str, object], keys: set[str], name: str, where: Path) -> None:
    unknown = sorted(set(table) - keys)
    if unknown:
        raise UsageError(f"{where}: unknown {name} key(s) {', '.join(unknown)}; known: {', '.join(sorted(keys))}")


def _list(value: object, name: str, where: Path) -> list[object]:
    if not isinstance(value, (list, tuple)):
        raise UsageError(f"{where}: {name} must be a list of names, like [\"ConcatBlock\"]")
    return list(value)
