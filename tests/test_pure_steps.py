"""Small direct tests of the pure steps of the grading path, on one- and
two-cell notebooks (the way nbgrader tests each preprocessor): reading a
notebook, planning which code runs, naming cells, and the comparisons."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from autograder.errors import UnusableInput
from autograder.notebook import cell_label, plan_cells, read_notebook
from autograder.samples import do_nothing_source
from autograder.testing import (AnswerChecks, GradingFailure, assert_close, assert_same_labels, assert_shape,
                                assert_true, assert_unchanged, rel_error)


def code(source: str, **nbgrader) -> dict:
    meta = {"nbgrader": dict(nbgrader, schema_version=3)} if nbgrader else {}
    return {"cell_type": "code", "source": source, "metadata": meta, "outputs": [], "execution_count": None}


def write(tmp_path: Path, *cells: dict, name: str = "nb.ipynb") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": list(cells)}))
    return path


# ---------------------------------------------------------------- read_notebook
def test_read_one_cell_notebook(tmp_path):
    notebook = read_notebook(write(tmp_path, code("x = 1", grade_id="a", solution=True)))
    assert [(c.kind, c.source, c.grade_id, c.solution) for c in notebook.cells] == [("code", "x = 1", "a", True)]


def test_read_joins_source_lines(tmp_path):
    notebook = read_notebook(write(tmp_path, code(["x = 1\n", "y = 2"])))
    assert notebook.cells[0].source == "x = 1\ny = 2"


@pytest.mark.parametrize("content, says", [
    ("", "is empty"),
    ("import numpy as np\n", "Python script"),
    (json.dumps({"nbformat": 3, "worksheets": []}), "old nbformat 3"),
    (json.dumps([1, 2]), "not a Jupyter notebook"),
])
def test_read_refuses_what_is_not_a_notebook(tmp_path, content, says):
    path = tmp_path / "bad.ipynb"
    path.write_text(content)
    with pytest.raises(UnusableInput, match=says):
        read_notebook(path)


# ---------------------------------------------------------------- plan_cells
def test_plan_restores_a_locked_instructor_cell_and_skips_tests(tmp_path):
    source = read_notebook(write(tmp_path, code("import numpy as np", grade_id="setup", locked=True),
                                 code("assert f() == 1", grade_id="test_f", grade=True, locked=True, points=1),
                                 name="source.ipynb"))
    submission = read_notebook(write(tmp_path, code("import os; os.system('x')", grade_id="setup", locked=True),
                                     code("assert True", grade_id="test_f", grade=True, locked=True, points=1)))
    plan = plan_cells(submission, source)
    assert [c.source for c in plan.cells] == ["import numpy as np"]
    assert len(plan.notes) == 1 and "locked instructor cell" in plan.notes[0]


def test_plan_reinserts_a_deleted_instructor_cell_in_source_order(tmp_path):
    source = read_notebook(write(tmp_path, code("import numpy as np", grade_id="setup", locked=True),
                                 code("def f():\n    pass", grade_id="f", solution=True), name="source.ipynb"))
    submission = read_notebook(write(tmp_path, code("def f():\n    return 1", grade_id="f", solution=True)))
    plan = plan_cells(submission, source)
    assert [c.source for c in plan.cells] == ["import numpy as np", "def f():\n    return 1"]
    assert "`setup` was missing" in plan.notes[0]


def test_plan_skips_skip_grading_cells_and_turns_magics_into_python(tmp_path):
    skipped = code("train_for_an_hour()", grade_id="train", locked=True)
    skipped["metadata"]["tags"] = ["skip-grading"]
    source = read_notebook(write(tmp_path, skipped, name="source.ipynb"))
    submission = read_notebook(write(tmp_path, skipped, code("%matplotlib inline\nx = 1")))
    plan = plan_cells(submission, source)
    assert len(plan.cells) == 1
    assert "get_ipython()" in plan.cells[0].source and "x = 1" in plan.cells[0].source


# ---------------------------------------------------------------- naming cells
@pytest.mark.parametrize("source, label", [
    ("def fit(X, y):\n    return X", "Cell defining `fit`"),
    ("import numpy as np\nclass KNN:\n    pass\ndef f(): pass", "Cell defining `KNN`, `f`"),
    ("# load the data\nX, y = load()\n", "Cell starting `X, y = load()`"),
    ("%matplotlib inline\nplt.plot(x)", "Cell starting `%matplotlib inline`"),
    ("   \n", "An empty cell"),
])
def test_cells_are_named_as_a_student_finds_them(source, label):
    assert cell_label(source) == label


# ---------------------------------------------------------------- do-nothing notebooks
def test_do_nothing_source_keeps_names_and_signatures():
    source = "import numpy as np\ndef f(x, y=1):\n    return x + y\nclass M:\n    def g(self, a):\n        return a * 2\n"
    scope: dict = {}
    exec(do_nothing_source(source, "first_argument"), scope)
    assert scope["f"](3) == 3 and scope["M"]().g(5) == 5
    exec(do_nothing_source(source, "none"), scope)
    assert scope["f"](3) is None
    exec(do_nothing_source(source, "zeros"), scope)
    assert scope["f"](3).shape == (1,)


# ---------------------------------------------------------------- comparisons
def test_rel_error_is_the_course_measure():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0
    assert rel_error(1.0, 3.0) == pytest.approx(0.5)
    assert rel_error(np.array([np.nan]), np.array([1.0])) == np.inf


def test_assert_close_says_shape_and_error_never_the_answer():
    with pytest.raises(GradingFailure, match=r"wrong shape: got \(3,\), expected \(3, 1\)"):
        assert_close(np.zeros(3), np.zeros((3, 1)), call="f(x)")
    with pytest.raises(GradingFailure) as failure:
        assert_close(np.array([1.0, 2.0]), np.array([1.0, 2.5]), call="f(x)")
    assert "largest relative error 0.111 at index (1,) (1 of 2 entries off)" in str(failure.value)
    assert "2.5" not in str(failure.value)
    assert_close(np.float32(1.0) + 1e-9, 1.0, call="f(x)")


def test_assert_same_labels_counts_the_wrong_ones():
    with pytest.raises(GradingFailure, match="2 of the 4 predicted labels are wrong"):
        assert_same_labels(np.array([0, 1, 2, 3]), np.array([0, 1, 0, 0]), call="predict(X)")
    with pytest.raises(GradingFailure, match="whole-number class labels"):
        assert_same_labels(np.array([0.5]), np.array([0]), call="predict(X)")


def test_answer_checks_are_counted_and_assert_unchanged_is_not():
    class Student:
        class last_call:
            mutated = ("y",)

    AnswerChecks.reset()
    with pytest.raises(GradingFailure, match="changed its input `y` in place"):
        assert_unchanged(Student, call="f(X, y)")
    assert AnswerChecks.count == 0
    assert_true(True, "never shown")
    assert_shape(np.zeros(2), (2,), call="f")
    assert AnswerChecks.count >= 2
