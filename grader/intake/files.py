"""The judge's only ways into a class folder: look (`lstat`), never follow; open plain files, never wait.

A class folder is whatever an LMS download, `unzip` or `git clone` made of the students' work, so
it may hold symbolic links (to `/etc/shadow`, to a hidden spec), named pipes, sockets or device
nodes. The judge runs as root more often than not: following such an entry would put a file that
is not the student's in their report, and opening a pipe would stop the batch. So every entry is
`lstat`-ed, only plain files and real folders are used, folders are walked without entering
linked ones, and files are opened with `O_NOFOLLOW | O_NONBLOCK` and checked to be plain files
by the descriptor actually opened. Every walk and every read is bounded.
"""
from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

CODE_SUFFIXES = (".py", ".ipynb")
MAX_LISTED_FILES = 10000  # entries a folder walk looks at, all kinds together
HASH_CODE_BUDGET = 64  # times the ingest limit: code bytes hashed in full per submission, at most

_KINDS = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


def special_kind(mode: int) -> str | None:
    """What a non-file, non-folder entry is, in words ("a symbolic link"); None for files and folders."""
    return next((words for test, words in _KINDS if test(mode)), None if stat.S_ISREG(mode) or stat.S_ISDIR(mode)
                else "not a plain file")


def lstat_kind(path: Path) -> str | None:
    """`special_kind` of `path` itself, never of what a link points to."""
    return special_kind(os.lstat(path).st_mode)


class NotAPlainFile(OSError):
    """An entry that is not a plain file: refused, never read (`kind` says what it is)."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(f"{path.name} is {kind}")
        self.kind = kind


def open_plain(path: Path) -> int:
    """A read-only descriptor on `path`, a plain file; NotAPlainFile for a link, pipe, socket, device or folder.

    The entry is `lstat`-ed first (a device is never opened: opening some has effects), opened with
    `O_NOFOLLOW | O_NONBLOCK` (a link swapped in since is refused, a pipe cannot block the open) and
    checked on the descriptor itself to be that same plain file."""
    before = os.lstat(path)
    kind = special_kind(before.st_mode) or ("a folder" if stat.S_ISDIR(before.st_mode) else None)
    if kind is not None:
        raise NotAPlainFile(path, kind)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotAPlainFile(path, "a symbolic link") from None
        raise
    after = os.fstat(fd)
    if not stat.S_ISREG(after.st_mode) or (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino):
        os.close(fd)
        raise NotAPlainFile(path, special_kind(after.st_mode) or "not a plain file")
    os.set_blocking(fd, True)
    return fd


def read_plain(path: Path, limit: int) -> bytes:
    """At most `limit + 1` bytes of the plain file `path` (the caller sees that it was cut)."""
    with os.fdopen(open_plain(path), "rb") as handle:
        return handle.read(limit + 1)


@dataclass(frozen=True)
class Member:
    """One entry found in a folder submission: its path relative to the folder, its size and kind."""

    name: str  # POSIX relative path
    size: int
    mtime_ns: int
    kind: str | None = None  # None: a plain file; else what it is ("a symbolic link", ...)


def walk(folder: Path) -> list[Member]:
    """Every file and special entry under `folder`, sorted by name; linked folders are listed, never entered.

    Bounded: at most MAX_LISTED_FILES entries are looked at."""
    found: list[Member] = []
    todo = [(folder, "")]
    seen = 0
    while todo and seen < MAX_LISTED_FILES:
        here, prefix = todo.pop()
        try:
            entries = list(os.scandir(here))
        except OSError:
            continue
        for entry in entries[:MAX_LISTED_FILES - seen]:
            seen += 1
            name = prefix + entry.name
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                todo.append((Path(entry.path), name + "/"))
            else:
                found.append(Member(name, info.st_size, info.st_mtime_ns, special_kind(info.st_mode)))
    return sorted(found, key=lambda m: m.name)


def submission_sha256(path: Path, max_bytes: int) -> str:
    """What `grade` compares to reuse an earlier report: it changes whenever what would be graded changes.

    A plain `.py`/`.ipynb` file up to the ingest limit (and a `.zip` up to its limit, four times
    that) is the SHA-256 of its bytes. In a folder, every code file (`.py`, `.ipynb`) up to the
    ingest limit is hashed in full, whatever else the folder holds; other files count by name, size
    and modification time, special entries by name and kind (never opened). Bounded work: at most
    HASH_CODE_BUDGET times the ingest limit is read, and a folder walk is bounded (`walk`).
    """
    info = os.lstat(path)
    if stat.S_ISDIR(info.st_mode):
        return _folder_sha256(path, max_bytes)
    kind = special_kind(info.st_mode)
    limit = 4 * max_bytes if path.suffix.lower() == ".zip" else max_bytes
    if kind is not None:
        return hashlib.sha256(f"<{kind}>".encode()).hexdigest()
    if info.st_size > limit or path.suffix.lower() not in (*CODE_SUFFIXES, ".zip"):
        return hashlib.sha256(_metadata(info.st_size, info.st_mtime_ns)).hexdigest()
    digest = hashlib.sha256()
    _hash_bytes(path, limit, digest)
    return digest.hexdigest()


def _folder_sha256(folder: Path, max_bytes: int) -> str:
    digest = hashlib.sha256()
    budget = HASH_CODE_BUDGET * max_bytes
    for member in walk(folder):
        digest.update(member.name.encode("utf-8", "surrogateescape") + b"\0")
        code = member.kind is None and Path(member.name).suffix.lower() in CODE_SUFFIXES
        if member.kind is not None:
            digest.update(f"<{member.kind}>".encode())
        elif code and member.size <= min(max_bytes, budget):
            budget -= _hash_bytes(folder / member.name, max_bytes, digest)
        else:
            digest.update(_metadata(member.size, member.mtime_ns))
    return digest.hexdigest()


def _metadata(size: int, mtime_ns: int) -> bytes:
    return f"<{size} bytes, modified {mtime_ns}>".encode()


def _hash_bytes(path: Path, limit: int, digest: hashlib._Hash) -> int:
    """Feed at most `limit` bytes of a plain file into `digest`; how many were read (0 if not a plain file)."""
    try:
        fd = open_plain(path)
    except OSError as exc:
        digest.update(f"<unreadable: {type(exc).__name__}>".encode())
        return 0
    read = 0
    with os.fdopen(fd, "rb") as handle:
        while read < limit and (chunk := handle.read(min(1 << 20, limit - read))):
            read += len(chunk)
            digest.update(chunk)
    return read
