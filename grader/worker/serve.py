"""Stage 3, the UNTRUSTED side: a process that loads one submission and runs probes.

It answers the judge's requests over two pipes: `load` (run the submission's
definitions, statement by statement, and say which contract names exist) and
`call` (run one probe from the assignment's `probes.py` against the submission
and send back what it returned, as plain data). It never decides whether an
answer is right: it has no expected values and no spec to read.

Student code shares this interpreter, so the process is split in two threads. The request
loop (`serve`, the main thread) reads requests, seals and writes replies; no student code runs
there, and what it needs after load (the seal's key, the codec, the integrity record) lives
only in its locals, bound before the submission's first statement, out of reach of any frame
student code can get without tripping `grader.worker.tripwire`. The probes' thread (`run_jobs`)
loads the submission and runs the probes; student code runs there only, and cannot install a
signal handler (Python allows that in the main thread only), whose frame argument would raise
no audit event. Before each reply the loop checks the namespaces it and the probes rely on
(`grader.worker.integrity`); a change, like a tripwire event, ends the worker as tampered.
"""
from __future__ import annotations

import _thread
import ast
import importlib.abc
import importlib.machinery
import importlib.util
import linecache
import os
import signal
import sys
import threading
import traceback
import types
from typing import Any

from grader.protocol import READY
from grader.worker import blame, integrity, tripwire
from grader.worker.wire import encode_reply, new_mac, read_request, seal, write_all

SUBMISSION_FILE = "submission.py"
MAX_TEXT = 2000
MAX_PROBLEMS = 50  # load-time failures reported; the rest are counted
INTERNAL_STATUS = 70  # the request loop itself failed (an exception where none should be)


def serve(req_fd: int, resp_fd: int, _exit: Any = os._exit) -> None:
    """Install the tripwire, then answer requests until the judge closes the pipe or asks us to exit."""
    arm, trip = tripwire.install(resp_fd)  # first: it sees everything after this (inert until armed)
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # _thread.interrupt_main() from student code does nothing
        write_all(resp_fd, encode_reply(READY))  # boot is over: a worker that ends before this ran no student code
        request = read_request(req_fd)
        if request is None or request[0].get("op") != "load":
            _exit(0)
        message, digest = request
        key = message.pop("seal", None)
        mac = new_mac(bytes.fromhex(key) if isinstance(key, str) else b"")
        del key
        channel: list[Any] = [None, None]
        go, done = _thread.allocate_lock(), _thread.allocate_lock()
        go.acquire()
        done.acquire()
        threading.Thread(target=run_jobs, args=(channel, go, done, arm), name="grader-probes", daemon=True).start()
        del arm
        _loop(req_fd, resp_fd, channel, go, done, mac, trip, message, digest)
    except BaseException:  # noqa: BLE001 - nothing may escape the loop: it ends the process
        _exit(INTERNAL_STATUS)


def _loop(req_fd: int, resp_fd: int, channel: list[Any], go: Any, done: Any, mac: Any, trip: Any,
          message: dict[str, Any], digest: bytes, _read: Any = read_request, _encode: Any = encode_reply,
          _seal: Any = seal, _write: Any = write_all, _check: Any = integrity.first_change, _exit: Any = os._exit,
          _str: Any = str, _type_error: Any = TypeError, _max_text: int = MAX_TEXT) -> None:
    """The request loop, from the load request on: everything it calls is a local or a default bound at import,
    and it runs no student code (the probes' thread does)."""
    spaces: tuple[Any, ...] = ()
    number, job = 0, ("prepare", message)
    while True:
        channel[0], channel[1] = job, None
        go.release()
        done.acquire()
        kind, value = channel[1]
        if kind == "ready":  # the probes and the integrity record are in place: now the submission runs
            spaces, job = value, ("load", message)
            continue
        changed = _check(spaces)
        if changed is not None:
            trip("changed " + changed, None)
        reply = {"ok": True, "value": value} if kind == "ok" else {"ok": False, "error": value}
        try:
            frame = _encode(reply)
        except _type_error as exc:
            frame = _encode({"ok": False, "error": {"type": "TypeError", "message": _str(exc.args[0])[:_max_text],
                                                    "lines": [], "probe": True}})
        _write(resp_fd, frame + _seal(frame, mac, number, digest))
        number += 1
        request = _read(req_fd)
        if request is None or request[0].get("op") == "exit":
            _exit(0)
        message, digest = request
        job = ("call", message)


def run_jobs(channel: list[Any], go: Any, done: Any, arm: Any) -> None:
    """The probes' thread: prepare, load the submission, then run one probe per call."""
    state: dict[str, Any] = {}
    while True:
        go.acquire()
        job, message = channel[0]
        channel[0] = None
        try:
            if job == "prepare":
                result: tuple[str, Any] = ("ready", _prepare(message, state, arm))
                arm = None
            elif job == "load":
                result = ("ok", state["plain"](_load(message, state)))
            else:
                result = ("ok", state["plain"](_call(message, state)))
        except BaseException as exc:  # noqa: BLE001 - student code may raise anything, SystemExit too
            result = ("error", _failure(exc, job, state))
        _flush()  # what the student printed is on disk before the reply, even if the worker is killed later
        channel[1] = result
        done.release()


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - the student may have replaced or closed the stream
            pass


def _failure(exc: BaseException, job: str = "call", state: dict[str, Any] | None = None) -> dict[str, Any]:
    """The error reply: the exception in the student's terms, and whose mistake it was where that is the
    course's (`course`: no such probe, arguments it does not take, a probe that raised on its own, probes that
    do not load) or may be (`missing`: a name a probe read off the submission, which lacks it)."""
    if isinstance(exc, NotPlain):
        return {"type": "TypeError", "message": str(exc)[:MAX_TEXT], "lines": [], "probe": True}
    if isinstance(exc, CourseFault):
        return {"type": exc.kind, "message": exc.message[:MAX_TEXT], "lines": [],
                "course": {"kind": exc.kind, "message": exc.message[:MAX_TEXT]}}
    try:
        described = describe_exception(exc)
    except BaseException:  # noqa: BLE001 - a student exception whose str() raises
        return {"type": "Error", "message": "", "lines": []}
    if job == "prepare":  # nothing of the student's has run yet: the probes (or TensorFlow's set-up) failed
        where = _probe_site(exc)
        described["course"] = {"kind": "probes-load", "type": described["type"], "message": described["message"],
                               "where": where}
    elif job == "call" and state is not None and "sources" in state:
        try:
            described.update(blame.course_fault(exc, state["sources"], _student_modules(state)) or {})
        except BaseException:  # noqa: BLE001 - whatever the student's objects do, the error stays theirs
            pass
    return described


class CourseFault(Exception):
    """The course's own mistake in a call, found before the probe ran: no such probe, or arguments it does not take."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def _student_modules(state: dict[str, Any]) -> list[types.ModuleType]:
    """The submission's module and its own modules (`%%writefile`), the submission first."""
    found = [state["submission"]] if isinstance(state.get("submission"), types.ModuleType) else []
    found += [m for m in (sys.modules.get(name) for name in state.get("modules", ())) if isinstance(m, types.ModuleType)]
    return found


def _probe_site(exc: BaseException) -> str:
    """Where loading the probes failed: the last line of the traceback (a SyntaxError's own line)."""
    if isinstance(exc, SyntaxError):
        return f"{os.path.basename(str(exc.filename))}, line {exc.lineno}"
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{os.path.basename(frames[-1].filename)}, line {frames[-1].lineno}" if frames else ""


def _prepare(message: dict[str, Any], state: dict[str, Any], arm: Any) -> tuple[integrity.Space, ...]:
    """Before any student code: TensorFlow's set-up, the probes, the integrity record, then arm the tripwire."""
    _configure(message)
    import keras

    probes = _import_probes(message["probes"], message.get("probes_source"))
    # the probe functions as they are now, before student code runs: a later setattr on the module changes nothing
    state["probes"] = tuple((name, value) for name, value in vars(probes).items()
                            if not name.startswith("_") and isinstance(value, types.FunctionType))
    state["seed"] = keras.utils.set_random_seed
    state["plain"] = make_plain()
    spaces = tuple(integrity.grader_spaces() + integrity.probe_spaces(probes, message.get("probes_source")))
    cwd = os.getcwd()
    modules = dict(message.get("modules") or {})
    files = [os.path.join(cwd, SUBMISSION_FILE)] + [os.path.join(cwd, f"{name}.py") for name in modules]
    state["modules"] = tuple(str(name) for name in modules)
    state["sources"] = blame.Sources(probes=str(message["probes"]), students=frozenset(files),
                                     course=frozenset(_grader_files(probes)) - {str(message["probes"])},
                                     libraries=_library_roots(), first_use=blame.first_uses(_probes_text(message)))
    arm(files=files, run_statements=_run_statements.__code__, consumers=tripwire.consumer_codes(),
        trusted=(threading.main_thread().ident, threading.get_ident()),
        extract_gen=traceback.StackSummary._extract_from_extended_frame_gen.__func__.__code__,
        grader_files=_grader_files(probes), loader_exec=_loader_exec(), genuine_import=_library_imports(cwd))
    return spaces


def _probes_text(message: dict[str, Any]) -> str:
    source = message.get("probes_source")
    return source if isinstance(source, str) else "".join(linecache.getlines(str(message["probes"])))


def _grader_files(probes: types.ModuleType) -> set[str]:
    """The files of the grader's code in this process, and the probes', whose functions no one may rewire."""
    files = {getattr(m, "__file__", None) for name, m in list(sys.modules.items())
             if name == "grader" or name.startswith("grader.")}
    return {f for f in files | {getattr(probes, "__file__", None)} if isinstance(f, str)}


def _loader_exec() -> types.CodeType:
    from importlib import _bootstrap_external  # type: ignore[attr-defined]

    return _bootstrap_external._LoaderBasics.exec_module.__code__


def _library_imports(home: str) -> Any:
    """A check for the tripwire: is this `exec_module` frame Python importing an installed library file?
    (Its code is the library's, not the student's, though a student's `import` triggered it.)"""
    loaders = (importlib.machinery.SourceFileLoader, importlib.machinery.SourcelessFileLoader)
    from importlib import _bootstrap, _bootstrap_external  # type: ignore[attr-defined]

    classes = {id(c): c for loader in loaders for c in loader.__mro__ if c is not object}
    record = tuple([integrity.record("importlib.", vars(_bootstrap_external)), integrity.record("importlib.", vars(_bootstrap))]
                   + [integrity.record(f"{c.__qualname__}.", vars(c), exact=True) for c in classes.values()])
    roots = _library_roots()
    mine = (os.path.join(home, ""), os.path.join(os.path.dirname(home), ""))
    return _make_genuine(loaders, record, roots, mine)


def _library_roots() -> tuple[str, ...]:
    """The folders of the standard library and of installed packages (each ending in a separator)."""
    import site
    import sysconfig

    paths = sysconfig.get_paths()
    return tuple({os.path.join(p, "") for p in [paths["stdlib"], paths["platstdlib"], paths["purelib"], paths["platlib"],
                                               *site.getsitepackages()]})


def _make_genuine(loaders: tuple[type, ...], record: tuple[integrity.Space, ...], roots: tuple[str, ...],
                  mine: tuple[str, ...]) -> Any:
    type_, str_, startswith, check = type, str, str.startswith, integrity.first_change

    def genuine(frame: Any) -> bool:
        loader = frame.f_locals.get("self")
        if type_(loader) not in loaders or check(record) is not None:
            return False
        path = loader.path
        return type_(path) is str_ and startswith(path, roots) and not startswith(path, mine)

    return genuine


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
    module, problems = _exec_submission(message["code"], dict(message.get("modules") or {}))
    state["submission"] = module
    names = list(message.get("names", []))
    defined = [n for n in names if hasattr(module, n)]
    public = [n for n in vars(module) if not n.startswith("_")]
    return {"defined": defined, "missing": [n for n in names if n not in defined],
            "problems": problems, "names": public[:500]}


def _call(message: dict[str, Any], state: dict[str, Any]) -> Any:
    if "submission" not in state:
        raise RuntimeError("no submission loaded")
    state["seed"](int(message.get("seed", 0)) % (2**31))
    wanted = str(message.get("probe"))
    probe = next((function for name, function in state["probes"] if name == wanted), None)
    if probe is None:
        raise CourseFault("probe-missing", f"no probe named {wanted[:100]!r} in the probes")
    try:
        return probe(state["submission"], **message.get("kwargs", {}))
    except TypeError as exc:
        if exc.__traceback__ is not None and exc.__traceback__.tb_next is None:  # raised by the call: the probe never ran
            raise CourseFault("probe-arguments", f"probe {wanted!r} cannot take these arguments: {exc}") from None
        raise


class NotPlain(TypeError):
    """A probe returned something that cannot travel as plain data."""


def make_plain() -> Any:
    """`plain`, with what it calls bound now (after TensorFlow's import, before student code)."""
    import numpy as np

    try:
        from tensorflow.python.framework.ops import EagerTensor

        eager, to_numpy = EagerTensor, EagerTensor.__dict__["_numpy_internal"]
    except (ImportError, KeyError):
        eager, to_numpy = None, None
    ndarray, generic, asarray = np.ndarray, np.generic, np.asarray
    type_, isinstance_, hasattr_, dict_, list_, tuple_, str_ = type, isinstance, hasattr, dict, list, tuple, str
    int_, float_, bool_, range_, len_, not_plain, exact = int, float, bool, range, len, NotPlain, (bool, int, float, str)

    def plain(value: Any) -> Any:
        """What a probe returned as plain data: exact dicts, lists, text, numbers, None and NumPy arrays.

        Runs in the probes' thread and may run student code (a returned object's `numpy()`); what it calls
        was bound before the submission ran: a rebound `np.asarray` changes nothing here."""
        box: list[Any] = [None]
        stack = [(value, box, 0)]
        while stack:
            item, holder, place = stack.pop()
            if item is None or type_(item) in exact:
                holder[place] = item
            elif isinstance_(item, dict_):
                out: Any = {}
                for key, inner in list_(item.items()):
                    out[str_(key)] = None
                    stack.append((inner, out, str_(key)))
                holder[place] = out
            elif isinstance_(item, (list_, tuple_)):
                out = list_(item)
                for index in range_(len_(out)):
                    stack.append((out[index], out, index))
                holder[place] = out
            elif isinstance_(item, exact):
                kind = bool_ if isinstance_(item, bool_) else int_ if isinstance_(item, int_) else \
                    float_ if isinstance_(item, float_) else str_
                holder[place] = kind(item) if kind is not str_ else str_.__str__(item)
            elif isinstance_(item, generic):
                stack.append((item.item(), holder, place))
            else:
                if eager is not None and type_(item) is eager:
                    item = to_numpy(item)
                elif hasattr_(item, "numpy") and not isinstance_(item, ndarray):
                    item = item.numpy()
                array = asarray(item)
                if array.dtype.kind not in "biufcSU" or array.dtype.hasobject:
                    raise not_plain("cannot send a value of type " + type_(item).__name__)
                holder[place] = array.copy()
        return box[0]

    return plain


def describe_exception(exc: BaseException) -> dict[str, Any]:
    """The exception in the student's terms: type, message and the lines of their code involved."""
    frames = traceback.extract_tb(exc.__traceback__)
    lines = [f.lineno for f in frames if os.path.basename(f.filename) == SUBMISSION_FILE and f.lineno]
    text = str(exc)
    if isinstance(exc, SystemExit):
        text = f"your code called exit({exc.code!r})"
    return {"type": type(exc).__name__, "message": text[:MAX_TEXT], "lines": lines[-5:]}


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


def main(argv: list[str]) -> None:
    """Cold start: `python -m grader.worker.serve REQ_FD RESP_FD`."""
    serve(int(argv[1]), int(argv[2]))


if __name__ == "__main__":
    main(sys.argv)
