"""Tests for grader.intake.files: the judge looks at a class folder's entries, never follows or waits on them,
and its reuse hash changes whenever what would be graded changes, in bounded work."""
from __future__ import annotations

import hashlib
import os
import socket
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from grader.intake import files
from grader.intake.files import Member, NotAPlainFile, open_plain, read_plain, submission_sha256, walk

LIMIT = 1000


def finishes(work: Callable[[], Any]) -> Any:
    """Run `work` in a thread and return its result; fail (instead of hanging the suite) if it blocks."""
    result: list[Any] = []

    def run() -> None:
        try:
            result.append(("value", work()))
        except BaseException as exc:  # noqa: BLE001 - raised again in the test's thread
            result.append(("error", exc))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "blocked on the entry"
    kind, value = result[0]
    if kind == "error":
        raise value
    return value


@pytest.fixture
def specials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """One entry of every special kind (a device only where mknod is allowed), beside a secret file."""
    monkeypatch.chdir(tmp_path)
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$secret:19000::\n")
    made = {"link": tmp_path / "link.py", "fifo": tmp_path / "fifo.py", "socket": tmp_path / "sock.py"}
    made["link"].symlink_to(secret)
    os.mkfifo(made["fifo"])
    server = socket.socket(socket.AF_UNIX)
    server.bind("sock.py")
    server.close()
    if os.geteuid() == 0:
        made["device"] = tmp_path / "zero.py"
        os.mknod(made["device"], 0o644 | stat.S_IFCHR, os.makedev(1, 5))
    return made


def test_special_kinds_are_named_from_the_mode_alone() -> None:
    assert files.special_kind(stat.S_IFLNK | 0o777) == "a symbolic link"
    assert files.special_kind(stat.S_IFIFO | 0o644) == "a named pipe (FIFO)"
    assert files.special_kind(stat.S_IFSOCK | 0o755) == "a socket"
    assert files.special_kind(stat.S_IFCHR | 0o644) == files.special_kind(stat.S_IFBLK | 0o644) == "a device"
    assert files.special_kind(stat.S_IFREG | 0o644) is None and files.special_kind(stat.S_IFDIR | 0o755) is None


def test_open_plain_refuses_every_special_entry_without_blocking(specials: dict[str, Path]) -> None:
    for name, path in specials.items():
        with pytest.raises(NotAPlainFile) as info:
            finishes(lambda path=path: open_plain(path))
        assert info.value.kind == files.special_kind(os.lstat(path).st_mode), name


def test_open_plain_refuses_a_folder_and_reads_a_plain_file(tmp_path: Path) -> None:
    with pytest.raises(NotAPlainFile):
        open_plain(tmp_path)
    (tmp_path / "a.py").write_bytes(b"x" * 10)
    assert read_plain(tmp_path / "a.py", 4) == b"xxxxx"  # one byte more than asked: the caller sees the cut


def test_a_link_swapped_in_after_the_look_is_still_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain, secret = tmp_path / "concat.py", tmp_path / "secret"
    plain.write_text("x = 1\n")
    secret.write_text("secret\n")
    real_lstat = os.lstat

    def lstat_then_swap(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        info = real_lstat(path, *args, **kwargs)
        if Path(path) == plain:  # the entry changes between the look and the open
            plain.unlink()
            plain.symlink_to(secret)
        return info

    monkeypatch.setattr(files.os, "lstat", lstat_then_swap)
    with pytest.raises(NotAPlainFile) as info:
        open_plain(plain)
    assert info.value.kind == "a symbolic link"


def test_walk_lists_special_entries_and_never_enters_a_linked_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "hidden.py").write_text("secret = 1\n")
    folder = tmp_path / "alice"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "concat.py").write_text("x = 1\n")
    (folder / "linked").symlink_to(outside, target_is_directory=True)
    os.mkfifo(folder / "pipe")
    found = finishes(lambda: walk(folder))
    assert [(m.name, m.kind) for m in found] == [("linked", "a symbolic link"), ("pipe", "a named pipe (FIFO)"),
                                                  ("sub/concat.py", None)]
    assert isinstance(found[0], Member) and found[2].size == 6


def test_walk_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_LISTED_FILES", 50)
    for i in range(30):
        (tmp_path / f"d{i}").mkdir()
        for j in range(3):
            (tmp_path / f"d{i}" / f"f{j}.txt").write_text("x")
    assert len(walk(tmp_path)) <= 50


# --- the reuse hash ----------------------------------------------------------------------------

def test_the_hash_of_a_code_file_is_the_sha256_of_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "concat.py"
    path.write_bytes(b"x = 1\n")
    assert submission_sha256(path, LIMIT) == hashlib.sha256(b"x = 1\n").hexdigest()


def test_a_same_size_edit_of_the_graded_file_behind_large_data_files_changes_the_hash(tmp_path: Path) -> None:
    folder = tmp_path / "alice"
    folder.mkdir()
    for name in ("a_data.bin", "b_data.bin", "c_data.bin"):  # sorted before the code, each over every budget
        with (folder / name).open("wb") as handle:
            handle.truncate(100 * LIMIT * files.HASH_CODE_BUDGET)
    (folder / "z_concat.py").write_text("AXIS = 1\n")
    before = submission_sha256(folder, LIMIT)
    (folder / "z_concat.py").write_text("AXIS = 2\n")
    os.utime(folder / "z_concat.py", ns=(0, 0))  # even with the size and the time put back
    assert submission_sha256(folder, LIMIT) != before


def test_every_code_file_of_a_folder_counts_by_its_bytes(tmp_path: Path) -> None:
    (tmp_path / "nb").mkdir()
    for name in ("concat.py", "helpers.py", "nb/work.ipynb"):
        (tmp_path / name).write_text("1234")
    before = submission_sha256(tmp_path, LIMIT)
    for name in ("concat.py", "helpers.py", "nb/work.ipynb"):
        stamp = os.stat(tmp_path / name).st_mtime_ns
        (tmp_path / name).write_text("5678")
        os.utime(tmp_path / name, ns=(stamp, stamp))
        assert submission_sha256(tmp_path, LIMIT) != before, name
        before = submission_sha256(tmp_path, LIMIT)


def test_other_files_count_by_name_size_and_time(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("1,2\n")
    (tmp_path / "concat.py").write_text("x = 1\n")
    os.utime(data, ns=(10**18, 10**18))
    before = submission_sha256(tmp_path, LIMIT)
    data.write_text("3,4\n")  # same size, time put back: not read, so the same
    os.utime(data, ns=(10**18, 10**18))
    assert submission_sha256(tmp_path, LIMIT) == before
    os.utime(data, ns=(2 * 10**18, 2 * 10**18))
    assert submission_sha256(tmp_path, LIMIT) != before
    data.rename(tmp_path / "other.csv")
    assert submission_sha256(tmp_path, LIMIT) != before


def test_special_entries_are_hashed_by_kind_without_blocking(specials: dict[str, Path], tmp_path: Path) -> None:
    for path in specials.values():
        assert len(finishes(lambda path=path: submission_sha256(path, LIMIT))) == 64
    digest = finishes(lambda: submission_sha256(tmp_path, LIMIT))  # the folder holding them all
    assert digest == finishes(lambda: submission_sha256(tmp_path, LIMIT))


def test_a_link_hashes_as_a_link_not_as_its_target(tmp_path: Path) -> None:
    one, two = tmp_path / "one.py", tmp_path / "two.py"
    one.write_text("secret = 1\n")
    two.write_text("secret = 2\n")
    link = tmp_path / "concat.py"
    link.symlink_to(one)
    before = submission_sha256(link, LIMIT)
    link.unlink()
    link.symlink_to(two)
    assert submission_sha256(link, LIMIT) == before


def test_hashing_reads_a_bounded_number_of_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(files.HASH_CODE_BUDGET + 10):  # more code than the budget, each file at the limit
        (tmp_path / f"f{i:03}.py").write_bytes(b"#" * LIMIT)
    with (tmp_path / "huge.py").open("wb") as handle:  # sparse: 1 GiB on paper
        handle.truncate(1 << 30)
    opened: list[int] = []
    real_open = files.open_plain
    monkeypatch.setattr(files, "open_plain", lambda path: (opened.append(path.stat().st_size), real_open(path))[1])
    submission_sha256(tmp_path, LIMIT)
    assert sum(opened) <= files.HASH_CODE_BUDGET * LIMIT
    assert (1 << 30) not in opened
    opened.clear()
    submission_sha256(tmp_path / "huge.py", LIMIT)
    assert opened == []  # over the ingest limit: by size and time
