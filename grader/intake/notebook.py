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
    modules: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (code, where: "cell 3")
    # name -> (cell number or None, lines before the module's first line there; None after `-a` appends)
    module_at: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
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
    """(cell number, source) of every code cell; numbers count markdown cells too.

    A notebook made of what a kernel ran (`grader.intake.kernel_history`, metadata `grader.cell_numbers`)
    is numbered by execution count instead: `In [5]` is cell 5, as the student sees it."""
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
    grader_meta = notebook.get("metadata", {}).get("grader")
    by_count = isinstance(grader_meta, dict) and grader_meta.get("cell_numbers") == "execution_count"
    out = []
    for number, cell in enumerate(cells, start=1):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            count = cell.get("execution_count")
            number = count if by_count and type(count) is int and count > 0 else number
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
        old = out.modules.get(stem, ("", ""))[0] if append else ""
        out.modules[stem] = (old + normalize_newlines(body), f"cell {number}")
        out.module_at[stem] = (number, None if old else len(source) - len(source.lstrip("\n")) + 1)
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
    magic_lines = sum(1 for _ in _NEEDS_IPYTHON.finditer(source))
    if magic_lines * len(source) > IPYTHON_BUDGET and not stripped.startswith("%%"):
        return _neutralize_lines(source)  # IPython's transformer would re-read this cell once per magic line
    try:
        python = _transformer().transform_cell(source)
    except Exception:  # noqa: BLE001 - IPython's transformer is a black box on odd input
        return _neutralize_lines(source)
    lost = len(split_lines(source.rstrip("\n"))) - len(split_lines(python.rstrip("\n")))
    if lost > 0 and not split_lines(source)[0].strip():
        python = "\n" * lost + python  # IPython strips leading blank lines; keep line numbers
    return python


# IPython's transformer tokenizes the whole cell again for each magic line it rewrites (up to 500
# times), so its cost is (magic lines) x (cell size). Beyond this budget, about a second of CPU,
# magic lines are rewritten one by one instead: same line numbers, same calls for the extract
# stage to drop, linear time.
IPYTHON_BUDGET = 300_000
MAX_MAGIC_LINES = 10_000  # in a .py: far beyond any notebook export
_MAGIC = re.compile(r"^[ \t]*[!%]")
_MAGIC_ASSIGN = re.compile(r"^([ \t]*)([A-Za-z_][\w.]*(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*)*)[ \t]*=[ \t]*([!%].*)$")
_HELP = re.compile(r"^[ \t]*(?:[?]*[A-Za-z_][\w.]*[ \t]*[?]+|[?]+[A-Za-z_][\w.]*)[ \t]*$")


def _neutralize_lines(source: str) -> str:
    """Each `!cmd`, `%magic`, `x = !cmd` or `name?` line as a bare `get_ipython()` call (kept short:
    the statement is dropped anyway, and the student's own line is what reports quote), line for line."""
    out = []
    for line in split_lines(source):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if (match := _MAGIC_ASSIGN.match(line)) is not None:
            line = f"{indent}{match[2]} = get_ipython()"
        elif _MAGIC.match(line) or _HELP.match(line):
            line = f"{indent}get_ipython()"
        out.append(line)
    return "\n".join(out)


COLAB_MAGIC = "# Commented out IPython magic to ensure Python compatibility."


def script_code(text: str) -> Cells:
    """A `.py` file as one text, the way the notebook it was downloaded from ran.

    Colab's "Download .py" leaves `!shell` lines as they are and comments out `%` magics, a
    whole cell at a time for cell magics. So a file that is not Python only because of notebook
    lines is read the way Jupyter would run it, line for line; a `%%time` or `%%capture` cell
    that Colab commented out runs as it did in the notebook; a commented `%%writefile NAME.py`
    cell becomes module NAME. Any other syntax error is left for the extract stage to report
    where the student wrote it."""
    colab = Cells(shown=split_lines(text))
    uncommented = "\n".join(_colab_cells(list(colab.shown), colab))
    plain = Cells(shown=colab.shown)
    tried = [(colab, uncommented), (plain, text)] if uncommented != text or colab.modules else [(plain, text)]
    for out, code in tried:  # Colab's commented cells are taken only when the whole file then reads as Python
        out.code = _with_magics(code, out)
        if _error_line(out.code) is None:
            return out
    return out  # the file as it is: its first syntax error is the student's own line


def _with_magics(code: str, out: Cells) -> str:
    """`code` with notebook lines read the way Jupyter would, when that is what keeps it from being Python."""
    if _error_line(code) is None or sum(1 for _ in _NEEDS_IPYTHON.finditer(code)) > MAX_MAGIC_LINES:
        return code
    python = _cell_python(code)
    before, after = split_lines(code), split_lines(python)
    magic = [n for n, (old, new) in enumerate(zip(before, after), start=1) if old != new]
    error = _error_line(python)
    # kept when it parses, or when what still fails is the student's own line (reported there, not at `!pip`)
    if not magic or len(after) != len(before) or (error is not None and error in magic):
        return code
    out.notes.append(f"{len(magic)} line(s) of notebook syntax ({_listed(magic, out.shown)}) were read as "
                     "Jupyter reads them and not run; the grader installs nothing.")
    return python


@functools.lru_cache(maxsize=4)  # each candidate text is asked about more than once; parsing is the cost
def _error_line(code: str) -> int | None:
    """The line of `code`'s first syntax error (0 when it cannot be read at all), None when it parses."""
    try:
        ast.parse(code)
    except SyntaxError as exc:
        return exc.lineno or 0
    except (ValueError, RecursionError, MemoryError):
        return 0
    return None


def _listed(numbers: list[int], shown: list[str]) -> str:
    listed = ", ".join(f"line {n} `{shown[n - 1].strip()[:60]}`" for n in numbers[:3])
    return listed + (f" and {len(numbers) - 3} more" if len(numbers) > 3 else "")


def _colab_cells(lines: list[str], out: Cells) -> list[str]:
    """Cell magics that Colab's download commented out, line for line: Python bodies uncommented,
    `%%writefile NAME.py` bodies as modules (their lines stay comments)."""
    for index in range(len(lines) - 1):
        if lines[index].strip() != COLAB_MAGIC or not lines[index + 1].startswith("# %%"):
            continue
        magic = lines[index + 1][2:].strip()
        end = index + 2
        while end < len(lines) and lines[end].startswith("#") and lines[end].strip() != COLAB_MAGIC:
            end += 1
        body = [line[2:] if line.startswith("# ") else line[1:] for line in lines[index + 2:end]]
        if magic.startswith(PYTHON_CELL_MAGICS):
            lines[index + 2:end] = body
            out.notes.append(f"lines {index + 3}-{end} (a `{magic.split()[0]}` cell that Colab's download commented "
                             "out) were read as the notebook ran them.")
        elif magic.startswith("%%writefile"):
            name = magic.split()[-1]
            stem = PurePosixPath(name).stem
            if name.endswith(".py") and stem.isidentifier():
                append = {"-a", "--append"} & set(magic.split())
                old = out.modules.get(stem, ("", ""))[0] if append else ""
                out.modules[stem] = (old + "\n".join(body) + "\n", f"line {index + 2}")
                out.module_at[stem] = (None, None if old else index + 2)
    return lines


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
