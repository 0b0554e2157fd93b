"""``autograder batch hw1 INPUT [--jobs N] [--csv OUT] [--db GRADEBOOK]``: grade a whole class.

INPUT is a Gradescope "Export Submissions" zip or its unpacked folder, or a
folder of notebooks named by student id. Every grading is recorded in the
gradebook as it finishes; run the same command again after an interruption and
only the remaining submissions are graded.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.batch.common import add_common, add_jobs, default_csv, load
from autograder.errors import UnusableInput


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser)
    parser.add_argument("input", type=Path, metavar="INPUT",
                        help="Gradescope export (.zip or unpacked folder) or a folder of <sid>.ipynb")
    add_jobs(parser)
    parser.add_argument("--csv", type=Path, metavar="OUT", default=None,
                        help="the class CSV to write (default: ./<assignment>_grades.csv)")


def run(args: argparse.Namespace) -> int:
    loaded = load(args)
    if loaded is None:
        return 2
    assignment, db_path = loaded
    from autograder.batch.core import print_problems, run_batch, summarize_timings
    from autograder.check import require_checked

    csv_path = args.csv or default_csv(assignment.name)
    try:
        require_checked(assignment, getattr(args, "course", None))
        report = run_batch(assignment, args.input, jobs=args.jobs, db_path=db_path, csv_path=csv_path,
                           progress=not args.no_progress)
    except UnusableInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print_problems(report, sys.stderr)
    rate = report.graded / report.seconds if report.seconds else 0.0
    print(f"{assignment.name}: {report.total} submissions: {report.graded} graded, "
          f"{report.skipped} already in the gradebook; {report.seconds:.1f} s ({rate:.1f}/s with "
          f"{args.jobs} jobs)")
    split = summarize_timings(report.timings)
    if split:
        print("median seconds per submission: " + ", ".join(f"{k} {v:.3f}" for k, v in split.items()))
    print(f"gradebook: {db_path}\ncsv: {csv_path}")
    return 1 if report.problems or report.failed else 0
