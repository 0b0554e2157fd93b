"""``autograder grades EXPORT.csv [--roster R.csv] [--bonus B.csv] [--questions Q.csv] [--integrity I.csv] [--out DIR]``.

Reads Gradescope's course grade export, applies course.yaml and writes, into
``--out``: final_grades.csv, canvas_import.csv, explanations/SID.md and
report.html.  Any unusable input stops it with a message naming the file, row
and column, exit code 2, and nothing written.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from autograder.course import CourseConfigError, find_course_file, load_course


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``autograder grades``."""
    parser.add_argument("export", type=Path, help="Gradescope course export (Assignments > Download Grades), CSV")
    parser.add_argument("--roster", type=Path, help="CSV with SID, track (C147/C247/MSOL or track name), basis (letter, P/NP, S/U)")
    parser.add_argument("--bonus", type=Path, help="CSV with SID, evaluation (yes/no), piazza (raw participation points)")
    parser.add_argument("--questions", type=Path,
                        help="CSV with SID, assignment, question, score: points earned on questions optional for a "
                             "track, as `autograder export hwN` writes it")
    parser.add_argument("--integrity", type=Path, metavar="INTEGRITY.csv",
                        help="CSV with SID, assignment, outcome (zero, or points), case: academic-integrity outcomes "
                             "to apply (default: integrity.outcomes in course.yaml, if set)")
    parser.add_argument("--out", type=Path, default=Path("final-grades"), help="output folder (default: ./final-grades)")
    parser.add_argument("--course", type=Path, help="course.yaml (default: nearest one above the current folder, or $AUTOGRADER_COURSE)")


def run(args: argparse.Namespace) -> int:
    """Compute and write final grades; 0 on success, 2 on unusable input (message on stderr)."""
    from autograder.grades.errors import GradesInputError

    try:
        summary = build(args)
    except (CourseConfigError, GradesInputError) as exc:
        print(f"autograder grades: {exc}", file=sys.stderr)
        print("nothing was written.", file=sys.stderr)
        return 2
    print(summary)
    return 0


def build(args: argparse.Namespace) -> str:
    """Do the work; raise on any input problem before anything is written. Returns a one-line summary."""
    from autograder.grades import grade_exports, inputs, policy, report, writers
    from autograder.grades.errors import GradesInputError

    course = load_course(args.course or find_course_file())
    export = grade_exports.read_export(args.export)
    roster = inputs.read_roster(args.roster, course) if args.roster else None
    bonus = inputs.read_bonus(args.bonus) if args.bonus else None
    questions = inputs.read_question_scores(args.questions, course) if args.questions else None
    integrity_path = getattr(args, "integrity", None) or course.integrity_outcomes
    if integrity_path and not getattr(args, "integrity", None) and not Path(integrity_path).is_file():
        raise GradesInputError(f"{course.path.name}: integrity.outcomes names {integrity_path}, which does not "
                               "exist; create it (SID, assignment, outcome, case) or fix the path")
    integrity = inputs.read_integrity(integrity_path, course) if integrity_path else None
    students = policy.assemble(course, export, roster, bonus, questions, integrity)
    results = policy.compute(course, students)
    explanations = {r.student.sid: writers.explanation_md(course, r) for r in results}
    with writers.Staging(args.out) as stage, ThreadPoolExecutor(1) as pool:
        # creating 2,000 small files waits on the disk; draw the report meanwhile
        staged = pool.submit(stage.write_explanations, explanations)
        stage.write(writers.FINAL_CSV, writers.final_grades_csv(course, results))
        stage.write(writers.CANVAS_CSV, writers.canvas_csv(course, results))
        stage.write(writers.REPORT, report.report_html(course, results))
        staged.result()
        stage.commit()
    letters = Counter(r.letter for r in results)
    spread = ", ".join(f"{k} {letters[k]}" for k in sorted(letters, key=_letter_order))
    note = "" if roster is not None else f" (no --roster: everyone graded as {course.default_track}, letter basis)"
    cases = f" {len(integrity)} academic-integrity outcome(s) applied from {integrity_path}." if integrity else ""
    return f"{len(results)} students graded{note}: {spread}.{cases} Wrote {args.out}/"


def _letter_order(letter: str) -> int:
    from autograder.course import LETTERS
    return LETTERS.index(letter)
