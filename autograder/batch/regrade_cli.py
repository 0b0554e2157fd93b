"""``autograder regrade hw1 [--db GRADEBOOK] [--jobs N]``: re-grade every stored
submission whose hidden tests, reference or source notebook changed since it was
graded, from the notebooks kept in the gradebook, and print whose score changed.
A submission whose tests changed only in their points is re-scored from its stored
outcomes without running its code (autograder.batch.fingerprint).

Like ``batch``, it first runs ``autograder check`` on the edited assignment and
refuses, with nothing regraded or written, while check finds a problem: an
edited suite whose points no longer add up to ``max_points`` would otherwise
score the whole class above the maximum."""

from __future__ import annotations

import argparse
import sys

from autograder.batch.common import add_common, add_jobs, load


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser)
    add_jobs(parser)
    parser.add_argument("--csv", default=None, metavar="OUT", help="also write the class CSV here afterwards")
    parser.add_argument("--question", default=None, metavar="Q",
                        help="exams: re-grade this question (e.g. Q3, or 'all') in every stored submission, after its "
                             "key, tolerance or points changed; the issued variants are kept")


def run(args: argparse.Namespace) -> int:
    loaded = load(args, existing_gradebook=True)
    if loaded is None:
        return 2
    assignment, db_path = loaded
    from autograder.exam.cli import regrade_exam_cli  # exams: one question at a time, on the issued variants
    handled = regrade_exam_cli(assignment, db_path, args.question, args.csv)
    if handled is not None:
        return handled
    from autograder.batch.core import print_problems, run_regrade, write_csv
    from autograder.batch.gradebook import Gradebook
    from autograder.check import require_checked
    from autograder.errors import UnusableInput

    try:
        require_checked(assignment, getattr(args, "course", None))
    except UnusableInput as exc:
        print(f"error: {exc}\nNothing was regraded; the gradebook is as it was. Fix the suite, then run "
              f"`autograder regrade {assignment.name}` again.", file=sys.stderr)
        return 2
    report = run_regrade(assignment, jobs=args.jobs, db_path=db_path, progress=not args.no_progress)
    print_problems(report, sys.stderr)
    for key, who, old, new in report.changes:
        print(f"{who} [{key}]: {old:g} -> {new:g} ({new - old:+g})")
    print(f"{assignment.name}: {report.graded} of {report.total} stored submissions regraded "
          f"(tests changed since grading): {report.rescored} re-scored from stored results (only points "
          f"changed; no student code run), {report.partial} re-ran only the tasks whose tests changed, "
          f"{report.graded - report.rescored - report.partial} re-run in full; "
          f"{len(report.changes)} scores changed, {report.skipped} already current; {report.seconds:.1f} s")
    if report.unfingerprinted:
        print(f"{report.unfingerprinted} of them were graded before test fingerprints were stored, so they "
              f"were re-run in full; the next regrade can reuse their results.")
    if args.csv:
        with Gradebook(db_path) as book:
            print(f"csv: {write_csv(book, assignment.name, args.csv)}")
    return 1 if report.failed else 0
