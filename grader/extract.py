"""Stage 2: turn a submission's text into the Python module the worker will load.

Notebooks: code cells in order, IPython magics and `!shell` lines rewritten by
IPython's own transformer into `get_ipython()` calls, which are then dropped like
any other top-level work. An AST pass keeps imports, function and class
definitions and plain assignments, and blanks out top-level work (training,
plots, downloads, prints, loops) *in place*, so every kept line keeps its line
number and error messages can point at the student's own lines and cells.
"""
from __future__ import annotations

import ast
import json
import warnings
from dataclasses import dataclass, field

from grader.errors import SubmissionError
from grader.ingest import Source

# Calls that mean "doing work" rather than "defining things" at top level.
WORK_CALLS = frozenset({
    "fit", "fit_generator", "train_on_batch", "evaluate", "predict", "predict_on_batch",
    "load_data", "get_file", "download", "urlretrieve", "urlopen", "get", "post",
    "plot", "imshow", "show", "savefig", "figure", "subplots", "hist", "scatter",
    "print", "display", "input", "sleep", "summary", "save", "save_weights",
    "load_weights", "load_model", "system", "getoutput", "run_line_magic",
    "run_cell_magic", "get_ipython", "exit", "quit", "_exit", "fork", "Popen", "run",
    "call", "check_output", "mainloop", "eval", "exec", "compile", "open",
})
# Cell magics whose body is ordinary Python: keep the body, drop the magic line.
PYTHON_CELL_MAGICS = ("%%time", "%%timeit", "%%capture", "%%prun")


@dataclass(frozen=True)
class Dropped:
    """A top-level statement that was not run, as the student wrote it."""

    line: int
    code: str
    cell: int | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"line": self.line, "code": self.code}
        if self.cell is not None:
            out["cell"] = self.cell
        return out


@dataclass(frozen=True)
class Extracted:
    """The module to load, plus what was dropped and how lines map back to cells."""

    code: str
    kind: str
    dropped: tuple[Dropped, ...] = ()
    notes: tuple[str, ...] = ()
    defined: tuple[str, ...] = ()
    cells: tuple[tuple[int, int], ...] = field(default=())  # (first line, cell number)

    def where(self, line: int) -> str:
        """Describe a line of `code` in the student's terms: 'line 4' or 'cell 3, line 2'."""
        cell, local = self.locate(line)
        return f"line {local}" if cell is None else f"cell {cell}, line {local}"

    def locate(self, line: int) -> tuple[int | None, int]:
        if not self.cells:
            return None, line
        start, cell = self.cells[0]
        for first, number in self.cells:
            if first > line:
                break
            start, cell = first, number
        return cell, line - start + 1


def extract(source: Source) -> Extracted:
    """Extract the runnable module from an ingested submission."""
    if source.kind == "notebook":
        code, cells, notes, shown = _notebook_code(source.text)
    else:
        code, cells, notes, shown = source.text, (), [], source.text.splitlines()
    notes = list(source.notes) + notes
    tree = _parse(code, cells)
    kept, dropped = _filter(tree, code, shown)
    located = Extracted(code=kept, kind=source.kind, cells=cells)
    return Extracted(
        code=kept, kind=source.kind, notes=tuple(notes), cells=cells,
        dropped=tuple(_relocate(d, located) for d in dropped), defined=tuple(_defined_names(tree)),
    )


def _relocate(dropped: Dropped, located: Extracted) -> Dropped:
    cell, line = located.locate(dropped.line)
    return Dropped(line=line, code=dropped.code, cell=cell)


def _notebook_code(text: str) -> tuple[str, tuple[tuple[int, int], ...], list[str], list[str]]:
    """Code cells joined in order, magics neutralized; cells that do not parse are skipped.

    Also returns the student's own lines aligned with the code's, to quote in reports.
    """
    cells = _read_cells(text)
    lines: list[str] = []
    shown: list[str] = []
    starts: list[tuple[int, int]] = []
    notes: list[str] = []
    for number, source in cells:
        python = _cell_python(source)
        try:
            ast.parse(python)
        except SyntaxError as exc:
            notes.append(f"cell {number} was skipped: syntax error at line {exc.lineno or 1} ({exc.msg}).")
            python = ""
        except (ValueError, RecursionError, MemoryError):
            notes.append(f"cell {number} was skipped: it could not be read as Python.")
            python = ""
        starts.append((len(lines) + 1, number))
        python_lines = python.splitlines() or [""]
        lines.extend(python_lines)
        lines.append("")
        original = source.splitlines()
        shown.extend((original + python_lines[len(original):])[: len(python_lines)] + [""])
    return "\n".join(lines) + "\n", tuple(starts), notes, shown


def _read_cells(text: str) -> list[tuple[int, str]]:
    import nbformat

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # missing cell ids and the like: harmless for grading
            notebook = nbformat.reads(text, as_version=4)
    except (json.JSONDecodeError, ValueError) as exc:
        raise SubmissionError("notebook", f"The notebook is not valid JSON ({_first_line(exc)}); "
                              "open it in Jupyter and save it again.") from None
    except Exception as exc:  # nbformat raises several unrelated types for broken files
        raise SubmissionError("notebook", f"The notebook could not be read ({_first_line(exc)}).") from None
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        raise SubmissionError("notebook", "The notebook has no list of cells; open it in Jupyter and save it again.")
    out = []
    for number, cell in enumerate(cells, start=1):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            out.append((number, "".join(source) if isinstance(source, list) else str(source)))
    return out


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _cell_python(source: str) -> str:
    from IPython.core.inputtransformer2 import TransformerManager

    stripped = source.lstrip()
    if stripped.startswith(PYTHON_CELL_MAGICS):
        source = "pass\n" + source.partition("\n")[2]  # the magic line becomes a no-op line
    source = _join_magic_continuations(source)
    try:
        python = TransformerManager().transform_cell(source)
    except Exception:  # IPython's transformer is a black box on odd input; fall back to raw text
        return source
    lost = len(source.splitlines()) - len(python.splitlines())
    if lost > 0 and not source.splitlines()[0].strip():
        python = "\n" * lost + python  # IPython strips leading blank lines; keep line numbers
    return python


def _join_magic_continuations(source: str) -> str:
    """Join `!cmd \\` / `%magic \\` continuation lines, then pad with blank lines to keep numbering."""
    lines = source.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith(("!", "%")) and not line.lstrip().startswith("%%"):
            joined, extra = line, 0
            while joined.endswith("\\") and i + extra + 1 < len(lines):
                extra += 1
                joined = joined[:-1] + " " + lines[i + extra].strip()
            out.append(joined)
            out.extend([""] * extra)
            i += extra + 1
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


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


def _filter(tree: ast.Module, code: str, shown: list[str]) -> tuple[str, list[Dropped]]:
    """Blank out top-level work in place; return the kept text and what was dropped."""
    own = set(_defined_callables(tree))
    lines = code.splitlines(keepends=True)
    dropped: list[Dropped] = []
    for stmt in reversed(tree.body):
        if _keep(stmt, own):
            continue
        quoted = shown[stmt.lineno - 1] if stmt.lineno <= len(shown) else lines[stmt.lineno - 1]
        dropped.append(Dropped(line=stmt.lineno, code=quoted.strip()[:100]))
        _blank(lines, stmt)
    dropped.reverse()
    return "".join(lines), dropped


def _blank(lines: list[str], stmt: ast.stmt) -> None:
    start, end = stmt.lineno - 1, (stmt.end_lineno or stmt.lineno) - 1
    head = lines[start][: stmt.col_offset]
    tail = lines[end][stmt.end_col_offset or 0:]
    for index in range(start, end + 1):
        lines[index] = "\n"
    if head.strip():  # another statement before it on the same line: `x = 1; fit()`
        lines[start] = head + "pass" + ("\n" if start != end else tail)
        if start != end and tail.strip():
            lines[end] = "pass" + tail
    elif tail.strip():
        lines[end] = "pass" + tail
    else:
        lines[end] = "\n"


def _keep(stmt: ast.stmt, own: set[str]) -> bool:
    if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        return stmt.value is not None and _cheap(stmt.value, own)
    if isinstance(stmt, ast.Expr):
        return isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)
    if isinstance(stmt, ast.Try):
        body = stmt.body + stmt.orelse + stmt.finalbody + [s for h in stmt.handlers for s in h.body]
        return all(isinstance(s, (ast.Import, ast.ImportFrom, ast.Pass)) or
                   (isinstance(s, (ast.Assign, ast.AnnAssign)) and _keep(s, own)) for s in body)
    return isinstance(stmt, ast.Pass)


def _cheap(node: ast.expr, own: set[str]) -> bool:
    """True when evaluating `node` defines something rather than doing work."""
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Await, ast.Yield, ast.YieldFrom, ast.ListComp, ast.SetComp,
                            ast.DictComp, ast.GeneratorExp, ast.Lambda)):
            if isinstance(sub, ast.Lambda):
                continue
            return False
        if isinstance(sub, ast.Call):
            name = _call_name(sub.func)
            if name in WORK_CALLS or name in own or "train" in name.lower():
                return False
    return True


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _defined_callables(tree: ast.Module) -> list[str]:
    return [s.name for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]


def _defined_names(tree: ast.Module) -> list[str]:
    """Top-level names the kept code binds (used to suggest fixes for misspelt names)."""
    own = set(_defined_callables(tree))
    names = list(own)
    for stmt in tree.body:
        if not _keep(stmt, own):
            continue
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
        names += [t.id for t in targets if isinstance(t, ast.Name)]
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name).split(".")[0] for a in stmt.names]
    return names
