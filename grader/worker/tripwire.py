"""The worker's tripwire: a PEP 578 audit hook that ends the worker when student code reaches for what
could forge its answers.

Installed by the request loop before anything else runs in the worker and armed just before the
submission's first statement; audit hooks cannot be removed. When student code (the submission, its
`%%writefile` and `%run` modules, and code it compiles, `exec`s or builds at run time) does one of
these, the hook writes a short report to the judge and ends the process with `os._exit(TAMPER_STATUS)`
(bound before load, never a raise student code could catch), so no reply can follow it:

- gets a frame: `sys._getframe`, `sys._current_frames`, `sys._current_exceptions`, a traceback's
  `tb_frame`, a generator's or coroutine's `gi_frame`/`cr_frame`/`ag_frame`, whatever the attribute
  name is built from (the event is raised by the interpreter, not by a name);
- walks the garbage collector (`gc.get_objects`, `get_referrers`, `get_referents`), installs a tracer
  or profiler (`sys.settrace`/`setprofile`), an audit hook of its own, uses `ctypes` in any audited way
  (`dlopen`, `dlsym`, `cdata`, ...), builds a code object (`code.__new__`, `code.replace`) or opens
  `/proc/.../mem`;
- replaces the code or defaults of a grader or probe function (`__code__`, `__defaults__`, from any caller).

Who did it is read from the stack, not from names: the frames above the event are walked, standard
library and third-party frames are passed over (so `inspect.currentframe()`, `traceback.walk_tb`, a
thread pool or `tf.nest.map_structure` running the call for the student change nothing), and the
walk stops at the first frame of student code (trip) or of a known *consumer*: library code that
uses a frame and gives back only text or numbers (`traceback.extract_stack`, `logging`'s
`findCaller`, TensorFlow's decorators and traceback filters, measured on the assignments). A walk
that ends without either is, for a frame, the grader's own work in the worker's two threads (allowed)
and a laundered call in any other thread (trip); a gc walk, a tracer, ctypes or a new code object trips
wherever the walk ends (no library does these on its own while a submission is graded: measured).

Not caught here, and why the request loop is built the way it is: reading `f_back`, `f_locals` or a
function's `__globals__`, writing `vars(module)[name]` or a closure cell raise no audit event. So the
loop keeps its seal key, codec and probe table as locals of a thread no student code runs in, and
checks the namespaces it and the probes rely on before every reply (`grader.worker.integrity`).
ctypes functions built before the submission ran (`ctypes.memmove`, `ctypes.cast`) raise no event either:
memory-level attacks through them are not detected (see the README's security model).
"""
from __future__ import annotations

import _json
import _thread
import os
import sys
import types
from collections.abc import Callable, Iterable
from typing import Any

from grader.protocol import HEADER, MAGIC, SEAL_BYTES, TAMPER_STATUS

FRAME_EVENTS = frozenset({"sys._getframe", "sys._current_frames", "sys._current_exceptions", "gc.get_objects",
                          "gc.get_referrers", "gc.get_referents", "sys.settrace", "sys.setprofile",
                          "sys.addaudithook", "code.__new__"})
WATCHED = FRAME_EVENTS | {"object.__getattr__", "object.__setattr__", "exec", "function.__new__", "open"}
FRAME_ATTRIBUTES = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame"})
REWIRING = frozenset({"__code__", "__defaults__", "__kwdefaults__"})
# Library functions that take a frame and give back only text or numbers (module, dotted name). Measured on
# every assignment's reference, corpus and bundled examples, and on the Keras idioms of the lectures.
CONSUMERS = (
    ("traceback", "extract_stack"), ("traceback", "format_stack"), ("traceback", "print_stack"),
    ("traceback", "StackSummary._extract_from_extended_frame_gen"),
    ("logging", "Logger.findCaller"), ("collections", "namedtuple"), ("typing", "_caller"),
    ("enum", "EnumType._create_"), ("subprocess", "_text_encoding"),
    ("absl.logging", "ABSLLogger.findCaller"), ("absl.logging", "_fast_stack_trace"),
    ("typing_extensions", "_caller"), ("typing_extensions", "_has_generic_or_protocol_as_origin"),
    ("tensorflow.python.util.tf_decorator", "make_decorator"),
    ("tensorflow.python.framework.traceable_stack", "TraceableObject.set_filename_and_line_from_caller"),
    ("tensorflow.python.util.tf_stack", "CurrentModuleFilter.__init__"),
    ("tensorflow.python.util.traceback_utils", "_process_traceback_frames"),
    ("tensorflow.python.platform.tf_logging", "_logger_find_caller"),
    ("keras.src.utils.traceback_utils", "_process_traceback_frames"),
    ("tf_keras.src.utils.traceback_utils", "_process_traceback_frames"),  # --keras legacy
)
ALLOW, BOTTOM = "allow", "bottom"


STDLIB_CONSUMERS = frozenset({"traceback", "logging", "collections", "typing", "enum", "subprocess"})


def consumer_codes(names: Iterable[tuple[str, str]] = CONSUMERS) -> frozenset[types.CodeType]:
    """The code objects of the consumers: the standard library's imported now (student code may import them
    later), a library's only if it is loaded (a missing module or name is left out)."""
    import importlib

    found = set()
    for module_name, dotted in names:
        if module_name in STDLIB_CONSUMERS:
            importlib.import_module(module_name)
        target: Any = sys.modules.get(module_name)
        for part in dotted.split("."):
            target = getattr(target, part, None)
        target = getattr(target, "__func__", target)
        code = getattr(target, "__code__", None)
        if isinstance(code, types.CodeType):
            found.add(code)
    return frozenset(found)


def install(resp_fd: int) -> tuple[Callable[..., None], Callable[[str, Any], None]]:
    """Install the hook (inert until armed); return `arm` (call once, just before student code) and `trip`
    (end the worker as tampered, for the request loop's own checks)."""
    hook, arm, trip = _make(resp_fd)
    sys.addaudithook(hook)
    return arm, trip


def _make(resp_fd: int) -> tuple[Callable[[str, tuple[Any, ...]], None], Callable[..., None],
                                  Callable[[str, Any], None]]:
    """The hook and its state, all closures: nothing here is reachable from a module's globals."""
    type_, str_, int_, len_, frozenset_, set_ = type, str, int, len, frozenset, set
    code_type, function_type, base_exception, value_error = types.CodeType, types.FunctionType, BaseException, ValueError
    getframe, get_ident, exit_, write = sys._getframe, _thread.get_ident, os._exit, os.write
    set_blocking = getattr(os, "set_blocking", None)  # (not on Windows before 3.12: a blocking write there)
    startswith, endswith, rpartition, encode = str.startswith, str.endswith, str.rpartition, str.encode
    quote, pack, magic, zero_tag, status = _json.encode_basestring_ascii, HEADER.pack, MAGIC, b"\0" * SEAL_BYTES, TAMPER_STATUS
    watched, frame_attributes, rewiring, allow, bottom = WATCHED, FRAME_ATTRIBUTES, REWIRING, ALLOW, BOTTOM
    armed: dict[str, Any] = {}
    students: set[types.CodeType] = set_()
    busy: set[int] = set_()
    tripped: list[bool] = []

    def arm(*, files: Iterable[str], run_statements: types.CodeType, consumers: frozenset[types.CodeType],
            trusted: Iterable[int], extract_gen: types.CodeType | None, grader_files: Iterable[str],
            loader_exec: types.CodeType | None, genuine_import: Callable[[Any], bool]) -> None:
        """Start watching (once): the submission's files, the code that runs them, the consumers, the
        loop's threads, the grader's own files, and how to tell a library import from student code."""
        if not armed:
            armed.update(files=frozenset_(files), run_statements=run_statements, consumers=consumers,
                         trusted=frozenset_(trusted), extract_gen=extract_gen, grader_files=frozenset_(grader_files),
                         loader_exec=loader_exec, genuine_import=genuine_import)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event not in watched and not startswith(event, "ctypes."):
            return
        if not armed:
            return
        if event == "object.__getattr__":
            if args[1] not in frame_attributes:
                return
        elif event == "object.__setattr__":
            if args[1] not in rewiring or type_(args[0]) is not function_type:
                return
        elif event == "open":
            path = args[0]
            if type_(path) is not str_ or not startswith(path, "/proc/") or not endswith(path, "/mem"):
                return
        thread = get_ident()
        if thread in busy:  # the hook's own frame reads raise events too
            return
        busy.add(thread)
        try:
            try:
                frame = getframe(1)
            except value_error:  # no Python frame below: a C callable run by a bare thread of the student's
                frame = None
            decide(event, args, frame, thread)
        finally:
            busy.discard(thread)

    def decide(event: str, args: tuple[Any, ...], frame: Any, thread: int) -> None:
        if event == "exec" or event == "function.__new__":
            if (event == "exec" and frame.f_code is armed["run_statements"]) or walk(frame, False) not in (allow, bottom):
                register(args[0])
            return
        if event == "object.__setattr__":
            code = args[0].__code__
            if code.co_filename in armed["grader_files"]:
                found = walk(frame, True)
                trip("replaces the " + args[1] + " of the grader's function " + code.co_name,
                     found if found is not allow and found is not bottom else None, frame)
            elif args[1] == "__code__" and walk(frame, False) not in (allow, bottom):
                register(args[2])  # code the student put into a function of theirs is theirs
            return
        found = walk(frame, True)
        if found is allow or (found is bottom and thread in armed["trusted"] and frame_only(event, args)):
            return  # no student code asked: the grader's or a library's own use of a frame
        name = event if event != "object.__getattr__" else args[1]
        laundered = found is bottom and thread not in armed["trusted"]
        trip(name + " in a thread your code started" if laundered else name, None if found is bottom else found, frame)

    def frame_only(event: str, args: tuple[Any, ...]) -> bool:
        """Events libraries raise on their own (frames); gc walks, tracers, ctypes and new code objects are never
        the grader's or a library's own doing here, whoever is on the stack."""
        return event == "sys._getframe" or event == "object.__getattr__"

    def walk(frame: Any, acquiring: bool) -> Any:
        """The first student frame above `frame`; `allow` at a consumer (when `acquiring`) or at the import of
        a library file (when not); else `bottom`."""
        consumers, extract_gen, loader_exec = armed["consumers"], armed["extract_gen"], armed["loader_exec"]
        while frame is not None:
            code = frame.f_code
            if code in students:
                return frame
            if acquiring:
                if code in consumers and (code is not extract_gen or not frame.f_locals.get("capture_locals")):
                    return allow
            elif code is loader_exec and armed["genuine_import"](frame):
                return allow
            frame = frame.f_back
        return bottom

    def register(code: Any) -> None:
        todo = [code]
        while todo:
            item = todo.pop()
            if type_(item) is code_type and item not in students:
                students.add(item)
                for const in item.co_consts:
                    if type_(const) is code_type:
                        todo.append(const)

    def trip(event: str, student: Any, site: Any = None) -> None:
        """Tell the judge what happened and where, then end the process: nothing can follow."""
        try:
            if not tripped:
                tripped.append(True)
                report(event, student, site)
        except base_exception:
            pass
        finally:
            exit_(status)

    def report(event: str, student: Any, site: Any) -> None:
        file, line = "", 0
        frame = student
        while frame is not None:  # the nearest line in one of the submission's own files
            if frame.f_code.co_filename in armed["files"]:
                break
            frame = frame.f_back
        frame = frame if frame is not None else student
        if frame is not None:
            file, line = rpartition(frame.f_code.co_filename, "/")[2], frame.f_lineno
        via = ""
        if site is not None and site is not student and site.f_code not in students:
            via = rpartition(site.f_code.co_filename, "/")[2] + ":" + site.f_code.co_name
        body = encode('{"tampered": {"event": %s, "file": %s, "line": %d, "via": %s}}'
                      % (quote(event), quote(file), line if type_(line) is int_ else 0, quote(via)))
        if set_blocking is not None:
            set_blocking(resp_fd, False)
        write(resp_fd, pack(magic, len_(body), 0) + body + zero_tag)

    return hook, arm, trip
