"""The CI examples in examples/ci/ call real grader commands with real options, and shard 1..N."""
from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from grader.cli import build_parser
from grader.intake.batch import Entry, in_shard, parse_shard
from grader.output.formats import FORMATS

CI = Path(__file__).resolve().parent.parent / "examples" / "ci"
SCRIPT_KEYS = ("run", "script", "before_script", "after_script")


def load(name: str) -> dict[Any, Any]:
    doc: dict[Any, Any] = yaml.safe_load((CI / name).read_text(encoding="utf-8"))
    return doc


def scripts(node: Any) -> list[str]:
    """Every shell line under a run/script key, however deep (GitHub steps, GitLab jobs)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in SCRIPT_KEYS:
                lines = value if isinstance(value, list) else [value]
                found += [ln.strip() for text in lines for ln in str(text).splitlines() if ln.strip()]
            else:
                found += scripts(value)
    elif isinstance(node, list):
        for item in node:
            found += scripts(item)
    return found


def grader_lines(doc: dict[Any, Any]) -> list[str]:
    return [line for line in scripts(doc) if line.split()[0] == "grader"]


def expand(line: str, values: dict[str, str]) -> str:
    """Substitute GitHub `${{ expr }}` and shell `$VAR`/`${VAR}`; an unknown name fails the test."""
    def lookup(match: re.Match[str]) -> str:
        name = match[1] or match[2] or match[3]
        assert name in values, f"{name!r} in {line!r} is never set"
        return values[name]

    for _ in range(3):  # values may themselves hold expressions
        line = re.sub(r"\$\{\{\s*(.+?)\s*\}\}|\$\{(\w+)\}|\$(\w+)", lookup, line)
    return line


def parse(line: str) -> Any:
    argv = shlex.split(line)
    assert argv[0] == "grader"
    try:
        return build_parser().parse_args(argv[1:])
    except SystemExit:
        pytest.fail(f"`{line}` is not a valid grader command line")


def check_exact_options(line: str) -> None:
    """argparse accepts unambiguous prefixes (`--sha` for `--shard`); an example should spell them out."""
    argv = shlex.split(line)
    known = set(subcommand_parsers()[argv[1]]._option_string_actions)
    for token in argv[2:]:
        if token.startswith("--"):
            assert token.split("=")[0] in known, f"{token} in {line!r}"


def subcommand_parsers() -> dict[str, Any]:
    return dict(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]


def check_options(args: Any) -> None:
    if getattr(args, "format", None):
        assert set(args.format.split(",")) <= set(FORMATS), args.format
    if getattr(args, "shard", None):
        parse_shard(args.shard)


@pytest.mark.parametrize("name", sorted(p.name for p in CI.glob("*.yml")))
def test_every_grader_command_is_a_real_subcommand_with_real_options(name):
    doc = load(name)
    lines = grader_lines(doc)
    assert lines, f"{name} runs no grader command"
    subcommands = set(subcommand_parsers())
    values = {**{str(k): str(v) for k, v in (doc.get("env") or doc.get("variables") or {}).items()},
              "matrix.shard": "1", "inputs.assignment || 'concat'": "concat",
              "CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "4"}
    for line in lines:
        assert line.split()[1] in subcommands, line
        check_options(parse(expand(line, values)))
        check_exact_options(expand(line, values))


def test_github_instructor_matrix_covers_shards_1_to_n_and_merges_them():
    doc = load("github-instructor.yml")
    grade, merge = doc["jobs"]["grade"], doc["jobs"]["merge"]
    [line] = grader_lines(grade)
    matrix = grade["strategy"]["matrix"]["shard"]
    values = {**doc["env"], "inputs.assignment || 'concat'": "concat"}
    shards = [parse_shard(parse(expand(line, {**values, "matrix.shard": str(k)})).shard) for k in matrix]
    total = len(matrix)
    assert total >= 2 and shards == [(k, total) for k in range(1, total + 1)], shards
    assert int(doc["env"]["SEED"]) and "--seed" in line
    upload = next(s for s in grade["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["path"] == "out-${{ matrix.shard }}" and "--out out-${{ matrix.shard }}" in line
    assert merge["needs"] == "grade"
    download = next(s for s in merge["steps"] if s.get("uses", "").startswith("actions/download-artifact"))
    assert download["with"]["pattern"] == "out-*"
    assert parse(grader_lines(merge)[0]).dirs == ["out-*"]


def test_gitlab_parallel_jobs_cover_shards_1_to_n_and_merge_them():
    doc = load("gitlab-ci.yml")
    [line] = grader_lines(doc["grade"])
    total = doc["grade"]["parallel"]
    assert total >= 2 and '--shard "$CI_NODE_INDEX/$CI_NODE_TOTAL"' in line and "--seed" in line
    for k in range(1, total + 1):  # GitLab's CI_NODE_INDEX runs 1..parallel
        values = {**doc["variables"], "CI_NODE_INDEX": str(k), "CI_NODE_TOTAL": str(total)}
        assert parse(expand(line, values)).shard == f"{k}/{total}"
    assert doc["stages"].index(doc["merge"]["stage"]) > doc["stages"].index(doc["grade"]["stage"])
    assert parse(grader_lines(doc["merge"])[0]).dirs == ["out-*"]


def test_shards_1_to_n_grade_every_submission_exactly_once():
    entries = [Entry(f"student{i:03d}", Path(f"student{i:03d}.py")) for i in range(200)]
    for total in (2, 4, 7):
        for entry in entries:
            assert sum(in_shard(entry, (k, total)) for k in range(1, total + 1)) == 1


def test_github_student_workflow_checks_on_push_with_python_3_11():
    doc = load("github-student.yml")
    assert doc.get("on", doc.get(True)) == "push"  # YAML 1.1 reads a bare `on` key as True
    steps = doc["jobs"]["check"]["steps"]
    setup = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python"))
    assert setup["with"]["python-version"] == "3.11"
    [line] = grader_lines(doc)
    assert parse(expand(line, doc["env"])).command == "check"


def test_github_student_workflow_runs_on_linux_macos_and_windows_with_one_command_line():
    check = load("github-student.yml")["jobs"]["check"]
    assert check["strategy"]["matrix"]["os"] == ["ubuntu-latest", "macos-latest", "windows-latest"]
    assert check["runs-on"] == "${{ matrix.os }}" and check["strategy"]["fail-fast"] is False
    assert check["defaults"]["run"]["shell"] == "bash"  # `"$ASSIGNMENT"` means the same in Git Bash on Windows


def install_lines(node: Any) -> list[str]:
    return [line for line in scripts(node) if line.startswith("pip install")]


@pytest.mark.parametrize("name", ["github-instructor.yml", "gitlab-ci.yml"])
def test_instructor_pipelines_install_what_grade_and_merge_need(name):
    """`grader merge` (and grade's class report) need the instructor extra; a student's lean install lacks it."""
    doc = load(name)
    lines = install_lines(doc)
    assert lines and all("[instructor]" in line for line in lines), lines


@pytest.mark.parametrize("name", ["github-instructor.yml", "gitlab-ci.yml"])
def test_instructor_pipelines_sandbox_the_class_or_say_they_do_not(name):
    """Without namespaces `grade` refuses: a pipeline installs bubblewrap where the runner allows it, or passes
    --allow-unsandboxed on purpose (with a comment saying what that gives up)."""
    text = (CI / name).read_text(encoding="utf-8")
    doc = load(name)
    [line] = [ln for ln in grader_lines(doc) if ln.split()[1] == "grade"]
    if "--allow-unsandboxed" in line:
        assert "cannot sandbox" in text and "another's files" in text
    else:
        assert any("apt-get install -y bubblewrap" in ln for ln in scripts(doc)), scripts(doc)
