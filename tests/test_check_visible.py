"""No visible check fails correct code (issue 20, item 2): gradient checks measure
something when the true gradient is 0, `autograder check` runs the visible test cells
on the correct alternatives and under seed sweeps, and refuses one that flips."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder.check_visible import SWEEP_SETUP, pack, sweep_failures
from tests.authoring_kit import build_notebook, write_course
from tests.conftest import ASSIGNMENTS, ROOT

CLI = [sys.executable, "-m", "autograder.cli"]


def gradient_check():
    """assignments/hw3/gradient_check.py, the support file HW3-HW5 share (symlinked)."""
    spec = importlib.util.spec_from_file_location("gradient_check", ROOT / "assignments/hw3/gradient_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_homeworks_share_one_gradient_check():
    for hw in ("hw4", "hw5"):
        linked = ROOT / "assignments" / hw / "gradient_check.py"
        assert linked.is_symlink() and linked.resolve() == (ROOT / "assignments/hw3/gradient_check.py").resolve()


def test_grad_error_means_something_when_the_true_gradient_is_zero():
    """A bias followed by batch norm has gradient 0: its numerical gradient is rounding noise.
    rel_error compares that noise with itself and fails a correct gradient; grad_error, against
    the whole gradient's scale, passes it, and still fails a wrong one."""
    gc = gradient_check()
    x, w = np.random.default_rng(0).standard_normal((6, 4)), np.random.default_rng(1).standard_normal((6, 4))

    def loss(b):  # sum(w * (x + b - mean(x + b))): b cancels, its gradient is exactly 0
        z = x + b
        return float(np.sum(w * (z - z.mean(axis=0))))

    b = 0.1 * np.ones(4)
    numeric = gc.eval_numerical_gradient(loss, b, verbose=False)
    analytic = np.zeros(4)
    scale = float(np.max(np.abs(w - w.mean(axis=0))))  # the size of dloss/dx, the model's other gradient
    assert np.max(np.abs(numeric)) > 0  # noise, not zeros: the case that failed correct nets
    assert gc.rel_error(numeric, analytic) > 1e-3
    assert gc.grad_error(numeric, analytic, scale) < 1e-8
    assert gc.grad_error(numeric, analytic + 1e-3 * scale, scale) > 1e-4  # a wrong gradient still fails
    wrong = np.array([1.0, -2.0, 0.5, 3.0])
    assert gc.grad_error(wrong, 1.01 * wrong) == pytest.approx(0.01 * 3.0 / 3.03)  # default scale: its own largest


# ---------------------------------------------------------------- seed sweeps
SWEEP_PROBE = textwrap.dedent("""\
    import json, numpy as np
    released = [np.random.default_rng(7).random(), np.random.RandomState(7).rand()]
    np.random.seed(7); released.append(np.random.rand())
    kept = list(released)
    exec(SETUP)
    seen = {}

    def one_sweep(sweep):  # what the visible cells of one sweep see
        _autograder_seed_sweep(sweep)
        g = globals()
        a, b = np.random.default_rng(7).random(), np.random.default_rng(7).random()
        np.random.seed(7); c = np.random.rand(); np.random.seed(7); d = np.random.rand()
        e = np.random.RandomState(7).rand()
        state = ["made_in_a_sweep" in g, g["released"] is None]
        g["made_in_a_sweep"], g["released"] = 1, None  # a cell's new and rebound names
        seen.setdefault(sweep, []).append([a == b, c == d, a, c, e] + state)

    for sweep in (1, 2, 1):
        one_sweep(sweep)
    print(json.dumps({"released": kept, "seen": seen}))
""")


def test_a_sweep_moves_every_seed_keeps_one_stream_per_seed_and_repeats():
    done = subprocess.run([sys.executable, "-c", f"SETUP = {SWEEP_SETUP!r}\n" + SWEEP_PROBE],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    released = out["released"]
    first, second = out["seen"]["1"], out["seen"]["2"][0]
    assert first[0][:2] == [True, True]  # one seed, one stream, within a sweep
    assert first[0][2:5] != released and first[0][2] != released[0] and first[0][3] != released[2]
    assert first[0][4] != released[1]  # RandomState(seed) moves too
    assert second[2:5] != first[0][2:5]  # another sweep, other streams
    assert first[1][2:5] == first[0][2:5]  # the same sweep again: the same streams
    assert first[1][5:] == second[5:] == [False, False]  # each sweep starts from the notebook's names


def test_pack_keeps_one_alternative_per_cell_and_never_hides_a_definition():
    alternatives = {
        "bn_forward_loops": ("batchnorm_forward", "def batchnorm_forward(x):\n    pass\n"),
        "momentum_in_place": ("sgd_momentum", "def sgd_momentum(w, dw):\n    pass\n"),
        "momentum_copy": ("sgd_momentum", "def sgd_momentum(w, dw):\n    pass\n"),
        "bn_all_in_alt": ("batchnorm_backward_alt", "def batchnorm_forward(x):\n    pass\n"
                                                     "def batchnorm_backward_alt(d, c):\n    pass\n"),
        "adam": ("adam", "def adam(w, dw):\n    pass\n"),
    }
    groups = pack(alternatives)
    assert [list(g) for g in groups] == [["bn_forward_loops", "momentum_in_place", "adam"],
                                         ["momentum_copy", "bn_all_in_alt"]]


# ---------------------------------------------------------------- check refuses
def _course(tmp_path: Path, softmax_test: str | None = None, alternatives: str | None = None) -> Path:
    notebook = build_notebook()
    if softmax_test is not None:
        cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_softmax")
        cell.source = softmax_test
    course = write_course(tmp_path / "course", notebook=notebook)
    if alternatives is not None:
        (tmp_path / "course" / "reference" / "hw9" / "alternatives.py").write_text(alternatives)
    return course


def check(course: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "check", "hw9"], cwd=course.parent, capture_output=True, text=True, timeout=600,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})


def test_check_refuses_a_visible_check_that_holds_only_at_the_released_seed(tmp_path):
    """A constant computed from the released seed's draws: the source passes at that seed,
    so the notebook looks fine, but no other seed gives it."""
    s = np.random.default_rng(0).standard_normal((2, 3))
    e = np.exp(s - s.max(axis=1, keepdims=True))
    value = float(np.sum(e / e.sum(axis=1, keepdims=True) * s))
    lucky = ("s = np.random.default_rng(0).standard_normal((2, 3))\n"
             f"assert abs(np.sum(softmax(s) * s) - {value!r}) < 1e-9\n")
    done = check(_course(tmp_path, lucky))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "visible test cell `test_softmax` fails correct code (with the source's solutions) in seed sweep 1" \
        in done.stdout
    assert "abs(np.sum(softmax(s) * s)" in done.stdout  # the failing line, not a bare AssertionError

    robust = ("s = np.random.default_rng(0).standard_normal((2, 3))\n"
              "assert np.allclose(softmax(s).sum(axis=1), 1) and np.all(softmax(s) > 0)\n")
    done = check(_course(tmp_path / "again", robust))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 correct alternatives" not in done.stdout and "visible tests pass under 4 seed sweeps" in done.stdout


ALTERNATIVES = '''\
"""Correct alternatives for hw9."""
CORRECT = {
    "sigmoid_tanh": ("sigmoid", "import numpy as np\\n\\ndef sigmoid(z):\\n    return 0.5 * (1 + np.tanh(z / 2))\\n"),
    "softmax_loops": ("softmax", "import numpy as np\\n\\ndef softmax(scores):\\n"
                      "    out = np.empty(np.shape(scores))\\n"
                      "    for i, row in enumerate(np.asarray(scores, dtype=float)):\\n"
                      "        e = np.exp(row - row.max())\\n"
                      "        out[i] = e / e.sum()\\n"
                      "    return out\\n"),
}
'''


def test_check_refuses_a_visible_check_that_fails_a_correct_alternative_and_names_it(tmp_path):
    """An exact comparison passes the source's sigmoid but not the tanh form of the same
    function (one ulp away), which the hidden suite gives full marks."""
    notebook_test = ("assert sigmoid(np.array([0.3]))[0] == 1 / (1 + np.exp(-0.3))\n")
    course = _course(tmp_path, alternatives=ALTERNATIVES)
    source = course.parent / "assignments" / "hw9" / "hw9.ipynb"
    notebook = nbformat.read(source, as_version=4)
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_sigmoid")
    cell.source = notebook_test
    nbformat.write(notebook, source)
    done = check(course)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "validate is not ready with sigmoid_tanh: cell" in done.stdout
    assert "visible test cell `test_sigmoid` fails correct code (with sigmoid_tanh) in seed sweep 1" in done.stdout
    assert "softmax_loops" not in done.stdout  # packed with sigmoid_tanh, but it passes alone

    cell.source = "assert np.allclose(sigmoid(np.array([0.3])), 1 / (1 + np.exp(-0.3)))\n"
    nbformat.write(notebook, source)
    done = check(course)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the source and 2 correct alternatives ready in validate, full marks" in done.stdout


def test_the_alternatives_stay_out_of_the_zip_and_out_of_the_grading_hash(tmp_path):
    from autograder.assignment import load_assignment
    from autograder.check import _fingerprint
    from autograder.gradescope.build import zip_entries
    from autograder.samples import blank_submission

    course = _course(tmp_path)
    assignment = load_assignment("hw9", course)
    hidden, fingerprint = assignment.hidden_hash(), _fingerprint(assignment)
    assignment.alternatives.write_text(ALTERNATIVES)
    assert assignment.hidden_hash() == hidden  # gradings stay current: alternatives change no grade
    assert _fingerprint(assignment) != fingerprint  # but check runs again
    entries = zip_entries(assignment, blank_submission(assignment))
    assert "reference/hw9/test_hw9.py" in entries and "reference/hw9/__init__.py" in entries
    assert not [name for name in entries if "alternatives" in name]


def test_the_course_alternatives_are_the_variants_tests_grade():
    from tests.conftest import variants

    for name in ASSIGNMENTS:
        module = importlib.import_module(f"reference.{name}.alternatives")
        assert variants(name).CORRECT is module.CORRECT and len(module.CORRECT) >= 10


# ---------------------------------------------------------------- 50 seeds
@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_visible_checks_pass_on_the_source_under_50_seed_sweeps(name, assignments, perfect_notebooks, tmp_path):
    """Every visible test cell of the source notebook, run in the sandbox after the notebook's
    cells as validate runs it, passes in 50 seed sweeps besides the released seeds."""
    from autograder.samples import write_notebook

    assignment = assignments[name]
    path = write_notebook(perfect_notebooks[name], tmp_path / f"{name}.ipynb")
    assert sweep_failures(assignment, path, range(1, 51)) == []
