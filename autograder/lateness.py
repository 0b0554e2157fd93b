"""Lateness, in one place: which due date counts, how late a submission is, what that costs.

Three callers, one set of rules:

* the Gradescope run (``autograder.gradescope.run``): one submission, with Gradescope's
  metadata, which carries the due date the student sees (and their own, extended one);
* batch grading (``autograder.batch.core``): a class from an export, which carries no due
  date, so course.yaml's is used;
* final grades (``autograder.grades.policy``): the lateness Gradescope wrote in its grade
  export, late days spent across assignments.

The due date that counts is the one the student sees: the per-user due date Gradescope
sends (extensions), else the assignment's due date on Gradescope, else course.yaml's.
When Gradescope's and course.yaml's differ, :func:`due_date` returns a note for the
instructor (never shown to the student).

Durations have two spellings, both here: :func:`words` for people ("2 days 3 hours",
"1 minute before the due date") and :func:`hms` for CSV columns in Gradescope's
``H:MM:SS`` (hours may exceed 24).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Sequence

if TYPE_CHECKING:  # course.py is the data; this module only reads it
    from zoneinfo import ZoneInfo

    from autograder.course import AssignmentPolicy, LateDayPolicy

DAY = 86400

SOURCE_EXTENSION = "extension"
SOURCE_STUDENT = "student"
SOURCE_GRADESCOPE = "gradescope"
SOURCE_COURSE = "course.yaml"


# ------------------------------------------------------------------ formatting
def hms(delta: dt.timedelta) -> str:
    """``225:07:02``: Gradescope's lateness format (whole seconds, hours may exceed 24; negative -> 0:00:00)."""
    seconds = max(0, int(delta.total_seconds()))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def words(delta: dt.timedelta) -> str:
    """A duration as a person says it, sign ignored: ``2 days 3 hours``, ``1 minute``, ``1 day 30 seconds``.

    Whole seconds (rounded); at most three units, largest first, zeros left out, so a
    time just past a whole day still shows what tips it into the next day
    (``1 day 4 seconds``). Below one second: ``less than a second``.
    """
    total = abs(delta.total_seconds())
    seconds = int(round(total))
    if seconds == 0:
        return "less than a second" if total > 0 else "0 seconds"
    parts = []
    for unit, size in (("day", DAY), ("hour", 3600), ("minute", 60), ("second", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'s' if count != 1 else ''}")
    return " ".join(parts[:3])


def relative(delta: dt.timedelta, due_phrase: str = "the due date") -> str:
    """``2 days 3 hours after the due date``, ``1 minute before the due date``, ``exactly at the due date``."""
    if delta == dt.timedelta(0):
        return f"exactly at {due_phrase}"
    return f"{words(delta)} {'after' if delta > dt.timedelta(0) else 'before'} {due_phrase}"


def when(moment: dt.datetime, tz: "ZoneInfo | dt.tzinfo | None" = None) -> str:
    """``Wed Feb 5, 11:59 PM PST`` in ``tz`` (the course's zone)."""
    local = moment.astimezone(tz) if tz is not None else moment
    return local.strftime("%a %b %d, %I:%M %p %Z").replace(" 0", " ")


# ------------------------------------------------------------------ the due date
@dataclass(frozen=True)
class DueDate:
    """The due date a submission is measured against, and where it came from."""

    when: dt.datetime
    """Timezone-aware due time."""
    source: str
    """``"extension"`` (the student's own date, later than the assignment's), ``"student"`` (the
    student's own date on Gradescope), ``"gradescope"`` (the assignment's on Gradescope) or
    ``"course.yaml"`` (the fallback: batch grading from an export, or no metadata)."""
    staff_note: str = ""
    """For the instructor only: Gradescope's due date differs from course.yaml's (empty if not)."""

    @property
    def phrase(self) -> str:
        """How the student is told which date it is: ``your extended due date`` or ``the due date``."""
        return "your extended due date" if self.source == SOURCE_EXTENSION else "the due date"


def due_date(policy: "AssignmentPolicy", *, gradescope_due: dt.datetime | None = None,
             own_due: dt.datetime | None = None, tz: "dt.tzinfo | None" = None) -> DueDate:
    """The due date the student sees.

    ``own_due``: the student's own due date on Gradescope (``users[].assignment.due_date``,
    which carries extensions); ``gradescope_due``: the assignment's (``assignment.due_date``);
    course.yaml's ``policy.due`` when Gradescope gave neither. ``staff_note`` is set when
    Gradescope's assignment due date and course.yaml's differ.
    """
    note = ""
    reference = gradescope_due or own_due
    if reference is not None and reference != policy.due:
        note = (f"Gradescope's due date for {policy.name} ({when(reference, tz)}) differs from course.yaml's "
                f"({when(policy.due, tz)}). Lateness was measured against Gradescope's, which is the one the "
                f"student sees; change whichever is wrong (course.yaml's is used when grading an export with "
                f"`autograder batch`).")
    if own_due is not None:
        extended = gradescope_due is not None and own_due > gradescope_due
        return DueDate(own_due, SOURCE_EXTENSION if extended else SOURCE_STUDENT, note)
    if gradescope_due is not None:
        return DueDate(gradescope_due, SOURCE_GRADESCOPE, note)
    return DueDate(policy.due, SOURCE_COURSE, note)


# ------------------------------------------------------------------ one assignment
def days_needed(lateness: dt.timedelta, rules: "LateDayPolicy") -> int:
    """Late days a submission ``lateness`` late needs: 0 within grace, else whole days rounded up.

    Any part of a day counts as a day: 0:05:00 late is 1 day, 24:00:01 is 2.
    A grace period is subtracted first, so with 5 minutes of grace 24:04:00 is 1 day.
    """
    grace = dt.timedelta(minutes=rules.grace_minutes)
    if lateness <= grace:
        return 0
    return max(1, math.ceil((lateness - grace).total_seconds() / DAY))


@dataclass(frozen=True)
class Assessment:
    """What one assignment's lateness costs, before late days are spent across the course."""

    days_needed: int
    """Late days it needs (0 on time or within grace)."""
    zeroed_reason: str = ""
    """Why it earns 0 whatever late days are left (firm deadline, too late); empty otherwise."""


def assess(lateness: dt.timedelta, policy: "AssignmentPolicy", rules: "LateDayPolicy",
           due_phrase: str = "the due date") -> Assessment:
    """The per-assignment rule: ``late: ignore`` costs nothing; past grace, a ``firm`` deadline
    earns 0; needing more than ``max_per_assignment`` late days earns 0."""
    if policy.late == "ignore":
        return Assessment(0)
    need = days_needed(lateness, rules)
    if need and policy.late == "firm":
        return Assessment(need, f"it was submitted {relative(lateness, due_phrase)}, and this deadline is firm: "
                                "no late days can be used on it, so a late submission earns 0")
    if need > rules.max_per_assignment:
        return Assessment(need, f"it was submitted {relative(lateness, due_phrase)}, which would need {need} late days; "
                                f"at most {rules.max_per_assignment} late days can be used on one assignment, so a "
                                f"submission more than {rules.max_per_assignment} days late earns 0")
    return Assessment(need)


@dataclass
class LateDecision:
    """What the late rules decide for one submission (Gradescope run, batch grading)."""

    due: dt.datetime | None
    """The due date used."""
    due_source: str
    """Where it came from (:class:`DueDate` ``source``)."""
    lateness: dt.timedelta | None
    """``created_at - due``: negative when early; None when the submission time is unknown."""
    late_days: int = 0
    """Late days this submission needs."""
    note: str = ""
    """For the student: when it was submitted relative to the due date, in words, and what it costs."""
    zeroed_reason: str = ""
    """For the student: why it scores 0 (empty when it does not)."""
    staff_notes: list[str] = field(default_factory=list)
    """For the instructor only (e.g. Gradescope's due date differs from course.yaml's)."""
    log: list[str] = field(default_factory=list)
    """Lines for the grader's log."""


def decide(policy: "AssignmentPolicy", rules: "LateDayPolicy", created_at: dt.datetime | None, *,
           tz: "dt.tzinfo | None" = None, gradescope_due: dt.datetime | None = None,
           own_due: dt.datetime | None = None) -> LateDecision:
    """Late days and zeroing for one submission made at ``created_at`` (never the clock).

    ``gradescope_due``/``own_due`` as in :func:`due_date`; without them, course.yaml's date.
    How many late days the student has left is settled by final grades, not here.
    """
    due = due_date(policy, gradescope_due=gradescope_due, own_due=own_due, tz=tz)
    out = LateDecision(due=due.when, due_source=due.source, lateness=None)
    if due.staff_note:
        out.staff_notes.append(due.staff_note)
        out.log.append(f"note: {due.staff_note}")
    if created_at is None:
        out.log.append("warning: no usable created_at; lateness not applied.")
        return out
    if policy.late == "ignore":
        out.log.append(f"{policy.name}: late rule 'ignore' (exam); lateness not applied.")
        return out
    lateness = created_at - due.when
    out.lateness = lateness
    at = f"{relative(lateness, due.phrase)} ({when(due.when, tz)})"
    budget = (f"You have {rules.per_student} late days for the whole course (at most {rules.max_per_assignment} "
              "on one assignment); how many remain is settled when final grades are computed.")
    verdict = assess(lateness, policy, rules, f"{due.phrase} ({when(due.when, tz)})")
    out.late_days = verdict.days_needed
    if verdict.zeroed_reason:
        out.zeroed_reason = verdict.zeroed_reason + "."
        out.note = "Late days cannot be used on this assignment." if policy.late == "firm" else budget
    elif lateness <= dt.timedelta(0):
        out.note = f"Submitted on time, {at}: this submission uses 0 late days. {budget}"
    elif verdict.days_needed == 0:
        out.note = (f"Submitted {at}, within the {rules.grace_minutes}-minute grace period: this submission "
                    f"uses 0 late days. {budget}")
    else:
        d = verdict.days_needed
        out.note = f"Submitted {at}: this submission uses **{d} late day{'s' if d != 1 else ''}**. {budget}"
    return out


# ------------------------------------------------------------------ across the course
@dataclass(frozen=True)
class LateItem:
    """A late assignment that late days could cover."""

    name: str
    """Assignment name."""
    days: int
    """Late days it needs."""
    value: object = 0
    """What keeping it is worth to the final score (any ordered number; used by ``best_for_student``)."""


def choose_covered(items: Sequence[LateItem], budget: int, spend: str) -> set[str]:
    """Which late assignments the late days cover.

    ``in_order``: in the order given (due-date order), each covered if the days left suffice.
    ``best_for_student``: the affordable set with the highest total value; ties: fewer days,
    then earlier assignments.
    """
    if spend == "best_for_student":
        return _best_subset(items, budget)
    covered, left = set(), budget
    for item in items:
        if item.days <= left:
            covered.add(item.name)
            left -= item.days
    return covered


def _best_subset(items: Sequence[LateItem], budget: int) -> set[str]:
    import itertools

    best_key: tuple | None = None
    best: tuple[int, ...] = ()
    for k in range(len(items) + 1):
        for combo in itertools.combinations(range(len(items)), k):
            days = sum(items[i].days for i in combo)
            if days > budget:
                continue
            value = sum((items[i].value for i in combo), 0)  # type: ignore[arg-type]
            key = (value, -days, tuple(-i for i in combo))
            if best_key is None or key > best_key:
                best_key, best = key, combo
    return {items[i].name for i in best}


def latest(times: Iterable[dt.timedelta | None]) -> dt.timedelta | None:
    """The lateness of an assignment made of parts submitted at different times: the later one decides."""
    known = [t for t in times if t is not None]
    return max(known) if known else None


__all__ = ["DueDate", "due_date", "days_needed", "Assessment", "assess", "LateDecision", "decide", "LateItem",
           "choose_covered", "latest", "hms", "words", "relative", "when"]
