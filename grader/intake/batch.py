"""Finding the submissions in the paths an instructor gives, and naming them.

A path is a submission (a `.py`, `.ipynb` or `.zip` file) or a folder whose
entries are submissions (files, or folders holding one student's files).
Every entry that is not hidden becomes a submission, so even a stray file of
random bytes gets a report saying what is wrong with it; only the files an LMS puts
beside the submissions (Gradescope's `submission_metadata.yml`) are not submissions.
"""
from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from grader.errors import UsageError

SUBMISSION_SUFFIXES = (".py", ".ipynb", ".zip")
# What an LMS puts beside the submissions in its download: a list of them, not one of them.
LMS_FILES = ("submission_metadata.yml",)  # Gradescope's export (grader.intake.identity reads it)
# Names the class folder uses for itself: `<id>.json` must never be one of these files.
RESERVED_IDS = ("summary", "gradebook", "similarity")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Entry:
    """One submission to grade: where it is and the id its reports are named by."""

    id: str
    path: Path


def discover(paths: list[Path]) -> list[Entry]:
    """All submissions under `paths`, with unique ids, sorted by id."""
    found: list[Path] = []
    for path in paths:
        if not path.exists():
            raise UsageError(f"no such file or folder: {path}")
        if path.is_file():
            found.append(path)
        else:
            found.extend(sorted(p for p in path.iterdir() if not p.name.startswith((".", "__"))
                                and p.name not in LMS_FILES))
    return _name(found)


def _name(paths: list[Path]) -> list[Entry]:
    used: set[str] = set()
    entries = []
    for path in paths:
        base = _UNSAFE.sub("_", path.stem if path.is_file() else path.name).strip("._") or "submission"
        candidate, n = base, 2
        while candidate in used or candidate in RESERVED_IDS:
            candidate, n = f"{base}-{n}", n + 1
        used.add(candidate)
        entries.append(Entry(candidate, path))
    return sorted(entries, key=lambda e: e.id)


def select_ids(entries: list[Entry], ids: Iterable[str]) -> list[Entry]:
    """`--only ID...`: the entries of those ids (as reports and gradebook.csv name them), in that order;
    an id that is not among them is a usage error that suggests the nearest ones."""
    wanted = list(dict.fromkeys(ids))
    by_id = {e.id: e for e in entries}
    unknown = [i for i in wanted if i not in by_id]
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(by_id), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; the ids there: {', '.join(sorted(by_id)[:8]) or 'none'}"
        raise UsageError(f"--only: no submission {unknown[0]!r} in the paths given{hint}")
    return [by_id[i] for i in wanted]


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """`K/N` (1-based) -> (K, N); None when not sharding."""
    if not text:
        return None
    match = re.fullmatch(r"(\d+)/(\d+)", text.strip())
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise UsageError(f"--shard must look like K/N with 1 <= K <= N, got {text!r}")
    return int(match[1]), int(match[2])


def in_shard(entry: Entry, shard: tuple[int, int] | None) -> bool:
    """Deterministic: the same id lands in the same shard on every machine."""
    if shard is None:
        return True
    digest = int(hashlib.sha256(entry.id.encode()).hexdigest()[:12], 16)
    return digest % shard[1] == shard[0] - 1
