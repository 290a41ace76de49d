"""Tests for grader.output.overrides: the overrides file and the usage errors that name a bad line."""
from __future__ import annotations

from pathlib import Path

import pytest

from grader.errors import UsageError
from grader.output.overrides import Override, load_overrides, parse_points


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "overrides.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_rows_with_a_header_in_any_order(tmp_path: Path) -> None:
    path = write(tmp_path, "id,points,reason,test,by\n"
                           "alice,+1,\"regrade: axis was right, see email\",test_axis_argument_is_used,TA Kim\n"
                           "\n# a comment\n"
                           "bob,=8,late work accepted,,\n")
    assert load_overrides(path) == [
        Override(2, "alice", "+", 1.0, "regrade: axis was right, see email", "test_axis_argument_is_used", "TA Kim"),
        Override(5, "bob", "=", 8.0, "late work accepted")]
    other = write(tmp_path, "reason,id,points\ncopied the slides,carol,-0.5\n")
    assert load_overrides(other) == [Override(2, "carol", "+", -0.5, "copied the slides")]


def test_rows_without_a_header_are_id_points_reason_test_by(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffdana,-2.5,plagiarism hearing,,Prof. Lee\n")  # Excel's BOM
    assert load_overrides(path) == [Override(1, "dana", "+", -2.5, "plagiarism hearing", None, "Prof. Lee")]


@pytest.mark.parametrize("text, expected", [("+1", ("+", 1.0)), ("-0.5", ("+", -0.5)), ("=8", ("=", 8.0)),
                                            ("= 7.25", ("=", 7.25)), ("+.5", ("+", 0.5))])
def test_points(text: str, expected: tuple[str, float]) -> None:
    assert parse_points(text) == expected


@pytest.mark.parametrize("text, message", [
    ("alice,1,reason\n", "line 1: points '1' is not a change like \\+1 or -0.5, or a new value like =8"),
    ("id,points,reason\nalice,+x,why\n", "line 2: points '\\+x' is not a change"),
    ("id,points,reason\nalice,=inf,why\n", "line 2: points '=inf'"),
    ("id,points,reason\nalice,+1,\n", "line 2: no reason; every override says why"),
    ("id,points,reason\n,+1,why\n", "line 2: no submission id"),
    ("id,points,reason\nalice,+1,a,b,c,d\n", "line 2: 6 cells, at most 5"),
    ("id,points,why\n", "line 1: unknown column 'why'"),
    ("id,reason\n", "line 1: no 'points' column"),
])
def test_a_bad_row_is_a_usage_error_naming_its_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        load_overrides(write(tmp_path, text))


def test_an_unreadable_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read the overrides file"):
        load_overrides(tmp_path / "missing.csv")
    (tmp_path / "latin1.csv").write_bytes("alice,+1,Begründung\n".encode("latin-1"))
    with pytest.raises(UsageError, match="is not UTF-8 text"):
        load_overrides(tmp_path / "latin1.csv")


def test_describe_writes_the_change_as_given() -> None:
    assert [Override(1, "a", op, v, "r").describe() for op, v in (("+", 1.0), ("+", -0.5), ("=", 8.0))] == \
        ["+1", "-0.5", "=8"]
