"""Scores graded locally (``autograder batch`` / ``regrade`` / ``export``) as columns of the grade export.

``autograder grades EXPORT.csv --local hw3=hw3_grades.csv`` replaces Homework 3's column of Gradescope's
export with the batch CSV's scores, submission times and lateness, so that a local (re)grade reaches the
letters without merging spreadsheets by hand. Without EXPORT, the batch CSVs alone make the class (every
other assignment then has no score). The batch CSV's columns used: ``sid`` (group members joined by
``; ``), ``name``, ``email``, ``score``, ``max_score``, ``submission_time``, ``lateness``
(:data:`autograder.batch.core.FIXED`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

from autograder.course import Course, CourseConfigError
from autograder.grades.errors import GradesInputError, cell_error
from autograder.grades.grade_exports import (ExportScore, ExportStudent, GradescopeExport, _decimal, _lateness,
                                             _time)
from autograder.grades.inputs import _rows


def parse_local(text: str) -> tuple[str, Path]:
    """``"hw3=out/hw3_grades.csv"`` -> ``("hw3", Path("out/hw3_grades.csv"))``; ValueError otherwise."""
    name, sep, path = text.partition("=")
    if not sep or not name.strip() or not path.strip():
        raise ValueError(f"{text!r}: expected ASSIGNMENT=BATCH.csv, e.g. hw3=hw3_grades.csv")
    return name.strip(), Path(path.strip())


EMAIL = "email:"
"""Key prefix of a batch line whose submitter has an email but no SID."""


def read_batch_csv(path: Path, assignment: str) -> dict[str, tuple[ExportScore, str, str, int]]:
    """``{sid: (score line, name, email, row)}`` from a batch CSV (``email:<address>`` for a submitter with no SID). An SID on two submissions keeps the later
    one (the batch's notes say so); group submissions give each member the group's line."""
    path = Path(path)
    if not path.is_file():
        raise GradesInputError(f"{path}: no such file; give the CSV `autograder batch {assignment}` or "
                               f"`autograder export {assignment}` wrote")
    out: dict[str, tuple[ExportScore, str, str, int]] = {}
    for n, r in _rows(path, ("sid", "score", "max_score", "submission_time", "lateness")):
        line = ExportScore(
            score=_decimal(path.name, n, "score", r["score"], blank_ok=True),
            max_points=_decimal(path.name, n, "max_score", r["max_score"], blank_ok=False),  # type: ignore[arg-type]
            submitted=_time(path.name, n, "submission_time", r["submission_time"]),
            lateness=_lateness(path.name, n, "lateness", r["lateness"]),
        )
        sids = [s.strip() for s in r["sid"].split(";")]
        names = [s.strip() for s in r.get("name", "").split(";")]
        emails = [s.strip() for s in r.get("email", "").split(";")]
        for i, sid in enumerate(sids):
            email = emails[i] if i < len(emails) else ""
            if not sid and not email:
                raise cell_error(path.name, n, "sid", r["sid"], "has a submitter with neither SID nor email: give "
                                 "the submission a student ID (a folder's notebook is named <sid>.ipynb)")
            key = sid or EMAIL + email.lower()  # matched by email against the export (as the roster does)
            old = out.get(key)
            if old is None or _when(line) >= _when(old[0]):
                out[key] = (line, names[i] if i < len(names) else "", email, n)
    return out


def _when(line: ExportScore) -> dt.datetime:
    return line.submitted or dt.datetime.min.replace(tzinfo=dt.timezone.utc)


def with_local(course: Course, export: GradescopeExport | None, local: list[tuple[str, Path]],
               roster_sids: list[str] = ()) -> GradescopeExport:  # type: ignore[assignment]
    """The export with each ``(assignment, batch CSV)``'s column replaced by the batch's scores (students
    absent from the batch keep the export's cell). Without an export, the batch CSVs' students and
    ``roster_sids`` make it.
    An SID in a batch CSV but not in the export is refused (file, row, column)."""
    batches = []
    for name, path in local:
        try:
            a = course.assignment(name)
        except CourseConfigError as exc:
            raise GradesInputError(f"--local {name}={path}: {exc}") from None
        if a.parts:
            raise GradesInputError(f"--local {name}={path}: {a.name} is made of several Gradescope columns "
                                   f"({', '.join(p.name for p in a.parts)}); a batch grades one, so merge it into "
                                   "the export's column for that part instead")
        batches.append((a, path, read_batch_csv(path, a.name)))
    if export is None:
        export = _empty_export(course, batches, roster_sids)
    columns = list(export.assignments)
    by_email = {st.email.lower(): st.sid for st in export.students if st.email and st.sid}
    by_norm = {" ".join(c.lower().split()): c for c in columns}
    students = {st.sid: st for st in export.students}
    for a, path, rows in batches:
        column = next((by_norm[" ".join(n.lower().split())] for n in a.gradescope_names
                       if " ".join(n.lower().split()) in by_norm), None)
        if column is None:
            column = a.gradescope_names[0]
            columns.append(column)
            blank = ExportScore(None, Decimal(str(a.max_points)), None, dt.timedelta(0))
            students = {sid: _with(st, column, blank) for sid, st in students.items()}
        for key, (line, _name, _email, n) in rows.items():
            sid = by_email.get(key[len(EMAIL):], key) if key.startswith(EMAIL) else key
            if sid.startswith(EMAIL):
                raise cell_error(path.name, n, "sid", "", f"is empty and {key[len(EMAIL):]} is no student's email in "
                                 f"{export.path.name}; enter the SID in Gradescope and export again")
            if sid not in students:
                raise cell_error(path.name, n, "sid", sid, f"is not a student in {export.path.name}; check the SID, "
                                 "or add the student to Gradescope's roster and download the grades again")
            students[sid] = _with(students[sid], column, line)
    return GradescopeExport(export.path, tuple(columns), tuple(students.values()))


def _with(st: ExportStudent, column: str, line: ExportScore) -> ExportStudent:
    return dataclasses.replace(st, submissions={**st.submissions, column: line})


def _empty_export(course: Course, batches: list, roster_sids) -> GradescopeExport:  # type: ignore[no-untyped-def]
    """An export of the roster's and batch CSVs' students with no scores: each course.yaml assignment (or
    part) a blank column."""
    columns, blank = [], {}
    for a in course.assignments.values():
        for name, points in ([(p.gradescope_names[0], p.points) for p in a.parts] if a.parts
                             else [(a.gradescope_names[0], a.max_points)]):
            columns.append(name)
            blank[name] = ExportScore(None, Decimal(str(points)), None, dt.timedelta(0))
    people: dict[str, ExportStudent] = {sid: ExportStudent(0, sid, "", "", "", "", dict(blank)) for sid in roster_sids}
    for _a, path, rows in batches:
        for sid, (_line, name, email, n) in rows.items():
            if sid.startswith(EMAIL):
                raise cell_error(path.name, n, "sid", "", f"is empty ({email}); without Gradescope's export every "
                                 "line needs a student ID")
            if sid not in people or not people[sid].email:
                first, _, last = name.partition(" ")
                people[sid] = ExportStudent(n, sid, first, last, email, "", dict(blank))
    return GradescopeExport(Path(batches[0][1]) if batches else Path("local"), tuple(columns),
                            tuple(people.values()))
