"""Score overrides with a trail (`--overrides FILE`): who changed which score, by how much, and why.

A CSV with the columns `id,points,reason` and optionally `test` and `by` (a header row
naming them may come first, in any order; without one the columns are in that order):

    id,points,reason,test,by
    smithalice_12345_678901_concat,+1,regrade request: axis was right,test_axis_argument_is_used,TA Kim
    bob,=8,late work accepted by email,,Prof. Lee
    carol,-0.5,used the solution from the slides,,

`points` is a change (`+1`, `-0.5`) or, after `=`, a new value (`=8`); `test` empty means the
total. Rows apply in file order; how they combine with the late policy is in `grader.output.adjust`.
"""
from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

from grader.errors import UsageError
from grader.intake.roster import read_settings_file

COLUMNS = ("id", "points", "reason", "test", "by")
MAX_BYTES = 5 * 1024 * 1024
_POINTS = re.compile(r"(?P<op>[+=-])\s*(?P<value>\d+(?:\.\d*)?|\.\d+)")


@dataclass(frozen=True)
class Override:
    """One row: `op` is "+" (a change, negative for `-`) or "=" (a new value); `test` None is the total."""

    line: int
    id: str
    op: str
    value: float
    reason: str
    test: str | None = None
    by: str | None = None

    def describe(self) -> str:
        """`+1`, `-0.5` or `=8`, as the row wrote it."""
        if self.op == "=":
            return f"={self.value:g}"
        return f"{self.value:+g}"


def load_overrides(path: Path) -> list[Override]:
    """Every row of an overrides file; a bad row is a usage error that names its line and what is wrong."""
    data = read_settings_file(path, "overrides file", MAX_BYTES)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text; save it as CSV UTF-8") from None
    rows = list(csv.reader(io.StringIO(text)))
    columns, first = _header(rows, path)
    overrides = []
    for number, row in enumerate(rows[first:], start=first + 1):
        if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue  # blank lines and comments
        overrides.append(_row(row, columns, number, path))
    return overrides


def parse_points(text: str) -> tuple[str, float]:
    """`+1` -> ("+", 1.0); `-0.5` -> ("+", -0.5); `=8` -> ("=", 8.0); anything else raises ValueError."""
    match = _POINTS.fullmatch(text.strip())
    if not match:
        raise ValueError(text)
    value = float(match["value"])
    if not math.isfinite(value):
        raise ValueError(text)
    if match["op"] == "=":
        return "=", value
    return "+", -value if match["op"] == "-" else value


def _header(rows: list[list[str]], path: Path) -> tuple[dict[str, int], int]:
    names = [cell.strip().lower() for cell in rows[0]] if rows else []
    if "id" in names:  # a header row names its columns
        unknown = [n for n in names if n and n not in COLUMNS]
        if unknown:
            raise UsageError(f"{path} line 1: unknown column {unknown[0]!r}; the columns are "
                             f"{', '.join(COLUMNS)} (test and by may be left out)")
        missing = [n for n in COLUMNS[:3] if n not in names]
        if missing:
            raise UsageError(f"{path} line 1: no {missing[0]!r} column; id, points and reason are needed")
        return {name: names.index(name) for name in COLUMNS if name in names}, 1
    return {name: index for index, name in enumerate(COLUMNS)}, 0


def _row(row: list[str], columns: dict[str, int], number: int, path: Path) -> Override:
    def cell(name: str) -> str:
        index = columns.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    where = f"{path} line {number}"
    if len(row) > len(COLUMNS):
        raise UsageError(f"{where}: {len(row)} cells, at most {len(COLUMNS)} ({', '.join(COLUMNS)}); "
                         "put a reason with commas in double quotes")
    if not cell("id"):
        raise UsageError(f"{where}: no submission id (the first column, as in gradebook.csv)")
    try:
        op, value = parse_points(cell("points"))
    except ValueError:
        raise UsageError(f"{where}: points {cell('points')!r} is not a change like +1 or -0.5, or a new "
                         "value like =8") from None
    if not cell("reason"):
        raise UsageError(f"{where}: no reason; every override says why (it is shown beside the score)")
    return Override(line=number, id=cell("id"), op=op, value=value, reason=cell("reason"),
                    test=cell("test") or None, by=cell("by") or None)
