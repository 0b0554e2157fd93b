"""Single-submission speed: ``autograder grade hw1`` on a perfect submission
from a cold start, against ``nbgrader autograde`` (0.9.6) of a one-student
course built from the same source notebook, alternating, same run.

Targets (issue 2): at most 1.0 s per submission, at least 3x faster than nbgrader.
    .venv/bin/python benchmarks/bench_grade.py [--runs 7] [--assignment hw1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BIN, ROOT, make_nbgrader_course, nbgrader_env, report, run_timed  # noqa: E402

from autograder.assignment import load_assignment  # noqa: E402
from autograder.samples import perfect_submission, write_notebook  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--assignment", default="hw1")
    args = parser.parse_args()
    assignment = load_assignment(args.assignment, ROOT / "course.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        perfect = write_notebook(perfect_submission(assignment), work / "perfect.ipynb")
        course = make_nbgrader_course(work, assignment, {"s1": perfect})
        ours_cmd = [str(BIN / "autograder"), "grade", assignment.name, str(perfect), "--json",
                    str(work / "results.json"), "--quiet"]
        theirs_cmd = [str(BIN / "nbgrader"), "autograde", assignment.name, "--force"]
        run_timed(ours_cmd, ROOT)  # warm the OS file cache for both
        run_timed(theirs_cmd, course, nbgrader_env())
        ours, theirs = [], []
        for _ in range(args.runs):
            ours.append(run_timed(ours_cmd, ROOT))
            theirs.append(run_timed(theirs_cmd, course, nbgrader_env()))
        print(f"grading one perfect {assignment.name} submission from a cold start")
        report(f"autograder grade {assignment.name}", ours, "nbgrader autograde", theirs)


if __name__ == "__main__":
    main()
