"""The package layout shows the trust boundary: no import cycles, and the worker imports nothing that scores.

Imports are read statically (every `import` and `from ... import` in a module, at any depth,
including those inside functions and under `if TYPE_CHECKING:`), so a cycle or a forbidden
import fails here even when it would only run on some path.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "grader"
# What code in grader/worker/ may import: itself, the wire format, the errors, and the confinement a
# new worker applies to itself before student code runs (its mounts, uid and seccomp filter). Never the judge, intake, output or course.
WORKER_MAY_IMPORT = ("grader.worker", "grader.protocol", "grader.errors", "grader.sandbox.confine",
                     "grader.sandbox.privileges", "grader.sandbox.seccomp")
# What the probes (run in the worker, next to student code) may import of the grader.
PROBES_MAY_IMPORT = WORKER_MAY_IMPORT + ("grader.offline_data", "grader.pretrained")
FOLDERS = ("worker", "sandbox", "judge", "intake", "output", "course")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path) -> set[str]:
    """The grader modules `path` imports (a `from grader.x import y` counts y when y is a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "grader")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "grader":
                continue
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & MODULES.keys()
            found.update(submodules or {node.module})
    return {name for name in found if name in MODULES}


# Every module imports the package `grader` first (Python does); that edge is everyone's and is left out.
# What keeps it harmless is checked on its own: the package's __init__ imports nothing at import time.
GRAPH = {name: imports_of(path) - {name, "grader"} for name, path in MODULES.items()}


def reachable(start: str, graph: dict[str, set[str]]) -> dict[str, list[str]]:
    """Every module `start` imports directly or through others, with one chain that leads there."""
    chains = {start: [start]}
    todo = [start]
    while todo:
        here = todo.pop()
        for there in sorted(graph.get(here, ())):
            if there not in chains:
                chains[there] = chains[here] + [there]
                todo.append(there)
    return chains


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each module that lies on one."""
    found = []
    for name in sorted(graph):
        for other in sorted(graph[name]):
            back = reachable(other, graph)
            if name in back:
                found.append([name] + back[name])
                break
    return found


def allowed(name: str, prefixes: tuple[str, ...]) -> bool:
    return name == "grader" or any(name == p or name.startswith(p + ".") for p in prefixes)


def test_the_graph_was_read():
    assert {"grader.api", "grader.worker.serve", "grader.judge.runner", "grader.sandbox.confine"} <= GRAPH.keys()
    assert "grader.judge.session" in GRAPH["grader.judge.runner"]
    assert "grader.worker.serve" in GRAPH["grader.worker.zygote"]


def test_no_import_cycles():
    assert cycles(GRAPH) == []


def test_the_package_init_imports_nothing_at_import_time():
    """`grader/__init__.py` is run before any grader module: its imports wait inside `check()`."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    eager = [node.lineno for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
             and any((alias.name if isinstance(node, ast.Import) else node.module or "").startswith("grader")
                     for alias in node.names)]
    assert eager == []


def test_cycle_check_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph)[0] == ["a", "b", "c", "a"]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("module", sorted(n for n in MODULES if n.startswith("grader.worker")))
def test_worker_imports_nothing_of_the_judge(module):
    """The worker must not even import the code that scores: directly or through anything it imports."""
    chains = reachable(module, GRAPH)
    bad = {name: " -> ".join(chain) for name, chain in chains.items() if not allowed(name, WORKER_MAY_IMPORT)}
    assert bad == {}


def test_worker_check_catches_a_judge_import():
    graph = dict(GRAPH, **{"grader.worker.serve": GRAPH["grader.worker.serve"] | {"grader.sandbox.isolation"}})
    chains = reachable("grader.worker.serve", graph)
    assert any(not allowed(name, WORKER_MAY_IMPORT) for name in chains)  # isolation imports the course


@pytest.mark.parametrize("probes", sorted((ROOT / "assignments").glob("*/probes.py")), ids=lambda p: p.parent.name)
def test_probes_import_only_what_a_worker_may(probes):
    graph = dict(GRAPH, probes=imports_of(probes))
    bad = [" -> ".join(chain) for name, chain in reachable("probes", graph).items()
           if name != "probes" and not allowed(name, PROBES_MAY_IMPORT)]
    assert bad == []


def test_no_module_imports_another_modules_private_names():
    found = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "grader":
                found += [f"{name} imports {node.module}.{a.name}" for a in node.names
                          if a.name.startswith("_") and a.name != "__version__"]
    assert found == []


def test_every_module_sits_in_a_folder_that_names_its_side():
    """On top only the faces users touch and what both sides share; everything else in a role folder."""
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top == {"__init__", "__main__", "api", "cli", "spec", "errors", "protocol", "offline_data", "pretrained",
                   "assignments"}
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()} == set(FOLDERS)
    for folder in FOLDERS:
        assert (PACKAGE / folder / "__init__.py").read_text(encoding="utf-8").startswith('"""')


# The course model (grader/assignments.py) sits below everything that grades; grader/course/ is the
# instructors' commands on top of the judge, and nothing that grades or isolates may need them.
BELOW_THE_COMMANDS = ("grader.judge", "grader.sandbox", "grader.worker", "grader.intake", "grader.output",
                      "grader.assignments", "grader.spec", "grader.protocol", "grader.errors")


@pytest.mark.parametrize("module", sorted(m for m in MODULES if allowed(m, BELOW_THE_COMMANDS)))
def test_nothing_that_grades_imports_the_instructor_commands(module):
    assert [m for m in GRAPH[module] if allowed(m, ("grader.course",))] == []


def test_the_course_model_needs_only_the_errors():
    assert GRAPH["grader.assignments"] <= {"grader.errors"}


@pytest.mark.parametrize("folder", FOLDERS)
def test_tests_mirror_the_packages(folder):
    """Each module's tests live in tests/<folder>/ like the module in grader/<folder>/."""
    tests = {p.stem for p in (ROOT / "tests" / folder).glob("test_*.py")}
    modules = {p.stem for p in (PACKAGE / folder).glob("*.py") if p.stem != "__init__"}
    assert tests, f"no tests/{folder}/"
    strays = {t for t in tests if not any(t == f"test_{m}" or t.startswith(f"test_{m}_") for m in modules)}
    assert strays <= ALSO_IN.get(folder, set())


# Tests named for what they attack or prove rather than for one module.
ALSO_IN = {
    "sandbox": {"test_hostile_host", "test_hostile_judge", "test_hostile_suite", "test_hostile", "test_hostile_tamper"},
    "course": {"test_lecture_style", "test_fairness_corpus", "test_authoring_guide"},  # the last: docs/authoring.md, built
}


POSIX_ONLY_MODULES = {"fcntl", "resource", "pwd", "grp", "termios", "posix"}
POSIX_ONLY_CALLS = {"geteuid", "getuid", "getegid", "getgid", "fork", "forkpty", "setsid", "killpg", "getpwnam",
                    "getpwuid", "uname", "sysconf"}


def import_time_nodes(tree: ast.Module) -> list[ast.AST]:
    """What runs when the module is imported: everything but the bodies of functions (and of lambdas)."""
    found: list[ast.AST] = []
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        found.append(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            todo += [n for n in (*node.decorator_list, *node.args.defaults, *node.args.kw_defaults) if n is not None]
        elif not isinstance(node, ast.Lambda):
            todo += [child for child in ast.iter_child_nodes(node) if child is not None]
    return found


@pytest.mark.parametrize("name", sorted(MODULES))
def test_importing_a_module_needs_nothing_posix_only(name):
    """macOS and Windows import every module: a POSIX-only import or uid/fork call waits inside the function
    that needs it (tests/test_platforms.py imports them all with those parts removed)."""
    bad = []
    for node in import_time_nodes(ast.parse(MODULES[name].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            bad += [alias.name for alias in node.names if alias.name.split(".")[0] in POSIX_ONLY_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in POSIX_ONLY_MODULES:
            bad.append(str(node.module))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in POSIX_ONLY_CALLS:
            bad.append(f"{ast.unparse(node.func)}() at line {node.lineno}")
    assert bad == []


def test_the_posix_check_sees_through_if_blocks_and_not_into_functions():
    tree = ast.parse("import os\nif True:\n    import fcntl\nX = os.geteuid()\ndef f():\n    import resource\n"
                     "    return os.fork()\n")
    names = {type(n).__name__ for n in import_time_nodes(tree)}
    assert "FunctionDef" in names
    calls = [ast.unparse(n) for n in import_time_nodes(tree) if isinstance(n, ast.Call)]
    assert calls == ["os.geteuid()"]
    assert any(isinstance(n, ast.Import) and n.names[0].name == "fcntl" for n in import_time_nodes(tree))
    assert not any(isinstance(n, ast.Import) and n.names[0].name == "resource" for n in import_time_nodes(tree))
