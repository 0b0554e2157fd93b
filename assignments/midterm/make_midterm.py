"""Writes assignments/midterm/midterm.ipynb, the midterm's template (run from the course root:
``.venv/bin/python assignments/midterm/make_midterm.py``). Not given to students (make_*.py never is).

Cells carry ``metadata.exam``: ``cell`` (id), ``question``, ``check`` (compared at grading with what was
issued), ``given`` (a code cell setting the student's parameters). ``{{Q1.A}}`` is param A of Q1 as shown;
``{{exam.instructions}}`` the instructions of the notebook, the paper cover or the practice exam
(``autograder/exam/render.py``); see docs/exams.md.
"""
import nbformat
from nbformat.v4 import new_notebook, new_markdown_cell, new_code_cell

def nbg(grade_id, solution=False, locked=True, grade=False, points=None):
    m = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if points is not None: m["points"] = points
    return m

cells = []
def md(gid, text, question=None, check=True):
    c = new_markdown_cell(text); c.metadata["nbgrader"] = nbg(gid)
    c.metadata["exam"] = {"cell": gid, **({"question": question} if question else {}), "check": check}
    cells.append(c)
def given(gid, code, question):
    c = new_code_cell(code); c.metadata["exam"] = {"cell": gid, "question": question, "check": True, "given": True}
    cells.append(c)
def answer(gid, code, question):
    c = new_code_cell(code); c.metadata["nbgrader"] = nbg(gid, solution=True, locked=False)
    c.metadata["exam"] = {"cell": gid, "question": question}
    cells.append(c)
    check(question)

POINTS = {"Q1": 15, "Q2": 20, "Q3": 20, "Q4": 15, "Q5": 15, "Q6": 15}
CHECKS = {
 "Q1": 'assert np.shape(q1_grad) == (2,), "q1_grad: two numbers, e.g. [1.0, -2.0]"\nassert isinstance(q1_choice, str) and q1_choice.strip().upper() in list("ABCDE"), "q1_choice: one letter as a string"',
 "Q2": 'assert np.ndim(q2_loss) == 0 and q2_loss is not None, "q2_loss: one number"\nassert np.shape(q2_grad) == (3,), "q2_grad: three numbers"',
 "Q3": 'assert float(q3_f).is_integer(), "q3_f: an integer"\nassert np.shape(q3_dW1) == (2, 2), "q3_dW1: a 2x2 matrix"',
 "Q4": 'assert len(q4_shape) == 3, "q4_shape: (channels, height, width)"\nassert float(q4_value).is_integer(), "q4_value: an integer"',
 "Q5": 'assert np.shape(q5_v) == (3,) and np.shape(q5_w) == (3,), "q5_v and q5_w: three numbers each"',
 "Q6": '_x = np.array([[1.0, 2.0], [3.0, 6.0]])\n_out = batchnorm_forward(_x, np.ones(2), np.zeros(2))\nassert _out.shape == (2, 2)\nassert np.allclose(_out.mean(axis=0), 0) and np.allclose(_out.std(axis=0), 1, atol=1e-3)',
}

def check(question):
    c = new_code_cell("# Checks the form of your answers only (the grader checks them against your own numbers).\n"
                      + CHECKS[question] + "\nprint('the form is right')")
    c.metadata["nbgrader"] = nbg(f"test_{question}", grade=True, points=POINTS[question])
    cells.append(c)

md("exam_header", """# {{exam.title}}

**Name:** {{exam.name}} &nbsp;·&nbsp; **SID:** {{exam.sid}}

**Sitting:** {{exam.sitting}}

{{exam.instructions}}

Total: 100 points. Lectures 1–11.""")
c = new_code_cell("import numpy as np"); c.metadata["nbgrader"] = nbg("setup"); cells.append(c)

md("Q1_text", """## Q1. Vector derivative (15 points)

Let $f(x) = x^\\top A x$ with

`A = {{Q1.A}}` and `x = {{Q1.x}}` (a column vector).

**(a)** (10 points) Compute the gradient $\\nabla_x f$ at this $x$. Assign it to `q1_grad` as 2 numbers (relative tolerance 0.1 %).

**(b)** (5 points) Which expression equals $\\nabla_x (x^\\top A x)$ for every square $A$? Assign its letter to `q1_choice`.

{{Q1.options}}""", "Q1")
given("Q1_given", "A = np.array({{Q1.A}})\nx = np.array({{Q1.x}})", "Q1")
answer("Q1", "q1_grad = None    # (a) two numbers\nq1_choice = None  # (b) a letter, e.g. \"A\"", "Q1")

md("Q2_text", """## Q2. Softmax loss and its gradient (20 points)

A softmax classifier gives the class scores `s = {{Q2.s}}` for one example whose true class is `y = {{Q2.y}}`
(classes numbered from 0). The loss is $L = -\\log \\dfrac{e^{s_y}}{\\sum_j e^{s_j}}$.

**(a)** (8 points) Compute $L$. Assign it to `q2_loss` (3 significant figures).

**(b)** (12 points) Compute $\\partial L / \\partial s$ (3 numbers). Assign it to `q2_grad` (relative tolerance 1 %).""", "Q2")
given("Q2_given", "s = np.array({{Q2.s}})\ny = {{Q2.y}}", "Q2")
answer("Q2", "q2_loss = None  # (a) a number\nq2_grad = None  # (b) three numbers", "Q2")

md("Q3_text", """## Q3. Backpropagation (20 points)

A two-layer network with a ReLU: $h = W_1 x + b_1$, $a = \\max(0, h)$, $f = w_2^\\top a + b_2$, trained with the loss
$L = \\tfrac12 (f - t)^2$. With

`x = {{Q3.x}}`, `W1 = {{Q3.W1}}`, `b1 = {{Q3.b1}}`, `w2 = {{Q3.w2}}`, `b2 = {{Q3.b2}}`, target `t = {{Q3.t}}`:

**(a)** (6 points) Compute the output $f$. Assign it to `q3_f` (an integer, exactly).

**(b)** (14 points) Compute $\\partial L / \\partial W_1$, a 2×2 matrix whose row $i$ belongs to hidden unit $i$.
Assign it to `q3_dW1` (relative tolerance 10⁻⁶).""", "Q3")
given("Q3_given", "x = np.array({{Q3.x}})\nW1 = np.array({{Q3.W1}})\nb1 = np.array({{Q3.b1}})\n"
      "w2 = np.array({{Q3.w2}})\nb2 = {{Q3.b2}}\nt = {{Q3.t}}", "Q3")
answer("Q3", "q3_f = None    # (a) an integer\nq3_dW1 = None  # (b) a 2x2 matrix", "Q3")

md("Q4_text", """## Q4. Convolution (15 points)

**(a)** (7 points) A convolutional layer takes an input of shape ({{Q4.C}}, {{Q4.H}}, {{Q4.H}}) (channels, height, width)
and has {{Q4.F}} filters of size {{Q4.k}}×{{Q4.k}}, zero padding {{Q4.pad}} and stride {{Q4.stride}}.
Assign the shape of its output, `(channels, height, width)`, to `q4_shape` (exactly).

**(b)** (8 points) The 4×4 input `X = {{Q4.X}}` is convolved (cross-correlation, as in lecture: no filter flip) with
the 2×2 filter `K = {{Q4.K}}` and bias `b = {{Q4.b}}`, stride 1, no padding. Assign the output value at row
{{Q4.i}}, column {{Q4.j}} (numbered from 0) to `q4_value` (an integer, exactly).""", "Q4")
given("Q4_given", "X = np.array({{Q4.X}})\nK = np.array({{Q4.K}})\nb = {{Q4.b}}", "Q4")
answer("Q4", "q4_shape = None  # (a) (channels, height, width)\nq4_value = None  # (b) an integer", "Q4")

md("Q5_text", """## Q5. SGD with momentum (15 points)

One step of SGD with momentum updates $v \\leftarrow \\rho v - \\alpha \\nabla_w L$, then $w \\leftarrow w + v$.
With `w = {{Q5.w}}`, `v = {{Q5.v}}`, gradient `g = {{Q5.g}}`, learning rate $\\alpha$ = {{Q5.lr}} and $\\rho$ = {{Q5.rho}}:

**(a)** (7 points) Assign the new velocity to `q5_v` (relative tolerance 0.1 %).

**(b)** (8 points) Assign the new weights to `q5_w` (relative tolerance 0.1 %).""", "Q5")
given("Q5_given", "w = np.array({{Q5.w}})\nv = np.array({{Q5.v}})\ng = np.array({{Q5.g}})\nlr = {{Q5.lr}}\nrho = {{Q5.rho}}", "Q5")
answer("Q5", "q5_v = None  # (a) three numbers\nq5_w = None  # (b) three numbers", "Q5")

md("Q6_text", """## Q6. Batch normalization, forward pass (15 points, code)

Implement the training-time forward pass of batch normalization: for a mini-batch `x` of shape (N, D), normalize each
feature with its mean and (biased) variance over the N samples, then scale by `gamma` and shift by `beta`:
$\\hat x = (x - \\mu) / \\sqrt{\\sigma^2 + \\epsilon}$, $\\text{out} = \\gamma \\hat x + \\beta$.
Graded by hidden tests (several shapes; the input must not be changed in place).""", "Q6")
c = new_code_cell('''def batchnorm_forward(x, gamma, beta, eps=1e-5):
    """Batch normalization in training mode.

    x: (N, D) mini-batch; gamma: (D,) scale; beta: (D,) shift; eps: added to the variance.
    Returns out: (N, D).
    """
    ### BEGIN SOLUTION
    mean = x.mean(axis=0)
    var = x.var(axis=0)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta
    ### END SOLUTION''')
c.metadata["nbgrader"] = nbg("Q6", solution=True, locked=False); c.metadata["exam"] = {"cell": "Q6", "question": "Q6"}
cells.append(c)
check("Q6")

nb = new_notebook(cells=cells, metadata={"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                                         "language_info": {"name": "python"}})
nbformat.validate(nb)
nbformat.write(nb, "assignments/midterm/midterm.ipynb")
