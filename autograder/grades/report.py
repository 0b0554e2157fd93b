"""``report.html``: one self-contained page for instructors (figures embedded as base64 PNG)."""

from __future__ import annotations

import base64
import html
import io
import statistics
from collections import Counter
from decimal import Decimal

from autograder.course import LETTERS, Course
from autograder.grades.policy import StudentResult

CSS = """body{font-family:sans-serif;margin:2em;color:#222;background:#fff}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:4px 8px;text-align:right}
th{background:#e8eef7}h1{color:#1f3b73;margin-bottom:0}.term{font-size:1.2em;color:#1f3b73;margin-top:.2em}img{max-width:100%;border:1px solid #ddd}"""


def histograms_png(course: Course, by_track: dict[str, list[float]]) -> str:
    """Base64 PNG: one histogram of final scores per track, the track's letter cutoffs as dashed lines."""
    import matplotlib.pyplot as plt

    fig = histograms_figure(course, by_track)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def histograms_figure(course: Course, by_track: dict[str, list[float]]):  # type: ignore[no-untyped-def]
    """The matplotlib figure of :func:`histograms_png` (one axes per track with scores; counts on whole ticks)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    tracks = [t for t, scores in by_track.items() if scores]
    fig, axes = plt.subplots(len(tracks), 1, figsize=(8, 2.8 * len(tracks)), dpi=80, squeeze=False)
    for ax, track in zip(axes[:, 0], tracks):
        scores = by_track[track]
        ax.hist(scores, bins=[i * 2.5 for i in range(0, 43)], color="#4a7bd0", edgecolor="white")
        top = ax.get_ylim()[1]
        for letter, cut in course.tracks[track].scale[:-1]:
            ax.axvline(float(cut), color="#c0392b", lw=0.8, ls="--")
            ax.text(float(cut) + 0.3, top * 0.9, letter, color="#c0392b", fontsize=8)
        ax.set_xlim(min(40.0, min(scores)), 105)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole students only
        ax.set_ylabel("students")
        ax.set_title(f"{track} ({course.tracks[track].course}): {len(scores)} students", fontsize=10)
    axes[-1, 0].set_xlabel("final score")
    fig.tight_layout()
    return fig


def _table(header: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _letter_counts(course: Course, results: list[StudentResult]) -> str:
    """Letters per track (every student's letter on the scale), then what P/NP and S/U students record."""
    counts = {t: Counter(r.letter for r in results if r.student.track == t) for t in course.tracks}
    recorded = {t: Counter(r.recorded for r in results if r.student.track == t and r.student.basis != "letter")
                for t in course.tracks}
    rows = [[letter, *[counts[t][letter] for t in course.tracks]] for letter in LETTERS]
    for basis in ("pnp", "su"):
        b = course.grading_bases.get(basis)
        if b is not None:
            rows += [[f"{grade} ({b.pass_label}/{b.fail_label})", *[recorded[t][grade] for t in course.tracks]]
                     for grade in (b.pass_label, b.fail_label)]
    note = ("<p>Letter rows count every student's letter on the scale; the P, NP, S and U rows count what "
            "students on those grading bases record instead.</p>")
    return _table(["grade", *course.tracks], rows) + note


def _assignment_stats(course: Course, results: list[StudentResult]) -> str:
    rows = []
    for a in course.assignments.values():
        outs = [r.outcomes[a.name] for r in results]
        pcts = [float(o.percent) for o in outs] or [0.0]
        rows.append([a.title, f"{statistics.fmean(pcts):.1f}", f"{statistics.median(pcts):.1f}", f"{min(pcts):.1f}",
                     f"{max(pcts):.1f}", sum(o.raw_score is None for o in outs), sum(bool(o.zeroed) for o in outs),
                     sum(o.days_used for o in outs)])
    return _table(["assignment", "mean %", "median %", "min %", "max %", "missing", "zeroed (late)", "late days used"], rows)


def _late_day_usage(course: Course, results: list[StudentResult]) -> str:
    used = Counter(r.late_days_used for r in results)
    rows = [[n, used[n]] for n in range(course.late_days.per_student + 1)]
    return _table(["late days used", "students"], rows)


def _integrity_cases(course: Course, results: list[StudentResult]) -> str:
    """Academic-integrity outcomes applied, per assignment: cases, zero credit, points set, students."""
    found = [(r, o) for r in results for o in r.outcomes.values() if o.integrity]
    students = len({r.student.sid for r, _ in found})
    head = (f"<p>{len(found)} case{'s' if len(found) != 1 else ''} from the integrity outcomes applied "
            f"({students} student{'s' if students != 1 else ''}); each student's explanation cites the case.</p>")
    if not found:
        return head
    rows = []
    for a in course.assignments.values():
        here = [o for _, o in found if o.name == a.name]
        if here:
            rows.append([a.title, len(here), sum(o.points == 0 for o in here), sum(o.points != 0 for o in here)])
    return head + _table(["assignment", "cases", "zero credit", "points set"], rows)


def report_html(course: Course, results: list[StudentResult]) -> str:
    """The whole page as a string."""
    name, term = html.escape(course.name), html.escape(course.term)
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>Final grades: {name} ({term})</title>",
             f"<style>{CSS}</style></head><body>",
             f"<h1>Final grades: {name}</h1>" + (f"<p class='term'>Term: {term}</p>" if term else ""),
             f"<p>{len(results)} students. Scores are rounded half up once to {course.decimals} decimals; "
             "dashed lines are the letter cutoffs of each track's scale.</p><h2>Score distribution per track</h2>"]
    by_track = {t: [float(r.final_score) for r in results if r.student.track == t] for t in course.tracks}
    if results:
        parts.append(f"<img alt='histograms of final scores per track' src='data:image/png;base64,{histograms_png(course, by_track)}'>")
    parts += ["<h2>Letters</h2>", _letter_counts(course, results),
              "<h2>Assignments</h2>", _assignment_stats(course, results),
              "<h2>Late days</h2>", _late_day_usage(course, results),
              "<h2>Academic integrity</h2>", _integrity_cases(course, results), "</body></html>"]
    return "\n".join(parts)


def mean_score(results: list[StudentResult]) -> Decimal:
    """Mean final score (for summaries)."""
    return sum((r.final_score for r in results), Decimal(0)) / max(1, len(results))
