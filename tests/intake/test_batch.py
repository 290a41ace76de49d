"""Tests for grader.batch: which entries are submissions, what they are called, how shards split them."""
from __future__ import annotations

from pathlib import Path

import pytest

from grader.errors import UsageError
from grader.intake.batch import Entry, discover, in_shard, parse_shard, select_ids


def touch(folder: Path, *names: str) -> None:
    for name in names:
        path = folder / name
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("x = 1\n")


def ids(entries: list[Entry]) -> list[str]:
    return [e.id for e in entries]


def test_files_are_named_by_stem_and_folders_by_name(tmp_path: Path) -> None:
    touch(tmp_path, "alice.py", "bob.ipynb", "carol.zip", "dave/", "dave/work/concat.py", "erin.v2.py")
    entries = discover([tmp_path])
    assert entries == [
        Entry("alice", tmp_path / "alice.py"),
        Entry("bob", tmp_path / "bob.ipynb"),
        Entry("carol", tmp_path / "carol.zip"),
        Entry("dave", tmp_path / "dave"),
        Entry("erin.v2", tmp_path / "erin.v2.py"),
    ]


def test_every_visible_entry_is_a_submission_even_odd_files(tmp_path: Path) -> None:
    touch(tmp_path, "notes.txt", "random.bin")
    assert ids(discover([tmp_path])) == ["notes", "random"]


def test_hidden_and_dunder_entries_are_ignored(tmp_path: Path) -> None:
    touch(tmp_path, ".DS_Store", ".git/", ".hidden.py", "__MACOSX/", "__pycache__/", "alice.py")
    assert ids(discover([tmp_path])) == ["alice"]


def test_a_file_path_is_one_submission(tmp_path: Path) -> None:
    touch(tmp_path, "alice.py", "bob.py")
    assert discover([tmp_path / "bob.py"]) == [Entry("bob", tmp_path / "bob.py")]


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        discover([tmp_path / "nope"])
    assert str(info.value) == f"no such file or folder: {tmp_path / 'nope'}"


def test_colliding_ids_are_made_unique(tmp_path: Path) -> None:
    touch(tmp_path, "alice.ipynb", "alice.py", "alice.zip", "alice/")
    entries = discover([tmp_path])
    assert ids(entries) == ["alice", "alice-2", "alice-3", "alice-4"]
    assert len({e.path for e in entries}) == 4


def test_collisions_across_several_paths(tmp_path: Path) -> None:
    touch(tmp_path, "a/alice.py", "b/alice.py")
    entries = discover([tmp_path / "a", tmp_path / "b"])
    assert entries == [Entry("alice", tmp_path / "a" / "alice.py"), Entry("alice-2", tmp_path / "b" / "alice.py")]


def test_generated_suffix_does_not_collide_with_a_real_name(tmp_path: Path) -> None:
    touch(tmp_path, "a-2.py", "a.ipynb", "a.py")
    entries = discover([tmp_path])
    assert sorted(ids(entries)) == ["a", "a-2", "a-3"]
    assert {e.id: e.path.name for e in entries}["a-2"] == "a-2.py"


@pytest.mark.parametrize("name", ["summary.py", "gradebook.ipynb", "summary/", "gradebook.zip", "similarity.py"])
def test_ids_are_never_the_class_folders_own_files(tmp_path: Path, name: str) -> None:
    touch(tmp_path, name)
    (entry,) = discover([tmp_path])
    assert entry.id not in ("summary", "gradebook", "similarity")  # <id>.json would overwrite summary.json...
    assert entry.id == name.rstrip("/").split(".")[0] + "-2"


def test_gradescope_metadata_beside_the_submissions_is_not_a_submission(tmp_path: Path) -> None:
    touch(tmp_path, "submission_metadata.yml", "submission_900001/", "submission_900001/concat.py")
    assert ids(discover([tmp_path])) == ["submission_900001"]


def test_unsafe_characters_are_replaced(tmp_path: Path) -> None:
    touch(tmp_path, "José Smith (late).py", "é.py", "_.py")
    assert ids(discover([tmp_path])) == ["Jos_Smith_late", "submission", "submission-2"]


def test_ids_are_sorted(tmp_path: Path) -> None:
    touch(tmp_path, "zed.py", "Amy.py", "bob.py")
    assert ids(discover([tmp_path])) == sorted(["zed", "Amy", "bob"])


@pytest.mark.parametrize(("text", "expected"), [(None, None), ("", None), ("1/1", (1, 1)), ("2/3", (2, 3)),
                                                (" 3/3 ", (3, 3)), ("10/12", (10, 12))])
def test_parse_shard(text: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_shard(text) == expected


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "a/b", "1-3", "1/", "/3", "-1/3", "1/3/5", "1.0/3"])
def test_parse_shard_errors(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_shard(text)
    assert str(info.value) == f"--shard must look like K/N with 1 <= K <= N, got {text!r}"


def test_no_shard_takes_everything() -> None:
    assert in_shard(Entry("anyone", Path("x.py")), None)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_shards_partition_every_id_exactly_once(n: int) -> None:
    entries = [Entry(f"student{i:03d}", Path(f"student{i:03d}.py")) for i in range(200)]
    seen: dict[str, int] = {}
    for k in range(1, n + 1):
        for entry in entries:
            if in_shard(entry, (k, n)):
                assert entry.id not in seen, f"{entry.id} in shards {seen[entry.id]} and {k}"
                seen[entry.id] = k
    assert sorted(seen) == sorted(e.id for e in entries)
    if n > 1:
        assert len(set(seen.values())) == n  # every shard gets some work


def test_shard_depends_on_the_id_only() -> None:
    a, b = Entry("alice", Path("/one/alice.py")), Entry("alice", Path("/two/alice.ipynb"))
    assert [in_shard(a, (k, 4)) for k in range(1, 5)] == [in_shard(b, (k, 4)) for k in range(1, 5)]


def test_ids_from_hostile_file_names_are_plain_ascii(tmp_path: Path) -> None:
    import os

    for name in (b"caf\xe9.py", b"evil\x1b]0;title\x07.py", b"\xff\xfe.py"):
        (tmp_path / os.fsdecode(name)).write_text("x = 1\n")
    ids = [e.id for e in discover([tmp_path])]
    assert all(i.isascii() and i.isprintable() and "/" not in i for i in ids), ids
    assert len(set(ids)) == 3


def test_only_some_ids_of_a_folder(tmp_path: Path) -> None:
    touch(tmp_path, "alice.py", "bob.py", "carol/", "carol/concat.py")
    entries = discover([tmp_path])
    assert ids(select_ids(entries, ["carol", "alice", "carol"])) == ["carol", "alice"]
    with pytest.raises(UsageError, match="no submission 'alcie' in the paths given; did you mean alice"):
        select_ids(entries, ["alcie"])
    with pytest.raises(UsageError, match="no submission 'zed' in the paths given; the ids there: alice, bob, carol"):
        select_ids(entries, ["zed"])
