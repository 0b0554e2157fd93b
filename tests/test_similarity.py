"""``autograder similarity``: planted copies are found whatever the copier changed;
independent correct implementations and template-only notebooks are not flagged; the
archive round-trips; bad input is reported, not fatal.

Every notebook is a real release of HW1 or HW3 (nbgrader's preprocessors) with
solution cells filled the way a student would: the source cell with the code between
``### BEGIN SOLUTION`` and ``### END SOLUTION`` replaced by the student's own.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tokenize
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from autograder.cli import main
from autograder.samples import blank_submission, with_cells, write_notebook
from tests.conftest import COURSE

REGION = re.compile(r"(?P<indent>[ \t]*)### BEGIN SOLUTION\n.*?### END SOLUTION\n?", re.S)


# ----------------------------------------------------------------- HW1: four students, four styles
# style "A" is the instructor's solution; B, C and D are written independently.
HW1_STYLES: dict[str, dict[str, str | None]] = {
    "polynomial_features": {
        "A": None,
        "B": """
cols = []
for p in range(degree, -1, -1):
    cols.append(np.power(x, p))
return np.stack(cols, axis=1).astype(float)
""",
        "C": """
return np.vander(np.asarray(x, dtype=float), degree + 1)
""",
        "D": """
n = len(x)
X = np.ones((n, degree + 1))
for j in range(degree):
    X[:, j] = x ** (degree - j)
return X
""",
    },
    "squared_error_loss": {
        "A": None,
        "B": """
pred = X.dot(theta)
return 0.5 * np.mean((pred - y) ** 2)
""",
        "C": """
total = 0.0
for i in range(len(y)):
    total += (y[i] - np.dot(theta, X[i])) ** 2
return total / (2 * len(y))
""",
        "D": """
err = X @ theta - y
N = X.shape[0]
return np.sum(np.square(err)) / N / 2
""",
    },
    "squared_error_gradient": {
        "A": None,
        "B": """
return X.T.dot(X.dot(theta) - y) / len(y)
""",
        "C": """
grad = np.zeros_like(theta, dtype=float)
for i in range(X.shape[0]):
    grad += (np.dot(X[i], theta) - y[i]) * X[i]
return grad / X.shape[0]
""",
        "D": """
N = len(y)
err = X @ theta - y
return (err @ X) / N
""",
    },
    "gradient_descent": {
        "A": None,
        "B": """
theta = np.zeros(X.shape[1]) if theta0 is None else np.copy(theta0).astype(float)
history = []
for _ in range(num_iters):
    history.append(squared_error_loss(theta, X, y))
    grad = squared_error_gradient(theta, X, y)
    theta = theta - learning_rate * grad
return theta, np.array(history)
""",
        "C": """
N, D = X.shape
theta = np.zeros(D) if theta0 is None else np.array(theta0, dtype=float)
losses = np.empty(num_iters)
it = 0
while it < num_iters:
    residual = X @ theta - y
    losses[it] = residual @ residual / (2 * N)
    theta -= learning_rate * (X.T @ residual) / N
    it += 1
return theta, losses
""",
        "D": """
if theta0 is not None:
    w = np.asarray(theta0, dtype=float).copy()
else:
    w = np.zeros(X.shape[1], dtype=float)
loss_list = [0.0] * num_iters
for k in range(num_iters):
    loss_list[k] = float(np.mean((X.dot(w) - y) ** 2) / 2)
    g = X.T.dot(X.dot(w) - y) / len(y)
    w = w - learning_rate * g
return w, np.asarray(loss_list)
""",
    },
    "train_val_test_split": {
        "A": None,
        "B": """
rng = np.random.default_rng(seed)
n = len(X)
perm = rng.permutation(n)
n_val, n_test = int(round(n * val_fraction)), int(round(n * test_fraction))
val, test, train = np.split(perm, [n_val, n_val + n_test])
return X[train], y[train], X[val], y[val], X[test], y[test]
""",
        "C": """
generator = np.random.default_rng(seed)
indices = generator.permutation(np.arange(X.shape[0]))
v = int(round(val_fraction * len(indices)))
t = int(round(test_fraction * len(indices)))
parts = {"val": indices[:v], "test": indices[v:v + t], "train": indices[v + t:]}
out = []
for key in ("train", "val", "test"):
    out.extend([X[parts[key]], y[parts[key]]])
return tuple(out)
""",
        "D": """
N = X.shape[0]
shuffled = np.random.default_rng(seed).permutation(N)
nv = int(np.round(N * val_fraction))
nt = int(np.round(N * test_fraction))
Xs, ys = X[shuffled], y[shuffled]
return (Xs[nv + nt:], ys[nv + nt:], Xs[:nv], ys[:nv], Xs[nv:nv + nt], ys[nv:nv + nt])
""",
    },
    "numerical_gradient": {
        "A": None,
        "B": """
grad = np.zeros_like(x, dtype=float)
it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
while not it.finished:
    ix = it.multi_index
    saved = x[ix]
    x[ix] = saved + h
    fxph = f(x)
    x[ix] = saved - h
    fxmh = f(x)
    x[ix] = saved
    grad[ix] = (fxph - fxmh) / (2 * h)
    it.iternext()
return grad
""",
        "C": """
flat = x.reshape(-1)
g = np.zeros(flat.size)
for i in range(flat.size):
    keep = flat[i]
    flat[i] = keep + h
    up = f(x)
    flat[i] = keep - h
    down = f(x)
    flat[i] = keep
    g[i] = (up - down) / (2.0 * h)
return g.reshape(x.shape)
""",
        "D": """
result = np.empty_like(x, dtype=float)
for idx in np.ndindex(x.shape):
    e = np.zeros_like(x, dtype=float)
    e[idx] = h
    result[idx] = (f(x + e) - f(x - e)) / (2 * h)
return result
""",
    },
}

# The copiers' hand edits: statements reordered where independent (style C's functions) ...
HW1_REORDERED = {
    "gradient_descent": """
losses = np.empty(num_iters)
N, D = X.shape
it = 0
theta = np.zeros(D) if theta0 is None else np.array(theta0, dtype=float)
while it < num_iters:
    residual = X @ theta - y
    losses[it] = residual @ residual / (2 * N)
    theta -= learning_rate * (X.T @ residual) / N
    it += 1
return theta, losses
""",
    "train_val_test_split": """
generator = np.random.default_rng(seed)
indices = generator.permutation(np.arange(X.shape[0]))
t = int(round(test_fraction * len(indices)))
v = int(round(val_fraction * len(indices)))
parts = {"val": indices[:v], "test": indices[v:v + t], "train": indices[v + t:]}
out = []
for key in ("train", "val", "test"):
    out.extend([X[parts[key]], y[parts[key]]])
return tuple(out)
""",
    "numerical_gradient": """
flat = x.reshape(-1)
g = np.zeros(flat.size)
for i in range(flat.size):
    keep = flat[i]
    flat[i] = keep + h
    up = f(x)
    flat[i] = keep - h
    down = f(x)
    flat[i] = keep
    g[i] = (up - down) / (2.0 * h)
return g.reshape(x.shape)
""",
    "squared_error_loss": """
total = 0.0
for i in range(len(y)):
    total += (y[i] - np.dot(theta, X[i])) ** 2
return total / (2 * len(y))
""",
    "squared_error_gradient": """
grad = np.zeros_like(theta, dtype=float)
for i in range(X.shape[0]):
    grad += (np.dot(X[i], theta) - y[i]) * X[i]
return grad / X.shape[0]
""",
    "polynomial_features": """
return np.vander(np.asarray(x, dtype=float), degree + 1)
""",
}

# ... and operands of +, *, == and comparisons swapped (style D's functions).
HW1_SWAPPED = {
    "polynomial_features": """
n = len(x)
X = np.ones((n, 1 + degree))
for j in range(degree):
    X[:, j] = x ** (degree - j)
return X
""",
    "squared_error_loss": """
err = -y + X @ theta
N = X.shape[0]
return np.sum(np.square(err)) / N / 2
""",
    "squared_error_gradient": """
N = len(y)
err = -y + X @ theta
return (err @ X) / N
""",
    "gradient_descent": """
if None is not theta0:
    w = np.asarray(theta0, dtype=float).copy()
else:
    w = np.zeros(X.shape[1], dtype=float)
loss_list = num_iters * [0.0]
for k in range(num_iters):
    loss_list[k] = float(np.mean((X.dot(w) - y) ** 2) / 2)
    g = X.T.dot(X.dot(w) - y) / len(y)
    w = w - g * learning_rate
return w, np.asarray(loss_list)
""",
    "train_val_test_split": """
N = X.shape[0]
shuffled = np.random.default_rng(seed).permutation(N)
nv = int(np.round(val_fraction * N))
nt = int(np.round(test_fraction * N))
Xs, ys = X[shuffled], y[shuffled]
return (Xs[nt + nv:], ys[nt + nv:], Xs[:nv], ys[:nv], Xs[nv:nt + nv], ys[nv:nt + nv])
""",
    "numerical_gradient": """
result = np.empty_like(x, dtype=float)
for idx in np.ndindex(x.shape):
    e = np.zeros_like(x, dtype=float)
    e[idx] = h
    result[idx] = (f(e + x) - f(x - e)) / (h * 2)
return result
""",
}

# a fifth student's own code for the functions the partial copier did not copy
HW1_OWN = {
    "polynomial_features": """
x = np.array(x, dtype=np.float64).reshape(-1, 1)
exps = np.arange(degree + 1)[::-1].reshape(1, -1)
return np.power(x, exps)
""",
    "squared_error_loss": """
r = np.dot(X, theta) - y
return np.dot(r, r) / (2.0 * y.shape[0])
""",
    "squared_error_gradient": """
r = np.dot(X, theta) - y
return np.dot(X.T, r) / float(y.shape[0])
""",
    "gradient_descent": """
theta = np.zeros(X.shape[1]) if theta0 is None else np.array(theta0, dtype=float)
costs = []
for step in range(num_iters):
    costs += [squared_error_loss(theta, X, y)]
    theta = theta - learning_rate * squared_error_gradient(theta, X, y)
return theta, np.array(costs)
""",
}


# ----------------------------------------------------------------- building notebooks
def _source_cells(assignment: Any) -> dict[str, str]:
    data = json.loads(Path(assignment.source_notebook).read_text(encoding="utf-8"))
    out = {}
    for cell in data["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("solution"):
            out[meta["grade_id"]] = "".join(cell["source"])
    return out


def fill(cell: str, body: str | None) -> str:
    """The source cell with the solution region replaced by ``body`` (None: the instructor's)."""
    def replace(match: re.Match) -> str:
        if body is None:
            inner = match.group(0).split("\n", 1)[1]
            return inner.rsplit("### END SOLUTION", 1)[0].rstrip(" \t")
        indent = match.group("indent")
        return "".join(indent + line + "\n" if line.strip() else "\n" for line in body.strip("\n").split("\n"))
    return REGION.sub(replace, cell, count=1)


def rename_identifiers(code: str) -> str:
    """Every name the code binds or uses, except numpy, builtins and other graded functions,
    renamed as a copier's editor would (formatting and comments kept)."""
    keep = {"np", "range", "len", "int", "round", "float", "tuple", "None", "True", "False", "def", "return",
            "for", "in", "if", "else", "while", "not", "is", "and", "or", "import", "lambda",
            "squared_error_loss", "squared_error_gradient", "fit_least_squares", "polynomial_features",
            "dtype", "axis", "keepdims", "flags", "op_flags"}  # keyword arguments are numpy's
    out: list[tuple[int, str]] = []
    for t in tokenize.generate_tokens(io.StringIO(code).readline):
        graded_name = bool(out) and out[-1][1] == "def"  # the grader calls it by this name
        if t.type == tokenize.NAME and t.string not in keep and not _after_dot(out) and not graded_name:
            out.append((tokenize.NAME, "my_" + t.string[::-1]))
        else:
            out.append((t.type, t.string))
    return tokenize.untokenize(out)


def _after_dot(tokens: list) -> bool:
    return bool(tokens) and tokens[-1][1] == "."


def restyle(code: str) -> str:
    """Comments added, the docstring rewritten, blank lines and spacing changed."""
    code = re.sub(r'"""[\s\S]*?"""', '"""My own implementation, written from scratch."""', code, count=1)
    lines = []
    for line in code.split("\n"):
        stripped = line.strip()
        if stripped and not stripped.startswith(("def ", '"""', "#")) and not stripped.endswith(("(", ",")):
            indent = line[:len(line) - len(line.lstrip())]
            lines.append(f"{indent}# step: {stripped[:12]}")
            lines.append(line.replace(" = ", "  =  ").replace(", ", ",") + "   # done")
            lines.append("")
        else:
            lines.append(line)
    return "\n".join(lines)


def hw1_student(assignment: Any, blank: dict, cells: dict[str, str], styles: dict[str, str | None],
                transform: Any = None) -> dict:
    """A release with each function in ``styles`` filled ({function: body or None})."""
    filled = {gid: fill(cells[gid], body) for gid, body in styles.items()}
    if transform is not None:
        filled = {gid: transform(code) for gid, code in filled.items()}
    return with_cells(blank, filled)


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["similarity", *args, "--course", str(COURSE), "--jobs", "1"])
    return code, out.getvalue(), err.getvalue()


def read_pairs(folder: Path) -> list[dict[str, str]]:
    with open(folder / "pairs.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def flagged_pairs(rows: list[dict[str, str]]) -> set[frozenset[str]]:
    return {frozenset((r["a"], r["b"])) for r in rows if r["flagged"] == "true"}


# ----------------------------------------------------------------- the HW1 class
@pytest.fixture(scope="module")
def hw1(assignments: dict) -> dict[str, Any]:
    assignment = assignments["hw1"]
    return {"assignment": assignment, "blank": blank_submission(assignment), "cells": _source_cells(assignment)}


def _style(letter: str) -> dict[str, str | None]:
    return {gid: variants[letter] for gid, variants in HW1_STYLES.items()}


@pytest.fixture(scope="module")
def hw1_class(hw1: dict, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Four independent students (styles A-D), five copiers, two template-only notebooks."""
    a, blank, cells = hw1["assignment"], hw1["blank"], hw1["cells"]
    folder = tmp_path_factory.mktemp("hw1-class")
    partial = {**{gid: HW1_OWN.get(gid) for gid in ("polynomial_features", "squared_error_loss",
                                                     "squared_error_gradient", "gradient_descent")},
               "train_val_test_split": HW1_STYLES["train_val_test_split"]["B"],
               "numerical_gradient": HW1_STYLES["numerical_gradient"]["B"]}
    students = {
        "1001": hw1_student(a, blank, cells, _style("A")),
        "1002": hw1_student(a, blank, cells, _style("B")),
        "1003": hw1_student(a, blank, cells, _style("C")),
        "1004": hw1_student(a, blank, cells, _style("D")),
        "2001": hw1_student(a, blank, cells, _style("A"), rename_identifiers),   # copied 1001, renamed
        "2002": hw1_student(a, blank, cells, _style("B"), restyle),              # copied 1002, restyled
        "2003": hw1_student(a, blank, cells, HW1_REORDERED),                     # copied 1003, reordered
        "2004": hw1_student(a, blank, cells, HW1_SWAPPED),                       # copied 1004, operands swapped
        "2005": hw1_student(a, blank, cells, partial),                           # two functions of 1002
        "3001": blank,
        "3002": blank,
    }
    for sid, notebook in students.items():
        write_notebook(notebook, folder / f"{sid}.ipynb")
    out = tmp_path_factory.mktemp("hw1-out")
    code, stdout, stderr = run_cli("hw1", str(folder), "--out", str(out))
    return {"folder": folder, "out": out, "code": code, "stdout": stdout, "stderr": stderr,
            "rows": read_pairs(out), "students": students}


COPIES = {"renamed identifiers": ("1001", "2001"), "comments, docstrings and whitespace": ("1002", "2002"),
          "independent statements reordered": ("1003", "2003"), "operands swapped": ("1004", "2004"),
          "only some functions copied": ("1002", "2005")}


@pytest.mark.parametrize("transformation", sorted(COPIES))
def test_planted_copy_is_flagged(hw1_class: dict, transformation: str) -> None:
    pair = frozenset(COPIES[transformation])
    assert hw1_class["code"] == 0, hw1_class["stderr"]
    assert pair in flagged_pairs(hw1_class["rows"]), hw1_class["rows"]


def test_partial_copy_names_the_copied_functions(hw1_class: dict) -> None:
    row = next(r for r in hw1_class["rows"] if {r["a"], r["b"]} == {"1002", "2005"})
    assert set(row["functions"].split(";")) == {"train_val_test_split", "numerical_gradient"}


def test_independent_implementations_and_templates_are_not_flagged(hw1_class: dict) -> None:
    expected = {frozenset(p) for p in COPIES.values()} | {frozenset(("2002", "2005"))}  # both copied 1002
    assert flagged_pairs(hw1_class["rows"]) == expected
    names = {r["a"] for r in hw1_class["rows"]} | {r["b"] for r in hw1_class["rows"]}
    assert not names & {"3001", "3002"}  # template-only notebooks share nothing of their own


def test_csv_contract_and_report(hw1_class: dict) -> None:
    text = (hw1_class["out"] / "pairs.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "a,b,similarity,shared_tokens,functions,flagged"
    rows = hw1_class["rows"]
    similarities = [float(r["similarity"]) for r in rows]
    assert similarities == sorted(similarities, reverse=True)
    assert all(0 <= s <= 1 and r["flagged"] in ("true", "false") for s, r in zip(similarities, rows))
    page = (hw1_class["out"] / "index.html").read_text(encoding="utf-8")
    assert "Staff only" in page and "1002, 2002, 2005" in page  # the cluster of three
    assert 'class="line m' in page and "2005: numerical_gradient" in page  # highlighted fragments per function


# ----------------------------------------------------------------- archive, against, bad input
def test_archive_round_trip(hw1_class: dict, hw1: dict, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    code, _, err = run_cli("hw1", str(hw1_class["folder"]), "--out", str(tmp_path / "term1"),
                           "--archive", str(archive), "--term", "Winter 2025")
    assert code == 0, err
    stored = archive / "hw1" / "winter-2025" / "1003.py"
    assert "# function: gradient_descent" in stored.read_text(encoding="utf-8")
    # next term: one student hands in 1003's code, renamed; another writes style D
    a = hw1["assignment"]
    nxt = tmp_path / "next"
    write_notebook(hw1_student(a, hw1["blank"], hw1["cells"], _style("C"), rename_identifiers), nxt / "5001.ipynb")
    write_notebook(hw1_student(a, hw1["blank"], hw1["cells"], {"gradient_descent": HW1_OWN["gradient_descent"]}),
                   nxt / "5002.ipynb")
    code, _, err = run_cli("hw1", str(nxt), "--out", str(tmp_path / "term2"), "--against", str(archive),
                           "--term", "Spring 2025")  # next term, course.yaml says so
    assert code == 0, err
    rows = read_pairs(tmp_path / "term2")
    assert frozenset(("5001", "winter-2025/1003")) in flagged_pairs(rows)
    # archived sources are compared with this term's students only, never with each other
    assert all(r["a"] in ("5001", "5002") for r in rows)
    assert "winter-2025/2003" in {r["b"] for r in rows}  # 1003's copier is in the archive too


def test_public_python_file_is_compared(hw1: dict, tmp_path: Path) -> None:
    public = tmp_path / "public"
    public.mkdir()
    code = "import numpy as np\n\ndef num_grad(f, x, h=1e-5):\n" + "".join(
        "    " + line + "\n" for line in HW1_STYLES["numerical_gradient"]["D"].strip().split("\n"))
    code += "\n\ndef loss(w, A, b):\n" + "".join(
        "    " + line.replace("theta", "w").replace("X", "A").replace("y", "b") + "\n"
        for line in HW1_STYLES["squared_error_loss"]["C"].strip().split("\n"))
    (public / "solutions.py").write_text(code, encoding="utf-8")
    (public / "broken.py").write_text("def oops(:\n", encoding="utf-8")
    a = hw1["assignment"]
    students = tmp_path / "class"
    styles = {"numerical_gradient": HW1_STYLES["numerical_gradient"]["D"],
              "squared_error_loss": HW1_STYLES["squared_error_loss"]["C"]}
    write_notebook(hw1_student(a, hw1["blank"], hw1["cells"], styles), students / "7001.ipynb")
    write_notebook(hw1_student(a, hw1["blank"], hw1["cells"], _style("B")), students / "7002.ipynb")
    code, _, err = run_cli("hw1", str(students), "--out", str(tmp_path / "out"), "--against", str(public))
    assert code == 1 and "broken" in err and "skipped" in err  # listed and skipped, not fatal
    rows = read_pairs(tmp_path / "out")
    assert flagged_pairs(rows) == {frozenset(("7001", "solutions"))}
    row = next(r for r in rows if r["b"] == "solutions")  # the student's graded functions, not the file's names
    assert set(row["functions"].split(";")) == {"numerical_gradient", "squared_error_loss"}


def test_unreadable_notebooks_are_listed_and_skipped(hw1_class: dict, tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    for sid in ("1002", "2002", "1003"):
        (folder / f"{sid}.ipynb").write_bytes((hw1_class["folder"] / f"{sid}.ipynb").read_bytes())
    (folder / "4001.ipynb").write_bytes(b"\x89PNG not a notebook")
    (folder / "4002.ipynb").write_text('{"cells": [', encoding="utf-8")
    code, out, err = run_cli("hw1", str(folder), "--out", str(tmp_path / "out"))
    assert code == 1
    assert "4001" in err and "4002" in err and "skipped" in err
    assert flagged_pairs(read_pairs(tmp_path / "out")) == {frozenset(("1002", "2002"))}
    assert "4002" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("case", ["empty folder", "only unreadable", "missing against"])
def test_unusable_input_is_a_clear_error(hw1_class: dict, tmp_path: Path, case: str) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    extra: list[str] = []
    if case == "only unreadable":
        (folder / "4001.ipynb").write_text("not json", encoding="utf-8")
    if case == "missing against":
        (folder / "1001.ipynb").write_bytes((hw1_class["folder"] / "1001.ipynb").read_bytes())
        extra = ["--against", str(tmp_path / "nowhere")]
    code, out, err = run_cli("hw1", str(folder), "--out", str(tmp_path / "out"), *extra)
    assert code == 2
    assert err.startswith("error: ") and ("no readable" in err or "no <sid>.ipynb" in err or "nowhere" in err)
    assert not (tmp_path / "out" / "pairs.csv").exists()


# ----------------------------------------------------------------- HW3: given lines inside the functions
HW3_STYLES: dict[str, dict[str, str | None]] = {
    "affine_backward": {
        "A": None,
        "B": """
x, w, b = cache
N = x.shape[0]
x2 = np.reshape(x, (N, np.prod(x.shape[1:])))
db = dout.sum(axis=0)
dw = np.matmul(x2.T, dout)
dx = np.reshape(np.matmul(dout, w.T), x.shape)
""",
        "C": """
x, w, b = cache
flat = x.reshape(len(x), -1)
dx = (dout @ w.T).reshape(*x.shape)
dw = np.einsum("nd,nm->dm", flat, dout)
db = np.einsum("nm->m", dout)
""",
    },
    "softmax_loss": {
        "A": None,
        "B": """
N = len(y)
z = x - x.max(axis=1, keepdims=True)
p = np.exp(z)
p /= p.sum(axis=1, keepdims=True)
loss = float(-np.mean(np.log(p[range(N), y])))
onehot = np.zeros_like(p)
onehot[range(N), y] = 1
dx = (p - onehot) / N
""",
        "C": """
num = x.shape[0]
probs = np.zeros_like(x, dtype=float)
loss = 0.0
for i in range(num):
    s = x[i] - np.max(x[i])
    e = np.exp(s)
    probs[i] = e / np.sum(e)
    loss -= np.log(probs[i, y[i]])
loss /= num
dx = probs.copy()
for i in range(num):
    dx[i, y[i]] -= 1
dx /= num
""",
    },
    "svm_loss": {
        "A": None,
        "B": """
N, C = x.shape
loss = 0.0
dx = np.zeros_like(x)
for i in range(N):
    for j in range(C):
        if j == y[i]:
            continue
        margin = x[i, j] - x[i, y[i]] + 1
        if margin > 0:
            loss += margin
            dx[i, j] += 1
            dx[i, y[i]] -= 1
loss /= N
dx /= N
""",
        "C": """
n = x.shape[0]
rows = np.arange(n)
m = x - x[rows, y].reshape(-1, 1) + 1
m[rows, y] = 0
m = np.where(m > 0, m, 0)
loss = m.sum() / n
mask = (m > 0) * 1.0
mask[rows, y] = -mask.sum(axis=1)
dx = mask / n
""",
    },
}

HW3_COPY_OF_B = {  # style B, identifiers renamed and independent statements reordered, operands swapped
    "affine_backward": """
x_in, weights, bias = cache
count = x_in.shape[0]
x_flat = np.reshape(x_in, (count, np.prod(x_in.shape[1:])))
dx = np.reshape(np.matmul(dout, weights.T), x_in.shape)
dw = np.matmul(x_flat.T, dout)
db = dout.sum(axis=0)
""",
    "softmax_loss": """
count = len(y)
shifted = x - x.max(axis=1, keepdims=True)
prob = np.exp(shifted)
prob /= prob.sum(axis=1, keepdims=True)
target = np.zeros_like(prob)
target[range(count), y] = 1
loss = float(-np.mean(np.log(prob[range(count), y])))
dx = (-target + prob) / count
""",
    "svm_loss": """
rows_n, classes = x.shape
dx = np.zeros_like(x)
loss = 0.0
for r in range(rows_n):
    for c in range(classes):
        if y[r] == c:
            continue
        margin = 1 + x[r, c] - x[r, y[r]]
        if 0 < margin:
            loss += margin
            dx[r, c] += 1
            dx[r, y[r]] -= 1
dx /= rows_n
loss /= rows_n
""",
}


def test_hw3_given_lines_do_not_count_and_copies_are_found(assignments: dict, tmp_path: Path) -> None:
    a = assignments["hw3"]
    blank, cells = blank_submission(a), _source_cells(a)
    folder = tmp_path / "class"
    for sid, letter in (("1", "A"), ("2", "B"), ("3", "C")):
        styles = {gid: v[letter] for gid, v in HW3_STYLES.items()}
        write_notebook(with_cells(blank, {g: fill(cells[g], b) for g, b in styles.items()}), folder / f"{sid}.ipynb")
    write_notebook(with_cells(blank, {g: fill(cells[g], b) for g, b in HW3_COPY_OF_B.items()}), folder / "9.ipynb")
    # template only, and template with the stub lines moved around
    write_notebook(blank, folder / "5.ipynb")
    write_notebook(blank, folder / "6.ipynb")
    code, _, err = run_cli("hw3", str(folder), "--out", str(tmp_path / "out"))
    assert code == 0, err
    rows = read_pairs(tmp_path / "out")
    assert flagged_pairs(rows) == {frozenset(("2", "9"))}
    row = next(r for r in rows if {r["a"], r["b"]} == {"2", "9"})
    assert set(row["functions"].split(";")) == {"affine_backward", "softmax_loss", "svm_loss"}


def test_normalization_is_robust_to_each_transformation() -> None:
    """The same canonical tokens for a function and its renamed, restyled, reordered, swapped copy."""
    from autograder.integrity.similarity import code_units

    original = "def f(a, b):\n    s = a + b * 2\n    t = np.sum(a, axis=0)\n    if s > t:\n        return s\n    return t\n"
    copies = [
        "def g(p, q):\n    u = p + q * 2\n    v = np.sum(p, axis=0)\n    if u > v:\n        return u\n    return v\n",
        'def f(a, b):\n    """Mine."""\n    # sum\n    s  =  a+b*2\n\n    t = np.sum(a , axis = 0)  # reduce\n'
        "    if s > t:\n        return s\n    return t\n",
        "def f(a, b):\n    t = np.sum(a, axis=0)\n    s = a + b * 2\n    if s > t:\n        return s\n    return t\n",
        "def f(a, b):\n    s = 2 * b + a\n    t = np.sum(a, axis=0)\n    if t < s:\n        return s\n    return t\n",
    ]
    expected = code_units(original)[0].tokens
    for copy in copies:
        assert code_units(copy)[0].tokens == expected, copy
    # a dependent pair keeps its order: these two differ
    assert code_units("def f(a):\n    a = a + 1\n    b = a * 2\n    return b\n")[0].tokens != \
        code_units("def f(a):\n    b = a * 2\n    a = a + 1\n    return b\n")[0].tokens


def test_gradescope_export_zip(hw1_class: dict, tmp_path: Path) -> None:
    """The export as downloaded: SIDs from submission_metadata.yml, a group submission named by
    both SIDs, a malformed notebook listed and skipped."""
    import zipfile

    import yaml

    plan = {"submission_1": (["905000001"], "1002"), "submission_2": (["905000002", "905000003"], "2002"),
            "submission_3": (["905000004"], "1003"), "submission_4": (["905000005"], None)}
    meta = {}
    export = tmp_path / "hw1_export.zip"
    with zipfile.ZipFile(export, "w") as zf:
        for key, (sids, source) in plan.items():
            data = (hw1_class["folder"] / f"{source}.ipynb").read_bytes() if source else b'{"cells": [ oops'
            zf.writestr(f"assignment_1_export/{key}/hw1.ipynb", data)
            meta[key] = {":submitters": [{":sid": s, ":name": f"Student {s}"} for s in sids],
                         ":created_at": "2025-01-20T10:00:00-08:00"}
        zf.writestr("assignment_1_export/submission_metadata.yml", yaml.safe_dump(meta))
    code, _, err = run_cli("hw1", str(export), "--out", str(tmp_path / "out"))
    assert code == 1 and "905000005" in err
    assert flagged_pairs(read_pairs(tmp_path / "out")) == {frozenset(("905000001", "905000002; 905000003"))}


def test_weekly_rerun_with_the_same_archive_does_not_match_itself(hw1_class: dict, tmp_path: Path) -> None:
    """`--against archive/ --archive archive/` every week: this term's archived code is not a
    source for this term (the students are compared with each other already)."""
    archive = tmp_path / "archive"
    for week in (1, 2):
        against = ["--against", str(archive)] if archive.exists() else []
        code, _, err = run_cli("hw1", str(hw1_class["folder"]), "--out", str(tmp_path / f"week{week}"),
                               *against, "--archive", str(archive), "--term", "Winter 2025")
        assert code == 0, err
    rows = read_pairs(tmp_path / "week2")
    assert not [r for r in rows if r["b"].startswith("winter-2025/")]
    assert flagged_pairs(rows) == flagged_pairs(hw1_class["rows"])
