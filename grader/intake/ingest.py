"""Stage 1: find the submission's file, check its size and type, turn bytes into text.

Nothing here runs or parses student code; it only reads bytes. A zip is read in
memory (never extracted to disk), so path traversal inside it cannot write
anywhere; members whose names try it are refused anyway, with a message.
"""
from __future__ import annotations

import codecs
import hashlib
import io
import os
import stat
import tokenize
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from grader.errors import SubmissionError
from grader.intake.files import CODE_SUFFIXES, Member, NotAPlainFile, lstat_kind, open_plain, walk

DEFAULT_MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Source:
    """A submission's text, ready for extraction."""

    path: str
    kind: str  # "python" or "notebook"
    text: str
    sha256: str
    member: str | None = None  # the file chosen inside a zip or folder
    notes: tuple[str, ...] = ()
    files: tuple[tuple[str, str], ...] = ()  # other code files beside it (for `%run FILE`), path -> text


MAX_SIDE_FILES = 20  # code files read beside the submission, each within the size limit
MAX_NOTED = 5  # special entries of a folder named in its notes (the rest are counted)


def ingest(path: Path, stub: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Source:
    """Read the submission at `path` for an assignment whose stub is named `stub`."""
    try:
        kind = lstat_kind(path)  # the entry itself: a link is never followed
    except OSError:
        raise SubmissionError("not-found", f"No file or folder at {path}.") from None
    if kind is not None:
        raise SubmissionError("not-a-file", f"{path.name} is {kind}, not a file. {NOT_FOLLOWED}")
    if path.is_dir():
        return _from_folder(path, stub, max_bytes)
    if path.suffix.lower() == ".zip":
        return _from_zip(path, stub, max_bytes)
    if path.suffix.lower() not in CODE_SUFFIXES:
        raise SubmissionError(
            "file-type", f"{path.name} is not a .py, .ipynb or .zip file; submit your {stub} or its notebook."
        )
    data = _read_capped(path, max_bytes)
    return _decode(str(path), path.name, data, member=None)


NOT_FOLLOWED = ("The grader never follows links or reads pipes, sockets or devices: submit the file itself "
                "(your .py, .ipynb or a .zip of them).")


def _ignored(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return any(part.startswith(".") or part == "__MACOSX" or part == "__pycache__" for part in parts)


def _pick(names: list[str], stub: str, where: str) -> str:
    """Choose the submission among candidate names: the stub's name, else the only code file."""
    stem = Path(stub).stem
    code = [n for n in names if not _ignored(n) and PurePosixPath(n).suffix.lower() in CODE_SUFFIXES]
    for wanted in (stub, stem + ".ipynb"):
        exact = [n for n in code if PurePosixPath(n).name == wanted]
        if len(exact) == 1:
            return exact[0]
    if len(code) == 1:
        return code[0]
    zips = [n for n in names if not _ignored(n) and n.lower().endswith(".zip")]
    if not code and len(zips) == 1:
        return zips[0]
    if not code:
        raise SubmissionError("not-found", f"{where} holds no .py or .ipynb file; expected {stub}.")
    listed = ", ".join(sorted(code)[:5])
    raise SubmissionError(
        "ambiguous", f"{where} holds several code files ({listed}) and none is named {stub}; rename yours to {stub}."
    )


def _from_folder(folder: Path, stub: str, max_bytes: int) -> Source:
    members = {m.name: m for m in walk(folder)}
    chosen = _pick(list(members), stub, f"The folder {folder.name}")
    if members[chosen].kind is not None:
        raise SubmissionError("not-a-file", f"{chosen} in the folder {folder.name} is {members[chosen].kind}, "
                              f"not a file. {NOT_FOLLOWED}")
    if chosen.lower().endswith(".zip"):
        return _from_zip(folder / chosen, stub, max_bytes)
    data = _read_capped(folder / chosen, max_bytes)
    source = _decode(str(folder), PurePosixPath(chosen).name, data, member=chosen)
    plain = [m.name for m in members.values() if m.kind is None and m.size <= max_bytes]
    files = _side_files(chosen, _side_names(plain, chosen), lambda n: _read_capped(folder / n, max_bytes), max_bytes)
    return replace(source, files=files, notes=source.notes + _special_notes(folder.name, members.values()))


def _special_notes(where: str, members: Iterable[Member]) -> tuple[str, ...]:
    """What the report says of links, pipes, sockets and devices in a folder: skipped, never read."""
    special = [m for m in members if m.kind is not None and not _ignored(m.name)]
    if not special:
        return ()
    listed = ", ".join(f"{m.name} ({m.kind})" for m in special[:MAX_NOTED])
    more = f" and {len(special) - MAX_NOTED} more" if len(special) > MAX_NOTED else ""
    return (f"Skipped in {where}, not read: {listed}{more}. The grader reads only the plain files of a submission.",)


def _side_names(names: list[str], chosen: str) -> list[str]:
    """Other code files beside the chosen one, for `%run FILE`."""
    code = [n for n in names if n != chosen and not _ignored(n) and PurePosixPath(n).suffix.lower() in CODE_SUFFIXES]
    return sorted(code)[:MAX_SIDE_FILES]


def _side_files(chosen: str, names: list[str], read: Callable[[str], bytes],
                max_bytes: int) -> tuple[tuple[str, str], ...]:
    base = PurePosixPath(chosen).parent
    out, budget = [], 2 * max_bytes
    for name in names:
        try:
            data = read(name)
        except (SubmissionError, OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError, ValueError):
            continue
        budget -= len(data)
        if budget < 0:
            break
        pure = PurePosixPath(name)
        key = str(pure.relative_to(base)) if base != PurePosixPath(".") and pure.is_relative_to(base) else name
        out.append((key, _bom_text(data)[0] if _bom(data) else data.decode("utf-8", errors="replace")))
    return tuple(out)


def _from_zip(path: Path, stub: str, max_bytes: int) -> Source:
    try:
        handle = os.fdopen(open_plain(path), "rb")
    except NotAPlainFile as exc:
        raise SubmissionError("not-a-file", f"{path.name} is {exc.kind}, not a file. {NOT_FOLLOWED}") from None
    with handle:
        _check_size(os.fstat(handle.fileno()).st_size, max_bytes * 4, path.name)
        return _from_open_zip(handle, path, stub, max_bytes)


def _from_open_zip(handle: BinaryIO, path: Path, stub: str, max_bytes: int) -> Source:
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise SubmissionError("zip", f"{path.name} is not a readable zip file ({exc}).") from None
    except (UnicodeDecodeError, ValueError):
        raise SubmissionError("zip", f"{path.name} has a file whose name is not valid text (it is marked UTF-8 "
                              "but is not); zip your files again with your system's own zip tool.") from None
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        for info in infos:
            if _unsafe_member(info.filename):
                raise SubmissionError("zip", f"{path.name} contains an unsafe path {info.filename!r}; zip your files again.")
        chosen = _pick([i.filename for i in infos], stub, f"The zip {path.name}")
        info = archive.getinfo(chosen)
        if _zip_link(info):  # its bytes are only the link's target, the student's own text; never followed
            raise SubmissionError("not-a-file", f"{chosen} in {path.name} is a symbolic link, not a file. "
                                  f"{NOT_FOLLOWED}")
        _check_size(info.file_size, max_bytes, chosen)
        try:
            with archive.open(info) as member:
                data = member.read(max_bytes + 1)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
            raise SubmissionError("zip", f"{chosen} in {path.name} could not be read ({exc}).") from None
        _check_size(len(data), max_bytes, chosen)
        side = [n for n in _side_names([i.filename for i in infos if not _zip_link(i)], chosen)
                if archive.getinfo(n).file_size <= max_bytes]
        files = _side_files(chosen, side, lambda n: _read_member(archive, n, max_bytes), max_bytes)
    source = _decode(str(path), PurePosixPath(chosen).name, data, member=chosen)
    return replace(source, files=files)


def _read_member(archive: zipfile.ZipFile, name: str, max_bytes: int) -> bytes:
    with archive.open(name) as member:
        data = member.read(max_bytes + 1)
    _check_size(len(data), max_bytes, name)
    return data


def _zip_link(info: zipfile.ZipInfo) -> bool:
    """A member `zip --symlinks` stored as a link (Unix mode in the high bits of its attributes)."""
    return stat.S_ISLNK(info.external_attr >> 16)


def _unsafe_member(name: str) -> bool:
    pure = PurePosixPath(name.replace("\\", "/"))
    return pure.is_absolute() or ".." in pure.parts or (len(name) > 1 and name[1] == ":")


def _check_size(size: int, max_bytes: int, name: str) -> None:
    if size > max_bytes:
        raise SubmissionError(
            "too-large", f"{name} is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit; "
            "clear notebook outputs (Cell > All Output > Clear) and remove data files."
        )


def _read_capped(path: Path, max_bytes: int) -> bytes:
    """A plain file's bytes, never through a link, never waiting on a pipe (`grader.intake.files`)."""
    try:
        fd = open_plain(path)
    except NotAPlainFile as exc:
        raise SubmissionError("not-a-file", f"{path.name} is {exc.kind}, not a file. {NOT_FOLLOWED}") from None
    with os.fdopen(fd, "rb") as handle:
        _check_size(os.fstat(fd).st_size, max_bytes, path.name)
        data = handle.read(max_bytes + 1)
    _check_size(len(data), max_bytes, path.name)
    return data


def _decode(path: str, name: str, data: bytes, *, member: str | None) -> Source:
    kind = "notebook" if name.lower().endswith(".ipynb") else "python"
    sha = hashlib.sha256(data).hexdigest()
    wide = _bom(data) is not None
    text, notes = _bom_text(data, name) if wide else ("", ())
    if not (text if wide else data).strip():
        raise SubmissionError("empty", f"{name} is empty; write your solution in it and submit again.")
    if ("\0" in text) if wide else (b"\0" in data):
        raise SubmissionError("binary", f"{name} is not a text file (it holds binary data); submit the .py or .ipynb itself.")
    if not wide:
        text, notes = _decode_text(data, name, kind)
    if _looks_binary(text):
        raise SubmissionError("binary", f"{name} is not a text file (it is mostly unreadable bytes).")
    return Source(path=path, kind=kind, text=text, sha256=sha, member=member, notes=notes)


# UTF-32 first: its little-endian mark begins with UTF-16's.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _bom(data: bytes) -> str | None:
    """The encoding a UTF-16/32 byte-order mark announces (what Windows PowerShell's `>` writes)."""
    return next((encoding for mark, encoding in _BOMS if data.startswith(mark)), None)


def _bom_text(data: bytes, name: str = "") -> tuple[str, tuple[str, ...]]:
    encoding = _bom(data) or "utf-8"
    text = data.decode(encoding, errors="replace").lstrip("\ufeff")
    note = f"{name} is saved as {encoding.upper()}; it was read as such (UTF-8 is the usual encoding for code)."
    return text, (note,)


def _decode_text(data: bytes, name: str, kind: str) -> tuple[str, tuple[str, ...]]:
    encoding = "utf-8-sig"
    if kind == "python":
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError:
            encoding = "utf-8-sig"
    try:
        return data.decode(encoding), ()
    except (UnicodeDecodeError, LookupError):
        note = f"{name} is not valid {encoding}; unreadable bytes were replaced with U+FFFD."
        return data.decode("utf-8", errors="replace"), (note,)


def _looks_binary(text: str) -> bool:
    sample = text[:20000]
    bad = sum(1 for ch in sample if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\n\r\f"))
    return bad > max(8, len(sample) // 10)
