"""When each student may sit an exam: the track's sitting, accommodations, grace, late submissions.

* The sitting of a track comes from ``course.yaml`` (``exams.<exam>.sittings.<track>``): its date, and
  ``start``/``end`` when fixed (the MSOL sitting: 14:00-15:50 Pacific). A sitting with only a date
  (in class) accepts submissions that whole day, 00:00-23:59 local, and is described by its day only.
* A roster's extra-time column extends the student's own end: ``1.5x`` (or ``x1.5``, or a bare
  number up to 4) multiplies the sitting's length; ``30m`` (``30 min``, or a bare number above 4) adds
  minutes. Extra time needs the sitting's ``start`` and ``end``: for a sitting with only a date,
  :func:`window_for` raises :class:`SittingTimesMissing` (``exam build`` refuses the roster) rather than
  drop the student's extra time.
* :data:`GRACE` (2 minutes, for the upload) is added after the student's end and stated in feedback.
* A submission after that scores what the student's last submission inside their window scored
  (Gradescope's ``previous_submissions``); with none inside, 0. The time is always the submission's
  ``created_at``, never the clock (Gradescope regrades run later).
* ``alternate_times: false``: a request for another sitting is refused, quoting the syllabus's words
  from course.yaml (``no_alternate_times_text``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Sequence

GRACE = dt.timedelta(minutes=2)

class AccommodationError(ValueError):
    """An extra-time value that cannot be read; the message says what is accepted."""


class SittingTimesMissing(ValueError):
    """Extra time for a sitting that has a date but no start and end: the message says what to add."""


@dataclass(frozen=True)
class Accommodation:
    """Extra time: a factor on the sitting's length or a number of minutes (one of the two)."""

    factor: float = 1.0
    minutes: float = 0.0
    written: str = ""

    def extend(self, length: dt.timedelta) -> dt.timedelta:
        """The extra time added to a sitting of ``length``."""
        return length * (self.factor - 1.0) + dt.timedelta(minutes=self.minutes)

    def describe(self) -> str:
        if self.factor != 1.0:
            return f"{self.factor:g}× time"
        if self.minutes:
            return f"{self.minutes:g} extra minutes"
        return "no extra time"

    @property
    def any(self) -> bool:
        """Whether this is extra time at all."""
        return self.factor != 1.0 or self.minutes != 0.0


def parse_accommodation(text: str) -> Accommodation:
    """``""`` → none; ``1.5x``/``x1.5``/``1.5`` → factor; ``30m``/``30 min``/``+30``/``45`` → minutes."""
    raw = (text or "").strip()
    t = raw.lower().replace("×", "x").replace(" ", "")
    if t in ("", "0", "none", "no", "-", "1", "1x", "x1"):
        return Accommodation(written=raw)
    m = re.fullmatch(r"x?(\d+(?:\.\d+)?)x?", t)
    if m and (t.startswith("x") or t.endswith("x") or float(m.group(1)) <= 4):
        factor = float(m.group(1))
        if not 1.0 <= factor <= 4.0:
            raise AccommodationError(f"extra time {raw!r}: a factor must be between 1 and 4 (e.g. 1.5x)")
        return Accommodation(factor=factor, written=raw)
    m = re.fullmatch(r"\+?(\d+(?:\.\d+)?)(m|min|mins|minute|minutes)?", t)
    if m:
        return Accommodation(minutes=float(m.group(1)), written=raw)
    raise AccommodationError(f"extra time {raw!r} is not understood; write a factor such as 1.5x or minutes such as 30m")


@dataclass(frozen=True)
class Window:
    """One student's exam window (timezone-aware)."""

    track: str
    start: dt.datetime
    end: dt.datetime
    """The student's own end, extra time included (grace not included)."""
    ordinary_end: dt.datetime
    """The sitting's end for students without accommodations."""
    where: str = ""
    accommodation: Accommodation = Accommodation()
    fixed: bool = True
    """The sitting has a start and an end in course.yaml (False: a date only, open all day)."""

    @property
    def closes(self) -> dt.datetime:
        """The last moment a submission counts: ``end`` plus :data:`GRACE`."""
        return self.end + GRACE

    def describe(self) -> str:
        """``Sat 22 Feb 2025 14:00–16:45 PST (your 1.5× time; the sitting ends at 15:50), remote``;
        a sitting with a date only: ``Wed 19 Feb 2025, in class``."""
        if not self.fixed:
            day = self.start.strftime("%a %d %b %Y")
            return f"{day}, {self.where}" if self.where else day
        fmt = "%a %d %b %Y %H:%M"
        end_fmt = "%H:%M %Z" if self.end.date() == self.start.date() else "%a %d %b %H:%M %Z"
        text = f"{self.start.strftime(fmt)}–{self.end.strftime(end_fmt)}"
        if self.end != self.ordinary_end:
            text += f" (your {self.accommodation.describe()}; the sitting ends at {self.ordinary_end.strftime('%H:%M')})"
        return text + f", {self.where}" if self.where else text


def window_for(course: Any, exam: str, track: str, accommodation: Accommodation | None = None) -> Window:
    """The window of a student of ``track`` (a name or alias) with ``accommodation``."""
    policy = course.exams.get(exam)
    if policy is None:
        raise KeyError(f"course.yaml has no exams.{exam}; known: {', '.join(course.exams) or '(none)'}")
    track_name = course.track(track).name if track else course.default_track
    sitting = policy.sittings.get(track_name)
    if sitting is None:
        raise KeyError(f"course.yaml: exams.{exam}.sittings has no sitting for track {track_name!r}")
    tz = course.timezone
    start = dt.datetime.combine(sitting.date, dt.time.fromisoformat(sitting.start or "00:00"), tzinfo=tz)
    end = dt.datetime.combine(sitting.date, dt.time.fromisoformat(sitting.end or "23:59"), tzinfo=tz)
    accommodation = accommodation or Accommodation()
    fixed = sitting.start is not None and sitting.end is not None
    if accommodation.any and not fixed:
        raise SittingTimesMissing(missing_times_message(exam, track_name, sitting, accommodation))
    own_end = end + accommodation.extend(end - start) if fixed else end
    return Window(track_name, start, own_end, end, sitting.where, accommodation, fixed)


def missing_times_message(exam: str, track: str, sitting: Any, accommodation: Accommodation) -> str:
    """What to add to course.yaml so that ``accommodation`` can be applied to ``sitting``."""
    return (f"extra time {accommodation.written or accommodation.describe()!r} cannot be applied: course.yaml's "
            f"exams.{exam}.sittings.{track} has a date ({sitting.date}) but no start and end times. Add them "
            f"(local time, HH:MM), e.g. `{timed_example(track, sitting)}`, or remove the extra time from the roster "
            "if the student sits elsewhere (e.g. with the CAE)")


def timed_example(track: str, sitting: Any) -> str:
    """``undergraduate: {date: 2025-02-19, start: "14:00", end: "15:50", where: in class}``: the sitting with
    example times, as course.yaml would hold it."""
    where = f", where: {sitting.where}" if sitting.where else ""
    return f'{track}: {{date: {sitting.date}, start: "14:00", end: "15:50"{where}}}'


@dataclass(frozen=True)
class WindowDecision:
    """What the window makes of one submission."""

    status: str
    """``on time``, ``within grace``, ``after the window``, ``before the window``, ``unknown``."""
    counts: bool
    """This submission's own score stands."""
    score: float | None = None
    """When it does not count: the score it gets instead (last in-window submission's, or 0)."""
    reason: str = ""
    """Said to the student."""
    zeroed_reason: str = ""
    """When it scores 0: why, as the rest of "This submission scores 0: ..." (the results' own words), so
    that the student does not read "This submission" and "scores 0" twice."""


def decide(window: Window, created_at: dt.datetime | None,
           previous: Sequence[Any] = ()) -> WindowDecision:
    """Judge ``created_at`` against ``window``; ``previous``: Gradescope's previous submissions
    (``submission_time``, ``score``, ``autograder_error``)."""
    grace_words = f"{int(GRACE.total_seconds() // 60)} minutes"
    if created_at is None:
        return WindowDecision("unknown", True, None, "The submission time is unknown, so the exam window was not applied.")
    if window.start <= created_at <= window.end:
        return WindowDecision("on time", True, None, f"Submitted within your exam window ({window.describe()}).")
    if window.end < created_at <= window.closes:
        late = created_at - window.end
        return WindowDecision("within grace", True, None,
                              f"Submitted {_words(late)} after your window ended, within the {grace_words} allowed for "
                              f"uploading ({window.describe()}).")
    status = "before the window" if created_at < window.start else "after the window"
    inside = [p for p in previous if p.submission_time is not None and not getattr(p, "autograder_error", False)
              and window.start <= p.submission_time <= window.closes and p.score is not None]
    when = ("before your exam window opened" if created_at < window.start
            else f"{_words(created_at - window.end)} after your exam window ended (grace {grace_words})")
    if inside:
        last = max(inside, key=lambda p: p.submission_time)
        return WindowDecision(status, False, float(last.score),
                              f"This submission came {when} ({window.describe()}), so it scores what your last "
                              f"submission inside the window scored: {float(last.score):g} "
                              f"(submitted {last.submission_time.strftime('%H:%M:%S')}).")
    return WindowDecision(status, False, 0.0,
                          f"This submission came {when} ({window.describe()}) and you made no submission inside "
                          "your window, so it scores 0.",
                          f"it came {when} ({window.describe()}) and you made no submission inside your window.")


def _words(delta: dt.timedelta) -> str:
    seconds = int(round(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else "", f"{secs} s" if secs or not seconds else ""]
    return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class SittingRequest:
    """Answer to a request to sit on a given day."""

    granted: bool
    message: str


def request_sitting(course: Any, exam: str, track: str, day: dt.date) -> SittingRequest:
    """A student of ``track`` asks to sit ``exam`` on ``day``: their own sitting's day is fine;
    any other is refused when ``alternate_times`` is false, quoting the syllabus's words
    from course.yaml (``exams.<name>.no_alternate_times_text``) when it gives them."""
    window = window_for(course, exam, track)
    if day == window.start.date():
        return SittingRequest(True, f"Your sitting is on that day: {window.describe()}.")
    policy = course.exams[exam]
    if not policy.alternate_times:
        quote = f" The syllabus says: \"{policy.no_alternate_times_text}\"" if policy.no_alternate_times_text else ""
        return SittingRequest(False, f"Refused: your sitting is {window.describe()}; this exam has no alternate "
                                     f"times.{quote}")
    return SittingRequest(True, f"course.yaml allows alternate times for {exam}; arrange {day} with the instructor.")
