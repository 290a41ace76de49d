"""The late policy (`--late-policy FILE`): a due time, a grace period, a penalty per day, a cap.

    due = 2026-03-01T23:59:00-05:00     # a TOML date-time with its offset (or Z): required
    grace_minutes = 15                  # submissions this late still count as on time
    penalty_per_day = "10%"             # of the maximum score, or points: penalty_per_day = 1.5
    cap = "50%"                         # the most a submission loses (same units); none: no cap
    late_without_time = "minimum"       # see below

    [extensions]                        # a later due time for some: by submission id, login or email
    smithalice_12345_678901_concat = 2026-03-03T23:59:00-05:00

Every started day after due + grace costs one day's penalty. How late a submission was is
known only where the download says when it was submitted: Gradescope's `created_at`. Canvas
marks late work `_LATE` in its download names but gives no time; for those,
`late_without_time` decides: "minimum" (the default) applies the least penalty the policy
could give a late submission, one day's when there is no grace period and none when there is
(the marker cannot say whether the work came within the grace); "none" applies none; a
number N applies N days'. Either way the report says what was applied and why.
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from grader.errors import UsageError
from grader.intake.identity import UNKNOWN, Identity
from grader.intake.roster import read_settings_file

KEYS = ("due", "grace_minutes", "penalty_per_day", "cap", "late_without_time", "extensions")


@dataclass(frozen=True)
class Amount:
    """Points, or a share of the maximum score."""

    value: float
    percent: bool

    def points(self, max_score: float) -> float:
        return self.value * max_score / 100 if self.percent else self.value

    def __str__(self) -> str:
        return f"{self.value:g}%" if self.percent else f"{self.value:g} point(s)"


@dataclass(frozen=True)
class LatePolicy:
    due: datetime
    penalty_per_day: Amount
    grace: timedelta = timedelta(0)
    cap: Amount | None = None
    late_without_time: str | int = "minimum"
    extensions: dict[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class Penalty:
    """What the policy takes from one submission: `days` late, `points` off, and the reason in words."""

    days: int
    points: float
    reason: str


def load_late_policy(path: Path) -> LatePolicy:
    """Read and check a late-policy file; whatever is wrong is a usage error naming the key."""
    try:
        data = tomllib.loads(read_settings_file(path, "late policy", 1024 * 1024).decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise UsageError(f"{path}: unknown key {unknown[0]!r}; the keys are {', '.join(KEYS)}")
    if "due" not in data or "penalty_per_day" not in data:
        raise UsageError(f"{path}: 'due' and 'penalty_per_day' are needed, e.g. due = 2026-03-01T23:59:00-05:00 "
                         'and penalty_per_day = "10%"')
    grace = data.get("grace_minutes", 0)
    if not isinstance(grace, (int, float)) or isinstance(grace, bool) or not 0 <= grace < 100_000:
        raise UsageError(f"{path}: grace_minutes must be a number of minutes, 0 or more, got {grace!r}")
    extensions = data.get("extensions", {})
    if not isinstance(extensions, dict):
        raise UsageError(f"{path}: [extensions] must be a table of id = date-time")
    return LatePolicy(
        due=_when(data["due"], "due", path), penalty_per_day=_amount(data["penalty_per_day"], "penalty_per_day", path),
        grace=timedelta(minutes=grace), cap=_amount(data["cap"], "cap", path) if "cap" in data else None,
        late_without_time=_without_time(data.get("late_without_time", "minimum"), path),
        extensions={str(k): _when(v, f"extensions.{k}", path) for k, v in extensions.items()})


def _when(value: Any, key: str, path: Path) -> datetime:
    if not isinstance(value, datetime):
        raise UsageError(f"{path}: {key} must be a date and time, like 2026-03-01T23:59:00-05:00, got {value!r}")
    if value.tzinfo is None:
        raise UsageError(f"{path}: {key} = {value.isoformat()} has no time zone; add one, like "
                         f"{value.isoformat()}-05:00 or {value.isoformat()}Z (a submission time has one)")
    return value


def _amount(value: Any, key: str, path: Path) -> Amount:
    text = str(value).strip()
    percent = text.endswith("%")
    try:
        number = float(text.rstrip("%").strip()) if isinstance(value, (str, int, float)) else math.nan
    except ValueError:
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or number < 0 or (percent and number > 100):
        raise UsageError(f'{path}: {key} must be points (1.5) or a share of the maximum ("10%"), got {value!r}')
    return Amount(number, percent)


def _without_time(value: Any, path: Path) -> str | int:
    if value in ("minimum", "none") or (isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1000):
        return value
    raise UsageError(f'{path}: late_without_time must be "minimum", "none" or a number of days, got {value!r}')


def penalty(policy: LatePolicy, submission_id: str, identity: Identity, max_score: float) -> Penalty | None:
    """The late penalty for one submission, or None when it is on time or nothing says it was late."""
    due = _due_for(policy, submission_id, identity)
    if identity.submitted_at != UNKNOWN:
        try:
            submitted = datetime.fromisoformat(identity.submitted_at)
        except ValueError:
            submitted = None
        if submitted is not None and submitted.tzinfo is not None:
            return _by_time(policy, due, submitted, max_score)
    if identity.late:
        return _without_a_time(policy, max_score)
    return None


def _due_for(policy: LatePolicy, submission_id: str, identity: Identity) -> datetime:
    student = identity.student
    for key in (submission_id, student.login, student.email, student.id, student.sis_id):
        if key and key in policy.extensions:
            return policy.extensions[key]
    return policy.due


def _by_time(policy: LatePolicy, due: datetime, submitted: datetime, max_score: float) -> Penalty | None:
    over = submitted - (due + policy.grace)
    if over <= timedelta(0):
        return None
    days = math.ceil(over / timedelta(days=1))
    late_by = _duration(submitted - due)
    return _penalty(policy, days, max_score, f"submitted {late_by} after the due time ({_stamp(due)})")


def _without_a_time(policy: LatePolicy, max_score: float) -> Penalty | None:
    rule = policy.late_without_time
    if rule == "none":
        return Penalty(0, 0.0, "marked late by the LMS download (no submission time); the policy applies no "
                               "penalty without a time (late_without_time = \"none\")")
    if rule == "minimum":
        if policy.grace > timedelta(0):
            return Penalty(0, 0.0, "marked late by the LMS download, which gives no time: it may be within the "
                                   f"{_duration(policy.grace)} grace period, so no penalty was applied")
        return _penalty(policy, 1, max_score, "marked late by the LMS download, which gives no time: the least "
                                              "penalty for late work (one day's) was applied")
    days = int(rule)
    return _penalty(policy, days, max_score, f"marked late by the LMS download, which gives no time: "
                                             f"{days} day(s)' penalty applied (late_without_time = {days})")


def _penalty(policy: LatePolicy, days: int, max_score: float, why: str) -> Penalty:
    points = days * policy.penalty_per_day.points(max_score)
    capped = policy.cap is not None and points > policy.cap.points(max_score)
    if policy.cap is not None:
        points = min(points, policy.cap.points(max_score))
    reason = f"late: {why}; {days} day(s) × {policy.penalty_per_day}"
    if capped:
        reason += f", capped at {policy.cap}"
    return Penalty(days, round(points, 4), reason)


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{mins} min"] * (bool(mins) or not minutes)
    return " ".join(parts)


def _stamp(when: datetime) -> str:
    return when.isoformat(timespec="minutes")
