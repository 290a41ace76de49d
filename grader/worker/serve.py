"""Stage 3, the UNTRUSTED side: a process that loads one submission and runs probes.

It answers the judge's requests over two pipes: `load` (run the submission's
definitions, statement by statement, and say which contract names exist) and
`call` (run one probe from the assignment's `probes.py` against the submission
and send back what it returned, as plain data). It never decides whether an
answer is right: it has no expected values and no spec to read.
"""
from __future__ import annotations

import ast
import importlib.abc
import importlib.util
import linecache
import os
import sys
import traceback
import types
from typing import Any

from grader.protocol import READY, read_frame, write_frame

SUBMISSION_FILE = "submission.py"
MAX_TEXT = 2000
MAX_PROBLEMS = 50  # load-time failures reported; the rest are counted


def serve(req_fd: int, resp_fd: int) -> None:
    """Answer requests until the judge closes the pipe or asks us to exit.

    Every function the loop uses is bound to a local before any student code runs, so a
    submission that rebinds `grader.worker.serve._call` (or any other module global) does not
    change what answers the judge's requests. This raises the bar; it is no wall: the
    student's code shares this interpreter (see the README's security model).
    """
    read, write, load, call, describe, flush, leave = (read_frame, write_frame, _load, _call,
                                                       describe_exception, _flush, os._exit)
    state: dict[str, Any] = {}
    write(resp_fd, READY)  # boot is over: a worker that ends before this ran no student code
    while True:
        try:
            message = read(req_fd)
        except Exception:
            leave(0)
        op = message.get("op")
        if op == "exit":
            leave(0)
        try:
            value = load(message, state) if op == "load" else call(message, state)
            reply: dict[str, Any] = {"ok": True, "value": value}
        except BaseException as exc:  # noqa: BLE001 - student code may raise anything, SystemExit too
            reply = {"ok": False, "error": describe(exc)}
        flush()
        try:
            write(resp_fd, reply)
        except TypeError as exc:
            write(resp_fd, {"ok": False, "error": {"type": "TypeError", "message": str(exc)[:MAX_TEXT],
                                                   "lines": [], "probe": True}})


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - the student may have replaced or closed the stream
            pass


def describe_exception(exc: BaseException) -> dict[str, Any]:
    """The exception in the student's terms: type, message and the lines of their code involved."""
    frames = traceback.extract_tb(exc.__traceback__)
    lines = [f.lineno for f in frames if os.path.basename(f.filename) == SUBMISSION_FILE and f.lineno]
    text = str(exc)
    if isinstance(exc, SystemExit):
        text = f"your code called exit({exc.code!r})"
    return {"type": type(exc).__name__, "message": text[:MAX_TEXT], "lines": lines[-5:]}


def _configure(message: dict[str, Any]) -> None:
    """Set up TensorFlow before any student code: logical CPUs and seeds."""
    import keras
    import tensorflow as tf

    logical = int(message.get("logical_cpus", 0))
    if logical > 1:
        cpus = tf.config.list_physical_devices("CPU")
        tf.config.set_logical_device_configuration(
            cpus[0], [tf.config.LogicalDeviceConfiguration() for _ in range(logical)])
    keras.utils.set_random_seed(int(message.get("seed", 0)) % (2**31))


def _load(message: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    _configure(message)
    probes = _import_probes(message["probes"], message.get("probes_source"))
    # the probe functions as they are now, before student code runs: a later setattr on the module changes nothing
    state["probes"] = {name: value for name, value in vars(probes).items()
                       if not name.startswith("_") and isinstance(value, types.FunctionType)}
    module, problems = _exec_submission(message["code"], dict(message.get("modules") or {}))
    state["submission"] = module
    names = list(message.get("names", []))
    defined = [n for n in names if hasattr(module, n)]
    public = [n for n in vars(module) if not n.startswith("_")]
    return {"defined": defined, "missing": [n for n in names if n not in defined],
            "problems": problems, "names": public[:500]}


def _import_probes(path: str, source: str | None = None) -> types.ModuleType:
    """The assignment's probes as module `grader_probes`: from the text the judge sent, else from `path`."""
    if isinstance(source, str):
        module = types.ModuleType("grader_probes")
        module.__file__ = path
        linecache.cache[path] = (len(source), None, source.splitlines(True), path)
        exec(compile(source, path, "exec"), module.__dict__)  # noqa: S102 - the course's own probes
        return module
    spec = importlib.util.spec_from_file_location("grader_probes", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load probes from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _exec_submission(code: str, modules: dict[str, str] | None = None) -> tuple[types.ModuleType, list[dict[str, Any]]]:
    """Run the extracted module one top-level statement at a time.

    A failing statement (an import of a library the grader lacks, say) is
    recorded and skipped, as a notebook would carry on with its next cell.
    `modules` are the submission's own modules (`%%writefile NAME.py`), importable by name.
    """
    problems: list[dict[str, Any]] = []
    if modules:
        sys.meta_path.insert(0, _OwnModules(modules, problems))
    module = types.ModuleType("submission")
    module.__dict__["get_ipython"] = _NoIPython
    sys.modules["submission"] = module
    _run_statements(code, SUBMISSION_FILE, module, problems)
    return module, problems


def _run_statements(code: str, filename: str, module: types.ModuleType, problems: list[dict[str, Any]]) -> None:
    path = os.path.abspath(filename)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(code)
    lines = [line + "\n" for line in code.split("\n")]  # Python's own line ends only: \x0c is not one
    linecache.cache[path] = (len(code), None, lines, path)
    module.__file__ = path
    flags = 0
    extra = {} if filename == SUBMISSION_FILE else {"module": filename[:-3]}
    for stmt in ast.parse(code).body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            flags |= _future_flags(stmt)
        try:
            compiled = compile(ast.Module(body=[stmt], type_ignores=[]), path, "exec", flags=flags, dont_inherit=True)
            exec(compiled, module.__dict__)  # noqa: S102 - running the submission is this process's job
        except BaseException as exc:  # noqa: BLE001
            if len(problems) < MAX_PROBLEMS:
                problems.append({"line": stmt.lineno, **describe_exception(exc), **extra})
            else:  # a flood of failing lines: count them, keep the reply small
                problems[-1]["left_out"] = problems[-1].get("left_out", 0) + 1


class _OwnModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the submission's own modules (`%%writefile NAME.py`, `%run FILE`) from their text."""

    def __init__(self, modules: dict[str, str], problems: list[dict[str, Any]]) -> None:
        self.modules = {str(k): str(v) for k, v in modules.items()}
        self.problems = problems

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name not in self.modules:
            return None
        return importlib.util.spec_from_loader(name, self, origin=os.path.abspath(name + ".py"))

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        module.__dict__["get_ipython"] = _NoIPython
        _run_statements(self.modules[module.__name__], module.__name__ + ".py", module, self.problems)


def _future_flags(stmt: ast.ImportFrom) -> int:
    import __future__

    return sum(getattr(__future__, a.name).compiler_flag for a in stmt.names if hasattr(__future__, a.name))


class _NoIPython:
    """Stands in for `get_ipython()`: magics and shell escapes do nothing when graded."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def _call(message: dict[str, Any], state: dict[str, Any]) -> Any:
    if "submission" not in state:
        raise RuntimeError("no submission loaded")
    import keras

    keras.utils.set_random_seed(int(message.get("seed", 0)) % (2**31))
    probe = state["probes"].get(str(message.get("probe")))
    if probe is None:
        raise LookupError(f"no probe named {message.get('probe')!r}")
    return probe(state["submission"], **message.get("kwargs", {}))


def main(argv: list[str]) -> None:
    """Cold start: `python -m grader.worker.serve REQ_FD RESP_FD`."""
    serve(int(argv[1]), int(argv[2]))


if __name__ == "__main__":
    main(sys.argv)
