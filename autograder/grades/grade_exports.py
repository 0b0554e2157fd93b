"""Read grade exports: Gradescope's course "Download Grades" CSV (and Canvas's gradebook export).

(Not to be confused with ``autograder.gradescope``, which builds the autograder zip and runs
inside Gradescope.)

Gradescope export layout: ``First Name, Last Name, SID, Email, [section_name],``
then four columns per assignment (``<A>``, ``<A> - Max Points``,
``<A> - Submission Time``, ``<A> - Lateness (H:M:S)``) and a final
``Total Lateness (H:M:S)``.  Quirks handled: hours of one digit or above 24
(``0:05:00``, ``225:07:02``), a blank score for missing work, a quoted empty
SID, scores above the maximum (extra credit, kept).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from autograder.grades.errors import GradesInputError, cell_error

SUFFIXES = (" - Max Points", " - Submission Time", " - Lateness (H:M:S)")
IDENTITY = ("First Name", "Last Name", "SID", "Email")
_HMS = re.compile(r"^(\d+):([0-5]\d):([0-5]\d)$")


@dataclass(frozen=True)
class ExportScore:
    """One student's score for one assignment in the grade export (not a submission to grade:
    that is ``autograder.batch.inputs.Submission``)."""

    score: Decimal | None
    """Points earned; ``None`` when the export cell is blank (no submission or not graded)."""
    max_points: Decimal
    """The assignment's maximum in Gradescope."""
    submitted: dt.datetime | None
    """Time of the graded submission (aware), ``None`` when not submitted."""
    lateness: dt.timedelta
    """How late past the due date; zero when on time or not submitted."""


@dataclass(frozen=True)
class ExportStudent:
    """One row of the export."""

    row: int
    """Row number as a spreadsheet shows it (the header is row 1)."""
    sid: str
    """Student ID as written (may be empty)."""
    first_name: str
    """First name."""
    last_name: str
    """Last name."""
    email: str
    """Email."""
    section: str
    """``section_name`` when the course is linked with Canvas, else empty."""
    submissions: dict[str, ExportScore]
    """``{assignment name as spelled in the export: its score, time and lateness}``."""

    @property
    def name(self) -> str:
        """``"First Last"``."""
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class GradescopeExport:
    """A whole export."""

    path: Path
    """File read."""
    assignments: tuple[str, ...]
    """Assignment names in column order, as spelled in the export."""
    students: tuple[ExportStudent, ...]
    """Rows in file order."""


def parse_lateness(text: str) -> dt.timedelta:
    """``"225:07:02"`` -> 225 h 7 min 2 s; hours may have any number of digits. ValueError if not H:M:S."""
    match = _HMS.match(text.strip())
    if not match:
        raise ValueError(text)
    h, m, s = (int(g) for g in match.groups())
    return dt.timedelta(hours=h, minutes=m, seconds=s)


def parse_submission_time(text: str) -> dt.datetime:
    """``"2020-07-06 17:13:14 -0700"`` -> aware datetime. ValueError if not in that form."""
    text = text.strip()
    if len(text) == 25 and text[19] == " " and text[10] == " ":
        try:  # fast path (Python >= 3.11 reads "-0700"); strptime is ~20x slower
            when = dt.datetime.fromisoformat(text[:19] + text[20:])
            if when.tzinfo is not None:
                return when
        except ValueError:
            pass
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z")


def assignment_names(header: list[str]) -> list[str]:
    """Assignment names from a header: columns ``X`` followed by ``X - Max Points``."""
    present = set(header)
    return [h for h in header if h + " - Max Points" in present]


def read_export(path: str | Path) -> GradescopeExport:
    """Parse a Gradescope course export; GradesInputError names file, row and column of any problem."""
    path = Path(path)
    rows = _read_rows(path)
    if not rows:
        raise GradesInputError(f"{path.name}: empty file; expected Gradescope's 'Download Grades' CSV")
    header = [h.strip() for h in rows[0]]
    _check_header(path.name, header)
    names = assignment_names(header)
    index = {h: i for i, h in enumerate(header)}
    students = tuple(
        _student(path.name, n, row, header, index, names)
        for n, row in enumerate(rows[1:], start=2)
        if any(cell.strip() for cell in row)
    )
    return GradescopeExport(path, tuple(names), students)


def _read_rows(path: Path) -> list[list[str]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            return list(csv.reader(fh))
    except OSError as exc:
        raise GradesInputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise GradesInputError(f"{path.name}: not a UTF-8 CSV file: {exc}") from None


def _check_header(file: str, header: list[str]) -> None:
    missing = [c for c in IDENTITY if c not in header]
    if missing:
        raise GradesInputError(
            f"{file}, row 1: missing column(s) {', '.join(map(repr, missing))}; "
            "expected Gradescope's course export (First Name, Last Name, SID, Email, then 4 columns per assignment)"
        )
    for name in assignment_names(header):
        for suffix in SUFFIXES:
            if name + suffix not in header:
                raise GradesInputError(f"{file}, row 1: column {name + suffix!r} is missing (every assignment has 4 columns)")


def _student(file: str, n: int, row: list[str], header: list[str], index: dict[str, int], names: list[str]) -> ExportStudent:
    if len(row) != len(header):
        raise GradesInputError(f"{file}, row {n}: {len(row)} cells but the header has {len(header)} columns")

    def cell(col: str) -> str:
        return row[index[col]].strip() if col in index else ""

    subs = {a: _submission(file, n, a, cell) for a in names}
    return ExportStudent(n, cell("SID"), cell("First Name"), cell("Last Name"), cell("Email"), cell("section_name"), subs)


def _submission(file: str, n: int, name: str, cell) -> ExportScore:
    return ExportScore(
        score=_decimal(file, n, name, cell(name), blank_ok=True),
        max_points=_decimal(file, n, name + " - Max Points", cell(name + " - Max Points"), blank_ok=False),
        submitted=_time(file, n, name + " - Submission Time", cell(name + " - Submission Time")),
        lateness=_lateness(file, n, name + " - Lateness (H:M:S)", cell(name + " - Lateness (H:M:S)")),
    )


def _decimal(file: str, n: int, col: str, text: str, blank_ok: bool) -> Decimal | None:
    if not text:
        if blank_ok:
            return None
        raise cell_error(file, n, col, text, "is blank; expected a number")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise cell_error(file, n, col, text, "is not a number") from None
    if not value.is_finite() or value < 0:
        raise cell_error(file, n, col, text, "is not a finite number >= 0")
    return value


def _time(file: str, n: int, col: str, text: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        return parse_submission_time(text)
    except ValueError:
        raise cell_error(file, n, col, text, "is not a time like '2025-01-22 23:59:00 -0800'") from None


def _lateness(file: str, n: int, col: str, text: str) -> dt.timedelta:
    if not text:
        return dt.timedelta(0)
    try:
        return parse_lateness(text)
    except ValueError:
        raise cell_error(file, n, col, text, "is not H:M:S (hours:minutes:seconds, e.g. '26:05:00')") from None


# --------------------------------------------------------------------- Canvas


@dataclass(frozen=True)
class CanvasGradebook:
    """A Canvas gradebook export: header, points possible, student rows."""

    header: tuple[str, ...]
    """Column names; assignment columns are ``Name (id)``."""
    points_possible: dict[str, str]
    """``{column: points}`` from the "Points Possible" row (``"(read only)"`` for computed columns)."""
    students: tuple[dict[str, str], ...]
    """One ``{column: value}`` per student."""


CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


def read_canvas(path: str | Path) -> CanvasGradebook:
    """Parse a Canvas gradebook export, skipping its "Manual Posting" and "Points Possible" rows."""
    path = Path(path)
    rows = _read_rows(path)
    header = tuple(h.strip() for h in rows[0]) if rows else ()
    missing = [c for c in CANVAS_IDENTITY if c not in header]
    if missing:
        raise GradesInputError(f"{path.name}, row 1: missing column(s) {', '.join(map(repr, missing))}; expected a Canvas gradebook export")
    points: dict[str, str] = {}
    students = []
    for row in rows[1:]:
        first = row[0].strip() if row else ""
        if first == "Points Possible":
            points = {h: v.strip() for h, v in zip(header, row) if v.strip()}
        elif first:
            students.append(dict(zip(header, (v.strip() for v in row))))
    return CanvasGradebook(header, points, tuple(students))
