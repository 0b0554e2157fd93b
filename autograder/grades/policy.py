"""Apply course.yaml to scores: late days, optional questions, academic-integrity outcomes, weights, bonuses,
rounding, letters.

All arithmetic is ``Decimal``; the final score is rounded once, half up, to
``course.decimals`` places, and that rounded number decides the letter.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from autograder import lateness as late_rules
from autograder.course import LETTERS, AssignmentPolicy, Course
from autograder.grades.errors import GradesInputError
from autograder.grades.grade_exports import ExportScore, ExportStudent, GradescopeExport
from autograder.grades.inputs import Adjustment, BonusEntry, IntegrityOutcome, RosterEntry

HUNDRED = Decimal(100)
ZERO = Decimal(0)


@dataclass(frozen=True)
class StudentInput:
    """Everything known about one student before the policy is applied."""

    sid: str
    """Student ID."""
    name: str
    """``"First Last"``."""
    email: str
    """Email."""
    section: str
    """Canvas section from the export, if any."""
    track: str
    """Track name."""
    basis: str
    """``"letter"``, ``"pnp"`` or ``"su"``."""
    submissions: dict[str, ExportScore | None]
    """``{assignment name in course.yaml: export line}``."""
    evaluation: bool = False
    """Completed the course evaluation."""
    piazza_raw: Decimal = ZERO
    """Raw Piazza participation points."""
    optional_scores: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    """``{(assignment, question): points earned}`` on questions optional for the track."""
    canvas_id: str = ""
    """Canvas user ID, if known."""
    parts: dict[str, tuple[tuple[str, ExportScore | None], ...]] = field(default_factory=dict)
    """``{assignment: ((part, export line), ...)}`` for assignments made of several Gradescope columns
    (``submissions`` then holds their combination)."""
    integrity: dict[str, IntegrityOutcome] = field(default_factory=dict)
    """``{assignment: the instructor's academic-integrity outcome}`` (from integrity.csv)."""
    adjustments: dict[str, tuple[Adjustment, ...]] = field(default_factory=dict)
    """``{assignment: manual adjustments in file order}`` (from adjustments.csv)."""


@dataclass(frozen=True)
class PartLine:
    """One part of an assignment made of several Gradescope columns, as it counted."""

    name: str
    """Part name in course.yaml (``"code"``)."""
    score: Decimal | None
    """Score in its Gradescope column; ``None`` when blank."""
    column_max: Decimal
    """The column's Max Points."""
    points: Decimal
    """The part's share of the assignment (course.yaml)."""
    counted: Decimal
    """``points × score / column_max`` (0 when blank)."""
    lateness: dt.timedelta
    """Its lateness in the export."""


@dataclass(frozen=True)
class AssignmentOutcome:
    """How one assignment counted for one student."""

    name: str
    """Assignment name."""
    raw_score: Decimal | None
    """Score in the export; ``None`` when blank."""
    max_points: Decimal
    """Maximum for this student's track (optional questions removed)."""
    points: Decimal
    """Points counted: raw minus optional-question points, or 0 when zeroed or missing."""
    lateness: dt.timedelta
    """Lateness from the export."""
    days_needed: int
    """Late days the lateness needs (any part of a day counts)."""
    days_used: int
    """Late days spent on it."""
    zeroed: str = ""
    """Why the assignment counts 0 despite a score (empty if it counts)."""
    optional_removed: tuple[tuple[str, Decimal, Decimal, bool], ...] = ()
    """``((question, points earned removed, maximum removed, earned points known from --questions), ...)``."""
    parts: tuple[PartLine, ...] = ()
    """How the parts of an assignment made of several Gradescope columns were combined."""
    integrity: str = ""
    """The academic-integrity outcome that set its points, in words (empty if none): ``zero credit for
    Homework 2 following an academic-integrity finding (case 2025-07)``. No late day is spent on it."""
    integrity_case: str = ""
    """Its case reference."""
    adjustment: str = ""
    """The manual adjustments that changed its score, in words (empty if none): ``Adjusted from 80 to 82:
    +2 points (regrade of Q3, by TA Lee on 2025-02-10).``"""

    @property
    def percent(self) -> Decimal:
        """``100 * points / max_points``."""
        return self.points * HUNDRED / self.max_points


@dataclass(frozen=True)
class StudentResult:
    """A student's final grade and everything that led to it."""

    student: StudentInput
    """The inputs."""
    outcomes: dict[str, AssignmentOutcome]
    """``{assignment: outcome}`` in due-date order."""
    component_percent: dict[str, Decimal]
    """``{component: percent 0..100+}`` (exact)."""
    component_points: dict[str, Decimal]
    """``{component: weight * percent / 100}`` (exact)."""
    late_days_used: int
    """Total late days spent."""
    evaluation_bonus: Decimal
    """Points for the course evaluation."""
    piazza_bonus: Decimal
    """Curved Piazza points (exact)."""
    exact_score: Decimal
    """Weighted components plus bonuses, unrounded."""
    final_score: Decimal
    """``exact_score`` rounded half up once."""
    letter: str
    """Letter on the track's scale, A+ included."""
    recorded: str
    """What goes on the transcript: the letter, or P/NP, S/U."""

    @property
    def bonus(self) -> Decimal:
        """Total bonus points."""
        return self.evaluation_bonus + self.piazza_bonus


# ----------------------------------------------------------------- assembling


def assemble(course: Course, export: GradescopeExport, roster: list[RosterEntry] | None,
             bonus: list[BonusEntry] | None, optional_scores: dict[tuple[str, str, str], Decimal] | None,
             integrity: list[IntegrityOutcome] | None = None,
             adjustments: list[Adjustment] | None = None) -> list[StudentInput]:
    """Match export rows, roster, bonus and integrity outcomes by SID; any mismatch is a GradesInputError
    naming the rows."""
    columns = match_columns(course, export)
    rows = _key_rows(export, roster)
    roster_by = {r.sid: r for r in roster} if roster is not None else None
    if roster_by is not None:
        _check_same_students(export, rows, roster_by)
    bonus_by = {b.sid: b for b in bonus or []}
    unknown = [b for b in bonus or [] if b.sid not in rows]
    if unknown:
        b = unknown[0]
        raise GradesInputError(f"bonus file, row {b.row}, column 'SID': {b.sid!r} is not a student in {export.path.name}"
                               + (f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""))
    optional_scores = optional_scores or {}
    integrity_by = _integrity_by_student(course, integrity or [], rows, roster_by)
    adjusted: dict[str, dict[str, tuple[Adjustment, ...]]] = {}
    for e in adjustments or []:
        if e.sid not in rows:
            raise GradesInputError(f"{e.file}, row {e.row}, column 'SID': {e.sid!r} is not a student in the "
                                   "export; check the SID (a typo would change someone else's score)")
        mine = adjusted.setdefault(e.sid, {})
        mine[e.assignment] = mine.get(e.assignment, ()) + (e,)
    out = []
    for sid, st in rows.items():
        r = roster_by[sid] if roster_by is not None else None
        b = bonus_by.get(sid)
        out.append(StudentInput(
            sid=sid, name=st.name, email=st.email, section=st.section,
            track=r.track if r else course.default_track, basis=r.basis if r else "letter",
            submissions={a: _combined(course.assignments[a], st, cols) for a, cols in columns.items()},
            parts={a: tuple((p, st.submissions.get(col)) for p, col in cols.items())
                   for a, cols in columns.items() if course.assignments[a].parts},
            evaluation=b.evaluation if b else False, piazza_raw=b.piazza if b else ZERO,
            optional_scores={(a, q): v for (s, a, q), v in optional_scores.items() if s == sid},
            canvas_id=r.canvas_id if r else "",
            integrity=integrity_by.get(sid, {}),
            adjustments=adjusted.get(sid, {}),
        ))
    return out


def _integrity_by_student(course: Course, entries: list[IntegrityOutcome], rows: dict[str, ExportStudent],
                          roster: dict[str, RosterEntry] | None) -> dict[str, dict[str, IntegrityOutcome]]:
    """``{sid: {assignment: outcome}}``; an SID not in the export, or points above the student's maximum, is refused."""
    out: dict[str, dict[str, IntegrityOutcome]] = {}
    for e in entries:
        if e.sid not in rows:
            raise GradesInputError(f"{e.file}, row {e.row}, column 'SID': {e.sid!r} is not a student in the "
                                   "Gradescope export; check the SID (a typo would zero someone else's work)")
        track = roster[e.sid].track if roster is not None else course.default_track
        top = course.assignments[e.assignment].max_points_for(track)
        if e.points is not None and e.points > top:
            raise GradesInputError(f"{e.file}, row {e.row}, column 'outcome': {num_text(e.points)!r} is above "
                                   f"{e.assignment}'s maximum for {track} students ({num_text(top)})")
        out.setdefault(e.sid, {})[e.assignment] = e
    return out


def num_text(x: Decimal) -> str:
    """``Decimal('40.0')`` -> ``40``."""
    return format(x.normalize(), "f")


def _norm(name: str) -> str:
    return " ".join(name.lower().split())


def match_columns(course: Course, export: GradescopeExport) -> dict[str, dict[str, str]]:
    """``{course assignment: {part: export column}}`` (part ``""`` for an assignment of one column);
    a missing column is an error naming the names tried."""
    by_norm = {_norm(a): a for a in export.assignments}
    out: dict[str, dict[str, str]] = {}
    for a in course.assignments.values():
        wanted = [(p.name, p.gradescope_names, f"assignments.{a.name}.parts.{p.name}.gradescope") for p in a.parts] \
            or [("", a.gradescope_names, f"assignments.{a.name}.gradescope")]
        out[a.name] = {}
        for part, names, key in wanted:
            found = next((by_norm[_norm(n)] for n in names if _norm(n) in by_norm), None)
            if found is None:
                what = f"assignment {a.name!r}" + (f", part {part!r}" if part else "")
                raise GradesInputError(
                    f"{export.path.name}, row 1: no columns for {what}; looked for "
                    f"{', '.join(map(repr, names))}; the export has {', '.join(map(repr, export.assignments)) or 'no assignments'}. "
                    f"Add its Gradescope name under {key} in course.yaml"
                )
            out[a.name][part] = found
    return out


def _combined(a: AssignmentPolicy, st: ExportStudent, columns: dict[str, str]) -> ExportScore | None:
    """The export line that counts for assignment ``a``: its one column, or its parts combined
    (scores scaled to each part's points and added; blank only when every part is blank; the
    later submission's lateness decides)."""
    if not a.parts:
        return st.submissions.get(columns[""])
    subs = {p.name: st.submissions.get(columns[p.name]) for p in a.parts}
    lines = [_part_line(p.name, Decimal(str(p.points)), subs[p.name]) for p in a.parts]
    scored = [ln for ln in lines if ln.score is not None]
    times = [t for t in (subs[ln.name].submitted for ln in scored) if t is not None]  # type: ignore[union-attr]
    return ExportScore(
        score=sum((ln.counted for ln in scored), ZERO) if scored else None,
        max_points=Decimal(str(a.max_points)),
        submitted=max(times) if times else None,
        lateness=late_rules.latest(ln.lateness for ln in scored) or dt.timedelta(0),
    )


def _part_line(name: str, points: Decimal, sub: ExportScore | None) -> PartLine:
    if sub is None or sub.score is None:
        return PartLine(name, None, sub.max_points if sub else points, points, ZERO, dt.timedelta(0))
    column_max = sub.max_points
    counted = points * sub.score / column_max if column_max > 0 else sub.score
    return PartLine(name, sub.score, column_max, points, counted, sub.lateness)


def _key_rows(export: GradescopeExport, roster: list[RosterEntry] | None) -> dict[str, ExportStudent]:
    by_email = {r.email.lower(): r.sid for r in roster or [] if r.email}
    rows: dict[str, ExportStudent] = {}
    for st in export.students:
        sid = st.sid or by_email.get(st.email.lower(), "")
        if not sid:
            raise GradesInputError(
                f"{export.path.name}, row {st.row}, column 'SID': empty for {st.name} <{st.email}>; "
                "enter the SID in Gradescope, or give the roster an 'email' column to match by email"
            )
        if sid in rows:
            raise GradesInputError(f"{export.path.name}, row {st.row}, column 'SID': {sid!r} already appears in row {rows[sid].row}")
        rows[sid] = st
    return rows


def _check_same_students(export: GradescopeExport, rows: dict[str, ExportStudent], roster: dict[str, RosterEntry]) -> None:
    not_enrolled = [st for sid, st in rows.items() if sid not in roster]
    if not_enrolled:
        st = not_enrolled[0]
        raise GradesInputError(
            f"{export.path.name}, row {st.row}, column 'SID': {st.sid or st.email!r} ({st.name}) is not in the roster"
            + (f" (and {len(not_enrolled) - 1} more)" if len(not_enrolled) > 1 else "")
            + "; add them to the roster or remove them from the export"
        )
    absent = [r for sid, r in roster.items() if sid not in rows]
    if absent:
        r = absent[0]
        raise GradesInputError(
            f"roster, row {r.row}, column 'SID': {r.sid!r} is not in {export.path.name}"
            + (f" (and {len(absent) - 1} more)" if len(absent) > 1 else "")
            + "; add them to Gradescope (a student with no work still needs a row) or remove them from the roster"
        )


# ------------------------------------------------------------------ late days


def _base_outcome(course: Course, s: StudentInput, a: AssignmentPolicy) -> AssignmentOutcome:
    """Outcome before late days are spent: optional questions removed, hard zeroes applied."""
    sub = s.submissions.get(a.name)
    raw = sub.score if sub else None
    raw, adjustment = _adjusted(raw, s.adjustments.get(a.name, ()))
    max_pts = a.max_points_for(s.track)
    removed = _optional_removed(s, a, raw, max_pts)
    points = ZERO if raw is None else max(ZERO, raw - sum((r[1] for r in removed), ZERO))
    lateness = sub.lateness if (sub and raw is not None and a.late != "ignore") else dt.timedelta(0)
    verdict = late_rules.assess(lateness, a, course.late_days)
    need, zeroed = verdict.days_needed, verdict.zeroed_reason
    parts = tuple(_part_line(p, Decimal(str(next(x.points for x in a.parts if x.name == p))), line)
                  for p, line in s.parts.get(a.name, ()))
    finding = s.integrity.get(a.name)
    if finding is not None:  # the instructor's outcome sets the points; no late day is spent on this work
        credit = ZERO if finding.zero else finding.points
        words = "zero credit" if finding.zero else f"{num_text(credit)} points"
        return AssignmentOutcome(a.name, raw, max_pts, credit, lateness, 0, 0, "", removed, parts,
                                 f"{words} for {a.title} following an academic-integrity finding (case {finding.case})",
                                 finding.case, adjustment)
    return AssignmentOutcome(a.name, raw, max_pts, ZERO if zeroed else points, lateness, need, 0, zeroed, removed,
                             parts, adjustment=adjustment)


def _adjusted(raw: Decimal | None, adjustments: tuple[Adjustment, ...]) -> tuple[Decimal | None, str]:
    """The score after the manual adjustments (in file order), and the sentence that explains them."""
    if not adjustments:
        return raw, ""
    start, steps = raw, []
    for e in adjustments:
        raw = e.apply(raw)
        steps.append(f"{e.words()} ({e.reason}; by {e.by} on {e.date.isoformat()})")
    before = "no score" if start is None else num_text(start)
    return raw, f"Adjusted from {before} to {num_text(raw)}: {'; then '.join(steps)}."  # type: ignore[arg-type]


def _optional_removed(s: StudentInput, a: AssignmentPolicy, raw: Decimal | None,
                      max_pts: Decimal) -> tuple[tuple[str, Decimal, Decimal, bool], ...]:
    """``((question, points earned on it, its maximum, known?), ...)`` for questions optional for the track.

    Points earned come from the --questions file; when it has no line, points above the
    track's reduced maximum are taken to be the optional question's (so the optional
    question can neither raise nor lower the student's percentage).
    """
    names = a.optional_for.get(s.track, [])
    out = []
    unknown_excess = max(ZERO, (raw or ZERO) - max_pts)
    for q in names:
        qmax = Decimal(str(a.questions[q]))
        known = (a.name, q) in s.optional_scores
        earned = s.optional_scores[(a.name, q)] if known else min(qmax, unknown_excess)
        unknown_excess -= ZERO if known else earned
        out.append((q, earned, qmax, known))
    return tuple(out)


def _value(course: Course, o: AssignmentOutcome, maxima: dict[str, Decimal]) -> Decimal:
    """Final-score points that keeping assignment ``o`` (instead of 0) is worth."""
    comp = course.component_of(o.name)
    if comp.combine == "total_points":
        return comp.weight * o.points / maxima[comp.name]
    return comp.weight * o.percent / HUNDRED / len(comp.assignments)


def spend_late_days(course: Course, outcomes: dict[str, AssignmentOutcome], maxima: dict[str, Decimal]) -> dict[str, AssignmentOutcome]:
    """Cover late assignments with late days (in due-date order, or the choice best for the student)."""
    late = [o for o in outcomes.values() if o.days_needed and not o.zeroed]  # firm ones are already zeroed
    budget = course.late_days.per_student
    items = [late_rules.LateItem(o.name, o.days_needed, _value(course, o, maxima)) for o in late]
    covered = late_rules.choose_covered(items, budget, course.late_days.spend)
    out = dict(outcomes)
    used = 0
    for o in late:
        if o.name in covered:
            used += o.days_needed
            out[o.name] = _replace(o, days_used=o.days_needed)
    left = budget - used
    for o in late:
        if o.name not in covered:
            late_by = f"submitted {late_rules.words(o.lateness)} late"
            why = (f"{late_by}, which needs {o.days_needed} late day(s), but "
                   f"{'only ' + str(left) if left else 'none'} were left after the earlier ones, so it earns 0"
                   if course.late_days.spend == "in_order" else
                   f"{late_by}, which needs {o.days_needed} late day(s); the late days went where they "
                   "raise the final score most, so this one earns 0")
            out[o.name] = _replace(o, points=ZERO, zeroed=why)
    return out


def _replace(o: AssignmentOutcome, **kw) -> AssignmentOutcome:
    return dataclasses.replace(o, **kw)


# ------------------------------------------------------------------- scoring


def component_scores(course: Course, outcomes: dict[str, AssignmentOutcome]) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """``({component: percent}, {component: weighted points})``, exact."""
    pct, pts = {}, {}
    for c in course.components:
        os_ = [outcomes[a] for a in c.assignments]
        if c.combine == "total_points":
            p = sum((o.points for o in os_), ZERO) * HUNDRED / sum((o.max_points for o in os_), ZERO)
        else:
            p = sum((o.percent for o in os_), ZERO) / len(os_)
        pct[c.name], pts[c.name] = p, c.weight * p / HUNDRED
    return pct, pts


def piazza_bonuses(course: Course, students: list[StudentInput]) -> dict[str, Decimal]:
    """``{sid: curved Piazza points}``; the curve runs over the whole class, students with 0 get 0."""
    top = course.bonuses.piazza_max_points
    curve = course.bonuses.piazza_curve
    raws = sorted(s.piazza_raw for s in students if s.piazza_raw > 0)
    if not raws:
        return {s.sid: ZERO for s in students}
    if curve == "none":
        return {s.sid: min(s.piazza_raw, top) for s in students}
    if curve == "linear":
        return {s.sid: top * s.piazza_raw / raws[-1] for s in students}
    n = len(raws)
    # percentile rank: the share of participants whose raw points are <= yours
    return {s.sid: (top * bisect.bisect_right(raws, s.piazza_raw) / n if s.piazza_raw > 0 else ZERO) for s in students}


def round_half_up(x: Decimal, decimals: int = 2) -> Decimal:
    """Round once, half up: 89.995 -> 90.00."""
    return x.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def letter_for(score: Decimal, scale: tuple[tuple[str, Decimal], ...]) -> str:
    """The first letter whose cutoff the score reaches (a score equal to a cutoff takes the higher letter)."""
    return next(letter for letter, cut in scale if score >= cut)


def recorded_grade(course: Course, basis: str, letter: str) -> str:
    """Letter for a letter basis; P/NP or S/U by comparing the letter with the lowest passing one."""
    b = course.grading_bases[basis]
    if basis == "letter":
        return letter
    return b.pass_label if LETTERS.index(letter) <= LETTERS.index(b.lowest_passing) else b.fail_label


def grade_student(course: Course, s: StudentInput, piazza: Decimal) -> StudentResult:
    """Everything for one student except A+ (which depends on the rest of the track)."""
    base = {a.name: _base_outcome(course, s, a) for a in course.assignments.values()}
    maxima = {c.name: sum((base[a].max_points for a in c.assignments), ZERO) for c in course.components}
    outcomes = spend_late_days(course, base, maxima)
    pct, pts = component_scores(course, outcomes)
    ev = course.bonuses.evaluation_points if s.evaluation else ZERO
    exact = sum(pts.values(), ZERO) + ev + piazza
    final = round_half_up(exact, course.decimals)
    letter = letter_for(final, course.tracks[s.track].scale)
    used = sum(o.days_used for o in outcomes.values())
    return StudentResult(s, outcomes, pct, pts, used, ev, piazza, exact, final, letter,
                         recorded_grade(course, s.basis, letter))


def award_a_plus(course: Course, results: list[StudentResult]) -> list[StudentResult]:
    """Per track, the top A students on a letter basis get A+ (ties with the last one included)."""
    out = {id(r): r for r in results}
    for track in course.tracks:
        a_s = sorted((r for r in results if r.student.track == track and r.letter == "A" and r.student.basis == "letter"),
                     key=lambda r: r.final_score, reverse=True)
        n = course.a_plus.how_many(len(a_s))
        if n == 0:
            continue
        cut = a_s[n - 1].final_score
        for r in a_s:
            if r.final_score >= cut:
                out[id(r)] = dataclasses.replace(r, letter="A+", recorded="A+")
    return [out[id(r)] for r in results]


def compute(course: Course, students: list[StudentInput]) -> list[StudentResult]:
    """Final grades for all students, in input order."""
    piazza = piazza_bonuses(course, students)
    results = [grade_student(course, s, piazza[s.sid]) for s in students]
    return award_a_plus(course, results)
