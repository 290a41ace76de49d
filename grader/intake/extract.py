"""Stage 2: turn a submission's text into the Python module the worker will load.

Notebooks become one text, cell after cell (`grader.intake.notebook`). Of that text,
only what the graded names need is kept (`grader.intake.selection`): imports, the
definitions of the graded names and every statement that binds or changes a
name kept code reads. Everything else (training, plots, downloads, prints,
demos) is blanked out *in place*, so every kept line keeps its line number and
error messages can point at the student's own lines and cells.
"""
from __future__ import annotations

import ast
import bisect
from collections.abc import Collection
from dataclasses import dataclass, field

from grader.errors import SubmissionError
from grader.intake.ingest import Source
from grader.intake.notebook import (Cells, looks_like_notebook, normalize_newlines, notebook_code, script_code,
                                    split_lines)
from grader.intake.selection import CONTAINERS, DEFINITIONS, IMPORTS, Selection, bodies, select, top_level_definitions

MAX_LISTED = 50  # entries of `dropped` and `kept` in a report; the rest are counted
QUOTE = 100


@dataclass(frozen=True)
class Dropped:
    """A statement that was not run, as the student wrote it."""

    line: int
    code: str
    cell: int | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"line": self.line, "code": self.code}
        if self.cell is not None:
            out["cell"] = self.cell
        return out


@dataclass(frozen=True)
class Kept:
    """A top-level statement that runs although it is not an import or a definition, and why."""

    line: int
    code: str
    needed_by: str
    cell: int | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"line": self.line, "code": self.code, "needed_by": self.needed_by}
        if self.cell is not None:
            out["cell"] = self.cell
        return out


@dataclass(frozen=True)
class Module:
    """A module the submission provides itself (`%%writefile NAME.py`, `%run FILE`, a `.py` beside it that it imports)."""

    name: str
    code: str
    origin: str
    cell: int | None = None  # the notebook cell that writes it
    offset: int | None = None  # lines before its first line in that cell (or the .py download); None: unknown
    path: str | None = None  # the file `%run` runs

    def where(self, line: int) -> str:
        """A line of this module in the student's terms: 'cell 4, line 3 (helpers.py)', 'blocks.py, line 3'."""
        if self.path is not None:
            return f"{self.path}, line {line}"
        if self.offset is None:
            return f"{self.name}.py line {line}, written by {self.origin}"
        place = f"cell {self.cell}, line" if self.cell is not None else "line"
        return f"{place} {line + self.offset} ({self.name}.py)"


@dataclass(frozen=True)
class Extracted:
    """The module to load, plus what was dropped and how lines map back to cells."""

    code: str
    kind: str
    dropped: tuple[Dropped, ...] = ()
    notes: tuple[str, ...] = ()
    defined: tuple[str, ...] = ()
    cells: tuple[tuple[int, int], ...] = field(default=())  # (first line, cell number)
    kept: tuple[Kept, ...] = ()
    modules: tuple[Module, ...] = ()
    dropped_total: int = 0
    kept_total: int = 0
    spans: tuple[tuple[int, int, str], ...] = ()  # (first line, last line, graded name) of kept statements
    unrun: tuple[tuple[str, int, str], ...] = ()  # (name, line, code) bound only by dropped statements

    def where(self, line: int) -> str:
        """Describe a line of `code` in the student's terms: 'line 4' or 'cell 3, line 2'."""
        cell, local = self.locate(line)
        return f"line {local}" if cell is None else f"cell {cell}, line {local}"

    def where_in(self, file: str, line: int) -> str | None:
        """A line of one of the submission's files as the worker names them (`submission.py`, `helpers.py`)."""
        if file == "submission.py":
            return self.where(line)
        module = next((m for m in self.modules if f"{m.name}.py" == file), None)
        return module.where(line) if module is not None else None

    def locate(self, line: int) -> tuple[int | None, int]:
        if not self.cells:
            return None, line
        index = max(0, bisect.bisect_right(self.cells, line, key=lambda c: c[0]) - 1)
        start, cell = self.cells[index]
        return cell, line - start + 1

    def needed_by(self, line: int) -> str | None:
        """The graded name that needed the kept top-level statement holding `line`, if any."""
        for first, last, name in self.spans:
            if first <= line <= last:
                return name
        return None

    def unrun_binding(self, name: str) -> tuple[int, str] | None:
        """Where a name is bound only by code that was not run: (line of `code`, the code)."""
        for bound, line, code in self.unrun:
            if bound == name:
                return line, code
        return None


def extract(source: Source, roots: Collection[str] | None = None) -> Extracted:
    """Extract the runnable module; `roots` are the graded names (None: every top-level function and class)."""
    notes = list(source.notes)
    kind = source.kind
    files = dict(source.files)
    if kind == "python" and looks_like_notebook(source.text):
        kind = "notebook"
        notes.append(f"{source.path.rsplit('/', 1)[-1]} holds a Jupyter notebook (JSON), so it was read as one; "
                     "next time submit it as .ipynb or use File > Download > .py.")
    if kind == "notebook":
        cells = notebook_code(source.text, files)
    else:
        cells = script_code(normalize_newlines(source.text))
    notes += cells.notes
    starts = tuple(cells.starts)
    tree = _parse(cells.code, starts)
    chosen = set(top_level_definitions(tree)) if roots is None else set(roots)
    selection = select(tree, chosen)
    edit = _Editor(cells.code, cells.shown, selection)
    edit.visit(tree.body, top=True)
    located = Extracted(code="", kind=kind, cells=starts)
    dropped = [_relocate(d, located) for d in edit.first_dropped(MAX_LISTED)]
    kept = [_relocate_kept(k, located) for k in edit.kept]
    return Extracted(
        code=edit.text(), kind=kind, notes=tuple(notes), cells=starts, defined=tuple(sorted(selection.bound)),
        dropped=tuple(dropped), dropped_total=len(edit.dropped_nodes),
        kept=tuple(kept[:MAX_LISTED]), kept_total=len(kept), spans=tuple(edit.spans),
        unrun=tuple(edit.unrun(selection)),
        modules=_modules(cells, files, _wanted_from_modules(tree, selection), notes, _imported_files(tree, cells, files)),
    )


def _relocate(dropped: Dropped, located: Extracted) -> Dropped:
    cell, line = located.locate(dropped.line)
    return Dropped(line=line, code=dropped.code, cell=cell)


def _relocate_kept(kept: Kept, located: Extracted) -> Kept:
    cell, line = located.locate(kept.line)
    return Kept(line=line, code=kept.code, needed_by=kept.needed_by, cell=cell)


def _wanted_from_modules(tree: ast.Module, selection: Selection) -> set[str]:
    """Names the main code may take from the submission's own modules: imported by name, through
    `import *` (what it needs and binds nowhere else) or read as `module.name`."""
    return set(selection.needed - selection.bound) | _names_taken(tree)


def _names_taken(tree: ast.Module) -> set[str]:
    """Names `tree` may take from another module: imported by name, or read as `module.name`."""
    wanted: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            wanted.update(a.name for a in node.names)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            wanted.add(node.attr)
    return wanted


def _imported_files(tree: ast.Module, cells: Cells, files: dict[str, str]) -> dict[str, str]:
    """Module name -> file, for the `.py` files beside the submission that its code imports by name
    (`from gpu_tools import try_gpu` next to `gpu_tools.py`), as Python run in that folder would find them;
    also those that such a file imports in turn. Modules the notebook writes or `%run`s come first."""
    beside = {path[:-3]: path for path in files if path.endswith(".py") and "/" not in path
              and path[:-3].isidentifier()}
    known = set(cells.modules) | {module for module, _, _, _ in cells.runs}
    found: dict[str, str] = {}
    trees = [tree]
    while trees:
        for name in _imported_names(trees.pop()):
            if name in beside and name not in known and name not in found:
                found[name] = beside[name]
                try:
                    trees.append(ast.parse(normalize_newlines(files[beside[name]])))
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    pass  # reported by _modules
    return found


def _imported_names(tree: ast.Module) -> set[str]:
    """The top-level module names `import` statements anywhere in `tree` ask for (no relative imports)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


def _modules(cells: Cells, files: dict[str, str], wanted: Collection[str], notes: list[str],
             imported: dict[str, str]) -> tuple[Module, ...]:
    """The submission's own modules, each cut to what it defines plus what the main code reads from it."""
    texts = {name: (code, f"{where} (%%writefile {name}.py)", {"cell": cells.module_at.get(name, (None, None))[0],
                                                                "offset": cells.module_at.get(name, (None, None))[1]})
             for name, (code, where) in cells.modules.items()}
    for module, path, cell, line in cells.runs:
        text = files[path]
        if path.lower().endswith(".ipynb"):
            text = notebook_code(text, {}).code
        texts[module] = (normalize_newlines(text), f"{path} (%run at cell {cell}, line {line})", {"path": path})
    for module, path in imported.items():
        texts[module] = (normalize_newlines(files[path]), f"{path} (imported as {module})", {"path": path})
    trees = {}
    for name, (code, origin, _) in texts.items():
        try:
            trees[name] = ast.parse(code)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            notes.append(f"{origin} could not be read as Python, so `import {name}` will fail.")
    wanted = set(wanted).union(*(_names_taken(tree) for tree in trees.values()))  # modules import from each other
    out = []
    for name, tree in trees.items():
        code, origin, place = texts[name]
        selection = select(tree, set(top_level_definitions(tree)) | wanted)
        edit = _Editor(code, split_lines(code), selection)
        edit.visit(tree.body, top=True)
        out.append(Module(name=name, code=edit.text(), origin=origin, **place))
    return tuple(out)


def _parse(code: str, cells: tuple[tuple[int, int], ...]) -> ast.Module:
    try:
        return ast.parse(code)
    except SyntaxError as exc:
        where = Extracted(code=code, kind="", cells=cells).where(exc.lineno or 1)
        text = (exc.text or "").strip()
        detail = f": {text[:120]}" if text else ""
        raise SubmissionError("syntax", f"Syntax error at {where} ({exc.msg}){detail}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise SubmissionError("syntax", f"The code could not be read as Python ({type(exc).__name__}).") from None


class _Editor:
    """Blanks out what the selection drops, in place, and records what was kept and dropped."""

    def __init__(self, code: str, shown: list[str], selection: Selection) -> None:
        parts = split_lines(code)
        self.lines = [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
        self.shown = shown
        self.selection = selection
        self.kept: list[Kept] = []
        self.spans: list[tuple[int, int, str]] = []
        self.edits: list[tuple[tuple[int, int], list[ast.stmt], bool]] = []
        self.dropped_nodes: list[ast.stmt] = []

    def visit(self, body: list[ast.stmt], *, top: bool) -> None:
        for stmt in body:
            if not self.selection.keeps(stmt):
                self._drop([stmt], as_pass=False)
                continue
            root = self.selection.needed_by.get(id(stmt))
            if top and root and not isinstance(stmt, IMPORTS + DEFINITIONS):
                self.kept.append(Kept(stmt.lineno, self._quote(stmt), root))
            if top and root:
                self.spans.append((_start(stmt)[0], stmt.end_lineno or stmt.lineno, root))
            if isinstance(stmt, CONTAINERS):
                for inner in bodies(stmt):
                    if any(self.selection.keeps(s) for s in inner):
                        self.visit(inner, top=False)
                    else:
                        self._drop(inner, as_pass=True)

    def _drop(self, stmts: list[ast.stmt], *, as_pass: bool) -> None:
        self.edits.append((_start(stmts[0]), stmts, as_pass))
        self.dropped_nodes.extend(stmts)

    def first_dropped(self, count: int) -> list[Dropped]:
        """The first `count` dropped statements by line, quoted (quoting all of a flood costs time)."""
        first = sorted(self.dropped_nodes, key=lambda s: s.lineno)[:count]
        return [Dropped(s.lineno, self._quote(s)) for s in first]

    def _quote(self, stmt: ast.stmt) -> str:
        index = stmt.lineno - 1
        line = self.shown[index] if index < len(self.shown) else self.lines[index]
        return line.strip()[:QUOTE]

    def text(self) -> str:
        for _, stmts, as_pass in sorted(self.edits, key=lambda e: e[0], reverse=True):
            _blank(self.lines, stmts, as_pass)
        self.edits = []
        return "".join(self.lines)

    def unrun(self, selection: Selection) -> list[tuple[str, int, str]]:
        """Names that only dropped statements bind, each with the first such statement."""
        out: dict[str, tuple[str, int, str]] = {}
        for stmt in self.dropped_nodes:
            for name in sorted(selection.bound_names(stmt) - selection.bound):
                if name not in out and len(out) < 10 * MAX_LISTED:
                    out[name] = (name, stmt.lineno, self._quote(stmt))
        return list(out.values())


def _start(stmt: ast.stmt) -> tuple[int, int]:
    decorators = getattr(stmt, "decorator_list", None) or []
    line = min([stmt.lineno] + [d.lineno for d in decorators])
    return line, stmt.col_offset


def _cut(line: str, col: int) -> tuple[str, str]:
    """Split a line at an AST column (a UTF-8 byte offset)."""
    data = line.encode("utf-8", "surrogatepass")
    return data[:col].decode("utf-8", "surrogatepass"), data[col:].decode("utf-8", "surrogatepass")


def _blank(lines: list[str], stmts: list[ast.stmt], as_pass: bool) -> None:
    """Blank the statements' lines, keeping any other statement sharing their first or last line.

    `as_pass` leaves `pass` in their place: they were a whole block's body.
    """
    first, last = stmts[0], stmts[-1]
    start, end = _start(first)[0] - 1, (last.end_lineno or last.lineno) - 1
    head = _cut(lines[start], first.col_offset)[0]
    tail = _cut(lines[end], last.end_col_offset or 0)[1]
    for index in range(start, end + 1):
        lines[index] = "\n"
    if start != end and tail.strip():  # `fit(X,\n  y); b = 2`: a no-op over the same lines keeps `b = 2` in place
        lines[start], lines[end] = head + "(None\n", ")" + tail
    elif as_pass or head.strip() or tail.strip():
        lines[start] = head + "pass" + (tail if start == end else "\n")
