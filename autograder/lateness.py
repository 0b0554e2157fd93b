"""Late days for one graded submission: lateness = created_at - due.

Shared by batch grading (and meant for the single-submission Gradescope path):
the same rules as ``autograder.grades.policy`` uses for final grades, applied to
one ``GradingResult``. Time logic reads the submission's ``created_at``, never
the clock, so a regrade next month gives the same answer.
"""

from __future__ import annotations

import datetime as dt

from autograder.course import LateDayPolicy, late_days_used
from autograder.results import GradingResult


def hms(delta: dt.timedelta) -> str:
    """``225:07:02``: Gradescope's lateness format (hours may exceed 24)."""
    seconds = max(0, int(delta.total_seconds()))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def lateness_of(created_at: dt.datetime | None, due: dt.datetime) -> dt.timedelta:
    """How late ``created_at`` is (0 when on time or unknown). A naive time is taken in ``due``'s zone."""
    if created_at is None:
        return dt.timedelta(0)
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=due.tzinfo)
    return max(dt.timedelta(0), created_at - due)


def apply_lateness(result: GradingResult, created_at: dt.datetime | None, due: dt.datetime,
                   policy: LateDayPolicy, kind: str = "late_days") -> GradingResult:
    """Set ``result.late_days``, ``late_note`` and, past the limit, ``zeroed_reason``.

    ``kind`` is the assignment's ``late`` setting in course.yaml: ``late_days``
    (more than ``policy.max_per_assignment`` days late scores 0), ``firm`` (any
    lateness past the grace period scores 0) or ``ignore``. Returns ``result``.
    """
    result.late_days, result.late_note, result.zeroed_reason = 0, "", ""
    lateness = lateness_of(created_at, due)
    if kind == "ignore" or lateness <= dt.timedelta(0):
        return result
    need = late_days_used(lateness, policy)
    if need == 0:
        result.late_note = f"Submitted {hms(lateness)} late, within the {policy.grace_minutes}-minute grace period."
        return result
    result.late_days = need
    if kind == "firm":
        result.zeroed_reason = (f"submitted {hms(lateness)} after the firm due date; "
                                "no late days can be used on it")
    elif need > policy.max_per_assignment:
        result.zeroed_reason = (f"{need} days late ({hms(lateness)}); at most {policy.max_per_assignment} "
                                "late days may be used on one assignment, so it earns 0")
    else:
        result.late_note = (f"Submitted {hms(lateness)} late: {need} late day(s) used "
                            "(any part of a day counts as a day).")
    return result
