"""What decides a hidden test's outcome, other than its points: so that a regrade after a
points-only edit re-scores stored outcomes instead of running every student's code again.

* the **context hash**: everything the tests share. The hidden suite module with each top-level
  test function reduced to its name (its body is in its own fingerprint), every other file of the
  reference package, the conftest.py files above it, what grading reads of the source notebook
  (:func:`notebook_digest`: not its test cells, whose points and text check makes agree with the
  suite), the support files, the limits and the hidden-test visibility. Any change here re-runs
  every test.
* a **fingerprint** per top-level test function: its AST (line numbers left out) without its
  ``@pytest.mark.points(n)`` decorator when n is one literal number, so a moved line or a new
  point value keeps it, and any other edit (body, docstring, task, parametrize, visible) changes it.

A stored outcome is reused only when the context hash and its test's fingerprint are both
unchanged; then the test scores its new points (or, when they are not a literal, its stored ones,
which cannot have changed) if it passed, 0 otherwise: exactly what running it again would give (a
test's status never reads its points: :meth:`autograder.pytest_plugin.GradingPlugin._record`)."""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass, field

from pathlib import Path

from autograder.assignment import Assignment
from autograder.notebook import read_notebook


@dataclass
class SuiteFingerprints:
    context: str
    """SHA-256 of what every test shares (see the module docstring)."""
    tests: dict[str, str] = field(default_factory=dict)
    """{test function name: SHA-256 of its AST without the points decorator}"""
    points: dict[str, float | None] = field(default_factory=dict)
    """{test function name: its points, or None when they are not one literal number (then the
    marker is part of the fingerprint, and an unchanged fingerprint means unchanged points)}"""

    def of(self, test_name: str) -> str:
        """The fingerprint of a collected test (``test_x[case]`` is function ``test_x``); '' if unknown."""
        return self.tests.get(function_of(test_name), "")


def function_of(test_name: str) -> str:
    """``test_x[2-float32]`` -> ``test_x``."""
    return test_name.split("[", 1)[0]


def _is_points_marker(expr: ast.expr) -> bool:
    """``pytest.mark.points`` or ``mark.points``."""
    return (isinstance(expr, ast.Attribute) and expr.attr == "points"
            and isinstance(expr.value, ast.Attribute | ast.Name)
            and getattr(expr.value, "attr", getattr(expr.value, "id", "")) == "mark")


def _aliases(tree: ast.Module) -> set[str]:
    """Module-level names bound to the points marker: ``points = pytest.mark.points`` (HW2-5)."""
    return {target.id for node in tree.body if isinstance(node, ast.Assign) and _is_points_marker(node.value)
            for target in node.targets if isinstance(target, ast.Name)}


def _is_points(decorator: ast.expr, aliases: set[str]) -> bool:
    """``@pytest.mark.points(...)``, ``@mark.points(...)`` or ``@points(...)`` with an alias."""
    return isinstance(decorator, ast.Call) and (
        _is_points_marker(decorator.func) or isinstance(decorator.func, ast.Name) and decorator.func.id in aliases)


def _points_of(node: ast.FunctionDef | ast.AsyncFunctionDef, aliases: set[str]) -> float | None:
    found = [d for d in node.decorator_list if _is_points(d, aliases)]
    if len(found) != 1 or len(found[0].args) != 1 or found[0].keywords:  # type: ignore[attr-defined]
        return None
    try:
        value = ast.literal_eval(found[0].args[0])  # type: ignore[attr-defined]
    except ValueError:
        return None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _sha(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def notebook_digest(path: Path) -> str:
    """SHA-256 of what grading reads of the source notebook: the code cells in order, with their
    grade_id and nbgrader flags (``plan_cells`` restores instructor cells and keeps the order;
    ``released_stubs`` reads solution cells), and the source of every one but the test cells,
    which grading skips (their points and "(6 points)" comments may change with the suite's)."""
    parts = []
    for cell in read_notebook(path).code_cells():
        flags = f"{cell.grade_id}|{cell.solution}|{cell.grade}|{cell.locked}|{cell.skipped}"
        parts += [flags.encode(), b"" if cell.is_test else cell.source.encode()]
    return _sha(*parts)


def suite_fingerprints(assignment: Assignment) -> SuiteFingerprints:
    """Read the suite, reference package and source notebook on disk now. A suite or notebook
    that cannot be read gives an empty context hash: nothing graded with it is ever reused
    (the grading itself reports the problem)."""
    try:
        return _suite_fingerprints(assignment)
    except Exception:  # noqa: BLE001 - an optimization only: grading says what is wrong
        return SuiteFingerprints("")


def _suite_fingerprints(assignment: Assignment) -> SuiteFingerprints:
    suite = assignment.suite
    tree = ast.parse(suite.read_text(encoding="utf-8"), filename=str(suite))
    tests: dict[str, str] = {}
    points: dict[str, float | None] = {}
    aliases = _aliases(tree)
    body: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
            points[node.name] = _points_of(node, aliases)
            # a points marker that is not one plain number stays in the fingerprint (its value may come
            # from elsewhere: a helper's marks, a POINTS table in the context): unchanged, same points
            kept = [d for d in node.decorator_list if points[node.name] is None or not _is_points(d, aliases)]
            stripped = type(node)(**{**{f: getattr(node, f) for f in node._fields}, "decorator_list": kept})
            tests[node.name] = _sha(ast.dump(stripped).encode())
            body.append(ast.Expr(ast.Constant(f"test function {node.name}")))  # its place in the order
        else:
            body.append(node)
    parts = [b"suite", ast.dump(ast.Module(body=body, type_ignores=[])).encode()]
    root = assignment.course_root
    files = [p for p in sorted(assignment.reference_package.rglob("*.py")) if p != suite]
    folder = suite.parent.parent
    while folder != root.parent and root in (folder, *folder.parents):
        files += [folder / "conftest.py"] if (folder / "conftest.py").is_file() else []
        folder = folder.parent
    files += list(assignment.support_files)
    parts += [b"notebook", notebook_digest(assignment.source_notebook).encode()]
    for path in files:
        parts += [path.relative_to(root).as_posix().encode() if path.is_relative_to(root) else str(path).encode(),
                  path.read_bytes()]
    parts += [repr(assignment.limits).encode(), repr(assignment.hidden_visibility).encode()]
    return SuiteFingerprints(_sha(*parts), tests, points)
