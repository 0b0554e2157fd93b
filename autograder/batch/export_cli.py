"""``autograder export hw3 [--csv OUT] [--questions OUT] [--db GRADEBOOK]``: write the class CSV
again from the gradebook (the current grading of every stored submission), and, when course.yaml
names questions of the assignment (``questions``, e.g. HW3's optional ``FullyConnectedNet``), the
per-question file ``autograder grades --questions`` reads.

Safe while a batch is running: it reads one consistent snapshot. Needs only course.yaml and the
gradebook, not the assignment's hidden files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.batch.common import add_common, default_csv


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser)
    parser.add_argument("--csv", type=Path, metavar="OUT", default=None,
                        help="where to write (default: ./<assignment>_grades.csv; '-' for standard output)")
    parser.add_argument("--questions", type=Path, metavar="OUT", default=None,
                        help="where to write each student's points on the questions course.yaml names for the "
                             "assignment (SID, assignment, question, score; the --questions input of "
                             "`autograder grades`) (default: ./<assignment>_questions.csv; only written when "
                             "course.yaml names questions)")


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def run(args: argparse.Namespace) -> int:
    from autograder.batch.core import DB_NAME, QuestionsError, csv_text, questions_csv_text, write_csv
    from autograder.batch.gradebook import Gradebook
    from autograder.course import CourseConfigError, find_course_file, load_course

    try:
        course = load_course(args.course or find_course_file())
        policy = course.assignment(args.assignment)
    except CourseConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    db_path = args.db or course.root / DB_NAME
    if not db_path.exists():
        print(f"error: no gradebook at {db_path}; run `autograder batch {policy.name} INPUT` first "
              "(or give --db).", file=sys.stderr)
        return 2
    with Gradebook(db_path, readonly=True) as book:
        count = book.count_current(policy.name)
        if count == 0:
            print(f"error: the gradebook {db_path} has no gradings of {policy.name}.", file=sys.stderr)
            return 2
        questions = notes = None
        if policy.questions:
            try:
                questions, notes = questions_csv_text(book, policy)
            except QuestionsError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
        if str(args.csv) == "-":
            sys.stdout.write(csv_text(book, policy.name))
        else:
            path = write_csv(book, policy.name, args.csv or default_csv(policy.name))
            print(f"{policy.name}: {count} submissions written to {path}")
    if questions is not None:
        target = _write(args.questions or Path(f"{policy.name}_questions.csv"), questions)
        names = ", ".join(policy.questions)
        print(f"{policy.name}: points on {names} per student written to {target} "
              f"(give it to `autograder grades --questions`)", file=sys.stderr if str(args.csv) == "-" else sys.stdout)
        for note in notes or []:
            print(f"! {note}", file=sys.stderr)
    return 0
