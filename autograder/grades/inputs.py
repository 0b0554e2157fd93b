"""Read the roster, bonus and optional-question CSVs that go beside a Gradescope export.

Roster (``--roster``): columns ``SID``, ``track`` (a track name or alias from
course.yaml: undergraduate/C147, graduate/C247, online/MSOL) and ``basis``
(``letter``, ``P/NP``, ``S/U``; ``grading basis`` is accepted as the column name).
Optional: ``email`` (to match an export row whose SID is empty), ``Canvas ID``.

Bonus (``--bonus``): ``SID``, ``evaluation`` (yes/no, 1/0, true/false, blank = no),
``piazza`` (raw participation points >= 0, blank = 0).

Optional questions (``--questions``): ``SID``, ``assignment``, ``question``, ``score``:
points a student earned on a question optional for their track (default 0). ``autograder export hw3``
writes it from the gradebook (a question is a ``task`` of the hidden suite).

Academic-integrity outcomes (``--integrity``, or ``integrity.outcomes`` in course.yaml): ``SID``,
``assignment`` (its name in course.yaml), ``outcome`` (``zero``, or the number of points the work is set
to), ``case`` (the case reference the student's explanation cites; ``case reference`` is accepted as the
column name). One line per (SID, assignment).

Manual adjustments (``--adjustments``, or ``regrades.adjustments`` in course.yaml): ``SID``, ``assignment``,
``delta`` (points added, may be negative) or ``new_score`` (the score it becomes; exactly one of the two),
``reason`` (quoted in the student's explanation), ``by`` (who decided), ``date`` (``YYYY-MM-DD``, when it was
decided), optional ``released`` (``YYYY-MM-DD``, when that assignment's grades were released; the regrade
window, ``regrades.window_days``, counts from it, else from the assignment's due date). Several lines for one
(SID, assignment) apply in file order.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from autograder.course import Course, CourseConfigError
from autograder.grades.errors import GradesInputError, cell_error

BASES = {"letter": "letter", "l": "letter", "grade": "letter",
         "p/np": "pnp", "pnp": "pnp", "pass/no pass": "pnp", "p": "pnp",
         "s/u": "su", "su": "su", "s": "su"}
TRUE = {"1", "yes", "y", "true", "x", "done"}
FALSE = {"", "0", "no", "n", "false"}


@dataclass(frozen=True)
class RosterEntry:
    """One enrolled student."""

    row: int
    """Row in the roster file (header is row 1)."""
    sid: str
    """Student ID."""
    track: str
    """Track name from course.yaml (aliases resolved)."""
    basis: str
    """``"letter"``, ``"pnp"`` or ``"su"``."""
    email: str = ""
    """Email, when the roster has one."""
    canvas_id: str = ""
    """Canvas user ID, when the roster has one."""


@dataclass(frozen=True)
class BonusEntry:
    """One student's bonus inputs."""

    row: int
    """Row in the bonus file."""
    sid: str
    """Student ID."""
    evaluation: bool
    """Filled in the course evaluation."""
    piazza: Decimal
    """Raw Piazza participation points (curved later), >= 0."""


@dataclass(frozen=True)
class IntegrityOutcome:
    """An instructor's academic-integrity outcome for one student's assignment."""

    row: int
    """Row in the integrity file (header is row 1)."""
    sid: str
    """Student ID."""
    assignment: str
    """Assignment name in course.yaml."""
    points: Decimal | None
    """Points the work is set to; ``None`` for ``zero`` (zero credit)."""
    case: str
    """The case reference, cited in the student's explanation."""
    file: str = "integrity.csv"
    """The file's name, for messages."""

    @property
    def zero(self) -> bool:
        return self.points is None


@dataclass(frozen=True)
class Adjustment:
    """A manual change to one student's score on one assignment (a granted regrade request, a fix)."""

    row: int
    """Row in the adjustments file (header is row 1)."""
    sid: str
    """Student ID."""
    assignment: str
    """Assignment name in course.yaml."""
    delta: Decimal | None
    """Points added (negative: removed); ``None`` when ``new_score`` is given."""
    new_score: Decimal | None
    """The score it becomes; ``None`` when ``delta`` is given."""
    reason: str
    """Why, in words the student reads."""
    by: str
    """Who decided it."""
    date: dt.date
    """When it was decided."""
    released: dt.date | None = None
    """When the assignment's grades were released, if the file says."""
    file: str = "adjustments.csv"
    """The file's name, for messages."""

    def apply(self, score: Decimal | None) -> Decimal:
        """The score after this adjustment (a blank score counts 0 for a delta; never below 0)."""
        if self.new_score is not None:
            return self.new_score
        return max(Decimal(0), (score or Decimal(0)) + (self.delta or Decimal(0)))

    def words(self) -> str:
        """``+2 points`` / ``set to 85``."""
        if self.new_score is not None:
            return f"set to {format(self.new_score.normalize(), 'f')}"
        return f"{'+' if self.delta >= 0 else '-'}{format(abs(self.delta).normalize(), 'f')} points"


ZERO_WORDS = {"zero", "0 credit", "zero credit"}


def _rows(path: Path, required: tuple[str, ...], aliases: dict[str, str] | None = None) -> list[tuple[int, dict[str, str]]]:
    """``[(row number, {canonical column: value})]``; GradesInputError for a missing column."""
    aliases = aliases or {}
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = next(reader, [])
            body = list(reader)
    except OSError as exc:
        raise GradesInputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    canon = [aliases.get(h.strip().lower(), h.strip().lower()) for h in header]
    missing = [c for c in required if c not in canon]
    if missing:
        raise GradesInputError(
            f"{path.name}, row 1: missing column(s) {', '.join(map(repr, missing))}; found {', '.join(map(repr, header)) or 'nothing'}"
        )
    out = []
    for n, row in enumerate(body, start=2):
        if any(c.strip() for c in row):
            out.append((n, {k: v.strip() for k, v in zip(canon, row)}))
    return out


def _no_duplicates(path: Path, entries: list, what: str = "SID") -> None:
    seen: dict[str, int] = {}
    for e in entries:
        if e.sid in seen:
            raise GradesInputError(f"{path.name}, row {e.row}, column 'SID': {e.sid!r} already appears in row {seen[e.sid]}")
        seen[e.sid] = e.row


def read_roster(path: str | Path, course: Course) -> list[RosterEntry]:
    """Parse the roster; tracks and bases are checked against course.yaml."""
    path = Path(path)
    rows = _rows(path, ("sid", "track", "basis"), {"grading basis": "basis", "grading_basis": "basis", "canvas id": "canvas_id"})
    entries = [_roster_entry(path.name, n, r, course) for n, r in rows]
    _no_duplicates(path, entries)
    return entries


def _roster_entry(file: str, n: int, r: dict[str, str], course: Course) -> RosterEntry:
    if not r.get("sid"):
        raise cell_error(file, n, "SID", r.get("sid", ""), "is empty; every roster row needs a student ID")
    try:
        track = course.track(r["track"]).name
    except CourseConfigError as exc:
        raise cell_error(file, n, "track", r["track"], str(exc).split("; ", 1)[-1].replace("allowed", "is not a track; allowed")) from None
    basis = BASES.get(r["basis"].lower() or "letter")
    if basis is None:
        raise cell_error(file, n, "basis", r["basis"], "is not a grading basis; allowed: letter, P/NP, S/U")
    return RosterEntry(n, r["sid"], track, basis, r.get("email", ""), r.get("canvas_id", ""))


def read_bonus(path: str | Path) -> list[BonusEntry]:
    """Parse the bonus file."""
    path = Path(path)
    entries = [_bonus_entry(path.name, n, r) for n, r in _rows(path, ("sid",), {"course evaluation": "evaluation"})]
    _no_duplicates(path, entries)
    return entries


def _bonus_entry(file: str, n: int, r: dict[str, str]) -> BonusEntry:
    if not r.get("sid"):
        raise cell_error(file, n, "SID", "", "is empty; every bonus row needs a student ID")
    ev = r.get("evaluation", "").lower()
    if ev not in TRUE | FALSE:
        raise cell_error(file, n, "evaluation", r["evaluation"], "is not yes/no (also accepted: 1/0, true/false, blank)")
    return BonusEntry(n, r["sid"], ev in TRUE, _number(file, n, "piazza", r.get("piazza", "")))


def _number(file: str, n: int, col: str, text: str) -> Decimal:
    if not text:
        return Decimal(0)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise cell_error(file, n, col, text, "is not a number") from None
    if not value.is_finite() or value < 0:
        raise cell_error(file, n, col, text, "is not a number >= 0")
    return value


def read_question_scores(path: str | Path, course: Course) -> dict[tuple[str, str, str], Decimal]:
    """``{(sid, assignment, question): points earned}`` on questions that are optional for some track."""
    path = Path(path)
    out: dict[tuple[str, str, str], Decimal] = {}
    for n, r in _rows(path, ("sid", "assignment", "question", "score")):
        try:
            a = course.assignment(r["assignment"])
        except CourseConfigError as exc:
            raise cell_error(path.name, n, "assignment", r["assignment"], str(exc).split("; ", 1)[-1]) from None
        if r["question"] not in a.questions:
            raise cell_error(path.name, n, "question", r["question"],
                             f"is not a question of {a.name} in course.yaml; known: {', '.join(a.questions) or '(none)'}")
        score = _number(path.name, n, "score", r["score"])
        if score > Decimal(str(a.questions[r["question"]])):
            raise cell_error(path.name, n, "score", r["score"], f"is above the question's {a.questions[r['question']]} points")
        out[(r["sid"], a.name, r["question"])] = score
    return out


def read_integrity(path: str | Path, course: Course) -> list[IntegrityOutcome]:
    """Parse an integrity.csv; assignments and outcomes are checked against course.yaml (SIDs are checked
    against the export when grades are assembled)."""
    path = Path(path)
    if not path.is_file():
        raise GradesInputError(f"{path}: no such file; give the academic-integrity outcomes as a CSV with the "
                               "columns SID, assignment, outcome, case (docs/integrity.md)")
    rows = _rows(path, ("sid", "assignment", "outcome", "case"),
                 {"case reference": "case", "case_reference": "case", "case ref": "case", "reference": "case"})
    entries = [_integrity_entry(path.name, n, r, course) for n, r in rows]
    seen: dict[tuple[str, str], int] = {}
    for e in entries:
        if (e.sid, e.assignment) in seen:
            raise cell_error(path.name, e.row, "SID", e.sid, f"already has an outcome for {e.assignment} in row "
                             f"{seen[(e.sid, e.assignment)]}; keep one line per student and assignment")
        seen[(e.sid, e.assignment)] = e.row
    return entries


def _integrity_entry(file: str, n: int, r: dict[str, str], course: Course) -> IntegrityOutcome:
    if not r.get("sid"):
        raise cell_error(file, n, "SID", "", "is empty; every line needs the student's ID")
    a = _course_assignment(file, n, r.get("assignment", ""), course)
    outcome = r["outcome"].strip()
    points: Decimal | None = None
    if outcome.lower() not in ZERO_WORDS:
        try:
            points = Decimal(outcome)
        except InvalidOperation:
            raise cell_error(file, n, "outcome", outcome, "is neither `zero` nor a number of points") from None
        if not points.is_finite() or points < 0 or points > Decimal(str(a.max_points)):
            raise cell_error(file, n, "outcome", outcome,
                             f"is not a number of points between 0 and {a.name}'s {a.max_points:g}")
    if not r.get("case"):
        raise cell_error(file, n, "case", "", "is empty; give the case reference the student's explanation cites")
    return IntegrityOutcome(n, r["sid"], a.name, points, r["case"], file)


def _course_assignment(file: str, n: int, text: str, course: Course):  # type: ignore[no-untyped-def]
    """The course.yaml assignment named ``text`` (its name or title, any case); a cell error otherwise."""
    wanted = text.strip().lower()
    a = next((a for a in course.assignments.values() if wanted in (a.name.lower(), a.title.lower())), None)
    if a is None:
        raise cell_error(file, n, "assignment", text, f"is not an assignment in course.yaml; known: {', '.join(course.assignments)}")
    return a


def _date(file: str, n: int, col: str, text: str, *, required: bool) -> dt.date | None:
    if not text and not required:
        return None
    try:
        return dt.date.fromisoformat(text[:10]) if len(text) >= 10 else dt.date.fromisoformat(text)
    except ValueError:
        raise cell_error(file, n, col, text, "is not a date like 2025-02-14 (YYYY-MM-DD)") from None


def _signed(file: str, n: int, col: str, text: str) -> Decimal | None:
    """A finite number (any sign), ``None`` when blank."""
    if not text:
        return None
    try:
        value = Decimal(text.replace("+", "", 1) if text.startswith("+") else text)
    except InvalidOperation:
        raise cell_error(file, n, col, text, "is not a number") from None
    if not value.is_finite():
        raise cell_error(file, n, col, text, "is not a finite number")
    return value


def read_adjustments(path: str | Path, course: Course) -> list[Adjustment]:
    """Parse an adjustments.csv; assignments, numbers and dates are checked here (SIDs against the export
    when grades are assembled)."""
    path = Path(path)
    if not path.is_file():
        raise GradesInputError(f"{path}: no such file; give the manual adjustments as a CSV with the columns "
                               "SID, assignment, delta, new_score, reason, by, date (docs/course-yaml.md, 'Inputs of autograder grades')")
    rows = _rows(path, ("sid", "assignment", "delta", "new_score", "reason", "by", "date"),
                 {"new score": "new_score", "points": "delta", "who": "by", "decided by": "by"})
    return [_adjustment(path.name, n, r, course) for n, r in rows]


def _adjustment(file: str, n: int, r: dict[str, str], course: Course) -> Adjustment:
    if not r.get("sid"):
        raise cell_error(file, n, "SID", "", "is empty; every line needs the student's ID")
    a = _course_assignment(file, n, r.get("assignment", ""), course)
    delta = _signed(file, n, "delta", r.get("delta", ""))
    new = _signed(file, n, "new_score", r.get("new_score", ""))
    if (delta is None) == (new is None):
        both = "both" if delta is not None else "neither"
        raise cell_error(file, n, "delta", r.get("delta", ""), f"and new_score {r.get('new_score', '')!r}: {both} "
                         "given; fill exactly one (delta adds points, new_score replaces the score)")
    if new is not None and new < 0:
        raise cell_error(file, n, "new_score", r["new_score"], "is below 0")
    for col in ("reason", "by"):
        if not r.get(col):
            raise cell_error(file, n, col, "", f"is empty; say {'why (the student reads it)' if col == 'reason' else 'who decided it'}")
    when = _date(file, n, "date", r.get("date", ""), required=True)
    released = _date(file, n, "released", r.get("released", ""), required=False)
    return Adjustment(n, r["sid"], a.name, delta, new, r["reason"], r["by"], when, released, file)  # type: ignore[arg-type]


def late_adjustments(adjustments: list[Adjustment], course: Course) -> list[str]:
    """Warnings for adjustments dated after the regrade window: ``regrades.window_days`` after the grades'
    release (the ``released`` column), or after the assignment's due date when the file does not say."""
    out = []
    for e in adjustments:
        start = e.released or course.assignments[e.assignment].due.astimezone(course.timezone).date()
        end = start + dt.timedelta(days=course.regrade_window_days)
        if e.date > end:
            since = (f"the grades' release on {start}" if e.released else
                     f"the due date, {start}; give a 'released' column if grades came out later")
            out.append(f"{e.file}, row {e.row}: the adjustment for {e.sid} on {e.assignment} is dated {e.date}, after "
                       f"the regrade window closed on {end} ({course.regrade_window_days} days after {since}); "
                       "it is applied, check it was meant")
    return out
