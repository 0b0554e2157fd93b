"""Arguments and loading shared by ``batch``, ``regrade`` and ``export``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from autograder.assignment import Assignment, load_assignment
from autograder.errors import UnusableInput


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="assignment name in course.yaml, e.g. hw1")
    parser.add_argument("--db", type=Path, metavar="GRADEBOOK", default=None,
                        help="the gradebook (SQLite) file (default: gradebook.sqlite in the course folder)")
    parser.add_argument("--course", type=Path, default=None,
                        help="course.yaml (default: found from the current folder)")


def add_jobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="grade N submissions at once (default: the number of cores, %(default)s)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def load(args: argparse.Namespace, *, existing_gradebook: bool = False) -> tuple[Assignment, Path] | None:
    """The assignment and the gradebook path; None after printing why not.

    ``existing_gradebook``: the verb reads a gradebook, so it must already exist."""
    try:
        assignment = load_assignment(args.assignment, args.course)
    except UnusableInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    if getattr(args, "jobs", 1) < 1:
        print("error: --jobs must be at least 1", file=sys.stderr)
        return None
    from autograder.batch.core import default_db

    db_path = args.db or default_db(assignment)
    if existing_gradebook and not db_path.exists():
        print(f"error: no gradebook at {db_path}; run `autograder batch {assignment.name} INPUT` first "
              "(or give --db).", file=sys.stderr)
        return None
    return assignment, db_path


def default_csv(assignment: str) -> Path:
    return Path(f"{assignment}_grades.csv")
