"""A hostile class folder graded end to end (issue 24, class 5 and the FIFO of class 6): links, pipes, sockets and
devices among the entries, as `git clone`, `unzip` or a hand-made folder leave them.

Whatever the folder holds, with `--jobs 1` or `--jobs 2`: every entry gets a report saying what it is, nothing a
link points to reaches any file the grader writes, no entry blocks the batch, and the summary, gradebook and class
report are written.
"""
from __future__ import annotations

import io
import json
import os
import socket
import stat
from pathlib import Path

import pytest

from grader import api

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = (ROOT / "solutions" / "concat" / "solution.py").read_text(encoding="utf-8")
HIDDEN_SPEC = ROOT / "solutions" / "concat" / "hidden" / "test_hidden.py"
SECRET = "root:$6$only-the-instructor-may-read-this:19000:0:99999:7:::\n"
KINDS = {"alice": "a symbolic link", "bob": "a symbolic link", "carol": "a named pipe (FIFO)", "dave": "a socket",
         "gina": "a symbolic link", "erin": "a device"}


def hostile_class(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    (outside / "notes").mkdir(parents=True)
    (outside / "shadow").write_text(SECRET)
    (outside / "notes" / "concat.py").write_text(SOLUTION)
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "alice.py").symlink_to(outside / "shadow")  # "Syntax error at line 1: root:..." before
    (folder / "bob.py").symlink_to(HIDDEN_SPEC)  # its test names under extraction.dropped before
    os.mkfifo(folder / "carol.ipynb")  # blocked the hashing step before any limit
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(os.path.relpath(folder / "dave.py"))
    if os.geteuid() == 0:  # mknod needs root
        os.mknod(folder / "erin.py", 0o644 | stat.S_IFCHR, os.makedev(1, 5))
    frank = folder / "frank"  # one student's repository: the work itself, and links beside it
    frank.mkdir()
    (frank / "concat.py").write_text(SOLUTION)
    (frank / "helpers.py").symlink_to(outside / "shadow")
    (frank / "data").symlink_to(outside / "notes", target_is_directory=True)
    os.mkfifo(frank / "pipe")
    (folder / "gina").symlink_to(outside / "notes", target_is_directory=True)  # a linked folder entry
    return folder


@pytest.mark.parametrize("jobs", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_links_pipes_sockets_and_devices_in_a_class_folder_are_reported_never_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    monkeypatch.chdir(tmp_path)
    folder = hostile_class(tmp_path)
    out = tmp_path / "out"
    run = api.grade("concat", [folder], out=out, jobs=jobs, seed=3, progress=False)
    reports = {r["id"]: r for r in run.reports}
    special = {name: kind for name, kind in KINDS.items() if name != "erin" or os.geteuid() == 0}
    assert sorted(reports) == sorted([*special, "frank"])
    for name, kind in special.items():
        report = reports[name]
        assert (report["status"], report["score"], report["error"]["kind"]) == ("error", 0, "not-a-file"), name
        assert report["error"]["message"].startswith(f"{Path(report['submission']['path']).name} is {kind}")
    frank = reports["frank"]
    assert (frank["status"], frank["score"]) == ("graded", 10)
    assert any("helpers.py (a symbolic link)" in n and "pipe (a named pipe (FIFO))" in n
               for n in frank["extraction"]["notes"])
    assert run.grader_failures == []
    for name in ("summary.json", "gradebook.csv", "index.html"):
        assert (out / name).exists(), name
    # the spec's own lines (test names alone are in every report's test list, by design)
    spec_lines = [line[4:] for line in HIDDEN_SPEC.read_text().splitlines() if line.startswith("def test")]
    for written in out.rglob("*"):
        if written.is_file():
            text = written.read_text(encoding="utf-8", errors="replace")
            assert "only-the-instructor" not in text, written
            assert not any(line in text for line in spec_lines), written
    summary = json.loads((out / "summary.json").read_text())
    assert len(summary["submissions"]) == len(reports)


def test_a_link_the_student_checks_or_the_instructor_names_is_followed(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "concat.py").write_text(SOLUTION)
    link = tmp_path / "concat.py"
    link.symlink_to(tmp_path / "work" / "concat.py")
    report = api.check("concat", link, seed=3, stream=io.StringIO())
    assert (report["status"], report["score"]) == ("graded", report["max_score"])
    run = api.grade("concat", [link], out=tmp_path / "out", jobs=1, seed=3, progress=False)
    assert [(r["status"], r["score"]) for r in run.reports] == [("graded", 10)]
