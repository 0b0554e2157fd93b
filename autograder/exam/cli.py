"""``autograder exam <action> EXAM ...``: build, practice, gradescope, grade, batch, sitting, secret, trace.

  autograder exam secret                                  make the course secret (~/.config/autograder/exam-secret, mode 600)
  autograder exam build midterm --roster R.csv --out DIR  issue, record and write every student's exam (+ PDFs, keys)
  autograder exam practice midterm --out DIR              a practice exam and its solutions (own seed space)
  autograder exam gradescope midterm --out build/         the Gradescope zip (carries the secret and variants root-only)
  autograder exam grade midterm NB.ipynb --sid SID        grade one notebook on SID's variant, as Gradescope would
  autograder exam batch midterm EXPORT [--jobs N] [--csv OUT]  grade a class's submissions into the gradebook
  autograder exam sitting midterm --track MSOL [--extra-time 1.5x] [--request 2025-02-25]
  autograder exam trace midterm Q2 '{"s": [...], "y": 1}'  which SID was issued these parameters
  autograder exam integrity midterm [--out CSV]           wrong answers right for another student's variant (staff only)
  autograder regrade midterm --question Q3                re-grade one question for everyone

Exit codes: 0 success, 1 problems found, 2 unusable input.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from autograder.errors import UnusableInput


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = __doc__.split("\n\n", 1)[1]
    sub = parser.add_subparsers(dest="action", metavar="<action>")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("exam", help="exam name in course.yaml (kind: exam), e.g. midterm")
        p.add_argument("--course", type=Path, default=None, help="course.yaml (default: found from the current folder)")
        p.add_argument("--db", type=Path, default=None, metavar="GRADEBOOK",
                       help="the gradebook holding issued variants (default: gradebook.sqlite in the course folder)")

    p = sub.add_parser("secret", help="create the course secret file (mode 600) if missing")
    p.add_argument("--file", type=Path, default=None, help="where (default ~/.config/autograder/exam-secret)")
    p = sub.add_parser("build", help="issue and write every student's exam")
    common(p)
    p.add_argument("--roster", type=Path, required=True,
                   help="CSV: SID, name, email, track, extra time (columns: docs/exams.md, \"The roster\")")
    p.add_argument("--out", type=Path, required=True, metavar="DIR")
    p.add_argument("--print", dest="printable", choices=["in-person", "all", "none"], default="in-person",
                   help="which students get a printable PDF and TA key (default: in-person tracks)")
    p = sub.add_parser("practice", help="a practice exam with solutions, from the same generators")
    common(p)
    p.add_argument("--out", type=Path, required=True, metavar="DIR")
    p.add_argument("--versions", type=int, default=1, help="how many practice versions (default 1)")
    p = sub.add_parser("gradescope", help="the Gradescope autograder zip of the exam")
    common(p)
    p.add_argument("--out", type=Path, default=Path("build"), metavar="DIR")
    p = sub.add_parser("grade", help="grade one notebook on a SID's variant")
    common(p)
    p.add_argument("notebook", type=Path)
    p.add_argument("--sid", required=True)
    p.add_argument("--created-at", default=None, help="submission time (ISO 8601) to check against the window")
    p.add_argument("--json", type=Path, default=None, help="write results.json here")
    p = sub.add_parser("batch", help="grade a class's submissions (Gradescope export or folder) into the gradebook; "
                                      "exit 1 when any submission is flagged for the instructor")
    common(p)
    p.add_argument("input", type=Path, help="Gradescope export (.zip or unpacked folder) or a folder of <sid>.ipynb")
    from autograder.batch.common import add_jobs

    add_jobs(p)
    p.add_argument("--csv", type=Path, metavar="OUT", default=None,
                   help="also write the class CSV here (as `autograder export EXAM` does)")
    p = sub.add_parser("sitting", help="a student's window; answer a request for another sitting")
    common(p)
    p.add_argument("--track", default="", help="track name or alias (C147, C247, MSOL, ...)")
    p.add_argument("--extra-time", default="", help="accommodation: 1.5x or 30m")
    p.add_argument("--request", default=None, metavar="YYYY-MM-DD", help="the day the student asks to sit")
    p = sub.add_parser("trace", help="which SID was issued these parameters (a leaked variant)")
    common(p)
    p.add_argument("question")
    p.add_argument("params", help="the question's parameters as JSON")
    p = sub.add_parser("integrity", help="list wrong answers that are right for another student's variant (CSV)")
    common(p)
    p.add_argument("--out", type=Path, default=None, metavar="CSV",
                   help="where to write the CSV (default: integrity/<exam>-copied-answers.csv)")


def _load(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from autograder.assignment import load_assignment
    from autograder.course import load_course

    assignment = load_assignment(args.exam, args.course)
    course = load_course(assignment.course_root / "course.yaml")
    if course.assignment(args.exam).kind != "exam":
        raise UnusableInput(f"{args.exam} is of kind {course.assignment(args.exam).kind!r} in course.yaml, not 'exam'")
    db = args.db or assignment.course_root / "gradebook.sqlite"
    return assignment, course, db


def run(args: argparse.Namespace) -> int:
    if getattr(args, "action", None) is None:
        print(__doc__)
        return 2
    try:
        return int(ACTIONS[args.action](args) or 0)
    except Exception as exc:
        if not isinstance(exc, _user_errors()):
            raise
        print(f"error: {exc.args[0] if isinstance(exc, KeyError) and exc.args else exc}", file=sys.stderr)
        return 2


def _user_errors() -> tuple[type[Exception], ...]:
    """What a command reports as a one-line error (imported only then: ``exam.variants`` imports
    numpy, which ``exam grade`` loads while the student process starts)."""
    from autograder.exam.variants import SecretUnavailable
    from autograder.exam.windows import AccommodationError, SittingTimesMissing

    return (UnusableInput, SecretUnavailable, KeyError, SittingTimesMissing, AccommodationError)


def _secret(args: argparse.Namespace) -> int:
    from autograder.exam.variants import create_secret_file

    path = create_secret_file(args.file)
    print(f"course secret: {path} (mode 600). Keep it out of the repository; back it up: without it, "
          "variants of students missing from the gradebook cannot be derived.")
    return 0


def _build(args: argparse.Namespace) -> int:
    from autograder.exam.build import build

    assignment, course, db = _load(args)
    report = build(assignment, course, args.roster, args.out, db_path=db, printable=args.printable,
                   progress=lambda m: print(m, flush=True))
    times = ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items())
    print(f"{report.students} students ({report.issued_now} issued now, {report.students - report.issued_now} as "
          f"recorded before): {report.notebooks} notebooks in {args.out / 'notebooks'}, {report.pdfs} printable "
          f"exams in {args.out / 'print'} ({report.pdfs - report.pdfs_reused} printed now, {report.pdfs_reused} "
          f"already up to date), {report.keys} answer keys in {args.out / 'keys'}; variants in {db}. {times}")
    return 0


def _practice(args: argparse.Namespace) -> int:
    from autograder.exam.practice import build_practice

    assignment, course, _db = _load(args)
    written = build_practice(assignment, course, args.out, versions=args.versions)
    for path in written:
        print(f"wrote {path}")
    from autograder.exam.build import load_spec
    from autograder.exam.practice import coding_solutions

    coded = sorted(coding_solutions(assignment, load_spec(assignment)))
    if coded:
        print(f"note: the solutions hold the code of {', '.join(coded)}, which the real exam asks for too: hand them "
              "out after the exam, or give the real exam another coding question")
    return 0


def _gradescope(args: argparse.Namespace) -> int:
    from autograder.exam.gradescope import build_exam_zip
    from autograder.exam.variants import load_secret

    assignment, _course, db = _load(args)
    if not db.is_file():
        raise UnusableInput(f"no gradebook at {db}: run `autograder exam build {args.exam} --roster ...` first")
    path = build_exam_zip(assignment, args.out, db, load_secret(assignment.course_root))
    print(f"wrote {path}: upload it under the exam's Configure Autograder. It carries the course secret and every "
          "issued variant (root-only in the container); do not share it.")
    return 0


def _grade(args: argparse.Namespace) -> int:
    from autograder.grading import prelaunch

    assignment, course, db = _load(args)
    prelaunch(assignment)  # the student process starts while the rest (numpy, the variant, the suite) loads
    from autograder.exam import store
    from autograder.exam.build import load_spec, student_extra
    from autograder.exam.gradescope import exam_template
    from autograder.exam.grade import grade_exam
    from autograder.exam.windows import decide, parse_accommodation, window_for
    from autograder.gradescope.metadata import parse_time
    from autograder.results import to_gradescope, write_results_json

    spec = load_spec(assignment)
    from autograder.exam.copies import class_index
    from autograder.exam.variants import normalize_sid

    conn = store.connect(db)
    try:
        issued = store.load(conn, args.exam, normalize_sid(args.sid))
    finally:
        conn.close()
    if issued is None:
        raise UnusableInput(f"SID {args.sid} was issued no {args.exam} in {db}")

    def the_class() -> dict:  # read only when a wrong answer is looked up among the other students' keys
        conn = store.connect(db)
        try:
            return store.load_all(conn, args.exam, params=False)
        finally:
            conn.close()

    graded = grade_exam(assignment, spec, issued, args.notebook, template=exam_template(assignment),
                        extra=student_extra(course, spec, issued), index=class_index(spec, the_class, course, cache=db))
    result = graded.result
    if args.created_at:
        window = window_for(course, args.exam, issued.student.track, parse_accommodation(issued.student.extra_time))
        decision = decide(window, parse_time(args.created_at))
        print(f"window: {decision.reason}")
        if not decision.counts:
            result.zeroed_reason = decision.zeroed_reason or decision.reason
    for t in result.tests:
        print(f"{t.status:>7} {t.score:5g}/{t.max_score:<5g} {t.task}: {t.name}  {t.output[:100]}")
    for flag in graded.flags:
        print(f"flag (instructor): {flag}")
    print(f"score {result.score:g} / {result.max_score:g} on SID {issued.student.sid}'s variant "
          f"({result.execution_time:.2f} s)")
    if args.json:
        from autograder.exam.grade import integrity_test

        data = to_gradescope(result, stdout_visibility=assignment.stdout_visibility)
        data["tests"].append(integrity_test(graded.flags, len(data["tests"]) + 1))  # staff only, as on Gradescope
        write_results_json(data, args.json)
    return 1 if graded.flags or result.grader_errors else 0


def _batch(args: argparse.Namespace) -> int:
    from autograder.exam.regrade import grade_exam_batch

    assignment, course, db = _load(args)
    if args.jobs < 1:
        raise UnusableInput("--jobs must be at least 1")
    report = grade_exam_batch(assignment, course, args.input, db, jobs=args.jobs, bar=not args.no_progress)
    for problem in report.problems:
        print(f"! {problem}", file=sys.stderr)
    for key, sid, flag in report.flags:
        print(f"flag (instructor) {key} [SID {sid}]: {flag}")
    students = len({sid for _key, sid, _flag in report.flags})
    print(f"{args.exam}: {report.graded} of {report.total} submissions graded into {db} ({report.seconds:.1f} s, "
          f"{args.jobs} jobs); {len(report.flags)} integrity flag(s) on {students} student(s)"
          + (" (staff only: evidence for a person to weigh, also in the CSV's notes)" if report.flags else ""))
    if args.csv:
        from autograder.batch.core import write_csv
        from autograder.batch.gradebook import Gradebook

        with Gradebook(db) as book:
            print(f"csv: {write_csv(book, args.exam, args.csv)}")
    else:
        print(f"`autograder export {args.exam}` (or --csv OUT) writes the CSV")
    return 1 if report.problems or report.flags else 0


def _sitting(args: argparse.Namespace) -> int:
    from autograder.exam.windows import GRACE, parse_accommodation, request_sitting, window_for

    _assignment, course, _db = _load(args)
    window = window_for(course, args.exam, args.track, parse_accommodation(args.extra_time))
    print(f"{window.track}: {window.describe()}; submissions count until {window.closes.strftime('%a %d %b %H:%M %Z')} "
          f"(grace {int(GRACE.total_seconds() // 60)} min)")
    if args.request:
        answer = request_sitting(course, args.exam, args.track, dt.date.fromisoformat(args.request))
        print(answer.message)
        return 0 if answer.granted else 1
    return 0


def _trace(args: argparse.Namespace) -> int:
    from autograder.exam import store

    _assignment, _course, db = _load(args)
    conn = store.connect(db)
    try:
        sids = store.find_by_params(conn, args.exam, args.question.upper(), json.loads(args.params))
    finally:
        conn.close()
    print("\n".join(sids) if sids else "no student was issued these parameters")
    return 0 if sids else 1


def _integrity(args: argparse.Namespace) -> int:
    """Every graded student's wrong answers checked against the class's keys; one CSV row per case."""
    from autograder.batch.gradebook import Gradebook
    from autograder.exam import store
    from autograder.exam.build import load_spec
    from autograder.exam.copies import cases_csv, class_index, find_copies
    from autograder.exam.variants import normalize_sid

    assignment, course, db = _load(args)
    if not db.is_file():
        raise UnusableInput(f"no gradebook at {db}: grade the exam first (`autograder exam batch {args.exam} EXPORT`)")
    spec = load_spec(assignment)
    conn = store.connect(db)
    try:
        issued = store.load_all(conn, args.exam)
        answers = store.load_answers(conn, args.exam)
    finally:
        conn.close()
    if not issued:
        raise UnusableInput(f"{db} holds no issued {args.exam}: run `autograder exam build {args.exam} --roster ...`")
    with Gradebook(db) as book:
        graded = {normalize_sid(p.get("sid", "")) for r in book.current_rows(args.exam) for p in r.submitters}
    unrecorded = sorted(s for s in graded if s and s in issued and s not in answers)
    index = class_index(spec, issued, course, cache=db)
    cases = [case for sid in sorted(answers) for case in find_copies(index, sid, answers[sid])]
    out = args.out or Path("integrity") / f"{args.exam}-copied-answers.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(cases_csv(cases), encoding="utf-8")
    students = len({c.sid for c in cases})
    print(f"{args.exam}: {len(answers)} graded students checked against {len(issued)} issued variants; "
          f"{len(cases)} wrong answer(s) right for another student's variant, from {students} student(s) -> {out} "
          f"(staff only: evidence for a person to weigh, not a finding). Distinctive parts: "
          f"{', '.join(sorted(index.distinctive)) or 'none'}.")
    if unrecorded:
        print(f"! {len(unrecorded)} graded students have no recorded answers (graded before answers were kept), "
              f"e.g. {', '.join(unrecorded[:3])}: run `autograder exam batch {args.exam} EXPORT` again", file=sys.stderr)
    return 1 if cases else 0


ACTIONS = {"secret": _secret, "build": _build, "practice": _practice, "gradescope": _gradescope, "grade": _grade,
           "batch": _batch, "sitting": _sitting, "trace": _trace, "integrity": _integrity}


def regrade_exam_cli(assignment, db_path: Path, question: str | None, csv_path: str | None) -> int | None:  # type: ignore[no-untyped-def]
    """``autograder regrade EXAM --question Q``: print who changed and by how much. None when
    ``assignment`` is not an exam and no question was asked (the homework regrade runs)."""
    from autograder.course import load_course
    from autograder.exam.regrade import regrade_question

    course = load_course(assignment.course_root / "course.yaml")
    kind = course.assignment(assignment.name).kind
    if kind != "exam":
        if question is None:
            return None
        print(f"error: --question is for exams; {assignment.name} is of kind {kind!r}", file=sys.stderr)
        return 2
    if question is None:
        print(f"error: {assignment.name} is an exam: regrade one question with --question Q3 (or every question "
              "with --question all), so that each submission is graded on its own issued variant", file=sys.stderr)
        return 2
    if question.lower() == "all":
        from autograder.exam.build import load_spec

        code = 0
        for q in load_spec(assignment).questions:
            code = max(code, regrade_exam_cli(assignment, db_path, q.name, None) or 0)
        if csv_path:
            from autograder.batch.core import write_csv
            from autograder.batch.gradebook import Gradebook

            with Gradebook(db_path) as book:
                print(f"csv: {write_csv(book, assignment.name, Path(csv_path))}")
        return code
    try:
        report = regrade_question(assignment, course, db_path, question)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    for problem in report.problems:
        print(f"! {problem}", file=sys.stderr)
    for key, who, old, new in report.changes:
        print(f"{who} [{key}]: {old:g} -> {new:g} ({new - old:+g})")
    print(f"{assignment.name} {question.upper()}: {report.key_changes} students' answers recomputed from their issued "
          f"parameters, {report.graded} of {report.total} stored submissions regraded for {question.upper()} only, "
          f"{len(report.changes)} scores changed; {report.seconds:.1f} s. Students see the regrade window "
          f"({course.regrade_window_days} days) in their feedback.")
    if csv_path:
        from autograder.batch.core import write_csv
        from autograder.batch.gradebook import Gradebook

        with Gradebook(db_path) as book:
            print(f"csv: {write_csv(book, assignment.name, Path(csv_path))}")
    return 0
