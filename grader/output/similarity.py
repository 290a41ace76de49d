"""Similar submissions, for a person to look at: `DIR/similarity.json` and a page per flagged pair.

Built with copydetect (MIT), the winnowing algorithm MOSS uses (Schleimer, Wilkerson and Aiken,
SIGMOD 2003): code is tokenized by Pygments, every name becomes `V`/`F`/`O`, every string `S`,
comments and whitespace are dropped, and hashes of 25-character windows of what is left are
the fingerprints. So renamed variables, reordered functions and new comments or blank lines
leave a copy's fingerprints in place. The code compared is what extraction kept for grading
(a notebook's cells, without its demo and training code), so a notebook copy of a `.py` is
compared like the `.py`; fingerprints of the released stub are boilerplate, removed from every
submission, so starter code shared by all raises nothing. Byte-identical submissions, and
submissions whose normalized code is identical, are flagged outright.

It flags; it changes no score. Work is bounded: each submission's code is cut at
MAX_CODE_CHARS; tokenizing and fingerprinting are linear in the code (O(n·L)); every pair's
shared fingerprints are counted with one set intersection of a few hundred integers
(O(n²·h), n(n-1)/2 pairs); only the MAX_DETAILED most promising pairs are compared in full
(copydetect's `compare_files`, which also finds the passages the pages mark). Measured on one
core of the 2-core CI machine: 500 submissions of ~1,500 characters in about 12 s (tokenizing
~7 s, pair counting ~3 s, 2,000 full comparisons ~2 s).
"""
from __future__ import annotations

import hashlib
import io
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.assignments import Assignment
from grader.errors import SubmissionError
from grader.intake.extract import extract
from grader.intake.ingest import ingest
from grader.intake.selection import probe_names
from grader.output.report import write_atomic, write_json

SCHEMA = "grader-similarity/1"
NOISE = 25  # copydetect's default noise threshold: matches shorter than this many normalized characters are ignored
WINDOW = 1  # guarantee threshold 25 (copydetect's default) - noise + 1
FLAG = 0.6  # a pair whose smaller share is at least this is flagged for a look
# Normalized characters of a submission's own code (beyond the stub) needed to compare it: below this
# an exercise has one way to write it (`concat`'s is ~160), and only identical files are flagged.
MIN_OWN_CODE = 200
MAX_CODE_CHARS = 200_000
ESTIMATE_FLOOR = 0.25  # pairs whose shared fingerprints say less than this are not compared in full
MAX_DETAILED = 2000
MAX_LISTED = 200  # pairs in similarity.json (flagged ones always)
MAX_PAGES = 100  # pages of flagged pairs
FOLDER = "similarity"
CODE_FOLDER = "code"


@dataclass
class Pair:
    a: str
    b: str
    score: float
    shares: tuple[float, float]
    identical: bool = False  # the same bytes
    identical_code: bool = False  # the same code once names, strings, comments and layout are normalized
    slices: tuple[list[tuple[int, int]], list[tuple[int, int]]] = ((), ())  # type: ignore[assignment]

    @property
    def flagged(self) -> bool:
        return self.identical or self.identical_code or self.score >= FLAG

    def to_dict(self, page: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {"a": self.a, "b": self.b, "score": round(self.score, 4),
                               "a_share": round(self.shares[0], 4), "b_share": round(self.shares[1], 4),
                               "identical": self.identical, "identical_code": self.identical_code,
                               "flagged": self.flagged}
        if page:
            out["page"] = page
        return out


@dataclass
class Similarity:
    """Every compared pair (highest first) and the submissions left out, with why."""

    pairs: list[Pair] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    compared: int = 0
    unavailable: str | None = None  # why only identical files were compared (no copydetect here)

    @property
    def flagged(self) -> list[Pair]:
        return [p for p in self.pairs if p.flagged]


def graded_code(path: Path, assignment: Assignment, max_bytes: int | None = None) -> str | None:
    """What extraction keeps of a submission for grading (ingest + extract, no worker); None if nothing."""
    try:
        source = ingest(path, assignment.stub, **({"max_bytes": max_bytes} if max_bytes else {}))
        return extract(source, set(assignment.names) | probe_names(assignment.probes)).code[:MAX_CODE_CHARS]
    except (SubmissionError, OSError, ValueError, RecursionError, MemoryError):
        return None


def stub_code(assignment: Assignment) -> str:
    """The released starter code (the stub as `.py` and as `.ipynb`), as extraction keeps it."""
    parts = [graded_code(path, assignment) for path in (assignment.stub_py, assignment.stub_ipynb) if path.exists()]
    return "\n".join(p for p in parts if p)


def compare_class(codes: dict[str, str], *, boilerplate: str = "", sha256: dict[str, str] | None = None) -> Similarity:
    """Compare every pair of submissions; see the module's docstring for what is compared and how.

    A pair's score is the smaller of its two shares (the part of each one's own code found in the
    other), so a short, common answer wholly inside a longer one is not mistaken for a copy."""
    result = Similarity()
    if len(codes) < 2:
        return result
    try:
        from copydetect import CodeFingerprint
    except ImportError:  # a machine without it still gets identical files flagged
        return _identical_only(codes, sha256 or {}, result)
    stub = CodeFingerprint("stub.py", NOISE, 1, fp=io.StringIO(boilerplate), language="python") if boilerplate else None
    prints = {}
    starter = list(stub.hashes) if stub else None
    for sid, code in sorted(codes.items()):
        fingerprint = CodeFingerprint(f"{sid}.py", NOISE, WINDOW, boilerplate=starter, fp=io.StringIO(code),
                                      language="python")
        if fingerprint.token_coverage < MIN_OWN_CODE and not _same_bytes(sid, codes, sha256):
            result.skipped[sid] = (f"too little code beyond the starter code to compare "
                                   f"({int(fingerprint.token_coverage)} normalized characters; "
                                   f"{MIN_OWN_CODE} needed); identical copies are still flagged")
        prints[sid] = fingerprint
    result.pairs = _pairs(prints, codes, sha256 or {}, result)
    return result


def _identical_only(codes: dict[str, str], sha256: dict[str, str], result: Similarity) -> Similarity:
    result.unavailable = ("copydetect is not installed, so only identical files were compared; "
                          "pip install copydetect (it comes with keras-grader) to compare the code")
    for a, b in itertools.combinations(sorted(codes), 2):
        if sha256.get(a) and sha256.get(a) == sha256.get(b):
            result.pairs.append(Pair(a, b, 1.0, (1.0, 1.0), identical=True, identical_code=True,
                                     slices=([(0, len(codes[a]))], [(0, len(codes[b]))])))
    return result


def _same_bytes(sid: str, codes: dict[str, str], sha256: dict[str, str] | None) -> bool:
    if not sha256 or not sha256.get(sid):
        return False
    return sum(sha256.get(other) == sha256[sid] for other in codes) > 1


def _pairs(prints: dict[str, Any], codes: dict[str, str], sha256: dict[str, str], result: Similarity) -> list[Pair]:
    from copydetect import compare_files

    normalized = {sid: hashlib.sha256(f.filtered_code.encode("utf-8", "replace")).hexdigest() for sid, f in prints.items()}
    keys = {sid: frozenset(int(h) for h in f.hashes) for sid, f in prints.items()}  # plain ints: fast set work
    identical, candidates = [], []
    for a, b in itertools.combinations(sorted(prints), 2):
        if sha256.get(a) and sha256.get(a) == sha256.get(b):
            identical.append(Pair(a, b, 1.0, (1.0, 1.0), identical=True, identical_code=True))
            continue
        if a in result.skipped or b in result.skipped:
            continue  # too short to tell a copy from the one way to write it
        if normalized[a] == normalized[b]:
            identical.append(Pair(a, b, 1.0, (1.0, 1.0), identical_code=True))
            continue
        estimate = len(keys[a] & keys[b]) / (max(len(keys[a]), len(keys[b])) or 1)  # ~ the smaller share
        if estimate >= ESTIMATE_FLOOR:
            candidates.append((estimate, a, b))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    detailed = []
    for _, a, b in candidates[:MAX_DETAILED]:
        _, (share_a, share_b), (slices_a, slices_b) = compare_files(prints[a], prints[b])
        result.compared += 1
        detailed.append(Pair(a, b, float(min(share_a, share_b)), (float(share_a), float(share_b)),
                             slices=(_spans(slices_a), _spans(slices_b))))
    for pair in identical:
        pair.slices = ([(0, len(codes[pair.a]))], [(0, len(codes[pair.b]))])
    return sorted(identical + detailed, key=lambda p: (not p.identical, not p.identical_code, -p.score, p.a, p.b))


def _spans(slices: Any) -> list[tuple[int, int]]:
    if len(slices) == 0 or len(slices[0]) == 0:
        return []
    return [(int(start), int(end)) for start, end in zip(slices[0], slices[1])]


def segments(code: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """`code` cut into (text, matched) pieces for a page that marks the matching passages."""
    out, at = [], 0
    for start, end in sorted(spans):
        start, end = max(start, at), min(end, len(code))
        if start >= end:
            continue
        if start > at:
            out.append((code[at:start], False))
        out.append((code[start:end], True))
        at = end
    if at < len(code):
        out.append((code[at:], False))
    return out


def write_similarity(out: Path, similarity: Similarity, codes: dict[str, str], pages: dict[tuple[str, str], str],
                     extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """`DIR/similarity.json`: the method, the pairs (highest first; every flagged one and the top others)."""
    listed = similarity.flagged + [p for p in similarity.pairs if not p.flagged][:max(0, MAX_LISTED - len(similarity.flagged))]
    data = {"schema": SCHEMA,
            "method": {"tool": "copydetect", "noise_threshold": NOISE, "window": WINDOW, "flag_at": FLAG,
                       "compared": "the code extraction keeps for grading; the released stub is boilerplate",
                       "score": "the smaller of the two shares: how much of each submission's own code the "
                                "other holds (a_share, b_share)"},
            "submissions": len(codes), "pairs": [p.to_dict(pages.get((p.a, p.b))) for p in listed],
            "pairs_left_out": len(similarity.pairs) - len(listed), "unavailable": similarity.unavailable,
            "skipped": [{"id": sid, "reason": why} for sid, why in sorted(similarity.skipped.items())]}
    data.update(extra or {})
    write_json(out / "similarity.json", data)
    return data


def cached_code(out: Path, submission_id: str, sha256: str) -> str | None:
    """The graded code kept from an earlier run for this submission and these bytes, if any."""
    path = out / FOLDER / CODE_FOLDER / f"{_stem(submission_id)}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and data.get("sha256") == sha256 and isinstance(data.get("code"), str):
        return data["code"][:MAX_CODE_CHARS]
    return None


def keep_code(out: Path, submission_id: str, sha256: str, code: str) -> None:
    """Keep the graded code, so a later run (regrading one, `grader merge` of shards) compares it again."""
    write_atomic(out / FOLDER / CODE_FOLDER / f"{_stem(submission_id)}.json",
                 json.dumps({"id": submission_id, "sha256": sha256, "code": code}, ensure_ascii=False) + "\n")


def _stem(submission_id: str) -> str:
    from grader.output.formats import safe_stem

    return safe_stem(submission_id)
