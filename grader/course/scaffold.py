"""`grader new NAME`: a new exercise in the course, complete and working, for its author to make their own.

It writes every file an exercise has (see docs/authoring.md): `assignments/NAME/` (assignment.toml, the
`.py` stub and the `.ipynb` stub made from it, probes.py, a public spec, a README with the points table)
and `solutions/NAME/` (the reference solution, a hidden spec, one mutant as a diff). They hold a small
example exercise, a `Scale(factor)` layer, that `grader selfcheck` proves like any other: the solution
scores full marks, the stubs 0, the mutant loses exactly its clause, the table matches the specs.

Each place the author must make their own carries the marker `AUTHOR-TODO` (`TODO_MARKER`), and
`grader selfcheck` reports every marker left in the exercise's files (file, line, text) as a failure: on a
fresh scaffold those are its only failures. When the last marker is gone and selfcheck is all good, the
exercise is done; `grader release` refuses an exercise that still has one.
"""
from __future__ import annotations

import keyword
import re
from pathlib import Path

from grader.course.mutants import make_diff
from grader.course.points_table import render
from grader.errors import UsageError

TODO_MARKER = "AUTHOR-TODO"
_SLUG = re.compile(r"[a-z][a-z0-9_]{0,39}")

TOML = '''# {TODO}: the exercise's title, and the names a submission must define (its contract).
title = "Scale a tensor by a factor"
stub = "{slug}.py"       # the file students fill in; the notebook stub is {slug}.ipynb
names = ["Scale"]        # every name the probes read off a submission is graded too

[limits]                 # per submission; all optional (see docs/authoring.md for every key)
request_s = 60           # one probe call
submission_s = 240       # all calls of one submission together
'''

STUB = '''"""Exercise `{slug}`: {TODO}: say in a sentence what to write.

Fill in `Scale`. Check your work with:  grader check {slug} {slug}.py
"""
import tensorflow as tf


class Scale(tf.keras.layers.Layer):
    """Multiplies its input by `factor`."""

    def __init__(self, factor):
        super().__init__()
        # TODO: keep factor as the attribute `factor`.

    def call(self, X):
        # TODO: return X times the factor.
        raise NotImplementedError("Scale.call is not written yet")
'''

SOLUTION = '''"""Reference solution for `{slug}` ({TODO}: write yours)."""
import tensorflow as tf


class Scale(tf.keras.layers.Layer):
    """Multiplies its input by `factor`."""

    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def call(self, X):
        return X * self.factor
'''

PROBES = '''"""Probes for `{slug}`: they run in the worker, call the submission on inputs the judge chose and return
plain data (tensors, arrays, numbers, dicts and lists of them). They never judge anything.
{TODO}: write the probes your specs call.
"""
import tensorflow as tf


def forward(sub, X, factor):
    """Scale(factor) on X."""
    return sub.Scale(factor)(tf.constant(X))


def kept_factor(sub, factor):
    """What Scale(factor) keeps as its `factor` attribute (None when it keeps none)."""
    return {{"factor": getattr(sub.Scale(factor), "factor", None)}}
'''

PUBLIC = '''"""Public specs for `{slug}`: run them with `grader check {slug} {slug}.py`. {TODO}: write your own."""
import numpy as np

from grader.spec import assert_close, assert_shape, clause, points

# The contract's sentences; the hidden specs use the same ones.
CALL = "Scale(factor)(X) returns X * factor"


@points(1)
@clause(CALL)
def test_output_shape(submission, rng):
    X = rng.random((4, 3), dtype=np.float32)
    assert_shape(submission.call("forward", X=X, factor=2.0), (4, 3), "Scale(2.0) on a (4, 3) input")


@points(2)
@clause(CALL)
def test_output_values(submission, rng):
    X = rng.normal(size=(5, 3)).astype(np.float32)
    assert_close(submission.call("forward", X=X, factor=3.0), X * 3.0, "Scale(3.0)(X)")
'''

HIDDEN = '''"""Hidden specs for `{slug}`: graded with `grader grade`, never in the student bundle. {TODO}: write your own."""
import numpy as np

from grader.spec import assert_close, check, clause, hidden, points, public_spec

CALL = public_spec("{slug}").CALL
KEPT = "Scale(factor) keeps factor as its attribute `factor`"


@hidden
@points(2)
@clause(CALL)
def test_factor_is_used(submission, rng):
    X = rng.normal(size=(2, 6)).astype(np.float32)
    factor = float(rng.uniform(0.5, 4.0))
    assert_close(submission.call("forward", X=X, factor=factor), X * np.float32(factor), "Scale(factor)(X)")


@hidden
@points(1)
@clause(KEPT)
def test_factor_is_kept(submission):
    kept = submission.call("kept_factor", factor=1.5)["factor"]
    check(isinstance(kept, float) and kept == 1.5, "Scale(1.5) should keep 1.5 as its attribute factor.")
'''

MUTANT_DOC = ("Mutant: adds the factor instead of multiplying by it ({TODO}: replace with a mistake your students "
              "make).\n\nFails: test_output_values, test_factor_is_used\n")

README = '''# Exercise `{slug}`: {title}

{TODO}: describe the exercise for students: what to write, which lecture it follows.

## What to write
In `{slug}.py` (or `{slug}.ipynb`, same names):

```python
class Scale(tf.keras.layers.Layer):
    def __init__(self, factor): ...
    def call(self, X):                  # X * factor
```

## Check your work
```bash
grader check {slug} {slug}.py        # or: grader check {slug} {slug}.ipynb
```
or, in a notebook cell: `from grader import check; check("{slug}")`.

{table}
The *clause* column names the part of the exercise each test checks; tests with the same clause
check the same sentence of it.
'''

ROWS = [("output shape of `Scale(2.0)`", "what `call` returns", 1.0, True),
        ("output values of `Scale(3.0)`", "what `call` returns", 2.0, True),
        ("any factor is used", "what `call` returns", 2.0, False),
        ("the factor is kept", "the `factor` attribute", 1.0, False)]


def scaffold(slug: str, root: Path) -> list[Path]:
    """Write the new exercise `slug` into the course at `root`; return the files written."""
    check_slug(slug, root)
    fill = {"slug": slug, "TODO": TODO_MARKER}
    assignment, solutions = root / "assignments" / slug, root / "solutions" / slug
    solution = SOLUTION.format(**fill)
    mutant = solution.replace("return X * self.factor", "return X + self.factor")
    diff = make_diff(solution, f'"""{MUTANT_DOC.format(**fill)}"""\n' + mutant.split('"""', 2)[2].lstrip("\n"))
    if diff is None:  # (make_diff needs both docstrings: they are written just above)
        raise AssertionError("the scaffold's mutant has no docstring")
    files = {
        assignment / "assignment.toml": TOML.format(**fill),
        assignment / f"{slug}.py": STUB.format(**fill),
        assignment / "probes.py": PROBES.format(**fill),
        assignment / "tests" / "test_public.py": PUBLIC.format(**fill),
        assignment / "README.md": README.format(title="scale a tensor by a factor", table=render(ROWS), **fill),
        solutions / "solution.py": solution,
        solutions / "hidden" / "test_hidden.py": HIDDEN.format(**fill),
        solutions / "mutants" / "adds.diff": diff,
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    from grader.assignments import load_assignment
    from grader.course.stub_notebook import write_stub_notebook

    return [*files, write_stub_notebook(load_assignment(slug, root))]


def check_slug(slug: str, root: Path) -> None:
    """A new exercise's name: a lowercase Python identifier, not yet in the course."""
    if not _SLUG.fullmatch(slug) or keyword.iskeyword(slug):
        raise UsageError(f"{slug!r} cannot name an exercise: use lowercase letters, digits and _, starting with a "
                         "letter (it is the folder, the stub's file name and what students type: grader check NAME)")
    taken = [p for p in (root / "assignments" / slug, root / "solutions" / slug) if p.exists()]
    if taken:
        raise UsageError(f"the course at {root} already has {taken[0]}; pick another name or remove it")


def todo_lines(folders: list[Path]) -> list[str]:
    """Every `AUTHOR-TODO` left in the files under `folders`: `path:line: text`."""
    found = []
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if path.suffix == ".ipynb" and TODO_MARKER in text:
                found.append(f"{path}: {TODO_MARKER} (it comes from the .py stub: `grader stub-notebook` remakes it)")
                continue
            found += [f"{path}:{n}: {line.strip()[:160]}" for n, line in enumerate(text.splitlines(), 1)
                      if TODO_MARKER in line]
    return found
