"""`grader merge`: combine the output folders of sharded runs into one class folder.

Every shard's reports (and their other formats), the graded code the similarity check compares
and the settings files (roster, overrides, late policy) are copied into the merged folder; then
its summary, gradebook, LMS exports, similarity check, class report and feedback are rebuilt
from all of them, as one run would have written them.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from grader.errors import UsageError
from grader.output.class_folder import (CLASS_FORMATS, SETTINGS, Context, Rebuilt, previous_summary, read_reports,
                                        rebuild)
from grader.output.formats import FORMATS
from grader.output.similarity import CODE_FOLDER, FOLDER


def merge_dirs(dirs: list[Path], out: Path) -> Rebuilt:
    """Copy every shard's reports into `out` and rebuild the folder as one run would have written it."""
    reports: dict[str, dict[str, Any]] = {}
    assignment = None
    out.mkdir(parents=True, exist_ok=True)
    formats: list[str] = ["json", "html"]
    kept: dict[str, Any] = {}
    for folder in dirs:
        if not (folder / "summary.json").exists():
            raise UsageError(f"{folder} is not a grade output folder (no summary.json)")
        shard = previous_summary(folder)
        kept = kept or shard
        formats += [f for f in shard.get("formats") or () if f in CLASS_FORMATS]
        for _, report in read_reports(folder)[0]:
            if report["id"] in reports:
                raise UsageError(f"submission {report['id']!r} appears in two shards")
            assignment = assignment or report["assignment"]
            if report["assignment"] != assignment:
                raise UsageError("the shards graded different assignments")
            reports[report["id"]] = report
            if folder.resolve() != out.resolve():
                _copy_files(folder, out, report["id"])
        _copy_settings(folder, out)
    if assignment is None:
        raise UsageError(f"no grader reports in {', '.join(map(str, dirs))}")
    formats += [name for name, fmt in FORMATS.items() if any((out / fmt.file_name(i)).exists() for i in reports)]
    every = tuple(dict.fromkeys(formats))
    extra = {"merged_from": [str(d) for d in dirs], "formats": list(every),
             **{k: kept[k] for k in ("seed", "grader", "lms", "feedback_hidden") if k in kept}}
    return rebuild(out, Context(assignment=assignment, formats=every, extra=extra))


def _copy_files(folder: Path, out: Path, submission_id: str) -> None:
    for fmt in FORMATS.values():
        source = folder / fmt.file_name(submission_id)
        if source.exists():
            shutil.copy2(source, out / source.name)
    code = folder / FOLDER / CODE_FOLDER / f"{FORMATS['json'].file_name(submission_id)}"
    if code.exists():
        (out / FOLDER / CODE_FOLDER).mkdir(parents=True, exist_ok=True)
        shutil.copy2(code, out / FOLDER / CODE_FOLDER / code.name)


def _copy_settings(folder: Path, out: Path) -> None:
    """A shard's settings files; two shards with different ones are an error (which should apply?)."""
    for name in SETTINGS.values():
        source, target = folder / name, out / name
        if not source.is_file() or source.resolve() == target.resolve():
            continue
        if target.is_file() and target.read_bytes() != source.read_bytes():
            raise UsageError(f"{source} differs from the {name} of another shard; give every shard the same one")
        shutil.copyfile(source, target)
