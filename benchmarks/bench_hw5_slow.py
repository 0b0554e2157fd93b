"""HW5 grading speed with slow student code: a perfect submission whose naive
convolution and pooling layers use four nested loops (the source notebook's
solutions), graded cold by ``autograder grade hw5``, against ``nbgrader
autograde`` (0.9.6) on the same notebook, alternating, same run; then the
slowest of the suite's own correct variants (tests/variants/hw5_variants.py,
among them a seven-loop pure-Python convolution), each graded cold once.

Targets (issue 17): at most 5 s per submission, at least 3x faster than nbgrader.
nbgrader runs every cell of the notebook, the training cells included (it has
no notion of skipping them); we run the cells that define the graded functions.

    .venv/bin/python benchmarks/bench_hw5_slow.py [--runs 5] [--no-variants]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BIN, ROOT, make_nbgrader_course, nbgrader_env, nbgrader_missing, report, run_timed  # noqa: E402

sys.path.insert(0, str(ROOT))

from autograder.assignment import load_assignment  # noqa: E402
from autograder.samples import perfect_submission, with_cells, write_notebook  # noqa: E402


def grade_cmd(notebook: Path, results: Path) -> list[str]:
    return [str(BIN / "autograder"), "grade", "hw5", str(notebook), "--json", str(results), "--quiet"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-variants", action="store_true", help="skip timing the correct variants")
    args = parser.parse_args()
    assignment = load_assignment("hw5", ROOT / "course.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        perfect_nb = perfect_submission(assignment)
        perfect = write_notebook(perfect_nb, work / "perfect.ipynb")
        ours_cmd = grade_cmd(perfect, work / "results.json")
        run_timed(ours_cmd, ROOT)  # warm the OS file cache
        print("grading one perfect hw5 submission (four-loop naive layers) from a cold start")
        missing = nbgrader_missing()
        if missing:
            ours = [run_timed(ours_cmd, ROOT) for _ in range(args.runs)]
            print(f"autograder grade hw5: median {statistics.median(ours):.3f} s (n={len(ours)}, min {min(ours):.3f})")
            print(f"no ratio: {missing}")
        else:
            course = make_nbgrader_course(work, assignment, {"s1": perfect})
            theirs_cmd = [str(BIN / "nbgrader"), "autograde", "hw5", "--force"]
            run_timed(theirs_cmd, course, nbgrader_env())
            ours, theirs = [], []
            for _ in range(args.runs):
                ours.append(run_timed(ours_cmd, ROOT))
                theirs.append(run_timed(theirs_cmd, course, nbgrader_env()))
            report("autograder grade hw5", ours, "nbgrader autograde", theirs)
        if args.no_variants:
            return

        from tests.variants.hw5_variants import CORRECT

        timings = []
        for key, (grade_id, source) in CORRECT.items():
            notebook = write_notebook(with_cells(perfect_nb, {grade_id: source}), work / f"{key}.ipynb")
            timings.append((run_timed(grade_cmd(notebook, work / f"{key}.json"), ROOT), key))
        timings.sort(reverse=True)
        print(f"\ncorrect variants graded cold, one run each (n={len(timings)}, "
              f"median {statistics.median(t for t, _ in timings):.3f} s):")
        for elapsed, key in timings[:3]:
            print(f"  {elapsed:7.3f} s  {key}")
        print(f"slowest correct variant: {timings[0][1]} in {timings[0][0]:.3f} s")


if __name__ == "__main__":
    main()
