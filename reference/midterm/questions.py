"""The midterm's questions (lectures 1-11): generators, answer functions, parts and points.

Each generator draws from the numpy Generator it is given and returns values already rounded the way
the notebook shows them; each answer function computes the key from those params as shown. The
question texts are the markdown cells of ``assignments/midterm/midterm.ipynb`` (``{{Q1.A}}`` is
param ``A`` of Q1, printed by ``autograder.exam.questions.shown``).

Total: 100 points.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder.exam.questions import Choice, Exact, ExamSpec, Function, Numeric, Part, Question


# ------------------------------------------------------------------ Q1: vector derivative
def gen_q1(rng: np.random.Generator) -> dict[str, Any]:
    """A: 2x2 integers in [-3, 3], not symmetric; x: 2 non-zero integers in [-3, 3]."""
    while True:
        A = rng.integers(-3, 4, size=(2, 2))
        if A[0, 1] != A[1, 0]:
            break
    x = rng.choice([-3, -2, -1, 1, 2, 3], size=2)
    options = ["(A + Aᵀ) x", "2 A x", "Aᵀ x", "2 Aᵀ x", "xᵀ A"]
    return {"A": A.tolist(), "x": x.tolist(), "options": options}


def answer_q1(p: dict[str, Any]) -> dict[str, Any]:
    A, x = np.array(p["A"], dtype=float), np.array(p["x"], dtype=float)
    return {"q1_grad": ((A + A.T) @ x).tolist(), "q1_choice": 0}


# ------------------------------------------------------------------ Q2: softmax loss + gradient
def gen_q2(rng: np.random.Generator) -> dict[str, Any]:
    """s: 3 class scores with one decimal in [-2, 3], all different; y: the true class 0..2."""
    while True:
        s = np.round(rng.uniform(-2, 3, size=3), 1)
        if len(set(s.tolist())) == 3:
            break
    return {"s": [float(v) for v in s], "y": int(rng.integers(0, 3))}


def answer_q2(p: dict[str, Any]) -> dict[str, Any]:
    s = np.array(p["s"], dtype=float)
    shifted = s - s.max()
    probs = np.exp(shifted) / np.exp(shifted).sum()
    loss = -np.log(probs[p["y"]])
    grad = probs.copy()
    grad[p["y"]] -= 1.0
    return {"q2_loss": float(loss), "q2_grad": grad.tolist()}


# ------------------------------------------------------------------ Q3: backprop, tiny two-layer net
def gen_q3(rng: np.random.Generator) -> dict[str, Any]:
    """x (2,), W1 (2, 2), b1 (2,), w2 (2,), b2, target t: small integers; exactly one hidden unit
    is active (so the ReLU's gate matters) and the output misses the target."""
    while True:
        x = rng.integers(-2, 3, size=2)
        W1 = rng.integers(-2, 3, size=(2, 2))
        b1 = rng.integers(-1, 2, size=2)
        w2 = rng.choice([-2, -1, 1, 2], size=2)
        b2 = int(rng.integers(-1, 2))
        t = int(rng.integers(-3, 4))
        h = W1 @ x + b1
        f = w2 @ np.maximum(h, 0) + b2
        if (h > 0).sum() == 1 and (h < 0).sum() == 1 and f != t and np.all(x != 0):
            return {"x": x.tolist(), "W1": W1.tolist(), "b1": b1.tolist(), "w2": w2.tolist(), "b2": b2, "t": t}


def answer_q3(p: dict[str, Any]) -> dict[str, Any]:
    x, W1, b1 = np.array(p["x"], float), np.array(p["W1"], float), np.array(p["b1"], float)
    w2, b2, t = np.array(p["w2"], float), float(p["b2"]), float(p["t"])
    h = W1 @ x + b1
    a = np.maximum(h, 0)
    f = w2 @ a + b2
    df = f - t                      # L = 1/2 (f - t)^2
    dh = df * w2 * (h > 0)
    return {"q3_f": int(round(f)), "q3_dW1": np.outer(dh, x).tolist()}


# ------------------------------------------------------------------ Q4: convolution
def gen_q4(rng: np.random.Generator) -> dict[str, Any]:
    """A conv layer whose output size is whole, and a 4x4 input with a 2x2 filter for one value."""
    while True:
        C, H = int(rng.choice([1, 3])), int(rng.choice([28, 32, 64, 65]))
        F, k = int(rng.choice([8, 16, 32])), int(rng.choice([3, 5, 7]))
        pad, stride = int(rng.integers(0, 3)), int(rng.choice([1, 2]))
        if (H - k + 2 * pad) % stride == 0:
            break
    X = rng.integers(0, 4, size=(4, 4))
    K = rng.integers(-1, 3, size=(2, 2))
    return {"C": C, "H": H, "F": F, "k": k, "pad": pad, "stride": stride, "X": X.tolist(), "K": K.tolist(),
            "b": int(rng.integers(-2, 3)), "i": int(rng.integers(0, 3)), "j": int(rng.integers(0, 3))}


def answer_q4(p: dict[str, Any]) -> dict[str, Any]:
    side = (p["H"] - p["k"] + 2 * p["pad"]) // p["stride"] + 1
    X, K = np.array(p["X"]), np.array(p["K"])
    i, j = p["i"], p["j"]
    value = int((X[i:i + 2, j:j + 2] * K).sum() + p["b"])   # cross-correlation, as in the lectures
    return {"q4_shape": [p["F"], side, side], "q4_value": value}


# ------------------------------------------------------------------ Q5: SGD with momentum
def gen_q5(rng: np.random.Generator) -> dict[str, Any]:
    """w, v, g: 3 values with two decimals; lr and rho from common choices; no new velocity near 0."""
    while True:
        w = np.round(rng.uniform(-1, 1, size=3), 2)
        v = np.round(rng.uniform(-0.5, 0.5, size=3), 2)
        g = np.round(rng.uniform(-2, 2, size=3), 2)
        lr, rho = float(rng.choice([0.1, 0.05, 0.01])), float(rng.choice([0.5, 0.8, 0.9]))
        if np.all(np.abs(rho * v - lr * g) >= 0.01):
            return {"w": w.tolist(), "v": v.tolist(), "g": g.tolist(), "lr": lr, "rho": rho}


def answer_q5(p: dict[str, Any]) -> dict[str, Any]:
    w, v, g = (np.array(p[k], float) for k in ("w", "v", "g"))
    v_new = p["rho"] * v - p["lr"] * g
    return {"q5_v": v_new.tolist(), "q5_w": (w + v_new).tolist()}


# ------------------------------------------------------------------ Q6: batch norm forward (code)
def gen_q6(rng: np.random.Generator) -> dict[str, Any]:
    """The coding question is the same for everyone (its hidden tests use fixed seeds)."""
    return {}


def answer_q6(p: dict[str, Any]) -> dict[str, Any]:
    return {}


EXAM = ExamSpec(
    name="midterm",
    title="ECE C147/C247 Midterm exam (Winter 2025)",
    questions=(
        Question("Q1", "Vector derivative", gen_q1, answer_q1, "", lectures="2",
                 parts={"q1_grad": Part(Numeric(rtol=1e-3), 10, "∇ₓ f at the given x (q1_grad)"),
                        "q1_choice": Part(Choice(), 5, "the general formula (q1_choice)")}),
        Question("Q2", "Softmax loss and its gradient", gen_q2, answer_q2, "", lectures="4",
                 parts={"q2_loss": Part(Numeric(sig_figs=3), 8, "the loss (q2_loss)"),
                        "q2_grad": Part(Numeric(rtol=1e-2), 12, "the gradient ∂L/∂s (q2_grad)")}),
        Question("Q3", "Backpropagation through a two-layer net", gen_q3, answer_q3, "", lectures="5-6",
                 parts={"q3_f": Part(Exact(), 6, "the output f (q3_f)"),
                        "q3_dW1": Part(Numeric(rtol=1e-6), 14, "∂L/∂W1 (q3_dW1)")}),
        Question("Q4", "Convolution", gen_q4, answer_q4, "", lectures="9-11",
                 parts={"q4_shape": Part(Exact(), 7, "the output shape (q4_shape)"),
                        "q4_value": Part(Exact(), 8, "the output value (q4_value)")}),
        Question("Q5", "One step of SGD with momentum", gen_q5, answer_q5, "", lectures="8",
                 parts={"q5_v": Part(Numeric(rtol=1e-3), 7, "the new velocity (q5_v)"),
                        "q5_w": Part(Numeric(rtol=1e-3), 8, "the new weights (q5_w)")}),
        Question("Q6", "Batch normalization, forward pass (code)", gen_q6, answer_q6, "", lectures="7",
                 parts={"batchnorm_forward": Part(Function("Q6"), 15, "batchnorm_forward")}),
    ),
)

POINTS = {part: spec.points for q in EXAM.questions for part, spec in q.parts.items()}
