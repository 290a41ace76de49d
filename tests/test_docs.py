"""The project's own pages stay true of the code: links resolve, every command and option the parser defines is
in docs/CLI.md, and every key docs/CLI.md's JSON examples show is in the files `grader grade` writes.

The files come from a real `grader grade` run (`grader.api.grade`, one judge, in this process) on submissions
that never reach a worker, so no TensorFlow starts: work that names the grader's internals (held unrun) and a
syntax error (an error report). They hold every key the examples show except what only a worker's run adds.
"""
from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grader import api
from grader.cli import build_parser
from grader.sandbox.backend import PlainBackend, current_backend

ROOT = Path(__file__).resolve().parent.parent
CLI_PAGE = ROOT / "docs" / "CLI.md"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^#{1,6} (.+)$", re.MULTILINE)
_JSON_BLOCK = re.compile(r"^```json\n(.*?)^```", re.MULTILINE | re.DOTALL)
ANY_KEY = "*"  # maps whose keys are data (scores, file names, test names), not names of the format


def links(page: Path) -> list[str]:
    """The targets of the page's Markdown links and images, outside code blocks and inline code."""
    text = re.sub(r"`[^`\n]*`", "", _FENCE.sub("", page.read_text(encoding="utf-8")))
    return [m.group(1) for m in _LINK.finditer(text)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_to_a_file_in_the_repository(page):
    relative = [t for t in links(page) if not re.match(r"[a-z][a-z0-9+.-]*:|#", t)]
    missing = [t for t in relative if not (page.parent / t.split("#")[0]).exists()]
    assert missing == [], f"{page.name} links files that do not exist"


def test_the_link_reader_finds_links_and_leaves_code_alone(tmp_path):
    page = tmp_path / "p.md"
    page.write_text("See [CLI](docs/CLI.md) and ![x](a.png \"t\").\n`[no](code.md)`\n```\n[no](block.md)\n```\n")
    assert links(page) == ["docs/CLI.md", "a.png"]


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert len(actions) == 1
    return dict(actions[0].choices)


def long_options(parser: argparse.ArgumentParser) -> list[str]:
    return [s for action in parser._actions for s in action.option_strings if s.startswith("--") and s != "--help"]


def test_the_parser_is_read_not_a_list():
    commands = subcommands()
    assert {"check", "grade", "selfcheck", "new", "stub-notebook", "release", "merge", "report"} <= set(commands)
    assert "--allow-unsandboxed" in long_options(commands["grade"])


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_every_command_has_its_section_and_usage_line(command):
    text = CLI_PAGE.read_text(encoding="utf-8")
    assert re.search(rf"^### `grader {re.escape(command)}`$", text, re.MULTILINE), f"no section for {command}"
    usage = [block for block in _FENCE.findall(text) if re.search(rf"^grader {re.escape(command)}\b", block,
                                                                   re.MULTILINE)]
    assert usage, f"no usage line for grader {command}"


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_every_option_of_every_command_is_documented(command):
    text = CLI_PAGE.read_text(encoding="utf-8")
    section = _section(text, f"### `grader {command}`")
    missing = [option for option in long_options(subcommands()[command]) if not re.search(rf"{option}\b", section)]
    assert missing == [], f"grader {command}: options missing from its section of docs/CLI.md"


def test_the_top_level_options_are_documented():
    text = CLI_PAGE.read_text(encoding="utf-8")
    assert [o for o in long_options(build_parser()) if o not in text] == []


def _section(text: str, heading: str) -> str:
    """From `heading` to the next heading of the same or a higher level."""
    start = text.index(heading)
    level = len(heading) - len(heading.lstrip("#"))
    following = re.compile(rf"^#{{1,{level}}} ", re.MULTILINE)
    end = following.search(text, start + len(heading))
    return text[start:end.start() if end else len(text)]


# --- the JSON examples against a real class folder ----------------------------------------------------------------

HELD = '''import grader.worker.serve
import tensorflow as tf

AXIS = -1


class ConcatBlock(tf.keras.Model):
    def __init__(self, net1, net2, axis=AXIS):
        super().__init__()
        self.net1, self.net2, self.axis = net1, net2, axis

    def call(self, X):
        return tf.concat([self.net1(X), self.net2(X)], axis=self.axis)


block = ConcatBlock(tf.keras.layers.Dense(3), tf.keras.layers.Dense(5))
print(block(tf.ones((2, 4))).shape)
'''


@pytest.fixture(scope="module")
def class_folder(tmp_path_factory) -> Path:
    """`grader grade` of three submissions no worker runs, with every class format and an overrides file."""
    subs = tmp_path_factory.mktemp("subs")
    (subs / "alice.py").write_text(HELD, encoding="utf-8")
    (subs / "bob.py").write_text(HELD, encoding="utf-8")
    (subs / "carol.py").write_text("def broken(:\n", encoding="utf-8")
    overrides = subs.parent / "overrides.csv"
    overrides.write_text("id,points,reason\ncarol,+1,regrade request\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("out")
    api.grade("concat", [subs], out=out, jobs=1, formats=["json", "gradescope", "junit", "canvas", "feedback"],
              seed=7, progress=False, devices="cpu", allow_unsandboxed=True, overrides=overrides)
    return out


def examples() -> dict[str, Any]:
    """docs/CLI.md's JSON examples by the heading they are under, `//` comments removed."""
    text = CLI_PAGE.read_text(encoding="utf-8")
    found = {}
    for block in _JSON_BLOCK.finditer(text):
        heading = _HEADING.findall(text[:block.start()])[-1]
        found[heading] = json.loads(_without_comments(block.group(1)))
    return found


def _without_comments(text: str) -> str:
    """JSON with `//` comments: each line cut at a `//` that is not inside a string."""
    lines = []
    for line in text.splitlines():
        quoted = False
        for at, char in enumerate(line):
            if char == '"' and (at == 0 or line[at - 1] != "\\"):
                quoted = not quoted
            elif not quoted and line.startswith("//", at):
                line = line[:at]
                break
        lines.append(line)
    return "\n".join(lines)


def key_paths(value: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every key's path in `value`; a list's elements share the path `[]`, a data map's keys `*`."""
    if isinstance(value, dict):
        for key, item in value.items():
            name = ANY_KEY if prefix in DATA_MAPS else str(key)
            yield (*prefix, name)
            yield from key_paths(item, (*prefix, name))
    elif isinstance(value, list):
        for item in value:
            yield from key_paths(item, (*prefix, "[]"))


DATA_MAPS = {("distribution",), ("exports", "left_out"), ("feedback", "left_out"), ("reports",),
             ("submissions", "[]", "reports")}


def test_the_example_reader_drops_comments_not_strings():
    assert json.loads(_without_comments('{"a": "x // y", // note\n "b": 1}')) == {"a": "x // y", "b": 1}
    assert set(key_paths({"a": [{"b": 1}], "distribution": {"7": 1}})) == {
        ("a",), ("a", "[]", "b"), ("distribution",), ("distribution", ANY_KEY)}


def test_the_page_has_the_three_examples():
    assert set(examples()) == {"`DIR/summary.json`", "A report (`DIR/<id>.json`)", "`DIR/similarity.json`"}


def test_every_key_of_the_summary_example_is_in_a_real_summary(class_folder):
    real = set(key_paths(json.loads((class_folder / "summary.json").read_text(encoding="utf-8"))))
    shown = set(key_paths(examples()["`DIR/summary.json`"]))
    assert sorted(shown - real) == []


def test_every_key_of_the_report_example_is_in_real_reports(class_folder):
    real = set()
    for sid in ("alice", "bob", "carol"):
        real |= set(key_paths(json.loads((class_folder / f"{sid}.json").read_text(encoding="utf-8"))))
    # the sandbox section is what the backend states once a worker ran; these reports ran none (it is {})
    for backend in (current_backend(), PlainBackend("this machine lacks fork")):
        real |= {("sandbox", key) for key in backend.sandbox()}
    shown = set(key_paths(examples()["A report (`DIR/<id>.json`)"]))
    assert sorted(shown - real) == []


def test_every_key_of_the_similarity_example_is_in_the_real_file(class_folder):
    data = json.loads((class_folder / "similarity.json").read_text(encoding="utf-8"))
    assert data["pairs"] and data["skipped"]  # alice and bob are the same code; carol could not be read
    shown = set(key_paths(examples()["`DIR/similarity.json`"]))
    assert sorted(shown - set(key_paths(data))) == []


def test_the_gradebook_columns_are_those_the_page_names(class_folder):
    section = _section(CLI_PAGE.read_text(encoding="utf-8"), "## `DIR/gradebook.csv`")
    named = [column for group in re.findall(r"`([a-z_]+(?:,[a-z_]+)+)`", section) for column in group.split(",")]
    header = (class_folder / "gradebook.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[:len(named)] == named
    assert header[len(named):] and all(column.startswith("test:") for column in header[len(named):])
