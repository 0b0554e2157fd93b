"""``autograder grade hw1 SUBMISSION.ipynb [--json PATH]``: grade one notebook."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.errors import UnusableInput
from autograder.results import GradingResult, to_gradescope, write_results_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="assignment name in course.yaml, e.g. hw1")
    parser.add_argument("submission", type=Path, help="the student's notebook (.ipynb)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write Gradescope-style results.json here")
    parser.add_argument("--course", type=Path, default=None, help="course.yaml (default: found from the current folder)")
    parser.add_argument("--quiet", action="store_true", help="print only the total")
    parser.add_argument("--isolation", choices=("namespaces", "unprivileged-user", "user-namespaces", "none"),
                        default=None, help="force this sandbox isolation level (default: the strongest this "
                        "machine allows; same as AUTOGRADER_ISOLATION), e.g. 'unprivileged-user' as root to see "
                        "what a container that refuses namespaces gives; a level this machine cannot give is "
                        "refused, never replaced. See docs/security.md")


def format_table(result: GradingResult) -> str:
    """A per-test table with the total, for the terminal."""
    width = max([len(t.name) for t in result.tests] + [20])
    lines = [f"{'test':<{width}}  {'points':>11}  status"]
    for test in result.tests:
        lines.append(f"{test.name:<{width}}  {test.score:>5g} / {test.max_score:<4g}  {test.status}")
    lines.append(f"{'TOTAL':<{width}}  {result.score:>5g} / {result.max_score:<4g}")
    return "\n".join(lines)


def format_feedback(result: GradingResult) -> str:
    lines = []
    for problem in result.problems + result.grader_errors:
        lines.append(f"! {problem}")
    for test in result.tests:
        if test.status != "passed" and test.output:
            lines.append(f"- {test.name}: {test.output}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from autograder import phases
    from autograder.assignment import load_assignment
    from autograder.grading import grade_submission, prelaunch

    phases.mark("imports")

    try:
        assignment = load_assignment(args.assignment, args.course)
    except UnusableInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    phases.mark("course.yaml")
    if getattr(args, "isolation", None):
        import os

        os.environ["AUTOGRADER_ISOLATION"] = args.isolation  # read by the sandbox's detect_isolation()
    prelaunch(assignment)  # the student process starts while the rest loads
    try:
        result = grade_submission(assignment, args.submission)
    except Exception as exc:  # the grader's own fault: still write a results file that says so
        import traceback

        result = GradingResult(assignment=assignment.name)
        result.grader_errors.append(f"{type(exc).__name__}: {exc}")
        traceback.print_exc()
    if args.json:
        write_results_json(to_gradescope(result, stdout_visibility=assignment.stdout_visibility), args.json)
    phases.mark("results")
    if args.quiet:
        print(f"{result.score:g} / {result.max_score:g}")
    else:
        print(format_table(result))
        feedback = format_feedback(result)
        if feedback:
            print("\nFeedback:\n" + feedback)
        print(f"\nisolation: {result.isolation}")
        print(f"time: {result.execution_time:.2f} s")
    if result.grader_errors:
        return 1
    if result.unusable:
        return 2
    return 0 if result.score == result.max_score and not result.problems else 1
