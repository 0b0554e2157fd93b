"""One rule for what student code may import: what the grader has (``sandbox/imports.py``).

This machine, like a student's laptop, has scipy and scikit-learn (the ``author`` extra);
the grader's environment (pyproject's ``dependencies``, what Gradescope's setup.sh installs)
has neither. A correct function that imports scipy must lose its points when graded here as
on Gradescope, and validate must say "not ready" in the same words. Also: the release's own
support files are what validate runs (issue 20 item 10).

Real releases, real sandbox processes, real grading.
"""

from __future__ import annotations

import ast
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from autograder.grading import grade_submission
from autograder.samples import solution_sources, with_cells, write_notebook
from autograder.sandbox.imports import grader_modules, importable, refusal
from autograder.sandbox.process import Limits
from autograder.sandbox.session import CellToRun, StudentSession
from autograder.validate import STAMP_KEY, validate
from tests.conftest import lost_tasks

SCIPY = refusal("scipy")

# one graded function per homework (the issue's own example for HW4)
TARGETS = {"hw1": "squared_error_loss", "hw2": "softmax_loss_vectorized", "hw3": "relu_forward",
           "hw4": "batchnorm_backward_alt", "hw5": "max_pool_forward_naive"}


def student_folder(tmp_path: Path, assignment: Any, notebook: dict[str, Any]) -> Path:
    """The notebook and the release's support files in a fresh folder, as on a student's laptop."""
    folder = tmp_path / f"student-{len(list(tmp_path.iterdir()))}"
    path = write_notebook(notebook, folder / f"{assignment.name}.ipynb")
    for support in assignment.support_files:
        shutil.copy(support, folder / support.name)
    return path


def with_import_in(source: str, function: str, line: str) -> str:
    """``source`` with ``line`` as the first statement of ``function``'s body (still correct code)."""
    tree = ast.parse(source)
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function)
    first = node.body[0]
    lines = source.splitlines(keepends=True)
    lines.insert(first.lineno - 1, " " * first.col_offset + line + "\n")
    return "".join(lines)


def session(cells: list[str], imports: tuple[str, ...] | None) -> StudentSession:
    started = StudentSession([CellToRun(s, f"cell {i + 1}") for i, s in enumerate(cells)],
                             Limits(cell_timeout_s=20, call_timeout_s=10, submission_timeout_s=120), imports=imports)
    started.start()
    return started


# ---------------------------------------------------------------- the set
def test_the_set_is_the_graders_packages_and_the_support_files(assignments):
    modules = grader_modules()
    assert modules is not None
    assert {"numpy", "matplotlib", "pytest", "yaml", "IPython", "PIL"} <= set(modules)
    # installed here (the author extra, a student's laptop) but not by the grader
    assert not {"scipy", "sklearn", "nbgrader", "jupyter_client", "autograder"} & set(modules)
    assert {"solver", "gradient_check", "data_utils"} <= set(importable(assignments["hw4"].support_files))


def test_the_release_stamps_the_set_and_the_support_files(assignments, blank_notebooks):
    stamp = blank_notebooks["hw3"]["metadata"][STAMP_KEY]
    assert stamp["importable"] == list(importable(assignments["hw3"].support_files))
    assert "scipy" not in stamp["importable"]
    assert stamp["support_sources"]["solver.py"] == (assignments["hw3"].course_root / "assignments" / "hw3"
                                                     / "solver.py").read_text()


# ---------------------------------------------------------------- in the student process
def test_student_imports_outside_the_set_are_refused_library_imports_are_not():
    work = session([
        "import numpy as np, json, math, collections\nimport matplotlib.pyplot as plt\n"
        "import numpy.polynomial, pickle\nrows = pickle.loads(pickle.dumps(np.arange(3)))\n"
        "plt.plot([1, 2]); plt.savefig('plot.png')",  # numpy/matplotlib import their own parts freely
        "from scipy.special import logsumexp",
        "import importlib\nimportlib.import_module('sklearn')",
        "__import__('scipy')",
        "try:\n    import scipy\n    have_scipy = True\nexcept ImportError:\n    have_scipy = False",
        "def uses_scipy(x):\n    import scipy.linalg\n    return x",
    ], importable())
    try:
        first, from_import, import_module, dunder, guarded, defined = work.cell_reports
        assert (first.status, guarded.status, defined.status) == ("ok", "ok", "ok"), first.message
        assert SCIPY in from_import.message and "ModuleNotFoundError" in from_import.message
        assert refusal("sklearn") in import_module.message and "<frozen importlib" not in import_module.message
        assert SCIPY in dunder.message
        assert work.get("have_scipy") is False  # as on the grader, where scipy is absent
        assert list(work.get("rows")) == [0, 1, 2]
        with pytest.raises(Exception, match="`scipy` is not available when grading"):
            work.get("uses_scipy")(1)
    finally:
        work.close()


def test_without_a_rule_the_student_process_imports_what_is_installed():
    work = session(["import scipy.special\nvalue = float(scipy.special.logsumexp([0.0, 0.0]))"], None)
    try:
        assert work.cell_reports[0].status == "ok", work.cell_reports[0].message
    finally:
        work.close()


# ---------------------------------------------------------------- grading and validate agree
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_scipy_in_a_correct_function_loses_its_points_and_validate_says_so(name, assignments, perfect_notebooks,
                                                                          tmp_path):
    assignment, function = assignments[name], TARGETS[name]
    source = with_import_in(solution_sources(assignment)[function], function,
                            "from scipy.special import logsumexp  # unused: works on my laptop")
    path = student_folder(tmp_path, assignment, with_cells(perfect_notebooks[name], {function: source}))

    result = grade_submission(assignment, path)
    assert function in lost_tasks(result)
    lost = [t for t in result.tests if t.status != "passed"]
    # and only for that reason (a task that calls it too may fail with it): support files, numpy still import
    assert all(SCIPY in t.output for t in lost), [t.output for t in lost if SCIPY not in t.output][:1]

    report = validate(path)
    assert not report.ready and report.exit_code == 1
    said = [f for f in report.problems if SCIPY in f.message]
    assert said, report.render()
    assert SCIPY in report.last_line() or any(f.where == report.problems[0].where for f in said)


@pytest.mark.slow
def test_a_notebook_importing_numpy_and_the_standard_library_is_unaffected(assignments, perfect_notebooks, tmp_path):
    assignment = assignments["hw1"]
    source = with_import_in(solution_sources(assignment)["squared_error_loss"], "squared_error_loss",
                            "import math, itertools, functools, numpy.linalg")
    notebook = with_cells(perfect_notebooks["hw1"], {"squared_error_loss": source})
    notebook["cells"].insert(1, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                                 "source": "import numpy as np\nimport matplotlib.pyplot as plt\n"
                                           "from collections import Counter\nimport json, time\n"})
    path = student_folder(tmp_path, assignment, notebook)
    report = validate(path)
    assert report.ready, report.render()
    assert not [f for f in report.findings if f.kind == "import"]
    result = grade_submission(assignment, path)
    assert lost_tasks(result) == set() and result.problems == []


def test_validate_warns_of_an_ungraded_helper_and_refuses_a_top_level_import(assignments, perfect_notebooks,
                                                                             tmp_path):
    notebook = perfect_notebooks["hw1"]
    helper = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": "def my_plot_helper():\n    import seaborn\n    return seaborn\n"}
    notebook = dict(notebook, cells=[*notebook["cells"][:2], helper, *notebook["cells"][2:]])
    report = validate(student_folder(tmp_path, assignments["hw1"], notebook))
    [warning] = [f for f in report.findings if f.kind == "import"]
    assert refusal("seaborn") in warning.message and not warning.problem and warning.where.startswith("cell 3")
    assert report.ready

    top = dict(helper, source="import sklearn.datasets\n")
    notebook = dict(notebook, cells=[*notebook["cells"][:2], top, *notebook["cells"][3:]])
    report = validate(student_folder(tmp_path, assignments["hw1"], notebook))
    assert not report.ready
    [problem] = [f for f in report.problems if refusal("sklearn") in f.message]
    assert problem.where.startswith("cell 3")


# ---------------------------------------------------------------- the release's support files (item 10)
@pytest.mark.slow
def test_validate_runs_the_released_support_file_and_says_the_edited_one_was_ignored(assignments,
                                                                                     perfect_notebooks, tmp_path):
    assignment = assignments["hw2"]
    [support] = [p.name for p in assignment.support_files if p.suffix == ".py"]  # data_utils.py (digits.npz: data)
    path = student_folder(tmp_path, assignment, perfect_notebooks["hw2"])
    with open(path.parent / support, "a") as handle:
        handle.write("\nraise RuntimeError('my own edit of the support file')\n")
    report = validate(path)
    assert report.ready, report.render()  # the grader runs the release's copy: so did validate
    [note] = [f for f in report.findings if f.kind == "support-file"]
    assert note.where == support and not note.problem
    assert "your edit was ignored" in note.message and "validate ran the release's copy" in note.message
    assert grade_submission(assignment, path).problems == []  # the grade agrees

    (path.parent / support).unlink()
    report = validate(path)
    assert report.ready, report.render()
    [note] = [f for f in report.findings if f.kind == "support-file"]
    assert "is not beside your notebook" in note.message and "validate ran that copy" in note.message


def test_the_zygotes_children_apply_the_same_rule():
    """Batch grading forks student processes from a warmed zygote (namespaces level): same rule."""
    from autograder.sandbox import zygote
    from autograder.sandbox.process import detect_isolation

    if detect_isolation().level != "namespaces":
        pytest.skip("the zygote is used only at the namespaces level (root + bubblewrap)")
    launcher = zygote.ZygoteLauncher(790 + __import__("os").getpid() % 50)
    try:
        work = StudentSession([CellToRun("import numpy as np\nfrom scipy import linalg", "cell 1"),
                               CellToRun("import json\nfrom solver import Solver", "cell 2")],
                              Limits(cell_timeout_s=20, call_timeout_s=10, submission_timeout_s=120),
                              slot=launcher.slot, launcher=launcher, imports=importable(("solver.py",)),
                              support_files=(Path(__file__).resolve().parent.parent / "assignments/hw3/solver.py",))
        work.start()
        try:
            first, second = work.cell_reports
            assert SCIPY in first.message
            assert second.status == "ok", second.message
        finally:
            work.close()
    finally:
        launcher.close()


def test_only_text_support_files_are_stamped(tmp_path):
    """Code is stamped (validate runs it); a data file (binary, or large) stays beside the notebook."""
    from autograder.validate import STAMPED_SOURCE_BYTES, _support_sources

    (tmp_path / "solver.py").write_text("class Solver:\n    pass\n")
    (tmp_path / "digits.npz").write_bytes(b"PK\x03\x04\xff\xfe binary")
    (tmp_path / "big.txt").write_text("x" * (STAMPED_SOURCE_BYTES + 1))
    assert _support_sources(sorted(tmp_path.iterdir())) == {"solver.py": "class Solver:\n    pass\n"}


def test_the_installed_module_walk_is_cached_until_sys_path_changes(tmp_path, monkeypatch):
    """Issue 23: the walk through installed metadata costs a tenth of a second of every cold
    grade, so its answer is kept beside the environment; installing a package (a changed
    folder on sys.path) makes the next grade walk again rather than trust a stale list."""
    from autograder.sandbox import imports

    walked = imports._cached_walk("autograder", str(tmp_path))
    assert walked == imports._walk("autograder") and "numpy" in walked
    assert (tmp_path / imports.CACHE_NAME).is_file()

    def no_walk(root: str) -> None:
        raise AssertionError("walked again although nothing was installed")

    monkeypatch.setattr(imports, "_walk", no_walk)
    assert imports._cached_walk("autograder", str(tmp_path)) == walked  # read back, not walked

    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(imports, "_walk", lambda root: ("first",))
    assert imports._cached_walk("autograder", str(tmp_path)) == ("first",)  # a new folder on sys.path: walked
    monkeypatch.setattr(imports, "_walk", no_walk)
    assert imports._cached_walk("autograder", str(tmp_path)) == ("first",)
    (site / "newpkg-1.0.dist-info").mkdir()  # a package installed into a folder on sys.path
    monkeypatch.setattr(imports, "_walk", lambda root: ("fresh",))
    assert imports._cached_walk("autograder", str(tmp_path)) == ("fresh",)


def test_two_ways_of_starting_the_grader_do_not_walk_in_turns(tmp_path, monkeypatch):
    """``autograder`` (its bin folder first on sys.path) and ``python -m autograder.cli`` (the
    working folder first) each keep their own answer: alternating them walks only twice."""
    from autograder.sandbox import imports

    walks: list[str] = []
    monkeypatch.setattr(imports, "_walk", lambda root: (walks.append(sys.path[0]), ("numpy",))[1])
    original = sys.path[0]
    try:
        for first in ("/venv/bin", "/course", "/venv/bin", "/course", "/venv/bin"):
            sys.path[0] = first
            assert imports._cached_walk("autograder", str(tmp_path)) == ("numpy",)
    finally:
        sys.path[0] = original
    assert walks == ["/venv/bin", "/course"]
