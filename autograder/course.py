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
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path(tempfile.gettempdir()) / f"autograder-cache-{os.getuid()}")
    return base / "autograder" / f"course-valid-{digest}"

COURSE_FILE = "course.yaml"
ENV_VAR = "AUTOGRADER_COURSE"
LETTERS = ("A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F")
SCALE_LETTERS = LETTERS[1:]  # A+ is awarded by rank, not by cutoff


class CourseConfigError(ValueError):
    """course.yaml is missing, unreadable or breaks a rule; the message says where and why."""


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

    per_student: int = 3
    """Late days each student has for the whole quarter."""
    max_per_assignment: int = 2
    """Most late days usable on one assignment; later than that earns 0."""
    grace_minutes: int = 0
    """Lateness up to this many minutes is forgiven (and subtracted before counting days)."""
    spend: str = "in_order"
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

    evaluation_points: Decimal = Decimal("0.5")
    """Added for a completed course evaluation."""
    piazza_max_points: Decimal = Decimal("1.5")
    """Most points for Piazza participation."""
    piazza_curve: str = "percentile_rank"
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


@dataclass(frozen=True)
class GradingLimits:
    """Resource limits for grading one submission."""

    cell_timeout_s: float = 30.0
    """Seconds one notebook cell may run."""
    call_timeout_s: float = 10.0
    """Seconds one call into a student function may run."""
    submission_timeout_s: float = 300.0
    """Seconds for a whole submission."""
    function_budget_s: float = 20.0
    """Seconds all the tests of one graded function may spend in student code."""
    memory_mb: int = 768
    """Address-space limit of the student process, MiB."""
    max_processes: int = 64
    """Processes the student code may have."""
    max_output_bytes: int = 65536
    """Bytes of student stdout/stderr kept."""
    max_file_mb: int = 16
    """Largest file the student code may write, MiB."""


@dataclass(frozen=True)
class GradescopePolicy:
    """Visibility of results on Gradescope."""

    hidden_test_visibility: str = "after_published"
    """``"after_published"`` or ``"hidden"``."""
    stdout_visibility: str = "hidden"
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

_NUM = {"type": "number"}
_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?([+-]\d{2}:?\d{2}|Z)?)?$"}
_NAME = {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9_-]*$"}
_HHMM = {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$"}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["components", "assignments", "late_days", "letter_scale", "tracks"],
    "properties": {
        "course": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"name": {"type": "string"}, "term": {"type": "string"}, "timezone": {"type": "string"}},
        },
        "components": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": _NAME,
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["weight", "assignments"],
                "properties": {
                    "title": {"type": "string"},
                    "weight": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
                    "combine": {"enum": ["mean_percent", "total_points"]},
                    "assignments": {"type": "array", "minItems": 1, "items": _NAME, "uniqueItems": True},
                },
            },
        },
        "assignments": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": _NAME,
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["due", "max_points"],
                "properties": {
                    "title": {"type": "string"},
                    "kind": {"type": "string"},
                    "release": _DATE,
                    "due": _DATE,
                    "max_points": {"type": "number", "exclusiveMinimum": 0},
                    "late": {"enum": ["late_days", "firm", "ignore"]},
                    "gradescope": {"type": "array", "items": {"type": "string", "minLength": 1}},
                    "questions": {
                        "type": "object",
                        "additionalProperties": {"type": "number", "exclusiveMinimum": 0},
                    },
                    "optional_for": {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                    "parts": {
                        "type": "object",
                        "minProperties": 2,
                        "propertyNames": _NAME,
                        "additionalProperties": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["gradescope", "points"],
                            "properties": {
                                "gradescope": {"type": "array", "minItems": 1,
                                               "items": {"type": "string", "minLength": 1}},
                                "points": {"type": "number", "exclusiveMinimum": 0},
                            },
                        },
                    },
                },
            },
        },
        "late_days": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "per_student": {"type": "integer", "minimum": 0},
                "max_per_assignment": {"type": "integer", "minimum": 0},
                "grace_minutes": {"type": "integer", "minimum": 0, "maximum": 1440},
                "spend": {"enum": ["in_order", "best_for_student"]},
            },
        },
        "letter_scale": {
            "type": "object",
            "additionalProperties": False,
            "required": list(SCALE_LETTERS),
            "properties": {letter: {"type": "number", "minimum": 0, "maximum": 100} for letter in SCALE_LETTERS},
        },
        "tracks": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": _NAME,
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "course": {"type": "string"},
                    "aliases": {"type": "array", "items": {"type": "string"}},
                    "relax": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {letter: {"type": "number", "minimum": 0, "maximum": 100} for letter in SCALE_LETTERS},
                    },
                },
            },
        },
        "default_track": {"type": "string"},
        "a_plus": {
            "type": "object",
            "additionalProperties": False,
            "maxProperties": 1,
            "properties": {
                "count": {"type": "integer", "minimum": 0},
                "percent": {"type": "number", "minimum": 0, "maximum": 100},
            },
        },
        "bonuses": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "evaluation": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"points": {"type": "number", "minimum": 0, "maximum": 5}},
                },
                "piazza": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "max_points": {"type": "number", "minimum": 0, "maximum": 5},
                        "curve": {"enum": ["percentile_rank", "linear", "none"]},
                    },
                },
            },
        },
        "grading_bases": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "letter": {"type": "object", "maxProperties": 0},
                **{
                    b: {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["pass", "fail", "lowest_passing"],
                        "properties": {
                            "pass": {"type": "string", "minLength": 1},
                            "fail": {"type": "string", "minLength": 1},
                            "lowest_passing": {"enum": list(SCALE_LETTERS)},
                        },
                    }
                    for b in ("pnp", "su")
                },
            },
        },
        "rounding": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "decimals": {"type": "integer", "minimum": 0, "maximum": 4},
                "mode": {"enum": ["half_up"]},
            },
        },
        "exams": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["sittings"],
                "properties": {
                    "alternate_times": {"type": "boolean"},
                    "sittings": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["date"],
                            "properties": {"date": _DATE, "start": _HHMM, "end": _HHMM, "where": {"type": "string"}},
                        },
                    },
                },
            },
        },
        "regrades": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"window_days": {"type": "integer", "minimum": 0}},
        },
        "grading": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "cell_timeout_s": {"type": "number", "exclusiveMinimum": 0},
                "call_timeout_s": {"type": "number", "exclusiveMinimum": 0},
                "submission_timeout_s": {"type": "number", "exclusiveMinimum": 0},
                "function_budget_s": {"type": "number", "exclusiveMinimum": 0},
                "memory_mb": {"type": "integer", "minimum": 64},
                "max_processes": {"type": "integer", "minimum": 1},
                "max_output_bytes": {"type": "integer", "minimum": 0},
                "max_file_mb": {"type": "integer", "minimum": 0},
            },
        },
        "gradescope": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "hidden_test_visibility": {"enum": ["after_published", "hidden"]},
                "stdout_visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
            },
        },
    },
}


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


def load_course(path: str | os.PathLike[str] | None = None) -> Course:
    """Read, validate and return the course at ``path`` (default: ``find_course_file()``)."""
    path = Path(path) if path is not None else find_course_file()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CourseConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
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
    tz_name = meta.get("timezone", "America/Los_Angeles")
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
        name=meta.get("name", ""),
        term=meta.get("term", ""),
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
        decimals=data.get("rounding", {}).get("decimals", 2),
        exams=_build_exams(data.get("exams", {}), assignments, tracks, tz, where),
        regrade_window_days=data.get("regrades", {}).get("window_days", 7),
        grading=_build_limits(data.get("grading", {})),
        gradescope=GradescopePolicy(**data.get("gradescope", {})),
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
                kind=raw.get("kind", "homework"),
                release=release,
                due=due,
                max_points=float(raw["max_points"]),
                optional_for=optional,
                questions=questions,
                late=raw.get("late", "late_days"),
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
                               raw.get("combine", "mean_percent"), tuple(raw["assignments"])))
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
        evaluation_points=Decimal(str(ev.get("points", 0.5))),
        piazza_max_points=Decimal(str(pz.get("max_points", 1.5))),
        piazza_curve=pz.get("curve", "percentile_rank"),
    )


def _build_bases(raw: dict[str, Any]) -> dict[str, GradingBasis]:
    defaults = {"pnp": {"pass": "P", "fail": "NP", "lowest_passing": "C"},
                "su": {"pass": "S", "fail": "U", "lowest_passing": "B"}}
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
        exams[name] = ExamPolicy(name, sittings, spec.get("alternate_times", False))
    return exams
