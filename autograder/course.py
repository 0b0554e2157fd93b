"""Load ``course.yaml``: the syllabus's grading rules as validated, frozen data.

``load_course(path)`` reads the YAML, validates it with a JSON schema and then
with cross-field checks (weights add to 100, assignments exist, no letter
cutoff stricter than the published scale, ...).  Every problem raises
``CourseConfigError`` whose message names the file, the key path, the bad
value and what is allowed, e.g.::

    course.yaml: key 'late_days.max_per_assignment': value -1 is not allowed; allowed: an integer >= 0

Dates written as ``2025-01-22`` mean 11:59 pm in the course's time zone; full
ISO timestamps are taken as written.  Reference: ``docs/course-yaml.md``.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from autograder.sandbox.limits import Limits


def _import_jsonschema():
    """Import jsonschema without its optional ``rfc3987_syntax`` IRI checker, which builds a
    grammar at import (about 1 s here).  We use no IRI formats; if jsonschema is already
    imported by someone else, it is reused as is."""
    import sys

    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        import jsonschema
        return jsonschema
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # makes its import fail fast
    try:
        import jsonschema
    finally:
        del sys.modules["rfc3987_syntax"]
    return jsonschema


def _validation_cache_marker(text: str) -> Path:
    """Where a successful schema validation of exactly this text is remembered,
    so grading (which loads the course once per submission) skips jsonschema."""
    import hashlib

    digest = hashlib.sha256((text + repr(SCHEMA)).encode("utf-8")).hexdigest()[:32]
    return cache_dir() / f"course-valid-{digest}"


def cache_dir() -> Path:
    """Where the platform remembers checks that passed ($XDG_CACHE_HOME/autograder, else under the temp folder)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path(tempfile.gettempdir()) / f"autograder-cache-{os.getuid()}")
    return base / "autograder"

COURSE_FILE = "course.yaml"
ENV_VAR = "AUTOGRADER_COURSE"
LETTERS = ("A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F")
SCALE_LETTERS = LETTERS[1:]  # A+ is awarded by rank, not by cutoff


class CourseConfigError(ValueError):
    """course.yaml is missing, unreadable or breaks a rule; the message says where and why."""


# ------------------------------------------------------------------ the options, declared once
#
# Every key of course.yaml is declared here once: its JSON Schema, its default and its help.
# The schema (``SCHEMA``), the dataclasses' defaults below (``default(key)``) and the table in
# docs/course-yaml.md (``python -m autograder.course --docs``) are all made from this list.
# ``<name>`` in a key stands for a name the course chooses (an assignment, a track, ...).

_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?([+-]\d{2}:?\d{2}|Z)?)?$"}
_NAME = {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9_-]*$"}
_HHMM = {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$"}
_CUTOFF = {"type": "number", "minimum": 0, "maximum": 100}
_NO_DEFAULT = object()


@dataclass(frozen=True)
class Option:
    """One key of course.yaml."""

    key: str
    """Dotted path; ``<name>`` stands for a name the course chooses (``assignments.<name>.due``)."""
    help: str
    """What it means, for the docs table."""
    schema: dict[str, Any] = field(default_factory=dict)
    """JSON Schema of its value (for a section: constraints added to the generated object schema)."""
    default: Any = _NO_DEFAULT
    """Its default when absent (none: required, or no default)."""
    required: bool = False
    """Must be present in its section."""
    shown_default: str = ""
    """The docs table's default column when the default is not a plain value (``release = due``)."""
    documented: bool = True
    """A row of its own in the docs table (False for e.g. each letter of ``letter_scale``)."""

    def default_text(self) -> str:
        """The docs table's default column."""
        if self.shown_default:
            return self.shown_default
        if self.required:
            return "required"
        if self.default is _NO_DEFAULT:
            return ""
        value = self.default
        if isinstance(value, str):
            return f"`{value}`" if value else '`""`'
        if isinstance(value, bool):
            return f"`{str(value).lower()}`"
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return f"`{value}`"


def _limits_options() -> list[Option]:
    """``grading.*``: declared once, on the sandbox's ``Limits`` (its fields' metadata)."""
    import dataclasses as _dc

    return [Option(f"grading.{f.name}", f.metadata["help"], dict(f.metadata["schema"]), f.default)
            for f in _dc.fields(Limits) if f.metadata.get("course_yaml")]


OPTIONS: tuple[Option, ...] = (
    Option("course", "who and when, for reports"),
    Option("course.name", "course name, shown in reports", {"type": "string"}, ""),
    Option("course.term", "term, shown in reports", {"type": "string"}, ""),
    Option("course.timezone", "IANA zone of bare dates", {"type": "string"}, "America/Los_Angeles"),
    Option("components", "weighted parts of the final score", {"minProperties": 1}, required=True),
    Option("components.<name>.title", "shown in reports and explanations", {"type": "string"}, shown_default="name"),
    Option("components.<name>.weight", "percent of the final score; all weights must add to 100",
           {"type": "number", "exclusiveMinimum": 0, "maximum": 100}, required=True),
    Option("components.<name>.combine", "`mean_percent` (mean of assignment percentages) or `total_points` "
           "(points over maximum)", {"enum": ["mean_percent", "total_points"]}, "mean_percent"),
    Option("components.<name>.assignments", "assignments in it; each assignment in exactly one component",
           {"type": "array", "minItems": 1, "items": _NAME, "uniqueItems": True}, required=True),
    Option("assignments", "every graded piece of work", {"minProperties": 1}, required=True),
    Option("assignments.<name>.title", "human title", {"type": "string"}, shown_default="name"),
    Option("assignments.<name>.kind", "`homework`, `exam`, `project`, ...", {"type": "string"}, "homework"),
    Option("assignments.<name>.release", "release date (a bare date is 00:00); not after due", _DATE,
           shown_default="due"),
    Option("assignments.<name>.due", "due date (a bare date is 11:59 pm); on Gradescope the due date students see "
           "there decides lateness, this one is the fallback (batch grading)", _DATE, required=True),
    Option("assignments.<name>.max_points", "points it is out of (> 0)", {"type": "number", "exclusiveMinimum": 0},
           required=True),
    Option("assignments.<name>.late", "`late_days` (spend late days), `firm` (any lateness past grace earns 0), "
           "`ignore` (exams)", {"enum": ["late_days", "firm", "ignore"]}, "late_days"),
    Option("assignments.<name>.gradescope", "names it may have in a Gradescope export (case and spacing ignored)",
           {"type": "array", "items": {"type": "string", "minLength": 1}}, shown_default="[title]"),
    Option("assignments.<name>.questions", "`{question: points}` for questions the policy must know; a question is "
           "a `task` of the hidden suite (`FullyConnectedNet`)",
           {"type": "object", "additionalProperties": {"type": "number", "exclusiveMinimum": 0}}, shown_default="`{}`"),
    Option("assignments.<name>.optional_for", "`{track: [questions]}`: their points leave both score and maximum "
           "for that track", {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
           shown_default="`{}`"),
    Option("assignments.<name>.parts", "several Gradescope columns making one assignment (code + written); their "
           "points add up to `max_points`; exclusive with `gradescope`", {"minProperties": 2}, shown_default="none"),
    Option("assignments.<name>.parts.<name>.gradescope", "names of the part's column in a Gradescope export",
           {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}, required=True),
    Option("assignments.<name>.parts.<name>.points", "the part's share of `max_points` (its column is scaled to it)",
           {"type": "number", "exclusiveMinimum": 0}, required=True),
    Option("late_days", "the late-day rules", required=True),
    Option("late_days.per_student", "late days for the quarter", {"type": "integer", "minimum": 0}, 3),
    Option("late_days.max_per_assignment", "most on one assignment; needing more earns 0",
           {"type": "integer", "minimum": 0}, 2),
    Option("late_days.grace_minutes", "lateness up to this is forgiven; it is subtracted before counting days",
           {"type": "integer", "minimum": 0, "maximum": 1440}, 0),
    Option("late_days.spend", "`in_order` (due-date order) or `best_for_student` (the affordable set that raises "
           "the final score most; ties: fewer days, then earlier assignments)",
           {"enum": ["in_order", "best_for_student"]}, "in_order"),
    Option("letter_scale", "the published scale: lowest score of each letter A ... D-, F = 0, strictly decreasing; "
           "a score equal to a cutoff takes that (higher) letter", required=True),
    *(Option(f"letter_scale.{letter}", f"lowest score of {letter}", _CUTOFF, required=True, documented=False)
      for letter in SCALE_LETTERS),
    Option("tracks", "groups graded on their own scale (C147, C247, MSOL)", {"minProperties": 1}, required=True),
    Option("tracks.<name>.course", "catalogue name (C147)", {"type": "string"}, shown_default="name"),
    Option("tracks.<name>.aliases", "spellings accepted in the roster", {"type": "array", "items": {"type": "string"}},
           shown_default="`[]`"),
    Option("tracks.<name>.relax", "lower cutoffs for this track; a cutoff above the published one is refused",
           shown_default="none"),
    *(Option(f"tracks.<name>.relax.{letter}", f"lowest score of {letter} for the track", _CUTOFF, documented=False)
      for letter in SCALE_LETTERS),
    Option("default_track", "track used when no roster is given", {"type": "string"}, shown_default="first track"),
    Option("a_plus", "per track, the top N (`count`) or N % rounded up (`percent`) of the A students on a letter "
           "basis get A+; ties with the last one included also do", {"maxProperties": 1}, shown_default="none"),
    Option("a_plus.count", "the top N A students", {"type": "integer", "minimum": 0}, documented=False),
    Option("a_plus.percent", "the top N % of the A students", {"type": "number", "minimum": 0, "maximum": 100},
           documented=False),
    Option("bonuses", "points added to the weighted score"),
    Option("bonuses.evaluation.points", "added for a completed course evaluation",
           {"type": "number", "minimum": 0, "maximum": 5}, 0.5),
    Option("bonuses.piazza.max_points", "Piazza bonus cap", {"type": "number", "minimum": 0, "maximum": 5}, 1.5),
    Option("bonuses.piazza.curve", "`percentile_rank` (cap × share of participants at or below you), `linear` "
           "(cap × you / class maximum), `none` (raw points, capped); no participation gets 0",
           {"enum": ["percentile_rank", "linear", "none"]}, "percentile_rank"),
    Option("grading_bases", "what P/NP and S/U mean"),
    Option("grading_bases.letter", "the letter basis (no settings)", {"type": "object", "maxProperties": 0},
           documented=False),
    *(opt for basis, (ok, ko, low) in (("pnp", ("P", "NP", "C")), ("su", ("S", "U", "B"))) for opt in (
        Option(f"grading_bases.{basis}.pass", "label of a pass", {"type": "string", "minLength": 1}, ok, required=True,
               shown_default=f"`{ok}` (all three are required when `{basis}` is written)"),
        Option(f"grading_bases.{basis}.fail", "label of a fail", {"type": "string", "minLength": 1}, ko, required=True,
               shown_default=f"`{ko}`"),
        Option(f"grading_bases.{basis}.lowest_passing", "lowest letter that passes", {"enum": list(SCALE_LETTERS)},
               low, required=True, shown_default=f"`{low}`"))),
    Option("rounding", "the final score is rounded once, half up, and that number decides the letter"),
    Option("rounding.decimals", "decimals of the final score", {"type": "integer", "minimum": 0, "maximum": 4}, 2),
    Option("rounding.mode", "`half_up` only", {"enum": ["half_up"]}, "half_up"),
    Option("exams", "when and where each track sits an exam (keys are assignment names)"),
    Option("exams.<name>.alternate_times", "whether alternate sittings exist", {"type": "boolean"}, False),
    Option("exams.<name>.no_alternate_times_text", "the syllabus's words quoted when a request for another "
           "sitting is refused (alternate_times false); empty: a plain refusal", {"type": "string"}, ""),
    Option("exams.<name>.sittings", "`{track: sitting}`", required=True),
    Option("exams.<name>.sittings.<name>.date", "day of the exam", _DATE, required=True),
    Option("exams.<name>.sittings.<name>.start", "start time `HH:MM` local, when fixed; needed for extra time (a sitting without it accepts submissions all day)", _HHMM),
    Option("exams.<name>.sittings.<name>.end", "end time `HH:MM` local, after start; needed for extra time", _HHMM),
    Option("exams.<name>.sittings.<name>.where", "`in class`, `remote`, ...", {"type": "string"}, ""),
    Option("regrades", "regrade requests"),
    Option("regrades.window_days", "days after grades are released for regrade requests",
           {"type": "integer", "minimum": 0}, 7),
    Option("regrades.adjustments", "the instructor's `adjustments.csv` (`SID, assignment, delta` or `new_score`, "
           "`reason, by, date`; a path relative to course.yaml), read by `autograder grades` unless "
           "`--adjustments` names another (docs/course-yaml.md, 'Inputs of autograder grades')", {"type": "string", "minLength": 1}, shown_default="none"),
    Option("integrity", "academic-integrity outcomes that reach final grades (docs/integrity.md)"),
    Option("integrity.outcomes", "the instructor's `integrity.csv` (`SID, assignment, outcome, case`; a path "
           "relative to course.yaml), read by `autograder grades` unless `--integrity` names another",
           {"type": "string", "minLength": 1}, shown_default="none"),
    Option("grading", "limits for grading one submission (the sandbox's `Limits`)"),
    *_limits_options(),
    Option("gradescope", "what Gradescope shows"),
    Option("gradescope.hidden_test_visibility", "visibility of the hidden tests: `after_published` (when the "
           "instructor publishes grades), `after_due_date` (when the student's due date has passed) or `hidden`",
           {"enum": ["after_published", "after_due_date", "hidden"]}, "after_published"),
    Option("gradescope.stdout_visibility", "visibility of the autograder's log: `hidden`, `after_due_date`, "
           "`after_published`, `visible`", {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
           "hidden"),
)
_BY_KEY = {o.key: o for o in OPTIONS}


def default(key: str) -> Any:
    """The declared default of option ``key`` (``"late_days.per_student"`` -> 3)."""
    value = _BY_KEY[key].default
    if value is _NO_DEFAULT:
        raise KeyError(f"course.yaml option {key!r} has no default")
    return value


def _schema_of(options: tuple[Option, ...]) -> dict[str, Any]:
    """The JSON Schema of course.yaml, from the declarations: a section is an object that allows
    only its declared keys; ``<name>`` allows any name of letters, digits, '_' and '-'."""
    tree: dict[str, Any] = {"option": None, "children": {}}
    for opt in options:
        node = tree
        for seg in opt.key.split("."):
            node = node["children"].setdefault(seg, {"option": None, "children": {}})
        node["option"] = opt

    def render(node: dict[str, Any]) -> dict[str, Any]:
        opt: Option | None = node["option"]
        children: dict[str, Any] = node["children"]
        if not children:
            return dict(opt.schema) if opt else {}
        schema: dict[str, Any] = {"type": "object"}
        if "<name>" in children:
            schema["propertyNames"] = _NAME
            schema["additionalProperties"] = render(children["<name>"])
        else:
            schema["additionalProperties"] = False
            schema["properties"] = {seg: render(child) for seg, child in children.items()}
            required = [seg for seg, child in children.items() if child["option"] and child["option"].required]
            if required:
                schema["required"] = required
        if opt:
            schema.update(opt.schema)
        return schema

    return render(tree)


def docs_table() -> str:
    """The table of every option for docs/course-yaml.md (key, meaning, default)."""
    lines = ["| key | meaning | default |", "| --- | --- | --- |"]
    for opt in OPTIONS:
        if opt.documented:
            lines.append(f"| `{opt.key}` | {opt.help} | {opt.default_text()} |")
    return "\n".join(lines) + "\n"


DOCS_BEGIN = "<!-- options table: generated by `python -m autograder.course --docs`; do not edit by hand -->\n"
DOCS_END = "<!-- end of options table -->\n"


def docs_with_table(text: str) -> str:
    """``text`` (docs/course-yaml.md) with the generated table between its markers."""
    if DOCS_BEGIN not in text or DOCS_END not in text:
        raise ValueError("docs/course-yaml.md has no options-table markers")
    head, rest = text.split(DOCS_BEGIN, 1)
    _, tail = rest.split(DOCS_END, 1)
    return head + DOCS_BEGIN + docs_table() + DOCS_END + tail


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class AssignmentPart:
    """One Gradescope column of an assignment made of several (a homework's code and written parts)."""

    name: str
    """Key under ``parts``, e.g. ``"code"``."""
    points: float
    """Its share of the assignment's ``max_points``: the column's score is scaled to it
    (``points × score / the column's Max Points``)."""
    gradescope_names: tuple[str, ...]
    """Names its column may have in a Gradescope export (matched ignoring case and spaces)."""


@dataclass(frozen=True)
class AssignmentPolicy:
    """One graded piece of work (a homework, the midterm, the project)."""

    name: str
    """Key in course.yaml, e.g. ``"hw1"``."""
    title: str
    """Human title, e.g. ``"Homework 1"``."""
    kind: str
    """``"homework"``, ``"exam"``, ``"project"`` or another word the course uses."""
    release: dt.datetime
    """Release time, timezone-aware (a bare date means 00:00 local that day)."""
    due: dt.datetime
    """Due time, timezone-aware (a bare date means 23:59 in ``course.timezone``). On Gradescope the
    due date the student sees there wins (``autograder.lateness.due_date``); this is the fallback."""
    max_points: float
    """Points the assignment is out of (before any optional question is removed)."""
    optional_for: dict[str, list[str]] = field(default_factory=dict)
    """``{track: [question names]}``: questions a track may skip; their points leave score and maximum."""
    questions: dict[str, float] = field(default_factory=dict)
    """``{question name: max points}`` for the questions the policy needs to know (optional ones)."""
    late: str = "late_days"
    """``"late_days"`` (spend late days), ``"firm"`` (late past grace earns 0), ``"ignore"`` (exams)."""
    gradescope_names: tuple[str, ...] = ()
    """Names this assignment may have in a Gradescope export (matched ignoring case and spaces);
    empty when it is made of ``parts``."""
    parts: tuple[AssignmentPart, ...] = ()
    """Several Gradescope columns that together make the assignment (code + written), whose
    points add up to ``max_points``; empty for an assignment of one column."""
    component: str = ""
    """Name of the component (``"homework"``) this assignment counts toward."""

    def max_points_for(self, track: str) -> Decimal:
        """Maximum points for a student of ``track``: optional questions' points removed."""
        dropped = sum(Decimal(str(self.questions[q])) for q in self.optional_for.get(track, []))
        return Decimal(str(self.max_points)) - dropped


@dataclass(frozen=True)
class Component:
    """A weighted part of the final score (homework 40 %, midterm 30 %, project 30 %)."""

    name: str
    """Key in course.yaml, e.g. ``"homework"``."""
    title: str
    """Human title, e.g. ``"Homework"``."""
    weight: Decimal
    """Percentage points of the final score, e.g. ``Decimal(40)``."""
    combine: str
    """``"mean_percent"`` (mean of assignment percentages) or ``"total_points"``."""
    assignments: tuple[str, ...]
    """Assignment names in this component, in the order written."""


@dataclass(frozen=True)
class LateDayPolicy:
    """The late-day rules."""

    per_student: int = default("late_days.per_student")
    """Late days each student has for the whole quarter."""
    max_per_assignment: int = default("late_days.max_per_assignment")
    """Most late days usable on one assignment; later than that earns 0."""
    grace_minutes: int = default("late_days.grace_minutes")
    """Lateness up to this many minutes is forgiven (and subtracted before counting days)."""
    spend: str = default("late_days.spend")
    """``"in_order"`` (due-date order) or ``"best_for_student"`` (the choice giving the highest score)."""


@dataclass(frozen=True)
class Track:
    """A group of students graded on its own scale (C147, C247, MSOL)."""

    name: str
    """Key in course.yaml, e.g. ``"undergraduate"``."""
    course: str
    """Catalogue name, e.g. ``"C147"``."""
    aliases: tuple[str, ...]
    """Other spellings accepted in a roster (matched ignoring case)."""
    scale: tuple[tuple[str, Decimal], ...]
    """``((letter, lowest score), ...)`` from A down to F; a score equal to a cutoff takes that letter."""


@dataclass(frozen=True)
class APlusRule:
    """How many of a track's A students receive A+."""

    count: int | None = None
    """The top ``count`` A students (ties with the last included also get A+)."""
    percent: Decimal | None = None
    """Or the top ``percent`` % of A students, rounded up to a whole student."""

    def how_many(self, n_a: int) -> int:
        """Number of A+ to award among ``n_a`` students with an A."""
        if self.count is not None:
            return min(self.count, n_a)
        if self.percent is None or n_a == 0:
            return 0
        return min(n_a, math.ceil(Decimal(n_a) * self.percent / 100))


@dataclass(frozen=True)
class BonusPolicy:
    """Points added on top of the weighted score."""

    evaluation_points: Decimal = Decimal(str(default("bonuses.evaluation.points")))
    """Added for a completed course evaluation."""
    piazza_max_points: Decimal = Decimal(str(default("bonuses.piazza.max_points")))
    """Most points for Piazza participation."""
    piazza_curve: str = default("bonuses.piazza.curve")
    """``"percentile_rank"``, ``"linear"`` (share of the class maximum) or ``"none"`` (raw points, capped)."""


@dataclass(frozen=True)
class GradingBasis:
    """Letter, P/NP or S/U."""

    name: str
    """``"letter"``, ``"pnp"`` or ``"su"``."""
    pass_label: str = ""
    """Recorded grade when the letter is at least ``lowest_passing`` (``"P"``, ``"S"``)."""
    fail_label: str = ""
    """Recorded grade otherwise (``"NP"``, ``"U"``)."""
    lowest_passing: str = ""
    """Lowest letter that passes (``"C"`` for P/NP, ``"B"`` for S/U)."""


@dataclass(frozen=True)
class ExamSitting:
    """When and where one track sits an exam."""

    date: dt.date
    """Day of the exam."""
    start: str | None = None
    """Start time ``"HH:MM"`` local, when fixed."""
    end: str | None = None
    """End time ``"HH:MM"`` local, when fixed."""
    where: str = ""
    """``"in class"``, ``"remote"``, ..."""


@dataclass(frozen=True)
class ExamPolicy:
    """An exam's sittings per track."""

    name: str
    """Key in course.yaml (and assignment name), e.g. ``"midterm"``."""
    sittings: dict[str, ExamSitting]
    """``{track: sitting}``."""
    alternate_times: bool = False
    """Whether alternate sittings exist (the syllabus: no)."""
    no_alternate_times_text: str = ""
    """The syllabus's words quoted when a request for another sitting is refused ("" for none)."""


GradingLimits = Limits
"""Resource limits for grading one submission: course.yaml's ``grading:`` is the sandbox's ``Limits``
(one class; its fields declare the options)."""


@dataclass(frozen=True)
class GradescopePolicy:
    """Visibility of results on Gradescope."""

    hidden_test_visibility: str = default("gradescope.hidden_test_visibility")
    """``"after_published"``, ``"after_due_date"`` or ``"hidden"``."""
    stdout_visibility: str = default("gradescope.stdout_visibility")
    """Visibility of the autograder's stdout: ``"hidden"``, ``"after_published"``, ``"visible"``, ..."""


@dataclass(frozen=True)
class Course:
    """The whole validated course.yaml."""

    root: Path
    """Folder holding course.yaml."""
    path: Path
    """The course.yaml file itself."""
    name: str
    """Course name."""
    term: str
    """Term, e.g. ``"Winter 2025"``."""
    timezone: ZoneInfo
    """Time zone of bare dates."""
    components: tuple[Component, ...]
    """Weighted components in the order written."""
    assignments: dict[str, AssignmentPolicy]
    """``{name: policy}`` in due-date order."""
    late_days: LateDayPolicy
    """Late-day rules."""
    published_scale: tuple[tuple[str, Decimal], ...]
    """The syllabus's absolute scale, ``((letter, cutoff), ...)``."""
    tracks: dict[str, Track]
    """``{name: track}``."""
    default_track: str
    """Track of students with no roster entry for it."""
    a_plus: APlusRule
    """A+ rule (per track)."""
    bonuses: BonusPolicy
    """Bonus rules."""
    grading_bases: dict[str, GradingBasis]
    """``{"letter"|"pnp"|"su": basis}``."""
    decimals: int
    """Decimals of the final score (rounded half up, once)."""
    exams: dict[str, ExamPolicy]
    """``{name: exam}``."""
    regrade_window_days: int
    """Days after grades are released during which regrades are accepted."""
    grading: GradingLimits
    """Resource limits for grading."""
    gradescope: GradescopePolicy
    """Gradescope visibility settings."""
    integrity_outcomes: Path | None = None
    """``integrity.outcomes`` resolved against the course folder (None when not set)."""
    adjustments: Path | None = None
    """``regrades.adjustments`` resolved against the course folder (None when not set)."""

    def assignment(self, name: str) -> AssignmentPolicy:
        """The policy of assignment ``name``; unknown names raise CourseConfigError listing known ones."""
        try:
            return self.assignments[name]
        except KeyError:
            known = ", ".join(self.assignments) or "(none)"
            raise CourseConfigError(
                f"{self.path.name}: no assignment {name!r}; known assignments: {known}"
            ) from None

    def track(self, name: str) -> Track:
        """Track by name or alias (case-insensitive); unknown names raise CourseConfigError."""
        wanted = name.strip().lower()
        for track in self.tracks.values():
            if wanted == track.name.lower() or wanted in (a.lower() for a in track.aliases):
                return track
        allowed = ", ".join(f"{t.name} ({', '.join(t.aliases)})" for t in self.tracks.values())
        raise CourseConfigError(f"unknown track {name!r}; allowed: {allowed}")

    def component_of(self, assignment: str) -> Component:
        """The component an assignment counts toward."""
        return next(c for c in self.components if assignment in c.assignments)


# ---------------------------------------------------------------------- schema

SCHEMA: dict[str, Any] = _schema_of(OPTIONS)
"""course.yaml's JSON Schema, made from ``OPTIONS``."""


# ---------------------------------------------------------------- loading


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader that keeps dates as strings (we parse them with the course time zone)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def find_course_file(start_dir: str | os.PathLike[str] | None = None) -> Path:
    """Path of course.yaml: ``$AUTOGRADER_COURSE`` if set, else the nearest one walking up from ``start_dir`` (cwd)."""
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env)
        if not path.is_file():
            raise CourseConfigError(f"{ENV_VAR}={env}: no such file; set it to the path of course.yaml or unset it")
        return path
    start = Path(start_dir or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        candidate = folder / COURSE_FILE
        if candidate.is_file():
            return candidate
    raise CourseConfigError(
        f"no {COURSE_FILE} in {start} or any parent folder; pass --course PATH or set {ENV_VAR}"
    )


_loaded: dict[tuple[str, str], Course] = {}
"""Courses parsed by this process: (resolved path, text) -> the (frozen) course."""


def load_course(path: str | os.PathLike[str] | None = None) -> Course:
    """Read, validate and return the course at ``path`` (default: ``find_course_file()``); the
    same text at the same path, parsed before by this process, gives the same course at once."""
    path = Path(path) if path is not None else find_course_file()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CourseConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    key = (str(path.resolve()), text)
    if key not in _loaded:
        if len(_loaded) >= 8:
            _loaded.clear()
        _loaded[key] = _parse(path, text)
    return _loaded[key]


def _parse(path: Path, text: str) -> Course:
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        raise CourseConfigError(f"{path.name}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise CourseConfigError(f"{path.name}: expected a mapping of keys at the top level, got {type(data).__name__}")
    _validate_schema(data, path.name, text)
    return _build(data, path.resolve())


def _validate_schema(data: dict[str, Any], where: str, text: str | None = None) -> None:
    marker = _validation_cache_marker(text) if text is not None else None
    if marker is not None and marker.exists():
        return
    jsonschema = _import_jsonschema()
    validator = jsonschema.Draft202012Validator(SCHEMA)
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        raise CourseConfigError(_describe(errors[0], where))
    if marker is not None:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass


def _key(path: Any) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _describe(error: Any, where: str) -> str:
    """Turn a jsonschema error into 'file: key K: value V ...; allowed: ...'."""
    key = _key(error.absolute_path)
    v, vv = error.validator, error.validator_value
    if v == "required":
        missing = next((k for k in vv if k not in error.instance), "?")
        return f"{where}: key {_key([*error.absolute_path, missing])!r} is missing; it is required here"
    if v == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        return f"{where}: key {_key([*error.absolute_path, extra[0]])!r} is not a known key; allowed keys: {', '.join(allowed)}"
    if v == "propertyNames":
        return f"{where}: key {key!r}: name {error.instance!r} is not allowed; allowed: a name of letters, digits, '_' or '-' starting with a letter"
    allowed = {
        "type": lambda: f"a value of type {vv}",
        "enum": lambda: "one of " + ", ".join(map(str, vv)),
        "minimum": lambda: f"a number >= {vv}",
        "maximum": lambda: f"a number <= {vv}",
        "exclusiveMinimum": lambda: f"a number > {vv}",
        "pattern": lambda: "a date YYYY-MM-DD or ISO timestamp" if vv == _DATE["pattern"] else f"text matching {vv}",
        "minItems": lambda: f"a list of at least {vv} item(s)",
        "minProperties": lambda: f"at least {vv} entry(ies)",
        "maxProperties": lambda: f"at most {vv} entry(ies)",
        "uniqueItems": lambda: "a list without repeats",
        "minLength": lambda: "a non-empty text",
    }.get(v, lambda: error.message)()
    if v in ("minimum", "maximum") and error.schema.get("type") == "integer":
        allowed = allowed.replace("a number", "an integer")
    return f"{where}: key {key!r}: value {error.instance!r} is not allowed; allowed: {allowed}"


def _fail(where: str, key: str, value: Any, allowed: str) -> CourseConfigError:
    return CourseConfigError(f"{where}: key {key!r}: value {value!r} is not allowed; allowed: {allowed}")


def _parse_when(text: str, tz: ZoneInfo, where: str, key: str, day_time: dt.time = dt.time(23, 59)) -> dt.datetime:
    """``2025-01-22`` -> ``day_time`` (23:59) local; full ISO timestamps as written (local zone if none given)."""
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day, day_time, tzinfo=tz)
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(where, key, text, "a real date YYYY-MM-DD or ISO timestamp") from None
    return when if when.tzinfo else when.replace(tzinfo=tz)


def _build(data: dict[str, Any], path: Path) -> Course:
    where = path.name
    meta = data.get("course", {})
    tz_name = meta.get("timezone", default("course.timezone"))
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail(where, "course.timezone", tz_name, "an IANA time zone such as America/Los_Angeles") from None
    tracks_raw = data["tracks"]
    assignments = _build_assignments(data, tz, where, set(tracks_raw))
    components = _build_components(data, assignments, where)
    published = _build_scale(data["letter_scale"], where, "letter_scale")
    tracks = _build_tracks(tracks_raw, published, where)
    default_track = data.get("default_track", next(iter(tracks)))
    if default_track not in tracks:
        raise _fail(where, "default_track", default_track, "one of " + ", ".join(tracks))
    late = LateDayPolicy(**data["late_days"])
    a_plus_raw = data.get("a_plus", {})
    a_plus = APlusRule(
        count=a_plus_raw.get("count"),
        percent=Decimal(str(a_plus_raw["percent"])) if "percent" in a_plus_raw else None,
    )
    return Course(
        root=path.parent,
        path=path,
        name=meta.get("name", default("course.name")),
        term=meta.get("term", default("course.term")),
        timezone=tz,
        components=components,
        assignments=assignments,
        late_days=late,
        published_scale=published,
        tracks=tracks,
        default_track=default_track,
        a_plus=a_plus,
        bonuses=_build_bonuses(data.get("bonuses", {})),
        grading_bases=_build_bases(data.get("grading_bases", {})),
        decimals=data.get("rounding", {}).get("decimals", default("rounding.decimals")),
        exams=_build_exams(data.get("exams", {}), assignments, tracks, tz, where),
        regrade_window_days=data.get("regrades", {}).get("window_days", default("regrades.window_days")),
        grading=_build_limits(data.get("grading", {})),
        gradescope=GradescopePolicy(**data.get("gradescope", {})),
        integrity_outcomes=(path.parent / data["integrity"]["outcomes"]) if data.get("integrity", {}).get("outcomes")
        else None,
        adjustments=(path.parent / data["regrades"]["adjustments"]) if data.get("regrades", {}).get("adjustments")
        else None,
    )


def _build_assignments(data: dict[str, Any], tz: ZoneInfo, where: str, tracks: set[str]) -> dict[str, AssignmentPolicy]:
    owner = {a: c for c, comp in data["components"].items() for a in comp["assignments"]}
    built = []
    for name, raw in data["assignments"].items():
        key = f"assignments.{name}"
        due = _parse_when(raw["due"], tz, where, f"{key}.due")
        release = _parse_when(raw["release"], tz, where, f"{key}.release", dt.time(0, 0)) if "release" in raw else due
        if release > due:
            raise _fail(where, f"{key}.release", raw["release"], f"a time before the due date {raw['due']}")
        questions = {q: float(p) for q, p in raw.get("questions", {}).items()}
        optional = {t: list(qs) for t, qs in raw.get("optional_for", {}).items()}
        _check_optional(optional, questions, float(raw["max_points"]), tracks, where, key)
        title = raw.get("title", name)
        parts = _build_parts(raw, where, key)
        built.append(
            AssignmentPolicy(
                name=name,
                title=title,
                kind=raw.get("kind", default("assignments.<name>.kind")),
                release=release,
                due=due,
                max_points=float(raw["max_points"]),
                optional_for=optional,
                questions=questions,
                late=raw.get("late", default("assignments.<name>.late")),
                gradescope_names=() if parts else tuple(raw.get("gradescope", [title])),
                parts=parts,
                component=owner.get(name, ""),
            )
        )
    built.sort(key=lambda a: a.due)
    return {a.name: a for a in built}


def _build_parts(raw: dict[str, Any], where: str, key: str) -> tuple[AssignmentPart, ...]:
    """``parts:`` of an assignment: exclusive with its own ``gradescope`` names, points adding up
    to ``max_points``, no column name claimed by two parts."""
    if "parts" not in raw:
        return ()
    if "gradescope" in raw:
        raise _fail(where, f"{key}.gradescope", raw["gradescope"],
                    "no gradescope names beside parts (each part names its own columns under parts.<part>.gradescope)")
    parts = tuple(AssignmentPart(p, float(spec["points"]), tuple(spec["gradescope"])) for p, spec in raw["parts"].items())
    total = sum(p.points for p in parts)
    if not math.isclose(total, float(raw["max_points"])):
        shares = ", ".join(f"{p.name} {p.points:g}" for p in parts)
        raise _fail(where, f"{key}.parts", f"points {shares} (sum {total:g})",
                    f"parts whose points add up to max_points {float(raw['max_points']):g}")
    seen: dict[str, str] = {}
    for p in parts:
        for n in p.gradescope_names:
            norm = " ".join(n.lower().split())
            if norm in seen and seen[norm] != p.name:
                raise _fail(where, f"{key}.parts.{p.name}.gradescope", n, f"a column name not already used by part {seen[norm]!r}")
            seen[norm] = p.name
    return parts


def _check_optional(optional: dict[str, list[str]], questions: dict[str, float], max_points: float,
                    tracks: set[str], where: str, key: str) -> None:
    for track, names in optional.items():
        if track not in tracks:
            raise _fail(where, f"{key}.optional_for", track, "a track: " + ", ".join(sorted(tracks)))
        for q in names:
            if q not in questions:
                raise _fail(where, f"{key}.optional_for.{track}", q,
                            "a question listed under questions: " + (", ".join(questions) or "(none; add questions: {name: points})"))
        if sum(questions[q] for q in names) >= max_points:
            raise _fail(where, f"{key}.optional_for.{track}", names, f"questions worth less than max_points {max_points} in total")


def _build_components(data: dict[str, Any], assignments: dict[str, AssignmentPolicy], where: str) -> tuple[Component, ...]:
    comps, seen = [], {}
    for name, raw in data["components"].items():
        for a in raw["assignments"]:
            if a not in assignments:
                raise _fail(where, f"components.{name}.assignments", a, "an assignment defined under assignments: " + ", ".join(assignments))
            if a in seen:
                raise _fail(where, f"components.{name}.assignments", a, f"an assignment not already in component {seen[a]!r}")
            seen[a] = name
        comps.append(Component(name, raw.get("title", name), Decimal(str(raw["weight"])),
                               raw.get("combine", default("components.<name>.combine")), tuple(raw["assignments"])))
    total = sum(c.weight for c in comps)
    if total != 100:
        weights = ", ".join(f"{c.name} {c.weight}" for c in comps)
        raise _fail(where, "components", f"weights {weights} (sum {total})", "weights that add up to 100")
    orphans = [a for a in assignments if a not in seen]
    if orphans:
        raise _fail(where, f"assignments.{orphans[0]}", orphans[0], "an assignment listed in some component's assignments")
    return tuple(comps)


def _build_scale(raw: dict[str, float], where: str, key: str) -> tuple[tuple[str, Decimal], ...]:
    scale = tuple((letter, Decimal(str(raw[letter]))) for letter in SCALE_LETTERS)
    for (hi, hi_cut), (lo, lo_cut) in zip(scale, scale[1:]):
        if lo_cut >= hi_cut:
            raise _fail(where, f"{key}.{lo}", raw[lo], f"a cutoff below {hi}'s {hi_cut}")
    if scale[-1][1] != 0:
        raise _fail(where, f"{key}.F", raw["F"], "0 (F covers every score below D-)")
    return scale


def _build_tracks(raw: dict[str, Any], published: tuple[tuple[str, Decimal], ...], where: str) -> dict[str, Track]:
    tracks = {}
    pub = dict(published)
    for name, spec in raw.items():
        spec = spec or {}
        relax = spec.get("relax", {})
        for letter, cut in relax.items():
            if Decimal(str(cut)) > pub[letter]:
                raise _fail(where, f"tracks.{name}.relax.{letter}", cut,
                            f"a cutoff <= the published {pub[letter]} (a scale may be relaxed, never made more stringent)")
        merged = {letter: relax.get(letter, pub[letter]) for letter in SCALE_LETTERS}
        scale = _build_scale(merged, where, f"tracks.{name}.relax")
        tracks[name] = Track(name, spec.get("course", name), tuple(spec.get("aliases", [])), scale)
    return tracks


def _build_limits(raw: dict[str, Any]) -> GradingLimits:
    defaults = GradingLimits()
    return GradingLimits(**{k: type(getattr(defaults, k))(v) for k, v in raw.items()})


def _build_bonuses(raw: dict[str, Any]) -> BonusPolicy:
    ev, pz = raw.get("evaluation", {}), raw.get("piazza", {})
    return BonusPolicy(
        evaluation_points=Decimal(str(ev.get("points", default("bonuses.evaluation.points")))),
        piazza_max_points=Decimal(str(pz.get("max_points", default("bonuses.piazza.max_points")))),
        piazza_curve=pz.get("curve", default("bonuses.piazza.curve")),
    )


def _build_bases(raw: dict[str, Any]) -> dict[str, GradingBasis]:
    defaults = {b: {k: default(f"grading_bases.{b}.{k}") for k in ("pass", "fail", "lowest_passing")}
                for b in ("pnp", "su")}
    bases = {"letter": GradingBasis("letter")}
    for name, spec in defaults.items():
        spec = raw.get(name, spec)
        bases[name] = GradingBasis(name, spec["pass"], spec["fail"], spec["lowest_passing"])
    return bases


def _build_exams(raw: dict[str, Any], assignments: dict[str, AssignmentPolicy], tracks: dict[str, Track],
                 tz: ZoneInfo, where: str) -> dict[str, ExamPolicy]:
    exams = {}
    for name, spec in raw.items():
        if name not in assignments:
            raise _fail(where, f"exams.{name}", name, "the name of an assignment: " + ", ".join(assignments))
        sittings = {}
        for track, s in spec["sittings"].items():
            if track not in tracks:
                raise _fail(where, f"exams.{name}.sittings", track, "a track: " + ", ".join(tracks))
            day = _parse_when(s["date"][:10], tz, where, f"exams.{name}.sittings.{track}.date").date()
            if "start" in s and "end" in s and s["end"] <= s["start"]:
                raise _fail(where, f"exams.{name}.sittings.{track}.end", s["end"], f"a time after start {s['start']}")
            sittings[track] = ExamSitting(day, s.get("start"), s.get("end"), s.get("where", ""))
        exams[name] = ExamPolicy(name, sittings, spec.get("alternate_times", False),
                                 " ".join(str(spec.get("no_alternate_times_text", "")).split()))
    return exams


# ---------------------------------------------------------------- the docs table


def main(argv: list[str] | None = None) -> int:
    """``python -m autograder.course --docs [docs/course-yaml.md]``: regenerate the options table;
    ``--check`` only says whether it is current (exit 1 when stale)."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m autograder.course",
                                     description="Write the table of course.yaml options into docs/course-yaml.md "
                                                 "from their declarations (autograder/course.py OPTIONS).")
    parser.add_argument("--docs", nargs="?", type=Path, const=Path(__file__).resolve().parents[1] / "docs" / "course-yaml.md",
                        metavar="PATH", help="the Markdown file holding the table (default: docs/course-yaml.md)")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the table is stale")
    args = parser.parse_args(argv)
    target = args.docs or Path(__file__).resolve().parents[1] / "docs" / "course-yaml.md"
    text = target.read_text(encoding="utf-8")
    fresh = docs_with_table(text)
    if fresh == text:
        print(f"{target}: the options table is current")
        return 0
    if args.check:
        print(f"{target}: the options table is stale; run `python -m autograder.course --docs`", file=sys.stderr)
        return 1
    target.write_text(fresh, encoding="utf-8")
    print(f"{target}: options table rewritten ({sum(o.documented for o in OPTIONS)} options)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
