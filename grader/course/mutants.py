"""Hand-written mutants: the reference solution with one mistake, as a full copy or as a small diff.

A mutant in `solutions/<slug>/mutants/` is either `NAME.py`, a whole copy of `solution.py` with the
mistake (its module docstring says what it is, and its `Fails:` line which tests must catch it), or
`NAME.diff`: that docstring's text, then a unified diff against `solution.py` (this is `grader new`'s example):

    Mutant: adds the factor instead of multiplying by it.

    Fails: test_output_values, test_factor_is_used
    --- solution.py
    +++ solution.py
    @@ -11,3 +11,3 @@

         def call(self, X):
    -        return X * self.factor
    +        return X + self.factor

The code it stands for, and what selfcheck grades, is the solution with each hunk applied and the text
before the first `--- ` line as its module docstring (in place of the solution's own): what the same
mutant as a full copy would be. `diff -u solution.py copy.py` makes the hunks (`make_diff` here, for
`grader new` and the conversion of full copies). A hunk is found by its lines (context and removed), near
the line its `@@` header names, so a mutant keeps applying when the solution changes elsewhere; a hunk
whose lines are no longer in the solution is an error that names it.
"""
from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from grader.errors import UsageError

SUFFIXES = (".py", ".diff")
CONTEXT = 2  # lines of context `make_diff` keeps around each change
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class MutantError(UsageError):
    """A diff mutant that cannot be applied to the solution (or cannot be read)."""


@dataclass(frozen=True)
class Hunk:
    start: int  # the line of the solution the header names (1-based; 0 for an empty file)
    old: tuple[str, ...]  # context and removed lines, with their line ends
    new: tuple[str, ...]  # context and added lines


def docstring(path: Path) -> str:
    """A mutant's docstring: a full copy's module docstring, a diff's text before its first `--- ` line."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".diff":
        return _split(text, path)[0]
    try:
        return ast.get_docstring(ast.parse(text)) or ""
    except (SyntaxError, ValueError):
        return ""


def mutant_source(path: Path, solution: Path) -> str:
    """The code a mutant stands for: a full copy as it is; a diff applied to the solution."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".diff":
        return text
    doc, diff = _split(text, path)
    code = apply_hunks(solution.read_text(encoding="utf-8"), parse_hunks(diff, path), path)
    return replace_docstring(code, _doc_literal(doc))


def materialize(path: Path, solution: Path, folder: Path) -> Path:
    """A `.py` file of the mutant's code to grade: a full copy is its own; a diff's is written into `folder`."""
    if path.suffix != ".diff":
        return path
    target = folder / f"{path.stem}.py"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(mutant_source(path, solution), encoding="utf-8")
    return target


def _split(text: str, path: Path) -> tuple[str, str]:
    """(docstring text, diff) of a diff mutant."""
    match = re.search(r"^--- ", text, flags=re.MULTILINE)
    if match is None:
        raise MutantError(f"{path}: a diff mutant needs a unified diff against solution.py (a line starting "
                          "'--- solution.py'), after its docstring")
    return text[:match.start()], text[match.start():]


def _doc_literal(doc: str) -> str:
    """The docstring as source: `\"\"\"One line.\"\"\"`, or lines with the closing quotes on their own."""
    body = doc.rstrip("\n").rstrip()
    if "\"\"\"" in body:
        raise MutantError("a diff mutant's docstring cannot contain three double quotes in a row")
    return f'"""{body}\n"""' if "\n" in body else f'"""{body}"""'


def parse_hunks(diff: str, path: Path | None = None) -> list[Hunk]:
    """The hunks of a unified diff (its `---`/`+++` lines and anything between hunks are passed over)."""
    hunks: list[Hunk] = []
    lines = diff.splitlines(keepends=True)
    index = 0
    while index < len(lines):
        match = _HUNK.match(lines[index])
        index += 1
        if match is None:
            continue
        old: list[str] = []
        new: list[str] = []
        while index < len(lines) and lines[index][:1] in (" ", "-", "+", "\\", "\n") \
                and not lines[index].startswith(("--- ", "+++ ")):
            line = lines[index]
            index += 1
            if line.startswith("\\"):  # "\ No newline at end of file": the line before has none
                for side in (old, new):
                    if side and side[-1].endswith("\n"):
                        side[-1] = side[-1][:-1]
                continue
            body = line[1:] if line[:1] != "\n" else "\n"  # an empty context line some editors leave bare
            if line[:1] in (" ", "\n"):
                old.append(body)
                new.append(body)
            elif line[:1] == "-":
                old.append(body)
            else:
                new.append(body)
        hunks.append(Hunk(int(match[1]), tuple(old), tuple(new)))
    if not hunks:
        raise MutantError(f"{path or 'a diff mutant'}: its diff has no hunk (no '@@ -N +N @@' line)")
    return hunks


def apply_hunks(text: str, hunks: list[Hunk], path: Path | None = None) -> str:
    """`text` with every hunk applied, in order; each found where its old lines are, nearest its header's line."""
    lines = text.splitlines(keepends=True)
    floor = 0  # hunks apply in order: each after the one before
    shift = 0  # lines the earlier hunks added (or removed)
    for number, hunk in enumerate(hunks, 1):
        size = len(hunk.old)
        wanted = max(hunk.start - 1, 0) + shift
        places = [i for i in range(floor, len(lines) - size + 1) if tuple(lines[i:i + size]) == hunk.old]
        if not places:
            shown = "".join(line for line in hunk.old if line.strip())[:400] or "(nothing)"
            raise MutantError(f"{path or 'a diff mutant'}: hunk {number} (at line {hunk.start} of solution.py) does "
                              f"not apply: the solution no longer has these lines:\n{shown}")
        at = min(places, key=lambda i: (abs(i - wanted), i))
        lines[at:at + size] = list(hunk.new)
        floor = at + len(hunk.new)
        shift += len(hunk.new) - size
    return "".join(lines)


def replace_docstring(code: str, literal: str) -> str:
    """`code` with `literal` as its module docstring, in place of the one it has (or first, when it has none)."""
    span = _docstring_span(code)
    if span is None:
        return literal + "\n" + code
    return code[:span[0]] + literal + code[span[1]:]


def _docstring_span(code: str) -> tuple[int, int] | None:
    """Where the module docstring's literal is in `code` (character offsets), or None when it has none."""
    tree = ast.parse(code)
    first = tree.body[0] if tree.body else None
    if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)):
        return None
    lines = code.splitlines(keepends=True)

    def offset(line: int, column: int) -> int:  # ast's columns count UTF-8 bytes
        return sum(len(text) for text in lines[:line - 1]) + len(lines[line - 1].encode("utf-8")[:column].decode("utf-8"))

    assert first.end_lineno is not None and first.end_col_offset is not None
    return offset(first.lineno, first.col_offset), offset(first.end_lineno, first.end_col_offset)


def raw_docstring(code: str) -> str | None:
    """The text between the triple quotes of `code`'s module docstring as written (no escapes undone); None
    when it has none, or one written some other way (a prefix, single quotes)."""
    span = _docstring_span(code)
    literal = code[span[0]:span[1]] if span else ""
    if len(literal) < 6 or not (literal.startswith('"""') and literal.endswith('"""')):
        return None
    return literal[3:-3]


def make_diff(solution: str, mutant: str) -> str | None:
    """The diff mutant (docstring, then hunks) that stands for the full copy `mutant` of `solution`; None when
    there is none (a docstring that is not a plain triple-quoted string, in either)."""
    doc, own = raw_docstring(mutant), _docstring_span(solution)
    if doc is None or own is None:
        return None
    ours = replace_docstring(mutant, solution[own[0]:own[1]])  # the solution's docstring: the hunks leave it be
    hunks = difflib.unified_diff(solution.splitlines(keepends=True), ours.splitlines(keepends=True),
                                 "solution.py", "solution.py", n=CONTEXT)
    body = "".join(h if h.endswith("\n") else h + "\n\\ No newline at end of file\n" for h in hunks)
    return doc.rstrip("\n").rstrip() + "\n" + body
