"""The release's set-up works on a student's machine (issue 20, item 8).

A student installs only the release's wheel (numpy, matplotlib, IPython, ...: no
scikit-learn) and opens the notebook in Jupyter. HW2-HW5's data cells then load the
8 x 8 digits from ``digits.npz``, which ships beside ``data_utils.py`` in the release and
the Gradescope zip. ``autograder validate`` warns when a cell the grader skips
(skip-grading) would stop in the student's own run because it needs a module this Python
lacks, directly or through a support file.

"This Python without scikit-learn" is a real interpreter: the project's, started with
``-S`` (no site-packages) and a PYTHONPATH that links every installed distribution except
scikit-learn.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograder.validate import STAMP_KEY, validate
from tests.conftest import ROOT
from tests.test_validate import _rewrite_released_cell, cell_index, student_folder

DATA_HOMEWORK = ("hw2", "hw3", "hw4", "hw5")
DIGITS = ROOT / "assignments" / "hw2" / "digits.npz"
MAX_DATA_BYTES = 200 * 1024


@pytest.fixture(scope="module")
def without_sklearn(tmp_path_factory) -> dict[str, str]:
    """Environment for ``python -S``: every installed package importable except scikit-learn."""
    farm = tmp_path_factory.mktemp("site-without-sklearn")
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.lower().startswith(("sklearn", "scikit_learn", "__editable__")) and entry.suffix != ".pth":
            (farm / entry.name).symlink_to(entry)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "CIFAR10"))}
    env.update(PYTHONPATH=f"{ROOT}{os.pathsep}{farm}", MPLBACKEND="Agg")
    probe = subprocess.run([sys.executable, "-S", "-c", "import numpy, matplotlib, autograder\n"
                            "import importlib.util as u; assert u.find_spec('sklearn') is None"],
                           env=env, capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    return env


def _load_data_utils(folder: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"data_utils_{folder.name}", folder / "data_utils.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- the data ship with the release
@pytest.mark.parametrize("name", DATA_HOMEWORK)
def test_digits_are_a_support_file_of_every_homework_that_loads_data(name, assignments):
    support = {p.name: p for p in assignments[name].support_files}
    assert "data_utils.py" in support and "digits.npz" in support, sorted(support)
    assert support["digits.npz"].read_bytes() == DIGITS.read_bytes()
    assert DIGITS.stat().st_size < MAX_DATA_BYTES
    assert not any(n.startswith("make_") for n in support), "the script that makes the data is not for students"


def test_digits_file_holds_the_digits_in_small_integers():
    with np.load(DIGITS, allow_pickle=False) as data:
        assert sorted(data.files) == ["images", "labels"]
        images, labels = data["images"], data["labels"]
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    assert images.dtype == np.uint8 and labels.dtype == np.uint8
    assert images.max() == 16 and sorted(np.unique(labels)) == list(range(10))


def test_make_digits_remakes_the_committed_file_byte_for_byte(tmp_path):
    pytest.importorskip("sklearn")
    proc = subprocess.run([sys.executable, str(ROOT / "assignments" / "hw2" / "make_digits.py"),
                           str(tmp_path / "digits.npz")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "digits.npz").read_bytes() == DIGITS.read_bytes()


def test_the_split_is_the_one_scikit_learn_gave(tmp_path):
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    data_utils = _load_data_utils(ROOT / "assignments" / "hw3")
    X_train, y_train, X_test, y_test = data_utils.load_digits_split(path=DIGITS)
    digits = sklearn_datasets.load_digits()
    order = np.random.default_rng(0).permutation(len(digits.target))
    np.testing.assert_array_equal(X_train, digits.images[order][:-297])
    np.testing.assert_array_equal(y_test, digits.target[order][-297:])
    assert X_train.dtype == np.float64 and y_train.dtype == np.int64


def test_a_missing_digits_file_says_what_to_do(tmp_path):
    (tmp_path / "data_utils.py").write_bytes((ROOT / "assignments" / "hw2" / "data_utils.py").read_bytes())
    data_utils = _load_data_utils(tmp_path)
    with pytest.raises(FileNotFoundError, match="digits.npz is not in .*Copy it back from the homework's release"):
        data_utils.load_dataset(tmp_path / "no-cifar")


@pytest.mark.parametrize("name", DATA_HOMEWORK)
def test_data_cell_runs_where_scikit_learn_is_not_installed(name, assignments, perfect_notebooks, tmp_path,
                                                            without_sklearn):
    """The released notebook, run up to and including its data cell (skip-grading), in a folder
    holding only what the release gives, by an interpreter without scikit-learn."""
    notebook = perfect_notebooks[name]
    path = student_folder(tmp_path, assignments[name], notebook)
    cells = notebook["cells"][:cell_index(notebook, "load_data") + 1]
    script = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    (path.parent / "upto_data.py").write_text(script)
    proc = subprocess.run([sys.executable, "-S", "upto_data.py"], cwd=path.parent, env=without_sklearn,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "using the 8x8 digits of digits.npz" in proc.stdout, proc.stdout


# ---------------------------------------------------------------- validate: cells the grader skips
def _with_skipped_cell(notebook: dict[str, Any], source: str) -> dict[str, Any]:
    """The solved HW2 as if released with ``source`` as its (skip-grading) data cell."""
    notebook = copy.deepcopy(notebook)
    _rewrite_released_cell(notebook, "load_data", source)
    return notebook


def test_validate_warns_when_a_skipped_cell_imports_a_module_this_python_lacks(assignments, perfect_notebooks,
                                                                              tmp_path):
    source = ("import numpy as np\nimport not_installed_plotting as nip\n"
              "try:\n    import not_installed_optional\nexcept ImportError:\n    pass\n"
              "from legacy_data import load_digits\n")
    path = student_folder(tmp_path, assignments["hw2"], _with_skipped_cell(perfect_notebooks["hw2"], source))
    (path.parent / "legacy_data.py").write_text(
        '"""A support file that imports its data library only when called."""\nimport os\n\n\n'
        "def load_digits():\n    from not_installed_datasets.digits import load\n    return load()\n")
    report = validate(path)
    assert report.ready, report.render()  # the grader skips the cell: nothing to fix for the grade
    found = [f for f in report.findings if f.kind == "skipped-cell-import"]
    position = cell_index(json.loads(path.read_text()), "load_data") + 1
    assert [f.where for f in found] == [f"cell {position} (load_data)"] * 2
    direct, through = found
    assert "needs `not_installed_plotting` (line 2)" in direct.message
    assert "needs `not_installed_datasets` (legacy_data.py imports it at line 6)" in through.message
    assert all(not f.problem and "ModuleNotFoundError" in f.message and "skips this cell" in f.message
               for f in found)
    assert "not_installed_optional" not in report.render()  # guarded by except ImportError
    assert "Worth knowing:" in report.render()


def _wheel_modules() -> set[str]:
    """Top-level modules of the distributions the student wheel requires (pyproject's dependencies)."""
    import re
    from importlib.metadata import packages_distributions, requires

    def normal(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    wanted = {normal(re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0]) for r in requires("autograder") or []
              if "extra ==" not in r}
    return {module for module, dists in packages_distributions().items() if {normal(d) for d in dists} & wanted}


@pytest.mark.parametrize("name", ("hw1", *DATA_HOMEWORK))
def test_skipped_cells_need_only_what_the_readme_installs(name, assignments, tmp_path):
    """Every cell the grader skips, and every support file it imports (function bodies too), needs only
    the standard library and the wheel's dependencies: what a student has after the README's set-up."""
    from autograder.notebook import read_notebook, to_plain_python
    from autograder.validate import unimportable

    allowed = _wheel_modules() | set(sys.stdlib_module_names)
    assert {"numpy", "matplotlib"} <= allowed and "sklearn" not in allowed
    assignment = assignments[name]
    seen: set[str] = set()
    skipped = [c for c in read_notebook(assignment.source_notebook).code_cells() if c.skipped]
    assert skipped or name == "hw1"
    missing = [(cell.grade_id, module, where) for cell in skipped
               for module, where in unimportable(to_plain_python(cell.source), cell.grade_id,
                                                 assignment.source_notebook.parent, seen, allowed.__contains__)]
    assert not missing, f"{name}: skipped cells need modules the student wheel does not install: {missing}"


def test_stamp_lists_the_digits_with_their_hash(perfect_notebooks):
    import hashlib

    stamp = perfect_notebooks["hw5"]["metadata"][STAMP_KEY]
    assert stamp["support_files"]["digits.npz"] == hashlib.sha256(DIGITS.read_bytes()).hexdigest()



def test_required_imports_are_every_absolute_import_but_the_optional_ones():
    from autograder.sandbox.imports import imported_names

    source = ("import a.b as c, d\nfrom e.f import g\nfrom . import h\n"
              "try:\n    import opt\nexcept (ImportError, OSError):\n    import fallback\n"
              "try:\n    import unguarded\nexcept KeyError:\n    pass\n"
              "if TYPE_CHECKING:\n    import typing_only\nelse:\n    import runtime\n"
              "def f():\n    class K:\n        def m(self):\n            for i in z:\n                import deep\n")
    assert [m for m, _, _ in imported_names(source)] == ["a", "d", "e", "fallback", "unguarded",
                                                                    "runtime", "deep"]
