"""A cold grader imports no pytest: the kept collection's test module is imported under a
stand-in for pytest's markers (``autograder.pytest_stand_in``), and it must grade exactly as
pytest does, and leave nothing behind that pytest's own collection would trip over."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from autograder import grading, pytest_stand_in
from autograder.pytest_stand_in import PytestStandIn, StandInParam
from autograder.suite import parametrized_values
from tests.conftest import ASSIGNMENTS, ROOT, variants

DECORATED = textwrap.dedent('''
    @pytest.mark.points(2)
    @pytest.mark.task("fit")
    @pytest.mark.visible
    def test_plain(student):
        pass

    @pytest.mark.parametrize("degree", [1, 2, pytest.param(3, marks=pytest.mark.visible, id="three")])
    @pytest.mark.parametrize("a, b", [(1, 2), (3, 4)], ids=["low", "high"])
    @pytest.mark.points(1.5)
    @pytest.mark.task(name="fit")
    def test_params(student, degree, a, b):
        pass

    points = pytest.mark.points
    @points(3)
    @pytest.mark.task("other")
    def test_alias(student):
        pass

    class Helper:
        pass

    marked_class = pytest.mark.task("cls")(Helper)
''')


def marks_under(pytest_module) -> dict[str, list[tuple]]:
    scope = {"pytest": pytest_module}
    exec(compile(DECORATED, "<suite>", "exec"), scope)  # noqa: S102 - this file's own text
    return {name: [(m.name, m.args, m.kwargs) for m in scope[name].pytestmark]
            for name in ("test_plain", "test_params", "test_alias", "Helper")}


def test_the_stand_in_records_the_marks_pytest_records():
    """Names, arguments and order; a ``pytest.param`` compared by its values, marks and id."""
    stand_in, real = marks_under(PytestStandIn()), marks_under(pytest)
    assert stand_in.keys() == real.keys()
    for name in real:
        assert [(n, k) for n, _, k in stand_in[name]] == [(n, k) for n, _, k in real[name]], name
        for (_, ours, _), (_, theirs, _) in zip(stand_in[name], real[name]):
            assert [_plain_param(v) for v in _flat(ours)] == [_plain_param(v) for v in _flat(theirs)], name


def _flat(args: tuple) -> list:
    return [item for arg in args for item in (arg if isinstance(arg, list) else [arg])]


def _plain_param(value):
    """A ``pytest.param`` of either kind as (values, mark names, id); anything else as it is."""
    if isinstance(value, StandInParam) or type(value).__name__ == "ParameterSet":
        marks = value.marks if isinstance(value.marks, (list, tuple)) else [value.marks]
        return tuple(value.values), [m.name for m in marks], value.id
    return value


def test_parameters_read_the_same_from_either_kind_of_marks():
    scopes = {}
    for kind, module in (("stand-in", PytestStandIn()), ("pytest", pytest)):
        scopes[kind] = {"pytest": module}
        exec(compile(DECORATED, "<suite>", "exec"), scopes[kind])  # noqa: S102
    for degree in range(3):
        for pair in range(2):
            indices = {"degree": degree, "a": pair}
            ours = parametrized_values(scopes["stand-in"]["test_params"], indices)
            assert ours == parametrized_values(scopes["pytest"]["test_params"], indices)
            assert ours["degree"] == degree + 1


def test_anything_but_marks_is_pytest_itself():
    stand_in = PytestStandIn()
    assert stand_in.raises is pytest.raises and stand_in.approx is pytest.approx
    with pytest.raises(AttributeError):
        stand_in.__wrapped__  # noqa: B018 - dunder names are not pytest's


COLD_GRADER = textwrap.dedent('''
    import dataclasses, json, sys
    from pathlib import Path
    from autograder import grading
    from autograder.assignment import load_assignment
    from autograder.local_namespace import LocalNamespace
    from autograder.rules import reference_module_for

    name, sources = sys.argv[1], json.loads(sys.argv[2])
    assignment = load_assignment(name, Path("course.yaml"))
    reference = reference_module_for(assignment.suite)
    runner = grading.suite_runner(assignment)
    assert runner.plain and runner.items is None, "the kept collection was not used"
    def namespaces():
        yield "reference", LocalNamespace(dict(vars(reference)))
        for key, source in sources.items():
            scope = dict(vars(reference))
            exec(compile(source, key, "exec"), scope)
            yield key, LocalNamespace(scope)
    rows = {key: [dataclasses.astuple(o) for o in runner.run(ns, assignment.limits).outcomes] for key, ns in namespaces()}
    imported = sorted(m for m in sys.modules if m == "pytest" or m.startswith("_pytest.") and m != "_pytest.outcomes"
                      and m != "_pytest._version")
    # the same process, now through pytest's own collection: the stand-in's modules are imported again
    stamp = grading._suite_stamp(assignment)
    through_pytest = grading.SuiteRunner(assignment, stamp, plain=False)
    again = {key: [dataclasses.astuple(o) for o in through_pytest.run(ns, assignment.limits).outcomes]
             for key, ns in namespaces()}
    once = [dataclasses.astuple(o) for o in grading._run_suite_once(assignment, LocalNamespace(dict(vars(reference))),
                                                                    assignment.limits).outcomes]
    print(json.dumps({"rows": rows, "imported": imported, "collection_errors": through_pytest.collection_errors,
                      "again": again, "once": once}))
''')


def deterministic(rows: list[list]) -> list[list]:
    """Outcome rows without their message (unseeded dropout masks make messages vary)."""
    return [row[:5] + row[6:] for row in rows]


@pytest.mark.parametrize("name", [*ASSIGNMENTS, "midterm"])
def test_a_cold_grader_imports_no_pytest_and_grades_as_pytest_does(name, assignments):
    """A fresh process grades the reference and every wrong variant from the kept collection
    without importing pytest, with the outcomes pytest's protocol gives; then, in that same
    process, pytest collects the suite again and finds every marker."""
    from autograder.assignment import load_assignment
    from tests.conftest import COURSE

    assignment = assignments[name] if name in assignments else load_assignment(name, COURSE)
    grading.SuiteRunner(assignment, grading._suite_stamp(assignment))  # keeps the collection, if not kept yet
    sources = {key: source for key, (_, source, _) in getattr(variants(name), "WRONG", {}).items()} if name != "midterm" else {}
    proc = subprocess.run([sys.executable, "-c", COLD_GRADER, name, json.dumps(sources)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.splitlines()[-1])
    assert report["imported"] == [], "a cold grade imported pytest"
    assert report["collection_errors"] == []
    for key, rows in report["rows"].items():
        assert deterministic(rows) == deterministic(report["again"][key]), key
        assert any(row[2] for row in rows) or key != "reference"
    assert deterministic(report["once"]) == deterministic(report["rows"]["reference"])
    assert sum(row[2] for row in report["rows"]["reference"]) == sum(row[3] for row in report["rows"]["reference"])


def test_a_module_that_used_the_stand_in_is_forgotten_before_pytest_collects(monkeypatch):
    module = type(sys)("suite_under_stand_in")
    module.pytest = PytestStandIn()
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(pytest_stand_in, "_imported_under_stand_in", {module.__name__, "json"})
    pytest_stand_in.forget_stand_in_modules()
    assert module.__name__ not in sys.modules
    assert "json" in sys.modules, "a module that does not use the stand-in stays"


def test_inside_the_block_import_pytest_gives_the_stand_in_only_if_pytest_is_not_imported():
    with pytest_stand_in.standing_in():
        import pytest as inside
    assert inside is pytest, "pytest is imported already: nothing changes"
