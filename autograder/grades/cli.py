"""``autograder grades EXPORT.csv [--roster R.csv] [--bonus B.csv] [--questions Q.csv] [--integrity I.csv]
[--adjustments A.csv] [--local hwN=BATCH.csv] [--out DIR]``.

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
    parser.add_argument("export", type=Path, nargs="?",
                        help="Gradescope course export (Assignments > Download Grades), CSV; may be left out when "
                             "--local gives every score")
    parser.add_argument("--local", action="append", default=[], metavar="hwN=BATCH.csv",
                        help="scores graded locally: the CSV `autograder batch hwN` (or `export hwN`) wrote replaces "
                             "hwN's column of the export (repeatable)")
    parser.add_argument("--roster", type=Path, help="CSV with SID, track (C147/C247/MSOL or track name), basis (letter, P/NP, S/U)")
    parser.add_argument("--bonus", type=Path, help="CSV with SID, evaluation (yes/no), piazza (raw participation points)")
    parser.add_argument("--questions", type=Path,
                        help="CSV with SID, assignment, question, score: points earned on questions optional for a "
                             "track, as `autograder export hwN` writes it")
    parser.add_argument("--integrity", type=Path, metavar="INTEGRITY.csv",
                        help="CSV with SID, assignment, outcome (zero, or points), case: academic-integrity outcomes "
                             "to apply (default: integrity.outcomes in course.yaml, if set)")
    parser.add_argument("--adjustments", type=Path, metavar="ADJUSTMENTS.csv",
                        help="CSV with SID, assignment, delta or new_score, reason, by, date (optional: released): "
                             "manual score changes, explained to each student (default: regrades.adjustments in "
                             "course.yaml, if set)")
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
    roster = inputs.read_roster(args.roster, course) if args.roster else None
    export = _export(args, course, [r.sid for r in roster or []])
    bonus = inputs.read_bonus(args.bonus) if args.bonus else None
    questions = inputs.read_question_scores(args.questions, course) if args.questions else None
    integrity_path = getattr(args, "integrity", None) or course.integrity_outcomes
    if integrity_path and not getattr(args, "integrity", None) and not Path(integrity_path).is_file():
        raise GradesInputError(f"{course.path.name}: integrity.outcomes names {integrity_path}, which does not "
                               "exist; create it (SID, assignment, outcome, case) or fix the path")
    integrity = inputs.read_integrity(integrity_path, course) if integrity_path else None
    adjustments_path = _course_default(args, "adjustments", course.adjustments, course, "regrades.adjustments")
    adjustments = inputs.read_adjustments(adjustments_path, course) if adjustments_path else None
    students = policy.assemble(course, export, roster, bonus, questions, integrity, adjustments)
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
    changed = f" {len(adjustments)} adjustment(s) applied from {adjustments_path}." if adjustments else ""
    for warning in inputs.late_adjustments(adjustments or [], course):
        print(f"warning: {warning}", file=sys.stderr)
    return f"{len(results)} students graded{note}: {spread}.{cases}{changed} Wrote {args.out}/"


def _export(args: argparse.Namespace, course, roster_sids: list[str]):  # type: ignore[no-untyped-def]
    """The Gradescope export, with the ``--local`` batch CSVs' columns put in."""
    from autograder.grades import grade_exports, local
    from autograder.grades.errors import GradesInputError

    try:
        pairs = [local.parse_local(text) for text in getattr(args, "local", [])]
    except ValueError as exc:
        raise GradesInputError(f"--local {exc}") from None
    if args.export is None and not pairs:
        raise GradesInputError("give Gradescope's grade export (EXPORT.csv), or --local hwN=BATCH.csv for scores "
                               "graded with `autograder batch`")
    if args.export is not None and _is_batch_csv(args.export):
        raise GradesInputError(f"{args.export.name}, row 1: this is a CSV `autograder batch` wrote (sid, score, "
                               f"max_score...), not Gradescope's grade export; pass it as --local hwN={args.export}")
    export = grade_exports.read_export(args.export) if args.export is not None else None
    return local.with_local(course, export, pairs, roster_sids) if pairs else export


def _is_batch_csv(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8-sig") as fh:
            head = fh.readline().strip().lower().split(",")
    except (OSError, UnicodeDecodeError):
        return False
    return head[:5] == ["sid", "name", "email", "score", "max_score"]


def _course_default(args: argparse.Namespace, option: str, configured: Path | None, course, key: str) -> Path | None:  # type: ignore[no-untyped-def]
    """The file ``--<option>`` names, else course.yaml's ``key`` (which must then exist)."""
    from autograder.grades.errors import GradesInputError

    given = getattr(args, option, None)
    if given:
        return given
    if configured and not Path(configured).is_file():
        raise GradesInputError(f"{course.path.name}: {key} names {configured}, which does not exist; create it "
                               "or fix the path")
    return configured


def _letter_order(letter: str) -> int:
    from autograder.course import LETTERS
    return LETTERS.index(letter)
