"""Tests for grader.selection: what the graded names need, and a property test on random programs."""
from __future__ import annotations

import ast
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.intake.extract import extract
from grader.intake.ingest import Source
from grader.intake.selection import probe_names, select

NAMES = ["a", "b", "cfg", "model", "items", "helper", "Block", "setup", "tf", "np"]
name = st.sampled_from(NAMES)
indent = "    "


@st.composite
def expression(draw: st.DrawFn) -> str:
    return draw(st.one_of(
        st.integers(0, 9).map(str), name,
        st.tuples(name, name).map(lambda t: f"{t[0]} + {t[1]}"),
        st.tuples(name, name).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(name, name).map(lambda t: f"[{t[1]} for {t[1]} in {t[0]}]"),
        name.map(lambda n: f"(lambda v: v + {n})"),
        st.tuples(name, name).map(lambda t: f"{t[0]}.fit({t[1]}, epochs=30)"),
    ))


@st.composite
def simple(draw: st.DrawFn) -> list[str]:
    target, value = draw(name), draw(expression())
    if draw(st.integers(0, 6)) == 0:  # a statement over two lines, another after it on its last line
        return [f"{value}.fit({target},", f"    epochs=30); {target} = 2"]
    return [draw(st.sampled_from([
        f"{target} = {value}", f"{target} += {value}", f"{target}.append({value})", f"{target}[0] = {value}",
        f"{value}", f"import numpy as {target}", f"print({value}); {target} = 1", f"{target}: int = {value}",
        "pass", '"""a docstring"""', "\x0c", "",
    ]))]


@st.composite
def definition(draw: st.DrawFn) -> list[str]:
    defined, read, other = draw(name), draw(name), draw(name)
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return [f"def {defined}(x={other}):", f"{indent}return {read} + x"]
    if kind == 1:
        return [f"@{other}", f"def {defined}():", f"{indent}global {read}", f"{indent}{read} = 1"]
    if kind == 2:
        return [f"class {defined}({other}):", f"{indent}def call(self, {read}):", f"{indent * 2}return {read}"]
    return [f"def {defined}():", f"{indent}{read} = 3", f"{indent}return [{read} for _ in {other}]"]


@st.composite
def statement(draw: st.DrawFn, depth: int = 0) -> list[str]:
    if depth < 2 and draw(st.integers(0, 4)) == 0:
        header = draw(st.sampled_from(["if a:", "for a in items:", "with cfg as b:", "while model:", "try:"]))
        body = [indent + line for stmt in draw(st.lists(statement(depth + 1), min_size=1, max_size=3))
                for line in stmt]
        tail = [indent + line for line in draw(statement(depth + 1))]
        if header == "try:":
            return [header, *body, "except Exception as model:", *tail]
        return [header, *body, "else:", *tail] if header.startswith("if") else [header, *body]
    return draw(st.one_of(simple(), definition()))


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(statement(), min_size=1, max_size=12), st.lists(name, max_size=4),
       st.sampled_from(["\n", "\r\n", "\r"]))
def test_kept_module_parses_keeps_every_root_and_every_line_number(stmts: list[list[str]], roots: list[str],
                                                                   newline: str) -> None:
    lines = [line for stmt in stmts for line in stmt]
    text = newline.join(lines) + newline
    try:
        original = ast.parse(text)
    except SyntaxError:
        return  # e.g. an empty block body after a bare `\x0c` line: not a program
    result = extract(Source(path="p.py", kind="python", text=text, sha256=""), roots)
    kept_lines = result.code.split("\n")
    assert len(kept_lines) == len(lines) + 1  # line numbers are preserved
    ast.parse(result.code)  # the kept module parses
    for number, line in enumerate(kept_lines[:-1]):
        assert (line.strip() in ("", "pass") or line == lines[number] or "pass" in line or line.endswith("(None")
                or (line.startswith(")") and lines[number].endswith(line[1:])))
    for node in ast.walk(original):  # every root's definition is kept on its own line, word for word
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in roots and node.col_offset == 0:
            assert kept_lines[node.lineno - 1] == lines[node.lineno - 1]
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            assert kept_lines[node.lineno - 1] == lines[node.lineno - 1]


def test_selection_follows_reads_through_chains_and_names_the_root() -> None:
    tree = ast.parse("A = 1\nB = A + 1\nC = 5\ndef f():\n    return B\n")
    selection = select(tree, {"f"})
    kept = [s.lineno for s in tree.body if selection.keeps(s)]
    assert kept == [1, 2, 4]
    assert {n.lineno: selection.needed_by[id(n)] for n in tree.body if id(n) in selection.needed_by} == {
        1: "f", 2: "f", 4: "f"}


def test_probe_names_are_the_attributes_probes_read_off_the_submission(tmp_path: Path) -> None:
    probes = tmp_path / "probes.py"
    probes.write_text("def _make(sub, a):\n    return sub.Block(a.shape)\n"
                      "def forward(sub, X):\n    return getattr(sub, 'helper')(X) + X.mean()\n"
                      "def _dense(weights):\n    return weights.shape\n")
    assert probe_names(probes) == {"Block", "helper"}
    assert probe_names(tmp_path / "missing.py") == set()
