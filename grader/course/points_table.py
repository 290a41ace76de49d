"""An assignment README's points table, checked against the specs (and written for a new exercise).

The table tells students what each test is worth, which part of the contract (clause) it checks and
whether they can run it themselves:

    ## How it is graded (10 points)
    | test | clause | points | public |
    |---|---|---|---|
    | output shape of `ConcatBlock(Dense(3), Dense(5))` | what `call` returns | 1 | yes |
    | the `axis` argument is used | what `call` returns | 1 | hidden |

Rows describe tests in the student's words, so a row is not matched to a test by name: `grader
selfcheck` checks that the rows' points and visibility are the specs', test for test; that the rows
sharing a clause label have, together, the points of the tests of one clause of the specs (each
label one clause); and that the heading's total is the specs' total.
"""
from __future__ import annotations

import re
from collections import Counter

from grader.assignments import Assignment
from grader.judge.grading import collect, collect_clauses
from grader.judge.runner import base_name

HEADER = "| test | clause | points | public |"
_TOTAL = re.compile(r"^#+ How it is graded \((?P<total>[0-9.]+) points?\)", re.MULTILINE)

Row = tuple[str, str, float, bool]  # (test, clause label, points, public)


def read_rows(readme: str) -> list[Row] | None:
    """The table's rows, or None when the README has no points table."""
    if HEADER not in readme:
        return None
    lines = readme[readme.index(HEADER):].split("\n\n", 1)[0].splitlines()[2:]
    rows: list[Row] = []
    for line in lines:
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if len(cells) < 4:
            raise ValueError(f"a row of the points table has {len(cells)} cells, not 4: {line.strip()}")
        try:
            points = float(cells[-2])
        except ValueError:
            raise ValueError(f"a row's points are not a number: {line.strip()}") from None
        rows.append((" | ".join(cells[:-3]), cells[-3], points, cells[-1] == "yes"))
    return rows


def spec_rows(assignment: Assignment) -> list[tuple[str, str, float, bool]]:
    """(test, clause, points, public) of every spec, public first."""
    public, hidden = tuple(assignment.public_specs), tuple(assignment.hidden_specs)
    clauses = collect_clauses(public + hidden)
    rows = [(n, clauses.get(n, base_name(n)), p, True) for n, p, _ in collect(public, {})]
    return rows + [(n, clauses.get(n, base_name(n)), p, False) for n, p, _ in (collect(hidden, {}) if hidden else [])]


def table_problems(assignment: Assignment) -> list[str]:
    """What is wrong with the README's points table, measured against the specs ([] when it agrees)."""
    readme = assignment.folder / "README.md"
    try:
        text = readme.read_text(encoding="utf-8")
        rows = read_rows(text)
    except (OSError, ValueError) as exc:
        return [f"README.md: {exc}"]
    if rows is None:
        return [f"README.md has no points table (a line `{HEADER}`, see `grader new`)"]
    specs = spec_rows(assignment)
    problems = []
    wanted = Counter((p, public) for _, _, p, public in specs)
    shown = Counter((p, public) for _, _, p, public in rows)
    if wanted != shown:
        said = [_difference(wanted - shown, "the specs have"), _difference(shown - wanted, "the table has")]
        problems.append("README.md's points table does not match the specs: " + "; ".join(s for s in said if s))
    elif _groups(rows) != _groups(specs):
        problems.append(f"README.md's points table has {len(set(r[1] for r in rows))} clause labels for the specs' "
                        f"{len(set(s[1] for s in specs))} clauses, or groups the tests' points differently")
    total = _TOTAL.search(text)
    points = round(sum(p for _, _, p, _ in specs), 4)
    if total and float(total["total"]) != points:
        problems.append(f"README.md says the exercise is worth {total['total']} points; its specs give {points:g}")
    return problems


def _groups(rows: list[tuple[str, str, float, bool]]) -> Counter[tuple[tuple[float, bool], ...]]:
    """Each clause's tests as (points, public), sorted: what a label must cover whatever its wording."""
    by_clause: dict[str, list[tuple[float, bool]]] = {}
    for _, clause, points, public in rows:
        by_clause.setdefault(clause, []).append((points, public))
    return Counter(tuple(sorted(tests)) for tests in by_clause.values())


def _difference(extra: Counter[tuple[float, bool]], who: str) -> str:
    if not extra:
        return ""
    listed = ", ".join(f"{n} × {p:g} points {'public' if public else 'hidden'}"
                       for (p, public), n in sorted(extra.items()))
    return f"{who} {listed} more"


def render(rows: list[Row]) -> str:
    """The points table for a README (with its heading), as `grader new` writes it."""
    total = round(sum(p for _, _, p, _ in rows), 4)
    lines = [f"## How it is graded ({total:g} points)", HEADER, "|---|---|---|---|"]
    lines += [f"| {test} | {clause} | {points:g} | {'yes' if public else 'hidden'} |"
              for test, clause, points, public in rows]
    return "\n".join(lines) + "\n"

