"""Hidden suite of the midterm. Q1-Q5 judge the answer variables against the submitter's own issued
variant (the ``exam`` fixture); Q6 grades ``batchnorm_forward`` like a homework function."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.testing import assert_close, assert_unchanged, rng
from reference.midterm.questions import POINTS


@pytest.mark.points(POINTS["q1_grad"])
@pytest.mark.task("Q1")
def test_q1_grad(student, exam):
    """∇ₓ xᵀAx at the given x"""
    exam.check(student, "q1_grad")


@pytest.mark.points(POINTS["q1_choice"])
@pytest.mark.task("Q1")
def test_q1_choice(student, exam):
    """The general formula (multiple choice)"""
    exam.check(student, "q1_choice")


@pytest.mark.points(POINTS["q2_loss"])
@pytest.mark.task("Q2")
def test_q2_loss(student, exam):
    """Softmax loss for the given scores"""
    exam.check(student, "q2_loss")


@pytest.mark.points(POINTS["q2_grad"])
@pytest.mark.task("Q2")
def test_q2_grad(student, exam):
    """Gradient of the softmax loss with respect to the scores"""
    exam.check(student, "q2_grad")


@pytest.mark.points(POINTS["q3_f"])
@pytest.mark.task("Q3")
def test_q3_f(student, exam):
    """Forward pass: the output f"""
    exam.check(student, "q3_f")


@pytest.mark.points(POINTS["q3_dW1"])
@pytest.mark.task("Q3")
def test_q3_dW1(student, exam):
    """Backward pass: ∂L/∂W1"""
    exam.check(student, "q3_dW1")


@pytest.mark.points(POINTS["q4_shape"])
@pytest.mark.task("Q4")
def test_q4_shape(student, exam):
    """Output shape of the convolutional layer"""
    exam.check(student, "q4_shape")


@pytest.mark.points(POINTS["q4_value"])
@pytest.mark.task("Q4")
def test_q4_value(student, exam):
    """One output value of the small convolution"""
    exam.check(student, "q4_value")


@pytest.mark.points(POINTS["q5_v"])
@pytest.mark.task("Q5")
def test_q5_v(student, exam):
    """Momentum: the new velocity"""
    exam.check(student, "q5_v")


@pytest.mark.points(POINTS["q5_w"])
@pytest.mark.task("Q5")
def test_q5_w(student, exam):
    """Momentum: the new weights"""
    exam.check(student, "q5_w")


# ---------------------------------------------------------------- Q6: code, 15 points in three tests
Q6_EACH = POINTS["batchnorm_forward"] / 3


@pytest.mark.points(Q6_EACH)
@pytest.mark.task("Q6")
def test_q6_batch(student, reference, exam):
    """batchnorm_forward on a (16, 5) batch with scale and shift"""
    x = rng(60).normal(3.0, 2.5, size=(16, 5))
    gamma, beta = rng(61).uniform(0.5, 2.0, size=5), rng(62).normal(size=5)
    got = student.batchnorm_forward(x, gamma, beta, 1e-5)
    assert_close(got, reference.batchnorm_forward(x, gamma, beta, 1e-5),
                 call="batchnorm_forward(x (16, 5), gamma (5,), beta (5,), eps=1e-5)", tol=1e-6)
    assert_unchanged(student, call="batchnorm_forward(x (16, 5), ...)")


@pytest.mark.points(Q6_EACH)
@pytest.mark.task("Q6")
def test_q6_eps_and_shapes(student, reference, exam):
    """batchnorm_forward with a large eps on a (3, 7) batch of integers (eps must be inside the sqrt)"""
    x = rng(63).integers(-5, 6, size=(3, 7))
    gamma, beta = np.full(7, 1.5), np.arange(7.0)
    got = student.batchnorm_forward(x, gamma, beta, 0.5)
    assert_close(got, reference.batchnorm_forward(x, gamma, beta, 0.5),
                 call="batchnorm_forward(x (3, 7) integers, gamma (7,), beta (7,), eps=0.5)", tol=1e-6)


@pytest.mark.points(Q6_EACH)
@pytest.mark.task("Q6")
def test_q6_single_feature_constant(student, reference, exam):
    """batchnorm_forward on a (4, 1) batch whose feature is constant: the output is beta"""
    x = np.full((4, 1), 2.0)
    gamma, beta = np.array([3.0]), np.array([-0.5])
    got = student.batchnorm_forward(x, gamma, beta, 1e-5)
    assert_close(got, reference.batchnorm_forward(x, gamma, beta, 1e-5),
                 call="batchnorm_forward(x (4, 1) constant, gamma (1,), beta (1,), eps=1e-5)", tol=1e-6)
