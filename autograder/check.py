"""``autograder check hwN``: nothing about an assignment can be mis-scored silently.

Checks that the source notebook, the hidden suite, the reference and
``course.yaml`` agree, and that the suite grades fairly:

* the suite follows the rules (every test has ``points`` > 0 and a ``task``,
  no unknown marker) and the reference earns full marks on it;
* every ``task`` names a solution cell of the source notebook;
* each visible test cell's points equal the hidden points of its task;
* the suite's total equals ``max_points`` in course.yaml, and the assignment
  belongs to a component;
* the source notebook's grade_ids are unique and its test cells carry no
  ``### BEGIN HIDDEN TESTS`` copy of the tests;
* graded in the sandbox, the source notebook earns full marks, the blank
  release 0, and notebooks whose functions compute nothing (return None,
  zeros of the wrong size, or their first argument) 0;
* no visible check fails correct code: the source's solutions and every correct
  alternative of ``reference/<name>/alternatives.py`` are "Ready" in
  ``autograder validate``, earn full marks, and pass every visible test cell in
  every seed sweep (each seed the run uses names another random stream; see
  ``autograder.check_visible`` for how, and docs/authoring.md).

``release``, ``gradescope`` and ``batch`` run the same check (remembered per
content, so it costs once) and refuse to go on while it finds a problem.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder import check_visible
from autograder.assignment import Assignment, load_assignment
from autograder.errors import UnusableInput
from autograder.notebook import Cell, read_notebook

HIDDEN_TESTS_MARKER = "### BEGIN HIDDEN TESTS"


@dataclass
class CheckReport:
    """What ``check`` found for one assignment."""

    assignment: str
    problems: list[str] = field(default_factory=list)
    """Each a sentence naming the file, the test and the numbers; any one refuses the assignment."""
    warnings: list[str] = field(default_factory=list)
    """Worth knowing, not refused (e.g. time budgets that add up past the submission limit)."""
    tests: int = 0
    points: float = 0.0
    sandboxed: bool = False
    """Whether the source, blank and do-nothing notebooks were graded in the sandbox."""
    alternatives: int = 0
    """Correct alternatives run (validate, grade, seed sweeps) besides the source's solutions."""
    sweeps: int = 0
    """Seed sweeps the visible tests of every correct notebook passed (0: not run)."""

    @property
    def ok(self) -> bool:
        return not self.problems


def _source_cells(notebook_path: Path) -> list[Cell]:
    """The source notebook's nbgrader cells (those with a grade_id), in order."""
    return [cell for cell in read_notebook(notebook_path).cells if cell.grade_id]


def _notebook_problems(assignment: Assignment, cells: list[Cell]) -> list[str]:
    where = assignment.source_notebook.relative_to(assignment.course_root)
    problems = []
    seen: set[str] = set()
    for cell in cells:
        if cell.grade_id in seen:
            problems.append(f"{where}: the grade_id `{cell.grade_id}` is used by more than one cell; "
                            "each cell needs its own (nbgrader and the grader find cells by it)")
        seen.add(cell.grade_id)
        if cell.is_test and HIDDEN_TESTS_MARKER in cell.source:
            problems.append(f"{where}: test cell `{cell.grade_id}` holds a `{HIDDEN_TESTS_MARKER}` block, a copy of "
                            "the tests that nothing runs; delete it (the hidden tests live in "
                            f"{assignment.suite.relative_to(assignment.course_root)})")
    return problems


def _points_problems(assignment: Assignment, cells: list[Cell], outcomes: list[Any],
                     max_points: float) -> list[str]:
    suite = assignment.suite.relative_to(assignment.course_root)
    notebook = assignment.source_notebook.relative_to(assignment.course_root)
    solutions = [c.grade_id for c in cells if c.solution]
    problems = []
    hidden: dict[str, list[tuple[str, float]]] = {}
    for outcome in outcomes:
        if outcome.task and outcome.task not in solutions:
            problems.append(f"{suite}::{outcome.name}: task(\"{outcome.task}\") names no solution cell of {notebook} "
                            f"(its solution cells: {', '.join(solutions) or 'none'})")
        hidden.setdefault(outcome.task, []).append((outcome.name, outcome.max_score))
    for cell in cells:
        if not cell.is_test:
            continue
        task = cell.grade_id.removeprefix("test_")
        tests = hidden.get(task, [])
        total = sum(points for _, points in tests)
        if total != cell.points:
            detail = ", ".join(f"{name} {points:g}" for name, points in tests) or "no hidden test"
            problems.append(f"{notebook}: test cell `{cell.grade_id}` says {cell.points:g} points, but the hidden "
                            f"tests of task `{task}` give {total:g} ({suite}: {detail})")
    tested = {c.grade_id.removeprefix("test_") for c in cells if c.is_test}
    for task, tests in hidden.items():
        if task and task not in tested and task in solutions:
            problems.append(f"{notebook}: no visible test cell `test_{task}` for task `{task}`, whose hidden tests "
                            f"give {sum(p for _, p in tests):g} points; students should see what each task is worth")
    total = sum(o.max_score for o in outcomes)
    if total != max_points:
        problems.append(f"course.yaml: {assignment.name} has max_points {max_points:g}, but {suite} gives "
                        f"{total:g} points in total; a perfect student would read {total:g}/{total:g} on Gradescope "
                        f"and get {100 * total / max_points:.0f} % in final grades" if max_points else
                        f"course.yaml: {assignment.name} has max_points {max_points:g}")
    return problems


def _reference_outcomes(assignment: Assignment) -> tuple[list[Any], list[str]]:
    """Run the suite in-process against the reference: (outcomes, problems)."""
    from autograder.grading import run_suite
    from autograder.local_namespace import LocalNamespace
    from autograder.rules import reference_module_for

    reference = reference_module_for(assignment.suite)
    plugin = run_suite(assignment, LocalNamespace(vars(reference)))
    suite = assignment.suite.relative_to(assignment.course_root)
    if plugin.grader_error or plugin.collection_errors:
        return [], [f"{suite}: {plugin.grader_error or plugin.collection_errors[0]}"]
    problems = list(plugin.instructor_notes)
    problems += [f"{suite}::{o.name}: the reference fails its own test: {o.output}"
                 for o in plugin.outcomes if o.status != "passed" and not _unchecked(o, plugin.instructor_notes)]
    if not plugin.outcomes:
        problems.append(f"{suite}: no test was collected")
    return plugin.outcomes, problems


def _unchecked(outcome: Any, notes: list[str]) -> bool:
    return any(f"({outcome.name})" in note for note in notes)


def _sandbox_problems(assignment: Assignment, max_points: float) -> list[str]:
    """Grade the source, the blank release and the do-nothing notebooks in the sandbox."""
    from autograder.grading import grade_submission
    from autograder.samples import DO_NOTHING, blank_submission, do_nothing_submission, perfect_submission, write_notebook

    problems = []
    with tempfile.TemporaryDirectory(prefix="autograder-check-") as scratch:
        def graded(notebook: dict[str, Any], name: str) -> Any:
            return grade_submission(assignment, write_notebook(notebook, Path(scratch) / f"{name}.ipynb"))

        perfect = graded(perfect_submission(assignment), "source")
        failing = [f"{t.name} ({t.output.splitlines()[0] if t.output else t.status})"
                   for t in perfect.tests if t.status != "passed"]
        if perfect.score != max_points or failing or perfect.grader_errors:
            problems.append(f"the source notebook's solutions earn {perfect.score:g} of {max_points:g} in the sandbox"
                            + (f"; failing: {'; '.join(failing[:5])}" if failing else "")
                            + (f"; grader: {perfect.grader_errors[0]}" if perfect.grader_errors else ""))
        cases = [("blank release", blank_submission(assignment))]
        cases += [(description, do_nothing_submission(assignment, kind)) for kind, description in DO_NOTHING.items()]
        for description, notebook in cases:
            result = graded(notebook, description.replace(" ", "_"))
            earned = [f"{t.name} ({t.score:g})" for t in result.tests if t.score > 0]
            if earned:
                problems.append(f"a notebook where {description} earns {result.score:g} of {max_points:g} points: "
                                f"{', '.join(earned[:8])}; each test must compare the answer with the reference")
    return problems


def _import_problems(assignment: Assignment) -> list[str]:
    """The Gradescope zip ships only ``reference/<name>/``: its code may not import another assignment's."""
    import ast

    problems = []
    for path in sorted(assignment.reference_package.rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError as exc:
            problems.append(f"{path.relative_to(assignment.course_root)}:{exc.lineno}: {exc.msg}")
            continue
        for node in ast.walk(tree):
            modules = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                       else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            for module in modules:
                parts = module.split(".")
                if parts[0] == "reference" and len(parts) > 1 and parts[1] != assignment.name:
                    problems.append(f"{path.relative_to(assignment.course_root)}:{node.lineno}: imports `{module}`, "
                                    f"but the Gradescope zip ships only reference/{assignment.name}/; "
                                    "copy what it needs into this package")
    return problems


def _budget_warnings(assignment: Assignment, tasks: set[str]) -> list[str]:
    limits = assignment.limits
    worst = len(tasks) * min(limits.function_budget_s, limits.call_timeout_s)
    if worst > limits.submission_timeout_s:
        return [f"{len(tasks)} graded functions x {min(limits.function_budget_s, limits.call_timeout_s):g} s "
                f"(a looping function costs about that) = {worst:g} s, more than submission_timeout_s "
                f"{limits.submission_timeout_s:g} s: a notebook whose every function loops would not be graded in full"]
    return []


def check_assignment(name: str, course_file: Path | None = None, *, sandbox: bool = True,
                     sweeps: int | None = None) -> CheckReport:
    """Check assignment ``name`` of the course; raises UnusableInput when its files cannot be found.

    ``sweeps``: seed sweeps for the visible tests on correct code (default
    ``check_visible.SWEEPS``, the released seeds included; 1 runs the released seeds only)."""
    from autograder.course import CourseConfigError, find_course_file, load_course

    assignment = load_assignment(name, course_file)
    report = CheckReport(name)
    try:
        course = load_course(course_file or find_course_file())
        policy = course.assignment(name)
    except CourseConfigError as exc:
        raise UnusableInput(str(exc)) from None
    if not any(name in component.assignments for component in course.components):
        report.problems.append(f"course.yaml: {name} belongs to no component (components: "
                               f"{', '.join(c.name for c in course.components)}), so it would count for nothing")
    cells = _source_cells(assignment.source_notebook)
    report.problems += _notebook_problems(assignment, cells)
    report.problems += _import_problems(assignment)
    outcomes, problems = _reference_outcomes(assignment)
    report.problems += problems
    report.tests, report.points = len(outcomes), sum(o.max_score for o in outcomes)
    if outcomes:
        report.problems += _points_problems(assignment, cells, outcomes, float(policy.max_points))
        report.warnings += _budget_warnings(assignment, {o.task for o in outcomes})
    if policy.kind == "exam":
        report.warnings.append(f"{name} is an exam: every student's answers depend on their own variant, so the "
                               "sandbox gradings are left to `autograder exam` (its tests build and grade variants); "
                               f"`pytest reference/{name}/` grades the authoring variant")
    elif sandbox and not report.problems:
        report.problems += _sandbox_problems(assignment, float(policy.max_points))
        report.sandboxed = True
        if not report.problems:
            sweeps = check_visible.SWEEPS if sweeps is None else max(1, sweeps)
            report.problems += check_visible.visible_problems(assignment, sweeps)
            report.alternatives = len(check_visible.correct_alternatives(assignment))
            report.sweeps = 0 if report.problems else sweeps
    return report


# ---------------------------------------------------------------- remembered results
def _fingerprint(assignment: Assignment) -> str:
    import autograder

    digest = hashlib.sha256(assignment.hidden_hash().encode())
    course_file = assignment.course_root / "course.yaml"
    for path in (course_file, assignment.alternatives, *assignment.support_files):
        if path.exists():
            digest.update(path.read_bytes())
    package = Path(autograder.__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def _marker(assignment: Assignment) -> Path:
    from autograder.course import cache_dir

    return cache_dir() / f"check-{assignment.name}-{_fingerprint(assignment)}"


def require_checked(assignment: Assignment, course_file: Path | None = None) -> None:
    """Raise UnusableInput listing every problem unless the assignment passes ``check``
    (a pass is remembered for exactly these files, so it costs once)."""
    from autograder.course import find_course_file, load_course

    policy = load_course(course_file or find_course_file()).assignment(assignment.name)
    if policy.kind == "exam":
        raise UnusableInput(f"{assignment.name} is an exam: each student gets their own variant, so use "
                            f"`autograder exam build|gradescope|batch {assignment.name}` "
                            "(see docs/exams.md)")
    marker = _marker(assignment)
    if marker.exists():
        return
    report = check_assignment(assignment.name, course_file)
    if not report.ok:
        raise UnusableInput(f"{assignment.name} does not pass `autograder check {assignment.name}`:\n  "
                            + "\n  ".join(report.problems))
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("ok\n")


# ---------------------------------------------------------------- command line
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", nargs="+", help="assignment name(s) from course.yaml, e.g. hw1")
    parser.add_argument("--course", type=Path, default=None, help="course.yaml (default: found from here upward)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="skip everything that runs notebooks in the sandbox: the source, blank and do-nothing "
                             "gradings and the visible tests on correct code (faster)")
    parser.add_argument("--sweeps", type=int, default=None, metavar="N",
                        help=f"seed sweeps for the visible tests on correct code, the released seeds included "
                             f"(default: {check_visible.SWEEPS})")


def run(args: argparse.Namespace) -> int:
    worst = 0
    for name in args.assignment:
        try:
            report = check_assignment(name, args.course, sandbox=not args.no_sandbox, sweeps=args.sweeps)
        except UnusableInput as exc:
            print(f"error: {exc}", file=sys.stderr)
            worst = 2
            continue
        for warning in report.warnings:
            print(f"{name}: warning: {warning}")
        if report.ok:
            print(f"{name}: ok - {report.tests} tests, {report.points:g} points, notebook, suite and course.yaml agree"
                  + ("; source full marks, blank and do-nothing notebooks 0" if report.sandboxed else "")
                  + (f"; the source and {report.alternatives} correct alternatives ready in validate, full marks, "
                     f"visible tests pass under {report.sweeps} seed sweeps" if report.sweeps else ""))
        else:
            print(f"{name}: {len(report.problems)} problem(s):")
            for problem in report.problems:
                print(f"  - {problem}")
            worst = max(worst, 1)
    return worst
