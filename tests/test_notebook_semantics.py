"""A notebook is graded by what its code defines, Jupyter-style, whatever
the student did to its cells (HW1 is the example)."""

from __future__ import annotations

import copy

from autograder.samples import solution_sources, with_cells


def _code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")


def _first_instructor_cell(nb):
    for cell in _code_cells(nb):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("locked") and not meta.get("grade") and not meta.get("solution") \
                and "skip-grading" not in cell.get("metadata", {}).get("tags", []) and "import numpy" in "".join(cell["source"]):
            return cell
    raise AssertionError("no instructor cell that imports numpy")


def test_edited_locked_cell_is_restored(assignments, perfect_notebooks, grade):
    nb = copy.deepcopy(perfect_notebooks["hw1"])
    cell = _first_instructor_cell(nb)
    cell["source"] = "np = None\nraise SystemExit('I broke the imports')\n"
    result = grade(assignments["hw1"], nb)
    assert result.score == 100
    assert any("locked" in p and "replaced by the original" in p for p in result.problems)


def test_deleted_instructor_cell_is_run_anyway(assignments, perfect_notebooks, grade):
    nb = copy.deepcopy(perfect_notebooks["hw1"])
    imports = _first_instructor_cell(nb)
    nb["cells"].remove(imports)
    result = grade(assignments["hw1"], nb)
    assert result.score == 100
    assert any("was missing from your notebook" in p for p in result.problems)


def test_infinite_loop_and_raising_cells_do_not_stop_the_rest(assignments, perfect_notebooks, grade):
    nb = copy.deepcopy(perfect_notebooks["hw1"])
    loop = {"cell_type": "code", "metadata": {}, "source": "while True:\n    pass\n", "outputs": [], "execution_count": None}
    boom = {"cell_type": "code", "metadata": {}, "source": "raise ValueError('oops')\n", "outputs": [], "execution_count": None}
    nb["cells"][3:3] = [loop, boom]
    result = grade(assignments["hw1"], nb)
    assert result.score == 100
    statuses = {r.status for r in result.cells}
    assert {"timeout", "error"} <= statuses
    assert any("still running after" in p for p in result.problems)
    assert any("ValueError: oops" in p for p in result.problems)


def test_signal_ignoring_loop_is_killed_and_grading_continues(assignments, perfect_notebooks, grade):
    nb = copy.deepcopy(perfect_notebooks["hw1"])
    stubborn = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                "source": "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    pass\n"}
    nb["cells"].insert(2, stubborn)
    result = grade(assignments["hw1"], nb)
    assert result.score == 100
    assert any("was stopped" in p for p in result.problems)


def test_sys_exit_cell_is_reported_and_the_next_cell_runs(assignments, perfect_notebooks, grade):
    nb = copy.deepcopy(perfect_notebooks["hw1"])
    nb["cells"].insert(2, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                           "source": "import sys\nsys.exit(0)\n"})
    result = grade(assignments["hw1"], nb)
    assert result.score == 100
    assert any("sys.exit" in p for p in result.problems)


def test_the_student_python_has_the_site_packages_and_builtins_a_notebook_expects(assignments, perfect_notebooks, grade):
    """The student process starts without ``site`` (``python -I -S``, a quarter faster): it still
    imports the installed packages, has exit(), quit() and help(), and runs no .pth code (the
    editable install's import hook) and sees no course folder."""
    nb = copy.deepcopy(perfect_notebooks["hw1"])
    probe = ("import builtins, sys, matplotlib\n"
             "print('PROBE', sys.flags.no_site, all(hasattr(builtins, n) for n in ('exit', 'quit', 'help', 'copyright')),\n"
             "      any('editable' in type(f).__name__.lower() for f in sys.meta_path),\n"
             f"      any(p.startswith({str(assignments['hw1'].course_root)!r}) for p in sys.path if 'site-packages' not in p))\n")
    nb["cells"].insert(2, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": probe})
    nb["cells"].insert(3, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": "exit()\n"})
    result = grade(assignments["hw1"], nb)
    assert result.score == 100
    assert "PROBE 1 True False False" in result.stdout
    assert any("exit" in p for p in result.problems), result.problems


def test_solutions_pasted_into_a_fresh_notebook_without_metadata(assignments, grade):
    """No nbgrader metadata at all: one import cell plus the functions, split and reordered."""
    sources = list(solution_sources(assignments["hw1"]).values())
    cells = [{"cell_type": "code", "metadata": {}, "source": s, "outputs": [], "execution_count": None}
             for s in reversed(sources)]
    cells.insert(0, {"cell_type": "code", "metadata": {}, "source": "import numpy as np\n", "outputs": [],
                     "execution_count": None})
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    result = grade(assignments["hw1"], nb)
    assert result.score == 100


def test_split_moved_and_duplicated_cells(assignments, perfect_notebooks, grade):
    nb = copy.deepcopy(perfect_notebooks["hw1"])
    solutions = [c for c in _code_cells(nb) if c["metadata"].get("nbgrader", {}).get("solution")]
    # move the last solution cell to the very top, duplicate the first one at the end
    nb["cells"].remove(solutions[-1])
    nb["cells"].insert(0, solutions[-1])
    nb["cells"].append(copy.deepcopy(solutions[0]))
    # split one solution cell in two: an import line, then the def
    first = solutions[1]
    first["source"] = "".join(first["source"])
    split = {"cell_type": "code", "metadata": {}, "source": "import numpy as np\n", "outputs": [], "execution_count": None}
    nb["cells"].insert(nb["cells"].index(first), split)
    result = grade(assignments["hw1"], nb)
    assert result.score == 100


def test_ipython_magics_do_not_break_grading(assignments, perfect_notebooks, grade):
    nb = copy.deepcopy(perfect_notebooks["hw1"])
    nb["cells"].insert(0, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                           "source": "%matplotlib inline\n%load_ext autoreload\n%autoreload 2\n!pip install numpy\nx = !ls\n"})
    result = grade(assignments["hw1"], nb)
    assert result.score == 100
    assert "skipped IPython magic" in result.stdout


def test_student_test_cells_and_skip_cells_are_not_run(assignments, perfect_notebooks, grade):
    """Visible test cells are replaced by the hidden suite; a student who breaks one loses nothing."""
    nb = copy.deepcopy(perfect_notebooks["hw1"])
    for cell in _code_cells(nb):
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            cell["source"] = "import os\nos._exit(3)\n"
    result = grade(assignments["hw1"], nb)
    assert result.score == 100
    assert all(r.status == "ok" for r in result.cells)


def test_feedback_helps_without_revealing_expected_values(assignments, perfect_notebooks, grade):
    wrong = ("import numpy as np\n\n"
             "def fit_least_squares(X, y):\n"
             "    theta = np.linalg.solve(X.T @ X, X.T @ y)\n"
             "    return theta.reshape(-1, 1)\n")
    crash = ("import numpy as np\n\n"
             "def squared_error_loss(theta, X, y):\n"
             "    helper = {}\n"
             "    return helper['missing']\n")
    result = grade(assignments["hw1"], with_cells(perfect_notebooks["hw1"],
                                                  {"fit_least_squares": wrong, "squared_error_loss": crash}))
    shape_msgs = [t.output for t in result.tests if t.task == "fit_least_squares" and t.status != "passed"]
    assert shape_msgs and any("wrong shape: got (" in m and ", 1), expected (" in m for m in shape_msgs)
    crash_msgs = [t.output for t in result.tests if t.task == "squared_error_loss" and t.status != "passed"]
    assert crash_msgs and all("KeyError" in m for m in crash_msgs)
    # the traceback is the student's own code, not the grader's
    assert any("helper['missing']" in m for m in crash_msgs)
    assert not any("autograder/" in m or "student_main" in m for m in crash_msgs)


def test_relative_error_is_reported_for_a_near_miss(assignments, perfect_notebooks, grade):
    wrong = ("import numpy as np\n\n"
             "def squared_error_gradient(theta, X, y):\n"
             "    return X.T @ (X @ theta - y)\n")
    result = grade(assignments["hw1"], with_cells(perfect_notebooks["hw1"], {"squared_error_gradient": wrong}))
    msgs = [t.output for t in result.tests if t.task == "squared_error_gradient" and t.status != "passed"]
    assert any("largest relative error" in m for m in msgs)
