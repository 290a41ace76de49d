"""Domain exceptions, declared side by side; the CLI turns them into `Error: ...`."""
from __future__ import annotations

from typing import Any


class GraderError(Exception):
    """Base class of every error the grader raises on purpose."""


class UsageError(GraderError):
    """The command line or API call was wrong (exit code 2)."""


class UnknownAssignment(UsageError):
    """No assignment of that name exists in the course."""


class SubmissionError(GraderError):
    """The submission cannot be run at all; it still gets a report with this message.

    `kind` is a short machine-readable tag (syntax, empty, binary, too-large, notebook,
    missing-name, not-found, not-a-file, import, crash, timeout, memory-limit; grader and course
    for the grader's or the course's own failure). `internal` is a note for the instructor only.
    """

    def __init__(self, kind: str, message: str, *, internal: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.internal = internal


class WorkerCrashed(GraderError):
    """The worker process ended while a request was in flight."""

    def __init__(self, message: str, *, exit_code: int | None = None, flag: str | None = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.flag = flag


class WorkerNotStarted(GraderError):
    """The worker ended (or hung) before it said it was ready to run student code: the grader's own failure.

    `cause` is what the worker's boot printed last (its error), when it printed anything."""

    def __init__(self, message: str, *, cause: str = "") -> None:
        super().__init__(message)
        self.cause = cause


class WorkerTimeout(GraderError):
    """A request or the submission as a whole ran past its wall-clock limit."""


class ProtocolError(GraderError):
    """The worker sent something that is not a well-formed message."""


class WorkerTampered(GraderError):
    """The worker's tamper checks stopped it (its tripwire, an unsealed reply, a changed namespace).

    `events` are what the worker reported: `{"event", "file", "line", "via"}` each, as sent (untrusted)."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        super().__init__("the worker's tamper checks stopped it")
        self.events = events
