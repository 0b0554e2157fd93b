"""``autograder check hwN``, and the part of it that runs visible checks on correct code
(validate, grade and seed sweeps on the source and the packed correct alternatives).

check's verdict is remembered per content (``release``, ``gradescope`` and ``batch``
pay it once), so this is what an instructor waits for after an edit. Prints medians
after one warm-up run in the same process (a cold ``autograder check`` adds its imports).
    .venv/bin/python benchmarks/bench_check.py [--runs 3] [--assignment hw4] [--sweeps 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import check_visible  # noqa: E402
from autograder.assignment import load_assignment  # noqa: E402
from autograder.check import check_assignment  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--assignment", default="hw4")
    parser.add_argument("--sweeps", type=int, default=check_visible.SWEEPS)
    args = parser.parse_args()
    course = ROOT / "course.yaml"
    assignment = load_assignment(args.assignment, course)
    notebooks = check_visible.correct_notebooks(assignment)
    check_assignment(args.assignment, course, sweeps=args.sweeps)  # warm-up: imports, the suite, the release
    whole, visible = [], []
    for _ in range(args.runs):
        started = time.monotonic()
        problems = check_visible.visible_problems(assignment, args.sweeps)
        visible.append(time.monotonic() - started)
        started = time.monotonic()
        report = check_assignment(args.assignment, course, sweeps=args.sweeps)
        whole.append(time.monotonic() - started)
        if problems or report.problems:
            print("problems:", *(problems or report.problems), sep="\n  ")
    print(f"{args.assignment}: {len(notebooks)} correct notebooks ({len(check_visible.correct_alternatives(assignment))} "
          f"alternatives packed), {args.sweeps} seed sweeps")
    print(f"  autograder check (all of it): median {statistics.median(whole):.1f} s over {args.runs} runs")
    print(f"  of which correct code (validate, grade, sweeps): median {statistics.median(visible):.1f} s")


if __name__ == "__main__":
    main()
