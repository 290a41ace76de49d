"""Notebook cells to one Python text, line for line, the way Jupyter would have run them.

IPython's own transformer turns `%magics` and `!shell` lines (top level or nested
in a block) into `get_ipython()` calls that the extract stage then drops like any
other statement. Cell magics whose body is Python (`%%time`, `%%capture`...) keep
their body; `%%writefile NAME.py` cells become module `NAME` for the submission
instead of running; `%run FILE` becomes `from FILE import *` when the
submission holds FILE, and a precise error when it does not.
"""
from __future__ import annotations

import ast
import functools
import json
import re
import shlex
import warnings
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from grader.errors import SubmissionError

# Cell magics whose body is ordinary Python: keep the body, drop the magic line.
PYTHON_CELL_MAGICS = ("%%time", "%%timeit", "%%capture", "%%prun", "%%memit", "%%debug", "%%notify")
_NEEDS_IPYTHON = re.compile(r"^[ \t]*[%!]|=[ \t]*[%!]|\?[ \t]*$", re.MULTILINE)
_RUN = re.compile(r"^%run[ \t]+(.*)$")


def normalize_newlines(text: str) -> str:
    """`\\r\\n` and `\\r` become `\\n`: the only line ends Python's tokenizer knows, so lines stay aligned."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_lines(text: str) -> list[str]:
    """Lines as Python counts them (text already normalized), without their `\\n`."""
    return text.split("\n")


@dataclass
class Cells:
    """Code cells joined into one text, with everything needed to talk about it in cell terms."""

    code: str = ""
    starts: list[tuple[int, int]] = field(default_factory=list)  # (first line, cell number)
    notes: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)  # the student's own text of each line
    modules: dict[str, tuple[str, int]] = field(default_factory=dict)  # name -> (code, cell)
    runs: list[tuple[str, str, int, int]] = field(default_factory=list)  # (module, file, cell, line)


def looks_like_notebook(text: str) -> bool:
    """True for a `.py` whose content is notebook JSON (a renamed download)."""
    if not text.lstrip().startswith("{"):
        return False
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and ("cells" in data or "worksheets" in data)


def notebook_code(text: str, files: dict[str, str]) -> Cells:
    """Code cells joined in order, magics neutralized; cells that do not parse are skipped with a note."""
    out = Cells()
    lines: list[str] = []
    for number, raw in read_cells(text):
        source = normalize_newlines(raw)
        original = split_lines(source)
        if _writefile(source, number, out):
            python = ""
        else:
            python = _cell_python(_runs(source, number, files, out))
            python = _check_cell(python, number, out.notes)
        out.starts.append((len(lines) + 1, number))
        python_lines = split_lines(python[:-1] if python.endswith("\n") else python)
        lines.extend(python_lines + [""])
        out.shown.extend((original + python_lines[len(original):])[: len(python_lines)] + [""])
    out.code = "\n".join(lines) + "\n"
    return out


def _check_cell(python: str, number: int, notes: list[str]) -> str:
    try:
        ast.parse(python)
    except SyntaxError as exc:
        notes.append(f"cell {number} was skipped: syntax error at line {exc.lineno or 1} ({exc.msg}).")
        return ""
    except (ValueError, RecursionError, MemoryError):
        notes.append(f"cell {number} was skipped: it could not be read as Python.")
        return ""
    return python


def read_cells(text: str) -> list[tuple[int, str]]:
    """(cell number, source) of every code cell; numbers count markdown cells too."""
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
            out.append((number, "".join(map(str, source)) if isinstance(source, list) else str(source)))
    return out


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _writefile(source: str, number: int, out: Cells) -> bool:
    """A `%%writefile [-a] NAME.py` cell: its body becomes module NAME; True when the cell was one."""
    first, _, body = source.lstrip("\n").partition("\n")
    if not first.startswith("%%writefile"):
        return False
    try:
        args = shlex.split(first[len("%%writefile"):])
    except ValueError:
        args = first.split()[1:]
    append = "-a" in args or "--append" in args
    names = [a for a in args if not a.startswith("-")]
    stem = PurePosixPath(names[0]).stem if names else ""
    if names and names[0].endswith(".py") and stem.isidentifier():
        old = out.modules.get(stem, ("", number))[0] if append else ""
        out.modules[stem] = (old + normalize_newlines(body), number)
    return True


def _runs(source: str, number: int, files: dict[str, str], out: Cells) -> str:
    """`%run FILE` at the top of a cell's lines becomes `from MODULE import *`, line for line."""
    lines = split_lines(source)
    for index, line in enumerate(lines):
        match = _RUN.match(line)
        if match is None:
            continue
        try:
            args = [a for a in shlex.split(match.group(1)) if not a.startswith("-")]
        except ValueError:
            args = match.group(1).split()
        wanted = args[0] if args else ""
        found = _find_file(wanted, files)
        if found is None:
            held = f" (it holds {', '.join(sorted(files)[:5])})" if files else ""
            raise SubmissionError("run", f"cell {number}, line {index + 1}: `%run {wanted}` runs {wanted}, which is not "
                                  f"in your submission{held}. Submit a zip or folder holding your notebook and "
                                  f"{wanted}, or paste its code into a cell.")
        module = _module_name(found)
        out.runs.append((module, found, number, index + 1))
        lines[index] = f"from {module} import *"
    return "\n".join(lines)


def _find_file(wanted: str, files: dict[str, str]) -> str | None:
    if not wanted:
        return None
    clean = str(PurePosixPath(wanted.replace("\\", "/")))
    for name in (clean, clean + ".py"):
        if name in files:
            return name
    base = [n for n in files if PurePosixPath(n).name in (PurePosixPath(clean).name, PurePosixPath(clean).name + ".py")]
    return base[0] if len(base) == 1 else None


def _module_name(path: str) -> str:
    stem = PurePosixPath(path).stem
    return stem if stem.isidentifier() else "_run_" + re.sub(r"\W", "_", stem)


def _cell_python(source: str) -> str:
    stripped = source.lstrip()
    if stripped.startswith(PYTHON_CELL_MAGICS):
        lead = source[: len(source) - len(stripped)]
        source = lead + "pass\n" + stripped.partition("\n")[2]  # the magic line becomes a no-op line
    if _NEEDS_IPYTHON.search(source) is None and not stripped.startswith("%%"):
        return source  # plain Python: IPython's transformer would only cost time
    source = _join_magic_continuations(source)
    try:
        python = _transformer().transform_cell(source)
    except Exception:  # noqa: BLE001 - IPython's transformer is a black box on odd input; fall back to raw text
        return source
    lost = len(split_lines(source.rstrip("\n"))) - len(split_lines(python.rstrip("\n")))
    if lost > 0 and not split_lines(source)[0].strip():
        python = "\n" * lost + python  # IPython strips leading blank lines; keep line numbers
    return python


@functools.cache
def _transformer() -> object:
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


def _join_magic_continuations(source: str) -> str:
    """Join `!cmd \\` / `%magic \\` continuation lines, then pad with blank lines to keep numbering."""
    lines = split_lines(source)
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
