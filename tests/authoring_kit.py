"""A small assignment written from nothing, the way docs/authoring.md tells an
instructor: a course.yaml entry, a source notebook in nbgrader format, a
reference and a hidden suite. No generator script.

``write_course(root)`` lays out a one-assignment course (``hw9``: ``sigmoid``
and ``softmax``, 10 points) under ``root``; the tests then break one thing at a
time to show that nothing is mis-scored silently.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

COURSE_YAML = """\
course: {name: "Tiny course", term: Winter 2025, timezone: America/Los_Angeles}
components:
  homework: {weight: 100, combine: mean_percent, assignments: [hw9]}
assignments:
  hw9: {title: Homework 9, kind: homework, release: 2025-01-13, due: 2025-01-22, max_points: 10}
late_days: {per_student: 3, max_per_assignment: 2}
letter_scale: {A: 93, A-: 90, B+: 86, B: 83, B-: 80, C+: 76, C: 73, C-: 70, D+: 66, D: 63, D-: 60, F: 0}
tracks:
  undergraduate: {course: C147}
grading: {cell_timeout_s: 10, call_timeout_s: 5, submission_timeout_s: 120, function_budget_s: 10}
"""

SIGMOID = '''\
def sigmoid(z):
    """The logistic function, elementwise.

    z: array of any shape. Returns an array of the same shape, values in (0, 1).
    """
    ### BEGIN SOLUTION
    return 1.0 / (1.0 + np.exp(-z))
    ### END SOLUTION
'''

SOFTMAX = '''\
def softmax(scores):
    """Row-wise softmax, numerically stable.

    scores: (N, C). Returns (N, C); each row sums to 1.
    """
    ### BEGIN SOLUTION
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)
    ### END SOLUTION
'''

REFERENCE = '''\
"""Reference for hw9 (hidden from students)."""
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(scores):
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)
'''

SUITE = '''\
"""Hidden tests for hw9."""
import numpy as np
import pytest

from autograder.testing import assert_close, assert_unchanged, rng


@pytest.mark.visible
@pytest.mark.task("sigmoid")
@pytest.mark.points(2)
def test_sigmoid_small(student, reference):
    z = np.array([-2.0, 0.0, 3.0])
    assert_close(student.sigmoid(z), reference.sigmoid(z), call="sigmoid(z (3,))")


@pytest.mark.task("sigmoid")
@pytest.mark.points(2)
def test_sigmoid_matrix(student, reference):
    z = rng(1).normal(size=(4, 5))
    assert_close(student.sigmoid(z), reference.sigmoid(z), call="sigmoid(z (4, 5))")
    assert_unchanged(student, call="sigmoid(z (4, 5))")


@pytest.mark.visible
@pytest.mark.task("softmax")
@pytest.mark.points(3)
def test_softmax_small(student, reference):
    s = rng(2).normal(size=(3, 4))
    assert_close(student.softmax(s), reference.softmax(s), call="softmax(scores (3, 4))")


@pytest.mark.task("softmax")
@pytest.mark.points(3)
def test_softmax_large_scores(student, reference):
    s = 1000 + rng(3).normal(size=(5, 3))
    assert_close(student.softmax(s), reference.softmax(s), call="softmax(scores (5, 3) near 1000)")
'''


def _nbgrader(grade_id: str, *, solution: bool = False, grade: bool = False, locked: bool = False,
              points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def test_cell(name: str, points: float, source: str) -> nbformat.NotebookNode:
    return new_code_cell(source, metadata=_nbgrader(f"test_{name}", grade=True, locked=True, points=points))


def build_notebook(sigmoid_points: float = 4, softmax_points: float = 6) -> nbformat.NotebookNode:
    """The source notebook: markdown, an import cell, two solution cells, two visible test cells."""
    cells = [
        new_markdown_cell("# Homework 9\nImplement $\\sigma(z) = 1 / (1 + e^{-z})$ and a stable softmax.",
                          metadata=_nbgrader("intro", locked=True)),
        new_code_cell("import numpy as np", metadata=_nbgrader("imports", locked=True)),
        new_code_cell(SIGMOID, metadata=_nbgrader("sigmoid", solution=True)),
        test_cell("sigmoid", sigmoid_points,
                  "assert np.allclose(sigmoid(np.array([0.0])), [0.5])\nprint('sigmoid: visible test passed')"),
        new_code_cell(SOFTMAX, metadata=_nbgrader("softmax", solution=True)),
        test_cell("softmax", softmax_points,
                  "assert np.allclose(softmax(np.zeros((2, 3))).sum(axis=1), 1)\nprint('softmax: visible test passed')"),
    ]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def write_course(root: Path, *, course_yaml: str = COURSE_YAML, suite: str = SUITE,
                 notebook: nbformat.NotebookNode | None = None) -> Path:
    """Lay out the course under ``root``; returns the course.yaml path."""
    (root / "assignments" / "hw9").mkdir(parents=True, exist_ok=True)
    (root / "reference" / "hw9").mkdir(parents=True, exist_ok=True)
    (root / "course.yaml").write_text(course_yaml)
    (root / "reference" / "__init__.py").write_text("")
    (root / "reference" / "hw9" / "__init__.py").write_text(REFERENCE)
    (root / "reference" / "hw9" / "test_hw9.py").write_text(suite)
    nbformat.write(notebook if notebook is not None else build_notebook(), root / "assignments" / "hw9" / "hw9.ipynb")
    return root / "course.yaml"
