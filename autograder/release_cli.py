"""``autograder release hw1 [--out DIR]``: check the assignment, then write its student version
(``autograder.release``) and the wheel its README installs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.errors import UnusableInput
from autograder.release import release


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="assignment name in course.yaml, e.g. hw1")
    parser.add_argument("--out", type=Path, default=Path("release"), help="output folder (default: release/)")
    parser.add_argument("--course", type=Path, default=None, help="course.yaml (default: found from the current folder)")
    parser.add_argument("--no-wheel", action="store_true",
                        help="do not put the autograder wheel (what the README's `pip install` line installs) in the folder")


def run(args: argparse.Namespace) -> int:
    from autograder.assignment import load_assignment
    from autograder.check import require_checked

    try:
        assignment = load_assignment(args.assignment, args.course)
        require_checked(assignment, args.course)
        folder = release(assignment, args.out)
    except UnusableInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # nbgrader's metadata checks raise their own errors
        print(f"error: {assignment.source_notebook}: {exc}", file=sys.stderr)
        return 2
    if not args.no_wheel:
        from autograder.validate import build_student_wheel, wheel_name

        if build_student_wheel(folder) is None:
            print(f"warning: could not build {wheel_name()} (the README's install line needs it): run  pip wheel "
                  f"<the autograder source folder> --no-deps -w {folder}", file=sys.stderr)
    files = sorted(p.name for p in folder.iterdir())
    print(f"released {assignment.name} to {folder}/: {', '.join(files)}")
    return 0
