"""``submission_metadata.json`` as plain data, tolerant of Gradescope's quirks.

Gradescope writes numbers as strings (``"total_points": "100.0"``), leaves
``sid`` empty, sends ``null`` for dates that are not set, and gives each user
an ``assignment`` block whose ``due_date`` is that student's own (extended)
due date. Anything missing or malformed becomes ``None``/empty here rather
than an exception: the grader must still write results.json.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def parse_time(value: Any) -> dt.datetime | None:
    """An ISO 8601 timestamp as Gradescope writes it (``2025-02-06T13:57:24.522843-08:00``),
    timezone-aware; ``None`` for null, empty, naive or unparseable values."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        # Python 3.10's fromisoformat wants exactly 3 or 6 fractional digits.
        head, dot, rest = text.partition(".")
        if not dot:
            return None
        digits = "".join(ch for ch in rest if ch.isdigit())
        tz = rest[len(digits):]
        try:
            when = dt.datetime.fromisoformat(f"{head}.{(digits + '000000')[:6]}{tz}")
        except ValueError:
            return None
    return when if when.tzinfo is not None else None


def parse_number(value: Any) -> float | None:
    """``100``, ``100.0`` or ``"100.0"`` -> 100.0; anything else (``""``, null, NaN) -> None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class SubmitterInfo:
    """One student on the submission (several for a group submission)."""

    name: str = ""
    email: str = ""
    sid: str = ""
    """Student ID; Gradescope often sends ``""``."""
    due_date: dt.datetime | None = None
    """This student's own due date (``users[].assignment.due_date``): differs from the
    assignment's when the student has an extension."""
    late_due_date: dt.datetime | None = None
    """This student's hard cut-off, if Gradescope has one."""


@dataclass(frozen=True)
class PreviousSubmission:
    """An earlier submission of the same student(s)."""

    submission_time: dt.datetime | None = None
    score: float | None = None
    """Gradescope sends it as a string; None when the run failed."""
    autograder_error: bool = False


@dataclass(frozen=True)
class SubmissionMetadata:
    """What Gradescope tells ``run_autograder`` about this submission."""

    submission_id: str = ""
    created_at: dt.datetime | None = None
    """When the student submitted. All time logic reads this, never the clock:
    a regrade runs later but the submission time does not change."""
    assignment_title: str = ""
    assignment_due_date: dt.datetime | None = None
    """The assignment's due date as set on Gradescope."""
    assignment_late_due_date: dt.datetime | None = None
    """Gradescope's hard cut-off after which it refuses submissions (null if none)."""
    total_points: float | None = None
    users: tuple[SubmitterInfo, ...] = ()
    previous_submissions: tuple[PreviousSubmission, ...] = ()
    problems: tuple[str, ...] = field(default=())
    """What was missing or unreadable (for the instructor's log)."""

    def student_due_date(self) -> dt.datetime | None:
        """The latest per-user due date (a group is due when its most extended
        member is), or None when Gradescope gave none."""
        dates = [u.due_date for u in self.users if u.due_date is not None]
        return max(dates) if dates else None

    def describe_users(self) -> str:
        return ", ".join(u.name or u.email or "(unnamed)" for u in self.users) or "(no users listed)"


def parse_metadata(data: Any) -> SubmissionMetadata:
    """Build SubmissionMetadata from the decoded JSON, never raising."""
    problems: list[str] = []
    if not isinstance(data, dict):
        return SubmissionMetadata(problems=("submission_metadata.json is not a JSON object",))
    assignment = _dict(data.get("assignment"))
    created_at = parse_time(data.get("created_at"))
    if created_at is None:
        problems.append(f"created_at is missing or not a timestamp: {data.get('created_at')!r}")
    users = []
    for raw in _list(data.get("users")):
        raw = _dict(raw)
        own = _dict(raw.get("assignment"))
        users.append(SubmitterInfo(
            name=_str(raw.get("name")), email=_str(raw.get("email")), sid=_str(raw.get("sid")),
            due_date=parse_time(own.get("due_date")), late_due_date=parse_time(own.get("late_due_date")),
        ))
    previous = []
    for raw in _list(data.get("previous_submissions")):
        raw = _dict(raw)
        previous.append(PreviousSubmission(
            submission_time=parse_time(raw.get("submission_time")),
            score=parse_number(raw.get("score")),
            autograder_error=bool(raw.get("autograder_error")),
        ))
    return SubmissionMetadata(
        submission_id=_str(data.get("id")),
        created_at=created_at,
        assignment_title=_str(assignment.get("title")),
        assignment_due_date=parse_time(assignment.get("due_date")),
        assignment_late_due_date=parse_time(assignment.get("late_due_date")),
        total_points=parse_number(assignment.get("total_points")),
        users=tuple(users),
        previous_submissions=tuple(previous),
        problems=tuple(problems),
    )


def load_metadata(path: Path) -> SubmissionMetadata:
    """Read ``submission_metadata.json``; a missing or broken file gives empty
    metadata whose ``problems`` say why (grading goes on, lateness unknown)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return SubmissionMetadata(problems=(f"{path} does not exist",))
    except (OSError, ValueError) as exc:
        return SubmissionMetadata(problems=(f"{path} could not be read: {exc}",))
    return parse_metadata(data)
