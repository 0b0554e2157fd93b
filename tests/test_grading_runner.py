"""The grading runner collects the hidden suite once and re-runs it for every submission.

A suite of plain tests (``autograder.suite``) runs as calls of its test functions, and its
collection is kept beside the suite for the next cold grader; any other suite runs through
pytest's own per-test protocol. Both, and ``pytest.main``, must give the same outcomes,
word for word, for right and wrong answers alike."""

from __future__ import annotations

import dataclasses
import shutil
import sys

import pytest

from autograder import grading, suite
from autograder.assignment import load_assignment
from autograder.grading import UnreadableSubmission
from autograder.pytest_plugin import LocalNamespace, reference_module_for
from tests.conftest import ASSIGNMENTS, COURSE, variants


def outcome_rows(plugin):
    return [dataclasses.astuple(o) for o in plugin.outcomes]


def wrong_namespaces(name: str, reference) -> dict[str, object]:
    """The reference with one wrong variant's cell run over it, for each wrong variant."""
    namespaces = {"reference": LocalNamespace(dict(vars(reference))), "unreadable": UnreadableSubmission("no notebook")}
    for key, (_, source, _) in getattr(variants(name), "WRONG", {}).items():
        scope = dict(vars(reference))
        exec(compile(source, f"<{key}>", "exec"), scope)  # noqa: S102 - the project's own variants
        namespaces[key] = LocalNamespace(scope)
    return namespaces


@pytest.fixture
def repeatable_randomness(monkeypatch):
    """Student code's unseeded randomness (a wrong dropout's mask from ``default_rng()``, or
    ``np.random.rand``) drawn the same in every run, so that two routes' messages can be compared
    word for word (by chance, two runs of one route used to agree while the other differed)."""
    import numpy as np

    real = np.random.default_rng
    monkeypatch.setattr(np.random, "default_rng", lambda seed=None: real(1234 if seed is None else seed))

    def reseed():
        np.random.seed(1234)
    return reseed


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_plain_run_pytest_items_and_pytest_main_agree(name, assignments, repeatable_randomness):
    """Every outcome field (score, status, message, kind, visibility) is the same whichever way
    the suite runs, for the reference, a notebook that cannot be read, and every wrong variant."""
    assignment = assignments[name]
    reference = reference_module_for(assignment.suite)
    stamp = grading._suite_stamp(assignment)
    plain = grading.SuiteRunner(assignment, stamp)
    through_pytest = grading.SuiteRunner(assignment, stamp, plain=False)
    assert plain.plain, f"{name} does not run as plain tests: {plain.why_not_plain}"
    assert through_pytest.plain is None and through_pytest.items
    for key, namespace in wrong_namespaces(name, reference).items():
        repeatable_randomness()
        fast = outcome_rows(plain.run(namespace, assignment.limits))
        repeatable_randomness()
        slow = outcome_rows(through_pytest.run(namespace, assignment.limits))
        assert fast == slow, key
        if key in ("reference", "unreadable"):
            assert fast == outcome_rows(grading._run_suite_once(assignment, namespace, assignment.limits)), key
    assert sum(o.score for o in plain.run(LocalNamespace(vars(reference)), assignment.limits).outcomes) == 100


def test_the_midterm_runs_as_plain_tests_on_the_authoring_variant():
    assignment = load_assignment("midterm", COURSE)
    stamp = grading._suite_stamp(assignment)
    plain = grading.SuiteRunner(assignment, stamp)
    assert plain.plain, plain.why_not_plain
    namespace = LocalNamespace(vars(reference_module_for(assignment.suite)))
    fast = plain.run(namespace, assignment.limits)
    slow = grading.SuiteRunner(assignment, stamp, plain=False).run(namespace, assignment.limits)
    assert outcome_rows(fast) == outcome_rows(slow)
    assert sum(o.score for o in fast.outcomes) == sum(o.max_score for o in fast.outcomes) > 0


@pytest.fixture
def keep_reference_modules():
    """A test that grades a copied course imports its own `reference` package: afterwards this
    process gets back exactly the module objects it had (other test modules compare them)."""
    def ours():
        return {k: v for k, v in sys.modules.items() if k == "reference" or k.startswith("reference.")}

    saved, path = ours(), list(sys.path)
    yield
    for name in ours():
        del sys.modules[name]
    sys.modules.update(saved)
    sys.path[:] = path


def copied_suite(assignments, tmp_path, name="hw1"):
    """A copy of ``name``'s reference package under a new course root, as an Assignment."""
    assignment = assignments[name]
    root = tmp_path / "course"
    shutil.copytree(assignment.reference_package, root / "reference" / name,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (root / "reference" / "__init__.py").write_text("")
    package = root / "reference" / name
    return dataclasses.replace(assignment, course_root=root, reference_package=package,
                               suite=package / assignment.suite.name)


def test_a_cold_runner_reads_the_kept_collection_and_a_changed_suite_is_collected_again(assignments, tmp_path,
                                                                                         keep_reference_modules):
    copy = copied_suite(assignments, tmp_path)
    try:
        first = grading.SuiteRunner(copy, grading._suite_stamp(copy))
        assert first.plain and first.items, "the first runner collects with pytest"
        assert suite.manifest_path(copy.suite).is_file()
        cold = grading.SuiteRunner(copy, grading._suite_stamp(copy))
        assert cold.plain and cold.items is None, "an unchanged suite is not collected again"
        assert [t.info for t in cold.plain] == [t.info for t in first.plain]
        student = LocalNamespace(vars(reference_module_for(copy.suite)))
        assert outcome_rows(cold.run(student, copy.limits)) == outcome_rows(first.run(student, copy.limits))

        with open(copy.suite, "a", encoding="utf-8") as handle:
            handle.write("\n\n@pytest.mark.task('polynomial_features')\n@pytest.mark.points(1)\n"
                         "def test_added_later(student, reference):\n"
                         "    assert_close(student.polynomial_features(np.arange(3.0), 1), "
                         "reference.polynomial_features(np.arange(3.0), 1))\n")
        changed = grading.SuiteRunner(copy, grading._suite_stamp(copy))
        assert changed.items is not None, "a changed suite is collected again"
        assert [t.info.name for t in changed.plain][-1] == "test_added_later"
    finally:
        reference_module_for(assignments["hw1"].suite)


SUITE_FEATURES = {
    "a skip marker": "\n\n@pytest.mark.skip(reason='later')\n@pytest.mark.task('polynomial_features')\n"
                     "@pytest.mark.points(1)\ndef test_skipped(student):\n    pass\n",
    "an instructor fixture": "\n\n@pytest.fixture\ndef three():\n    return 3\n\n\n"
                             "@pytest.mark.task('polynomial_features')\n@pytest.mark.points(1)\n"
                             "def test_with_fixture(student, reference, three):\n"
                             "    x = np.arange(float(three))\n"
                             "    assert_close(student.polynomial_features(x, 1), reference.polynomial_features(x, 1))\n",
    "an autouse fixture": "\n\n@pytest.fixture(autouse=True)\ndef quiet():\n    yield\n",
    "pytest_generate_tests": "\n\ndef pytest_generate_tests(metafunc):\n"
                             "    if 'size' in metafunc.fixturenames:\n        metafunc.parametrize('size', [2, 3])\n\n\n"
                             "@pytest.mark.task('polynomial_features')\n@pytest.mark.points(1)\n"
                             "def test_generated(student, reference, size):\n"
                             "    x = np.arange(float(size))\n"
                             "    assert_close(student.polynomial_features(x, 1), reference.polynomial_features(x, 1))\n",
}


@pytest.mark.parametrize("feature", SUITE_FEATURES)
def test_a_suite_that_needs_pytest_runs_through_pytest_with_the_same_outcomes(feature, assignments, tmp_path,
                                                                              keep_reference_modules):
    copy = copied_suite(assignments, tmp_path)
    try:
        with open(copy.suite, "a", encoding="utf-8") as handle:
            handle.write(SUITE_FEATURES[feature])
        runner = grading.SuiteRunner(copy, grading._suite_stamp(copy))
        assert runner.plain is None and runner.items, feature
        assert runner.why_not_plain
        assert not suite.manifest_path(copy.suite).exists()
        student = LocalNamespace(vars(reference_module_for(copy.suite)))
        outcomes = outcome_rows(runner.run(student, copy.limits))
        assert outcomes == outcome_rows(grading._run_suite_once(copy, student, copy.limits))
        assert len(outcomes) >= len(grading.SuiteRunner(assignments["hw1"], grading._suite_stamp(
            assignments["hw1"])).plain)
    finally:
        reference_module_for(assignments["hw1"].suite)


def test_a_kept_collection_that_no_longer_matches_its_module_is_not_used(assignments, tmp_path, keep_reference_modules):
    """A manifest naming a test function the module no longer has (edited in the same
    second, same size) is refused and the suite is collected again, never half used."""
    copy = copied_suite(assignments, tmp_path)
    try:
        grading.SuiteRunner(copy, grading._suite_stamp(copy))
        path = suite.manifest_path(copy.suite)
        path.write_text(path.read_text().replace('"function": "test_polynomial_features_small"',
                                                 '"function": "test_gone"'))
        runner = grading.SuiteRunner(copy, grading._suite_stamp(copy))
        assert runner.items is not None and runner.plain
        assert "test_gone" not in path.read_text()
    finally:
        reference_module_for(assignments["hw1"].suite)


def test_a_cold_grade_loads_the_suite_while_the_student_process_starts(assignments, perfect_notebooks, tmp_path,
                                                                       monkeypatch):
    """Issue 23: the student process is launched before the grader imports pytest and
    loads the hidden suite (two processes, two cores), and waited for only then;
    the grade is the same full score."""
    from autograder.samples import write_notebook
    from autograder.sandbox.process import StudentProcess

    events: list[str] = []
    launch, await_ready = StudentProcess.launch, StudentProcess.await_ready
    monkeypatch.setattr(StudentProcess, "launch", lambda self: (events.append("launch"), launch(self))[1])
    monkeypatch.setattr(StudentProcess, "await_ready", lambda self: (events.append("wait"), await_ready(self))[1])

    class RecordingRunner(grading.SuiteRunner):
        def __init__(self, *args, **kwargs):
            events.append("collect")
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(grading, "SuiteRunner", RecordingRunner)
    monkeypatch.setattr(grading, "_runners", {})  # cold: nothing collected in this process yet
    notebook = write_notebook(perfect_notebooks["hw1"], tmp_path / "hw1.ipynb")
    result = grading.grade_submission(assignments["hw1"], notebook)
    assert result.score == result.max_score == 100 and not result.grader_errors
    assert events[:3] == ["launch", "collect", "wait"]
