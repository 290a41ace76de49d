"""Finding the submissions in the paths an instructor gives, and naming them.

A path is a submission (a `.py`, `.ipynb` or `.zip` file) or a folder whose
entries are submissions (files, or folders holding one student's files).
Every entry that is not hidden becomes a submission, so even a stray file of
random bytes gets a report saying what is wrong with it. Entries are only
`lstat`-ed here: a symbolic link, named pipe, socket or device in a class folder
becomes a submission whose report says what it is (`grader.intake.ingest`
refuses it), never followed or opened. A path given on the command line is the
instructor's own: a link there is followed.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from grader.errors import UsageError

SUBMISSION_SUFFIXES = (".py", ".ipynb", ".zip")
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
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if not p.name.startswith((".", "__"))))
        else:
            found.append(Path(os.path.realpath(path)) if path.is_symlink() else path)
    return _name(found)


def _name(paths: list[Path]) -> list[Entry]:
    used: set[str] = set()
    entries = []
    for path in paths:
        base = _UNSAFE.sub("_", path.name if stat.S_ISDIR(os.lstat(path).st_mode) else path.stem).strip("._") or "submission"
        candidate, n = base, 2
        while candidate in used or candidate in ("summary", "gradebook"):
            candidate, n = f"{base}-{n}", n + 1
        used.add(candidate)
        entries.append(Entry(candidate, path))
    return sorted(entries, key=lambda e: e.id)


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
