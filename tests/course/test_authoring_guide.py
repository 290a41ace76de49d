"""docs/authoring.md, followed step by step: its worked exercise is built from the guide's own code blocks.

The guide's convention (stated in its source, an HTML comment at the top): a fenced block whose info
string has `title="PATH"` is the file PATH of the course; in a `console` block, a line starting `$ ` is a
command and the lines after it are what it prints. Reading the guide in order, this test writes every
file block in a temporary course and runs the commands of `STEPS` where the guide shows them: `grader
new dropout`, the removal of the scaffold's example mutant, `grader stub-notebook dropout` and `grader
selfcheck dropout --seeds 2 --seed 1`. Selfcheck must be all good (the solution full marks, both stubs
0, both diff mutants caught by their own clause only) and print every line the guide shows, so the
guide's files, commands and output excerpts cannot drift from what the grader does. A file block or a
step missing from the guide, or a file block the test does not expect, fails it.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from grader.assignments import COURSE_ENV
from grader.cli import main

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "authoring.md"
FILES = {
    "assignments/dropout/assignment.toml", "assignments/dropout/dropout.py", "assignments/dropout/probes.py",
    "assignments/dropout/tests/test_public.py", "assignments/dropout/README.md", "solutions/dropout/solution.py",
    "solutions/dropout/hidden/test_hidden.py", "solutions/dropout/mutants/no_rescale.diff",
    "solutions/dropout/mutants/keeps_with_probability_p.diff", "solutions/dropout/equivalent_mutants.toml",
}
STEPS = ["grader new dropout", "rm solutions/dropout/mutants/adds.diff", "grader stub-notebook dropout",
         "grader selfcheck dropout --seeds 2 --seed 1"]
COURSE = "/course"  # how the guide writes the course's folder in output
SOURCE_GUIDE = "/path/to/keras-grader/docs/authoring.md"  # and this guide's, in the grader's source checkout
_FENCE = re.compile(r"^(?P<fence>`{3,})(?P<info>[^`\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.MULTILINE | re.DOTALL)
_TITLE = re.compile(r'title="([^"]+)"')


def guide_steps(text: str) -> list[tuple[str, str, list[str]]]:
    """The guide in order: ("file", path, [content]) for each titled block, ("run", command, [output
    lines]) for each command of a console block."""
    steps: list[tuple[str, str, list[str]]] = []
    for block in _FENCE.finditer(re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)):
        info, body = block["info"].strip(), block["body"]
        title = _TITLE.search(info)
        if title:
            steps.append(("file", title[1], [body]))
        elif info.split(" ")[0] == "console":
            for line in body.splitlines():
                if line.startswith("$ "):
                    steps.append(("run", line[2:].split("  #")[0].strip(), []))
                elif steps and steps[-1][0] == "run" and line.strip():
                    steps[-1][2].append(line)
    return steps


def test_the_guide_names_every_file_once_and_every_step():
    steps = guide_steps(GUIDE.read_text(encoding="utf-8"))
    paths = [path for kind, path, _ in steps if kind == "file"]
    assert sorted(paths) == sorted(set(paths)), "a file shown twice in the guide"
    assert set(paths) == FILES, f"missing from the guide: {FILES - set(paths)}; not expected: {set(paths) - FILES}"
    commands = [command for kind, command, _ in steps if kind == "run"]
    assert [c for c in commands if c in STEPS] == STEPS, f"the guide's commands, in order: {commands}"


def test_the_guide_convention_is_read_as_stated():
    text = ('<!-- ```python title="x.py"\n``` -->\n```python title="a/b.py"\nx = 1\n```\n'
            '````markdown title="r.md"\n```bash\nls\n```\n````\n```console\n$ grader new x  # why\nout\n\n'
            '$ rm y\n```\n')
    assert guide_steps(text) == [("file", "a/b.py", ["x = 1\n"]), ("file", "r.md", ["```bash\nls\n```\n"]),
                                 ("run", "grader new x", ["out"]), ("run", "rm y", [])]


@pytest.mark.slow
def test_following_the_guide_builds_an_exercise_that_proves_itself(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(COURSE_ENV, str(tmp_path))
    monkeypatch.chdir(tmp_path)
    done = []
    for kind, what, shown in guide_steps(GUIDE.read_text(encoding="utf-8")):
        if kind == "file":
            target = tmp_path / what
            assert not Path(what).is_absolute() and ".." not in Path(what).parts, what
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(shown[0], encoding="utf-8")
            continue
        if what not in STEPS:
            continue
        argv = shlex.split(what)
        if argv[0] == "rm":
            (tmp_path / argv[1]).unlink()
            printed = ""
        else:
            assert main(argv[1:]) == 0, capsys.readouterr().out
            printed = capsys.readouterr().out.replace(str(tmp_path), COURSE).replace(str(GUIDE), SOURCE_GUIDE)
        said = {" ".join(line.split()) for line in printed.splitlines()}
        missing = [line for line in shown if line.strip() != "..." and " ".join(line.split()) not in said]
        assert not missing, f"`{what}` printed:\n{printed}\nnot the guide's lines:\n" + "\n".join(missing)
        done.append(what)
    assert done == STEPS
    assert printed.rstrip().endswith("selfcheck: all good"), printed
    assert sorted(p.name for p in (tmp_path / "solutions" / "dropout" / "mutants").iterdir()) == [
        "keeps_with_probability_p.diff", "no_rescale.diff"]
