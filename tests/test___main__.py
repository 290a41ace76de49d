"""`python -m grader` runs the same command line as the `grader` console script."""
from __future__ import annotations

import subprocess
import sys

COMMANDS = ("check", "grade", "selfcheck", "report", "merge")


def _grader(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, timeout=120,
                          check=False)


def test_help_lists_the_commands():
    done = _grader("--help")
    assert done.returncode == 0, done.stderr
    assert all(command in done.stdout for command in COMMANDS), done.stdout


def test_an_unknown_command_is_a_usage_error_not_a_traceback():
    done = _grader("regrade-everything")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "invalid choice" in done.stderr
