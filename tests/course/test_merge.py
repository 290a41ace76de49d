"""Sharded runs merged give what one run gives."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from grader.api import grade, merge
from grader.course.mutants import mutant_source

ROOT = Path(__file__).resolve().parents[2]


def _class(folder: Path) -> Path:
    folder.mkdir()
    solutions = ROOT / "solutions" / "concat"
    for i, mutant in enumerate(sorted((solutions / "mutants").glob("*"))[:4]):
        (folder / f"student{i}.py").write_text(mutant_source(mutant, solutions / "solution.py"), encoding="utf-8")
    shutil.copy(ROOT / "solutions" / "concat" / "solution.py", folder / "best.py")
    (folder / "junk.py").write_text("", encoding="utf-8")
    return folder


def test_merge_of_shards_equals_a_single_run(tmp_path):
    class_ = _class(tmp_path / "class")
    single = grade("concat", [class_], out=tmp_path / "single", seed=11, jobs=2, progress=False)
    shards = [tmp_path / f"shard{k}" for k in (1, 2, 3)]
    for k, out in enumerate(shards, start=1):
        grade("concat", [class_], out=out, seed=11, jobs=1, shard=f"{k}/3", progress=False,
              formats=("json", "gradescope"))
    per_shard = [len(json.loads((s / "summary.json").read_text())["submissions"]) for s in shards]
    assert sum(per_shard) == 6 and max(per_shard) < 6
    merge(shards, out=tmp_path / "merged")
    one = json.loads((tmp_path / "single" / "summary.json").read_text())
    merged = json.loads((tmp_path / "merged" / "summary.json").read_text())
    strip = lambda entries: [{k: e[k] for k in ("id", "status", "score", "max_score", "report")} for e in entries]
    assert strip(merged["submissions"]) == strip(one["submissions"])
    assert merged["totals"] == one["totals"] and merged["distribution"] == one["distribution"]
    rows = lambda p: list(csv.reader(p.open()))
    assert rows(tmp_path / "merged" / "gradebook.csv") == rows(tmp_path / "single" / "gradebook.csv")
    similar = lambda out: {k: v for k, v in json.loads((out / "similarity.json").read_text()).items()
                           if k != "computed_at"}
    assert similar(tmp_path / "merged") == similar(tmp_path / "single")  # the shards' graded code came along
    assert len(similar(tmp_path / "merged")["skipped"]) == 6  # concat is too short to compare (but junk: no code)
    assert len(single.reports) == 6
    counts = lambda s: sorted((i["name"], i["passed"], i["mean_score"]) for i in s["item_analysis"])
    assert counts(merged) == counts(one) and len(counts(one)) == len(one["item_analysis"]) > 0
    # the merged class gets its class report, with a page per submission, though no shard wrote HTML
    index = (tmp_path / "merged" / "index.html").read_text(encoding="utf-8")
    for entry in merged["submissions"]:
        assert entry["reports"]["html"] == f"{entry['id']}.report.html"
        assert (tmp_path / "merged" / entry["reports"]["html"]).exists()
        assert f'href="{entry["id"]}.report.html"' in index
