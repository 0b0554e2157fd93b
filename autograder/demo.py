"""``make demo``: release HW1, build three sample submissions (perfect, the
blank release, partly wrong), grade each in the sandbox, print a score table."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from autograder.assignment import load_assignment
from autograder.grading import grade_submission
from autograder.release import release
from autograder.results import to_gradescope, write_results_json
from autograder.samples import blank_submission, perfect_submission, solution_sources, with_cells, write_notebook

OUT = Path("demo-out")

# A student who got three things subtly wrong (each a classic mistake).
PARTLY_WRONG = {
    "squared_error_gradient": (
        "import numpy as np\n\n"
        "def squared_error_gradient(theta, X, y):\n"
        "    residual = X @ theta - y\n"
        "    return X.T @ residual  # forgot the 1/N\n"
    ),
    "grad_quadratic_form": (
        "import numpy as np\n\n"
        "def grad_quadratic_form(A, x):\n"
        "    return 2 * A @ x  # only right for symmetric A\n"
    ),
}


def main() -> int:
    assignment = load_assignment("hw1")
    folder = release(assignment, OUT / "release")
    print(f"released HW1 to {folder}/")
    perfect = perfect_submission(assignment)
    samples = {
        "perfect": write_notebook(perfect, OUT / "submissions" / "perfect.ipynb"),
        "blank release": write_notebook(blank_submission(assignment), OUT / "submissions" / "blank.ipynb"),
        "partly wrong": write_notebook(
            with_cells(perfect, {k: v for k, v in PARTLY_WRONG.items() if k in solution_sources(assignment)}),
            OUT / "submissions" / "partly_wrong.ipynb"),
    }
    print(f"\n{'submission':<16} {'score':>13} {'time':>7}  isolation")
    rows = []
    for label, path in samples.items():
        started = time.perf_counter()
        result = grade_submission(assignment, path)
        elapsed = time.perf_counter() - started
        write_results_json(to_gradescope(result), OUT / "results" / f"{path.stem}.json")
        rows.append((label, result))
        print(f"{label:<16} {result.score:>6g} / {result.max_score:<5g} {elapsed:>6.2f}s  {result.isolation.split(' (')[0]}")
    print(f"\nresults.json files: {OUT / 'results'}/")
    _, wrong = rows[-1]
    failing = [t for t in wrong.tests if t.status != "passed"]
    if failing:
        print("\nWhat the partly wrong student reads (first two failures):")
        for test in failing[:2]:
            print(f"  - {test.task}: {test.output}")
    perfect_ok = rows[0][1].score == rows[0][1].max_score
    blank_zero = rows[1][1].score == 0
    return 0 if perfect_ok and blank_zero else 1


if __name__ == "__main__":
    sys.exit(main())
