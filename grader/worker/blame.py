"""Whose mistake an error in a probe call is: the student's code, or the course's own probes.

Runs in the probes' thread when a probe raised. The traceback says who raised it: its frames are
sorted into the submission's code (its files, and any code whose file is not known: code it
compiled, TensorFlow's autograph copies of its functions), the course's (the probes file and the
grader's own modules) and libraries (the standard library, site-packages). The error is the
student's when a frame of their code is on it (or on an exception it was raised while handling),
and also, with none, when what failed was plainly their object: an attribute missing on it or on
None (a function of theirs that returned nothing), a message that names a class or function of
theirs or one of their files (Keras's and TensorFlow's errors about their layers do), or a wrong
call of a function of theirs (`MyDense.__init__() got an unexpected keyword argument`: Python raises
that in the caller's frame).

Otherwise the course's code raised, or a library it called did. That is the course's mistake when the
probe had not yet used the submission (its first argument) when it raised: no code or object of the
student's was involved. After that, a library's error may be the library refusing what the student's
code made (a layer their block built with the wrong input size, then given the judge's weights), so
only a programming error of the probe itself is the course's: a name it does not define
(`NameError`), an import that fails, a call with arguments the callee does not take (Python's
`unexpected keyword argument`, `required positional argument`; Keras's `Unrecognized keyword
arguments`). Anything else stays the student's, as before this module: a probe is written to return
what the student's code gives it, and a probe that breaks on a student's mistake shows up in
`grader selfcheck` (its mutants and stubs must grade without internal errors).

An attribute missing on the submission module itself is left to the judge, which knows whether the
exercise's stub defines that name. Nothing here can change a score: the test scores 0 either way, so a
submission that dresses its error up as the course's gains nothing but an instructor's look
(`grader.judge.course_faults`).
"""
from __future__ import annotations

import ast
import linecache
import os
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

STUDENT, COURSE, LIBRARY = "student", "course", "library"
MAX_CHAIN = 8  # exceptions followed through __cause__ / __context__
MAX_FRAMES = 500  # frames looked at per exception
MAX_NAMES = 500  # a submission's names looked for in a message
MAX_MESSAGE = 2000
_CALLED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\(?)")
# A call with arguments the callee does not take (Python's own messages, and Keras's): the caller's code is wrong.
_WRONG_CALL = re.compile(r"unexpected keyword argument|required (?:positional|keyword-only) argument|positional "
                         r"arguments? but \d+ (?:was|were) given|takes no (?:keyword )?arguments|Unrecognized keyword "
                         r"arguments")
PROGRAMMING_ERRORS = (NameError, ImportError, SyntaxError)  # UnboundLocalError is a NameError


@dataclass(frozen=True)
class Sources:
    """Whose files are whose, fixed before the submission runs."""

    probes: str  # the probes' file name, as compiled
    students: frozenset[str]  # the submission's files (submission.py, its %%writefile modules)
    course: frozenset[str]  # the grader's modules loaded in the worker
    libraries: tuple[str, ...]  # folders of the standard library and installed packages
    # (function name, first line) of each probes function -> the first line that uses its first argument
    first_use: Mapping[tuple[str, int], int] = field(default_factory=dict)

    def owner(self, filename: str) -> str:
        if filename in self.students:
            return STUDENT
        if filename == self.probes or filename in self.course:
            return COURSE
        if filename.startswith(self.libraries) or filename.startswith("<frozen "):
            return LIBRARY
        return STUDENT  # code of unknown origin: the submission's (exec, autograph), never blamed on the course


def course_fault(exc: BaseException, sources: Sources, modules: list[types.ModuleType]) -> dict[str, Any] | None:
    """What the worker tells the judge when a probe call raised by the course's own fault: `{"course": ...}`
    (where in the probes, what), `{"missing": name}` for a name a probe read off the submission that it
    lacks (the judge knows whether the stub defines it), or None: the student's code. `modules` are the
    submission's modules, the submission itself first."""
    if _student_took_part(exc, sources):
        return None
    missing = _missing_on_module(exc, modules)
    if missing is not None:
        name, module = missing
        return {"missing": name[:200]} if module is modules[0] else None
    site = _innermost_probe_frame(exc, sources)
    if site is None or _about_student_objects(exc, sources, modules):
        return None
    if _touched_submission(exc, sources) and not _programming_error(exc, sources):
        return None
    filename, line, function = site
    return {"course": {"kind": "probe-raised", "type": type(exc).__name__[:80], "message": _text(exc),
                       "where": f"{os.path.basename(filename)}, line {line}, in {function}"[:300],
                       "code": linecache.getline(filename, line).strip()[:300]}}


def first_uses(source: str) -> dict[tuple[str, int], int]:
    """For each function of the probes: (name, first line, decorators included) -> the first line that uses its
    first argument (the submission); a function that never does maps past its end."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    found = {}
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        arguments = [*node.args.posonlyargs, *node.args.args]
        uses = [n.lineno for statement in node.body for n in ast.walk(statement)
                if arguments and isinstance(n, ast.Name) and n.id == arguments[0].arg]
        found[(node.name, first)] = min(uses, default=(node.end_lineno or node.lineno) + 1)
    return found


def _touched_submission(exc: BaseException, sources: Sources) -> bool:
    """Had the probe (the outermost frame in the probes) reached a line that uses the submission when it raised?
    (Unknown is yes: the student's, as before.)"""
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == sources.probes:
            first = sources.first_use.get((code.co_name, code.co_firstlineno))
            return first is None or tb.tb_lineno >= first
        tb = tb.tb_next
    return True


def _programming_error(exc: BaseException, sources: Sources) -> bool:
    """An error in the probe's own code whatever the student's code did: a name it lacks, an import, a call with
    arguments the callee does not take."""
    if isinstance(exc, PROGRAMMING_ERRORS):
        frames = _frames(exc)
        return bool(frames) and sources.owner(frames[-1][0]) == COURSE  # raised in the course's own frame
    return isinstance(exc, (TypeError, ValueError)) and _WRONG_CALL.search(_text(exc)) is not None


def _frames(exc: BaseException) -> list[tuple[str, int, str]]:
    """(file, line, function) of each frame of the traceback, outermost first."""
    out = []
    tb = exc.__traceback__
    while tb is not None and len(out) < MAX_FRAMES:
        code = tb.tb_frame.f_code
        out.append((code.co_filename, tb.tb_lineno, code.co_name))
        tb = tb.tb_next
    return out


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    item: BaseException | None = exc
    while item is not None and len(seen) < MAX_CHAIN and not any(item is s for s in seen):
        seen.append(item)
        item = item.__cause__ or item.__context__
    return seen


def _student_took_part(exc: BaseException, sources: Sources) -> bool:
    """A frame of the student's code on the traceback of the error, or of one it was raised while handling
    (the first frames are the worker's own loop, above the probe)."""
    for item in _chain(exc):
        frames = _frames(item)
        start = next((i for i, f in enumerate(frames) if f[0] == sources.probes), 0)
        if any(sources.owner(filename) == STUDENT for filename, _, _ in frames[start:]):
            return True
    return False


def _innermost_probe_frame(exc: BaseException, sources: Sources) -> tuple[str, int, str] | None:
    """The innermost frame in the probes: where the probe raised, or called what did (a library, the grader)."""
    probes = [f for f in _frames(exc) if f[0] == sources.probes]
    return probes[-1] if probes else None


def _missing_on_module(exc: BaseException, modules: list[types.ModuleType]) -> tuple[str, Any] | None:
    """(name, module) for an attribute missing on one of the submission's modules; None for anything else."""
    if type(exc) is not AttributeError or not isinstance(exc.name, str):
        return None
    owner = exc.obj
    return (exc.name, owner) if any(owner is m for m in modules) else None


def _about_student_objects(exc: BaseException, sources: Sources, modules: list[types.ModuleType]) -> bool:
    """Did what failed concern the student's objects, though none of their code was on the stack?"""
    if isinstance(exc, AttributeError) and isinstance(exc.name, str):
        owner = exc.obj
        if owner is None or _made_by_student(owner, modules):
            return True
    text = _text(exc)
    if "NoneType" in text or any(path in text for path in sources.students):
        return True
    classes, functions = _student_names(modules)
    words = _CALLED.findall(text)  # (name, "(" or "") for each word of the message
    return any(word in classes or (call and word in functions) for word, call in words)


def _made_by_student(value: Any, modules: list[types.ModuleType]) -> bool:
    names = {m.__name__ for m in modules}
    kind = value if isinstance(value, type) else type(value)
    return any(getattr(k, "__module__", None) in names for k in kind.__mro__[:-1])


def _student_names(modules: list[types.ModuleType]) -> tuple[set[str], set[str]]:
    """The classes and the functions the submission's modules define (not what they imported). A message names a
    class as a word (`of type MyDense`, `MyDense.call()`), a function as a call (`build_net() takes 0 ...`)."""
    classes: set[str] = set()
    functions: set[str] = set()
    wanted = {m.__name__ for m in modules}
    for module in modules:
        for name, value in list(vars(module).items())[:MAX_NAMES]:
            if getattr(value, "__module__", None) not in wanted:
                continue
            if isinstance(value, type):
                classes.add(name)
            elif isinstance(value, types.FunctionType):
                functions.add(name)
    return classes, functions


def _text(exc: BaseException) -> str:
    try:
        return str(exc)[:MAX_MESSAGE]
    except BaseException:  # noqa: BLE001 - an exception whose str() raises
        return ""
