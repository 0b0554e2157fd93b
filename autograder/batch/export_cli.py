"""``autograder export hw1 [--csv OUT] [--db GRADEBOOK]``: write the class CSV
again from the gradebook (the current grading of every stored submission).
Safe while a batch is running: it reads one consistent snapshot."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.batch.common import add_common, default_csv, load


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser)
    parser.add_argument("--csv", type=Path, metavar="OUT", default=None,
                        help="where to write (default: ./<assignment>_grades.csv; '-' for standard output)")


def run(args: argparse.Namespace) -> int:
    loaded = load(args, existing_gradebook=True)
    if loaded is None:
        return 2
    assignment, db_path = loaded
    from autograder.batch.core import csv_text, write_csv
    from autograder.batch.gradebook import Gradebook

    with Gradebook(db_path, readonly=True) as book:
        count = book.count_current(assignment.name)
        if count == 0:
            print(f"error: the gradebook {db_path} has no gradings of {assignment.name}.", file=sys.stderr)
            return 2
        if str(args.csv) == "-":
            sys.stdout.write(csv_text(book, assignment.name))
            return 0
        path = write_csv(book, assignment.name, args.csv or default_csv(assignment.name))
    print(f"{assignment.name}: {count} submissions written to {path}")
    return 0
