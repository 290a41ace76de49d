"""`grader merge`: combine the output folders of sharded runs into one summary, gradebook and class report."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from grader.errors import UsageError
from grader.output.formats import FORMATS
from grader.output.html_report import write_html
from grader.output.report import read_report, summary_entry, write_gradebook, write_summary


def merge_dirs(dirs: list[Path], out: Path) -> list[dict[str, Any]]:
    """Copy every shard's reports into `out` and write the summary one run would have written."""
    reports: dict[str, dict[str, Any]] = {}
    assignment = None
    out.mkdir(parents=True, exist_ok=True)
    for folder in dirs:
        if not (folder / "summary.json").exists():
            raise UsageError(f"{folder} is not a grade output folder (no summary.json)")
        for path in sorted(folder.glob("*.json")):
            report = read_report(path)
            if report is None:
                continue
            if report["id"] in reports:
                raise UsageError(f"submission {report['id']!r} appears in two shards")
            assignment = assignment or report["assignment"]
            if report["assignment"] != assignment:
                raise UsageError("the shards graded different assignments")
            reports[report["id"]] = report
            for fmt in FORMATS.values():
                source = folder / fmt.file_name(report["id"])
                if source.exists() and folder.resolve() != out.resolve():
                    shutil.copy2(source, out / source.name)
    formats = [name for name, fmt in FORMATS.items()
               if name == "html" or any((out / fmt.file_name(i)).exists() for i in reports)]
    entries = [summary_entry(r, {f: FORMATS[f].file_name(r["id"]) for f in formats}) for r in reports.values()]
    summary = write_summary(out, assignment or "", entries, {"merged_from": [str(d) for d in dirs], "formats": formats},
                            reports=reports.values())
    write_gradebook(out, reports.values())
    write_html(out, summary, reports.values())  # the merged class's page, whatever formats the shards wrote
    return list(reports.values())
