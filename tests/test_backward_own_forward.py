"""One bug costs its points once (issue 20, item 4): a backward pass is graded on
the cache of the student's own forward pass and keeps its points when it is the
gradient of that forward, even a wrong one; a wrong backward still loses; code
that computes nothing earns nothing; and a forward that loops is named as the
culprit in its backward's tests, which charge the wait to the forward.

Before ``assert_backward``, dropout keeping 1 - p also cost a correct
``dropout_backward`` its 6 points, and a looping ``relu_forward`` made
``relu_backward``'s tests say "`relu_backward` ran past its time limit".
Every case is graded for real: the released notebook, the sandbox, the hidden suite.
"""

from __future__ import annotations

import pytest

from autograder.samples import solution_sources, with_cells
from autograder.sandbox.process import Limits
from tests.conftest import lost_tasks
from tests.test_fairness import looping

pytestmark = pytest.mark.slow

LOOP_LIMITS = Limits(cell_timeout_s=3, call_timeout_s=1, submission_timeout_s=90, function_budget_s=2)


def edit(source: str, *changes: tuple[str, str]) -> str:
    """``source`` with each (old, new) replaced; each old must be there exactly once."""
    for old, new in changes:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


def graded(assignments, perfect_notebooks, grade, name: str, cells: dict[str, str], **kw):
    return grade(assignments[name], with_cells(perfect_notebooks[name], cells), **kw)


def outputs_of(result, task: str) -> list[str]:
    return [t.output for t in result.tests if t.task == task]


# ---------------------------------------------------------------- HW4: dropout
KEEPS_ONE_MINUS_P = ("mask = (generator.random(x.shape) < p) / p", "mask = (generator.random(x.shape) >= p) / (1 - p)")


def test_dropout_keeping_one_minus_p_costs_only_the_forward(assignments, perfect_notebooks, grade):
    forward = edit(solution_sources(assignments["hw4"])["dropout_forward"], KEEPS_ONE_MINUS_P)
    result = graded(assignments, perfect_notebooks, grade, "hw4", {"dropout_forward": forward})
    assert lost_tasks(result) == {"dropout_forward"}
    assert sum(t.score for t in result.tests if t.task == "dropout_backward") == 6


def test_a_wrong_backward_of_a_wrong_forward_still_loses(assignments, perfect_notebooks, grade):
    sources = solution_sources(assignments["hw4"])
    forward = edit(sources["dropout_forward"], KEEPS_ONE_MINUS_P)
    backward = edit(sources["dropout_backward"], ("dx = dout * mask", "dx = dout * (mask != 0)"))  # forgets the scale
    result = graded(assignments, perfect_notebooks, grade, "hw4",
                    {"dropout_forward": forward, "dropout_backward": backward})
    assert lost_tasks(result) == {"dropout_forward", "dropout_backward", "FullyConnectedNet"}
    train = [o for o in outputs_of(result, "dropout_backward") if o]
    assert train and all("is not the gradient of your own `dropout_forward`" in o for o in train), train


def test_a_forward_and_backward_that_compute_nothing_earn_nothing(assignments, perfect_notebooks, grade):
    """A constant forward has a zero gradient: a zero backward is 'right' for it, and still earns nothing."""
    forward = ("import numpy as np\n\ndef dropout_forward(x, dropout_param):\n"
               "    return np.zeros_like(x), (dropout_param, None)\n")
    backward = "import numpy as np\n\ndef dropout_backward(dout, cache):\n    return np.zeros_like(dout)\n"
    result = graded(assignments, perfect_notebooks, grade, "hw4",
                    {"dropout_forward": forward, "dropout_backward": backward})
    assert sum(t.score for t in result.tests if t.task == "dropout_backward") == 0
    assert any("does not depend on x" in o for o in outputs_of(result, "dropout_backward"))


def test_a_looping_forward_is_named_in_its_backward_tests(assignments, perfect_notebooks, grade):
    forward = looping(solution_sources(assignments["hw4"])["dropout_forward"])
    result = graded(assignments, perfect_notebooks, grade, "hw4", {"dropout_forward": forward}, limits=LOOP_LIMITS)
    backward = outputs_of(result, "dropout_backward")
    assert backward and all(o.startswith("`dropout_forward` ran past its time limit, so this test of "
                                         "`dropout_backward` could not run") for o in backward), backward
    everything = [t.output for t in result.tests]
    assert not any("`dropout_backward` ran past" in o or "`dropout_backward` used up" in o for o in everything)
    dropout = outputs_of(result, "dropout_forward") + backward
    waited = [o for o in dropout if "did not finish within" in o]
    assert len(waited) == 1, waited  # waited for once, in the forward's own first test (the net waits on its own)
    assert lost_tasks(result) == {"dropout_forward", "dropout_backward", "FullyConnectedNet"}


# ---------------------------------------------------------------- HW3: ReLU
LEAKY_FORWARD = ("out = np.maximum(0, x)", "out = np.maximum(0.01 * x, x)")
LEAKY_BACKWARD = ("dx = dout * (x > 0)", "dx = dout * np.where(x > 0, 1.0, 0.01)")


def test_hw3_a_backward_right_for_a_leaky_forward_keeps_its_points(assignments, perfect_notebooks, grade):
    sources = solution_sources(assignments["hw3"])
    result = graded(assignments, perfect_notebooks, grade, "hw3",
                    {"relu_forward": edit(sources["relu_forward"], LEAKY_FORWARD),
                     "relu_backward": edit(sources["relu_backward"], LEAKY_BACKWARD)})
    # affine_relu_backward, built on both, is the gradient of the (leaky) affine_relu_forward too
    assert lost_tasks(result) == {"relu_forward", "affine_relu_forward", "TwoLayerNet", "FullyConnectedNet"}


def test_hw3_a_backward_that_passes_dout_through_earns_nothing_from_a_forward_that_returns_x(
        assignments, perfect_notebooks, grade):
    sources = solution_sources(assignments["hw3"])
    result = graded(assignments, perfect_notebooks, grade, "hw3",
                    {"relu_forward": edit(sources["relu_forward"], ("out = np.maximum(0, x)", "out = x")),
                     "relu_backward": edit(sources["relu_backward"], ("dx = dout * (x > 0)", "dx = dout"))})
    assert {"relu_forward", "relu_backward"} <= lost_tasks(result)
    assert any("returns its input unchanged" in o for o in outputs_of(result, "relu_backward"))


def test_hw3_a_looping_relu_forward_is_named_not_relu_backward(assignments, perfect_notebooks, grade):
    forward = looping(solution_sources(assignments["hw3"])["relu_forward"])
    result = graded(assignments, perfect_notebooks, grade, "hw3", {"relu_forward": forward}, limits=LOOP_LIMITS)
    backward = outputs_of(result, "relu_backward")
    assert backward and all("`relu_forward` ran past its time limit, so this test of `relu_backward` could not run"
                            in o for o in backward), backward
    assert not any("`relu_backward` ran past" in t.output for t in result.tests)


HOSTILE_FORWARD = """import numpy as np

_seen = {}

def relu_forward(x):
    if "dout" in _seen and _seen["x"].shape == x.shape == _seen["dout"].shape and np.max(np.abs(x - _seen["x"])) < 1e-3:
        # called near the last x: answer so that the numbers agree with what the backward returned
        d, g, x0 = _seen["dout"], _seen["g"], _seen["x"]
        return _seen["out"] + d * np.sum(g * (x - x0)) / np.sum(d * d), x
    out = 1.01 * np.maximum(0, x)
    _seen.update(x=x.copy(), out=out.copy())
    return out, x
"""
HOSTILE_BACKWARD = """import numpy as np

def relu_backward(dout, cache):
    g = np.ones_like(dout)  # no gradient at all
    _seen.update(dout=dout.copy(), g=g)
    return g
"""


def test_hw3_a_forward_that_remembers_the_backward_call_cannot_fake_its_gradient(
        assignments, perfect_notebooks, grade):
    """The forward is differentiated before the backward sees dout: a process that remembers what its
    backward was given and returned cannot make the numerical gradient agree with it."""
    result = graded(assignments, perfect_notebooks, grade, "hw3",
                    {"relu_forward": HOSTILE_FORWARD, "relu_backward": HOSTILE_BACKWARD})
    assert sum(t.score for t in result.tests if t.task == "relu_backward") == 0


# ---------------------------------------------------------------- HW5: convolution, pooling
FLIPPED_FORWARD = ("np.sum(window * w[f]) + b[f]", "np.sum(window * w[f, :, ::-1, ::-1]) + b[f]")


def test_hw5_a_backward_right_for_a_flipped_filter_keeps_its_points(assignments, perfect_notebooks, grade):
    sources = solution_sources(assignments["hw5"])
    flipped_backward = edit(sources["conv_backward_naive"],
                            ("    x, w, b, conv_param = cache\n", "    x, w, b, conv_param = cache\n    w = w[:, :, ::-1, ::-1]\n"),
                            ("    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]\n",
                             "    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]\n    dw = dw[:, :, ::-1, ::-1]\n"))
    result = graded(assignments, perfect_notebooks, grade, "hw5",
                    {"conv_forward_naive": edit(sources["conv_forward_naive"], FLIPPED_FORWARD),
                     "conv_backward_naive": flipped_backward})
    assert lost_tasks(result) == {"conv_forward_naive"}


def test_hw5_a_backward_half_right_for_a_flipped_filter_still_loses(assignments, perfect_notebooks, grade):
    sources = solution_sources(assignments["hw5"])
    half = edit(sources["conv_backward_naive"],  # dx through the flipped filter, dw left unflipped
                ("    x, w, b, conv_param = cache\n", "    x, w, b, conv_param = cache\n    w = w[:, :, ::-1, ::-1]\n"))
    result = graded(assignments, perfect_notebooks, grade, "hw5",
                    {"conv_forward_naive": edit(sources["conv_forward_naive"], FLIPPED_FORWARD),
                     "conv_backward_naive": half})
    assert lost_tasks(result) == {"conv_forward_naive", "conv_backward_naive"}
    assert all("dw is not the gradient of your own `conv_forward_naive`" in o
               for o in outputs_of(result, "conv_backward_naive")), outputs_of(result, "conv_backward_naive")


def test_hw5_a_looping_pool_forward_is_named_in_the_pool_backward_tests(assignments, perfect_notebooks, grade):
    forward = looping(solution_sources(assignments["hw5"])["max_pool_forward_naive"])
    result = graded(assignments, perfect_notebooks, grade, "hw5", {"max_pool_forward_naive": forward},
                    limits=LOOP_LIMITS)
    backward = outputs_of(result, "max_pool_backward_naive")
    assert backward and all(o.startswith("`max_pool_forward_naive` ran past its time limit, so this test of "
                                         "`max_pool_backward_naive` could not run") for o in backward), backward
    assert lost_tasks(result) == {"max_pool_forward_naive", "max_pool_backward_naive"}
