"""Write final_grades.csv, canvas_import.csv and explanations/SID.md, all at once or not at all."""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

from autograder.course import Course
from autograder.grades.policy import AssignmentOutcome, StudentResult
from autograder.lateness import words

FINAL_CSV = "final_grades.csv"
CANVAS_CSV = "canvas_import.csv"
EXPLANATIONS = "explanations"
REPORT = "report.html"
BASIS_LABEL = {"letter": "letter", "pnp": "P/NP", "su": "S/U"}


def fmt(x: Decimal, places: int = 2) -> str:
    """Decimal shown with ``places`` decimals (half up), for display only."""
    return str(x.quantize(Decimal(1).scaleb(-places), rounding="ROUND_HALF_UP"))


def num(x: Decimal) -> str:
    """A score as written (trailing zeros dropped): 85, 9.5."""
    s = format(x.normalize(), "f")
    return s


def final_grades_csv(course: Course, results: list[StudentResult]) -> str:
    """One row per student: component percentages, late days and where, zeroes and why, bonus, score, letter."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    comps = [c.name for c in course.components]
    w.writerow(["SID", "Name", "Email", "Track", "Basis", *[f"{c} %" for c in comps],
                "Late days used", "Late days where", "Zeroed", "Evaluation bonus", "Piazza bonus", "Bonus",
                "Final score", "Letter", "Recorded grade"])
    for r in results:
        s = r.student
        where = "; ".join(f"{o.name}: {o.days_used}" for o in r.outcomes.values() if o.days_used)
        zeroed = "; ".join(f"{o.name}: {o.zeroed or o.integrity}" for o in r.outcomes.values()
                           if o.zeroed or (o.integrity and o.points == 0))
        w.writerow([s.sid, s.name, s.email, s.track, BASIS_LABEL[s.basis], *[fmt(r.component_percent[c]) for c in comps],
                    r.late_days_used, where, zeroed, fmt(r.evaluation_bonus), fmt(r.piazza_bonus), fmt(r.bonus),
                    fmt(r.final_score, course.decimals), r.letter, r.recorded])
    return buf.getvalue()


def canvas_csv(course: Course, results: list[StudentResult]) -> str:
    """Canvas gradebook import: Canvas's five identity columns, then 'Final Score' and 'Final Grade'."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Final Score", "Final Grade"])
    w.writerow(["    Points Possible", "", "", "", "", "100.00", ""])
    for r in results:
        s = r.student
        first, _, last = s.name.partition(" ")
        student = f"{last}, {first}" if last else first
        w.writerow([student, s.canvas_id, s.sid, s.email.split("@")[0], s.section or course.tracks[s.track].course,
                    fmt(r.final_score, course.decimals), r.recorded])
    return buf.getvalue()


# ---------------------------------------------------------------- explanation


def _assignment_line(course: Course, o: AssignmentOutcome, track: str) -> str:
    a = course.assignment(o.name)
    parts = [f"- **{a.title}**:"]
    if o.parts:
        parts.append(_parts_sentence(o))
    if o.adjustment:
        parts.append(o.adjustment)
    if o.integrity:
        scored = "No score recorded in Gradescope" if o.raw_score is None else f"Scored {num(o.raw_score)}"
        late = (f" It was submitted {words(o.lateness)} late; no late day is spent on it."
                if o.lateness.total_seconds() > 0 else "")
        parts.append(f"{scored}, but {o.integrity}: {num(o.points)} / {num(o.max_points)} = {fmt(o.percent)} %.{late}")
        return " ".join(parts)
    if o.raw_score is None:
        parts.append(f"No score recorded in Gradescope, so it counts 0 / {num(o.max_points)} = 0.00 %.")
        return " ".join(parts)
    for q, earned, qmax, known in o.optional_removed:
        source = "you earned on it" if known else "above the reduced maximum (taken to be from it)"
        parts.append(f"Question {q!r} is optional for {track} students, so its {num(qmax)} points leave the maximum "
                     f"({num(Decimal(str(a.max_points)))} → {num(o.max_points)}) and the {num(earned)} points {source} leave your score "
                     f"({num(o.raw_score)} → {num(o.raw_score - earned)}).")
    if o.zeroed:
        parts.append(f"Scored {num(o.raw_score)} but {o.zeroed}: 0 / {num(o.max_points)} = 0.00 %.")
        return " ".join(parts)
    if o.days_used:
        parts.append(f"Submitted {words(o.lateness)} late; any part of a day counts as a day, so {o.days_used} late day(s) used.")
    pts = o.points
    parts.append(f"{num(pts)} / {num(o.max_points)} = {fmt(o.percent)} %"
                 + (" (above the maximum: extra credit is kept)." if pts > o.max_points else "."))
    return " ".join(parts)


def _parts_sentence(o: AssignmentOutcome) -> str:
    """``Code 72 / 100 in Gradescope, worth 80 here: 57.60; Written blank: 0. Together 57.60.``"""
    pieces = []
    for p in o.parts:
        if p.score is None:
            pieces.append(f"{p.name.capitalize()} not submitted (worth {num(p.points)}): 0")
        elif p.column_max == p.points:
            pieces.append(f"{p.name.capitalize()} {num(p.score)} / {num(p.points)}")
        else:
            pieces.append(f"{p.name.capitalize()} {num(p.score)} / {num(p.column_max)} in Gradescope, worth "
                          f"{num(p.points)} here: {fmt(p.counted)}")
    total = sum((p.counted for p in o.parts), Decimal(0))
    late = [p for p in o.parts if p.score is not None and p.lateness.total_seconds() > 0]
    sentence = "; ".join(pieces) + f". Together {fmt(total)} points."
    if len({p.lateness for p in o.parts if p.score is not None}) > 1 and late:
        last = max(late, key=lambda p: p.lateness)
        sentence += f" The parts came at different times; the later one ({last.name}) decides lateness."
    return sentence


def explanation_md(course: Course, r: StudentResult) -> str:
    """The arithmetic behind one student's grade, line by line."""
    s = r.student
    t = course.tracks[s.track]
    lines = [f"# Final grade: {s.name} (SID {s.sid})", "",
             f"Track: {t.name} ({t.course}); grading basis: {BASIS_LABEL[s.basis]}.",
             "Intermediate numbers are shown to two decimals; the exact values are added up and "
             f"the final score is rounded once, half up, to {course.decimals} decimals.", ""]
    for c in course.components:
        how = "the mean of the assignment percentages" if c.combine == "mean_percent" else "total points over total maximum"
        lines += [f"## {c.title} ({num(c.weight)} % of the final score; {how})", ""]
        lines += [_assignment_line(course, r.outcomes[a], t.name) for a in c.assignments]
        outs = [r.outcomes[a] for a in c.assignments]
        if len(outs) > 1 and c.combine == "mean_percent":
            lines.append(f"- {c.title}: ({' + '.join(fmt(o.percent) for o in outs)}) / {len(outs)} = {fmt(r.component_percent[c.name])} %.")
        lines += [f"- Counts {num(c.weight)} × {fmt(r.component_percent[c.name])} % = **{fmt(r.component_points[c.name])} points**.", ""]
    lines += _late_day_lines(course, r) + _total_lines(course, r, t)
    return "\n".join(lines) + "\n"


def _late_day_lines(course: Course, r: StudentResult) -> list[str]:
    ld = course.late_days
    how = "in due-date order" if ld.spend == "in_order" else "where they raise your final score most"
    used = [f"{o.name} {o.days_used}" for o in r.outcomes.values() if o.days_used]
    return ["## Late days", "",
            f"You had {ld.per_student} late days, at most {ld.max_per_assignment} on one assignment, spent {how}. "
            f"Used: {r.late_days_used} ({', '.join(used) or 'none'}); left: {ld.per_student - r.late_days_used}.", ""]


def _total_lines(course: Course, r: StudentResult, t) -> list[str]:
    comps = " + ".join(fmt(r.component_points[c.name]) for c in course.components)
    lines = ["## Bonuses", "",
             f"- Course evaluation: {'completed' if r.student.evaluation else 'not completed'}: +{fmt(r.evaluation_bonus)}.",
             f"- Piazza: {num(r.student.piazza_raw)} participation points, curved ({course.bonuses.piazza_curve.replace('_', ' ')}) "
             f"to at most {num(course.bonuses.piazza_max_points)}: +{fmt(r.piazza_bonus)}.", "",
             "## Final score", "",
             f"{comps} + {fmt(r.evaluation_bonus)} + {fmt(r.piazza_bonus)} = {r.exact_score.normalize():f} exactly, "
             f"rounded half up to **{fmt(r.final_score, course.decimals)}**.", "", "## Letter", ""]
    scale = dict(t.scale)
    base = "A" if r.letter == "A+" else r.letter
    cut = scale[base]
    higher = [letter for letter, c in t.scale if c > cut]
    upper = f" and below {num(scale[higher[-1]])}" if higher else ""
    lines.append(f"On the {t.name} scale, {base} is {num(cut)} or more{upper}: {fmt(r.final_score, course.decimals)} is a **{base}**.")
    if r.letter == "A+":
        lines.append(f"You are among the top A students of your track ({_a_plus_rule(course)}), so you receive an **A+**.")
    if r.student.basis != "letter":
        b = course.grading_bases[r.student.basis]
        lines.append(f"You take the course {BASIS_LABEL[b.name]}: {b.pass_label} is given for {b.lowest_passing} or better, "
                     f"so your grade is **{r.recorded}**.")
    return lines


def _a_plus_rule(course: Course) -> str:
    rule = course.a_plus
    return f"the top {rule.count}" if rule.count is not None else f"the top {num(rule.percent)} % of the A's"


# ----------------------------------------------------------------- all at once


class Staging:
    """Outputs written into a temp folder beside ``out`` and moved in by ``commit()``.

    Use as a context manager: on any exception the temp folder is removed and ``out`` is
    untouched, so no partial output is left behind.  Existing outputs of ours are replaced.
    """

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.tmp: Path | None = None
        self.names: list[str] = []

    def __enter__(self) -> "Staging":
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.tmp-", dir=self.out.parent))
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, name: str, text: str) -> None:
        """Stage one file ``name`` at the top of the output folder."""
        _write(self.tmp / name, text)
        self.names.append(name)

    def write_explanations(self, explanations: dict[str, str]) -> None:
        """Stage ``explanations/<sid>.md`` for ``{sid: markdown}``."""
        (self.tmp / EXPLANATIONS).mkdir()
        for sid, text in explanations.items():
            _write(self.tmp / EXPLANATIONS / f"{_safe(sid)}.md", text)
        self.names.append(EXPLANATIONS)

    def commit(self) -> None:
        """Move everything staged into ``out``."""
        _move_into_place(self.tmp, self.out, self.names)


def write_all(out: Path, files: dict[str, str], explanations: dict[str, str]) -> None:
    """Write ``files`` and ``explanations/<sid>.md`` into ``out`` all at once, or nothing."""
    with Staging(out) as stage:
        for name, text in files.items():
            stage.write(name, text)
        stage.write_explanations(explanations)
        stage.commit()


def _write(path: Path, text: str) -> None:
    """Create ``path`` (it must not exist) with ``text`` as UTF-8; plain os calls, ~5x faster than write_text here."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        data = text.encode("utf-8")
        while data:
            data = data[os.write(fd, data):]
    finally:
        os.close(fd)


def _safe(sid: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in sid) or "_"


def _move_into_place(tmp: Path, out: Path, names: list[str]) -> None:
    if not out.exists():
        os.replace(tmp, out)
        return
    for name in names:
        target = out / name
        if target.is_dir():
            old = out / f".{name}.old"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
            os.replace(tmp / name, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp / name, target)
