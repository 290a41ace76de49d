"""Set up the project and run its main jobs, with nothing but Python 3.11+ installed.

    python3 dev.py examples   # set up .venv, grade the bundled example submissions into reports/
    python3 dev.py test       # set up .venv, run the test suite
    python3 dev.py bench      # set up .venv, run the speed benchmark
"""
from __future__ import annotations

import csv
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def setup() -> None:
    """Create .venv and install the project into it, unless pyproject.toml is unchanged since."""
    stamp = VENV / f".installed-{hashlib.sha256((ROOT / 'pyproject.toml').read_bytes()).hexdigest()[:16]}"
    if stamp.exists():
        return
    if not (BIN / "python").exists():
        print("creating .venv", flush=True)
        venv.create(VENV, with_pip=True)
    print("installing the project and its dependencies into .venv (TensorFlow: about a minute)", flush=True)
    done = subprocess.run([str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           "-e", f"{ROOT}[instructor,test]"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        print(done.stdout[-4000:], done.stderr[-4000:], sep="\n", file=sys.stderr)
        raise SystemExit(done.returncode)
    for old in VENV.glob(".installed-*"):
        old.unlink()
    stamp.touch()


def run(command: list[object]) -> None:
    code = subprocess.call([str(c) for c in command], cwd=ROOT)
    if code:
        raise SystemExit(code)


def examples() -> None:
    """Grade every folder of examples/submissions/<assignment>/ into reports/<assignment>/."""
    for folder in sorted((ROOT / "examples" / "submissions").iterdir()):
        if folder.is_dir():
            print(f"\n== {folder.name}", flush=True)
            run([BIN / "grader", "grade", folder.name, folder, "--out", ROOT / "reports" / folder.name])
    print("\nScores:")
    for book in sorted((ROOT / "reports").glob("*/gradebook.csv")):
        for row in list(csv.DictReader(book.open()))[:50]:
            print(f"  {book.parent.name:<12} {row['id']:<22} {row['score']:>4}/{row['max_score']:<4} {row['status']}")
    print(f"\nReports: {ROOT / 'reports'} (one JSON per submission, summary.json, gradebook.csv)")
    print("Class reports (open in a browser, offline):")
    for index in sorted((ROOT / "reports").glob("*/index.html")):
        print(f"  {index}")


def test(extra: list[str]) -> None:
    run([BIN / "python", "-m", "pytest", *extra])


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in ("examples", "test", "bench", "setup"):
        raise SystemExit(__doc__)
    setup()
    if argv[1] == "examples":
        examples()
    elif argv[1] == "test":
        test(argv[2:])
    elif argv[1] == "bench":
        run([BIN / "python", ROOT / "bench" / "bench.py", *argv[2:]])


if __name__ == "__main__":
    main(sys.argv)
