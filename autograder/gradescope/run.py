"""What ``run_autograder`` runs for every submission inside Gradescope's container.

``python -m autograder.gradescope.run ASSIGNMENT`` (cwd ``$ROOT/source``):

1. find the notebook in ``$ROOT/submission/`` (renamed or several: pick the
   sensible one and say which);
2. read ``$ROOT/submission_metadata.json`` (``created_at``, due dates);
3. grade it in the sandbox;
4. apply the late rules one submission can decide (``course.yaml``);
5. write ``$ROOT/results/results.json``, ALWAYS: if anything above fails,
   a score of 0 with an "Autograder error (not your fault)" test, so the
   instructor can tell our failure from the student's.

What is printed goes to Gradescope's stdout panel (``stdout_visibility`` in
course.yaml; hidden from students by default): a log for the instructor.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from autograder.gradescope import autograder_root
from autograder.gradescope.metadata import SubmissionMetadata, load_metadata
from autograder.gradescope.submission import choose_submitted_notebook
from autograder.lateness import LateDecision, decide, words

ERROR_TEST_NAME = "Autograder error (not your fault)"


# ---------------------------------------------------------------- lateness
DUE_DATE_TEST_NAME = "Due date (instructors only)"


def decide_lateness(meta: SubmissionMetadata, course: Any, assignment: str) -> LateDecision:
    """Late days from ``created_at`` minus the due date the student sees on Gradescope
    (their own, extended one; else the assignment's), course.yaml's as the fallback.
    The rules are :mod:`autograder.lateness`'s; the clock is never read."""
    return decide(course.assignment(assignment), course.late_days, meta.created_at, tz=course.timezone,
                  gradescope_due=meta.assignment_due_date, own_due=meta.student_due_date())


def due_date_test(late: LateDecision, number: int) -> dict[str, Any]:
    """A staff-only entry for results.json: which due date was used, and whether Gradescope's
    differs from course.yaml's (Gradescope shows ``hidden`` tests to instructors only)."""
    used = f"Due date used: {late.due.isoformat() if late.due else 'unknown'} ({late.due_source})."
    if late.staff_notes:
        lines = [used, *late.staff_notes]
    elif late.due_source == "course.yaml":
        lines = [used, "Gradescope's metadata gave no due date, so course.yaml's was used."]
    else:
        lines = [used, "Gradescope's due date and course.yaml's agree."]
    return {
        "name": DUE_DATE_TEST_NAME,
        "number": str(number),
        "score": 0.0,
        "max_score": 0.0,
        "status": "failed" if late.staff_notes else "passed",
        "output": "\n".join(lines),
        "output_format": "text",
        "visibility": "hidden",
        "tags": ["environment", "due-date"],
    }


# ---------------------------------------------------------------- the student's course
def student_course(roster: Path, meta: SubmissionMetadata, course: Any) -> str:
    """The submitter's course (``C147``) from the zip's ``roster.csv`` (SID, track), or ""
    when there is no roster, no SID, or the submitters' courses differ."""
    import csv

    if not roster.is_file():
        return ""
    with roster.open(newline="", encoding="utf-8") as fh:
        tracks = {row.get("SID", "").strip(): row.get("track", "").strip() for row in csv.DictReader(fh)}
    courses = set()
    for user in meta.users:
        track = tracks.get(user.sid.strip()) if user.sid.strip() else None
        if not track:
            return ""
        try:
            courses.add(course.track(track).course)
        except Exception:  # a track course.yaml no longer lists: not known
            return ""
    return courses.pop() if len(courses) == 1 else ""


# ---------------------------------------------------------------- writing
def error_results(message: str, execution_time: float = 0.0) -> dict[str, Any]:
    """A valid results.json for when the autograder itself failed (stdlib only)."""
    return {
        "score": 0.0,
        "execution_time": round(max(0.0, execution_time), 3),
        "output": ("**The autograder failed on this submission, and it is not your fault.** "
                   "Your instructor can see what went wrong; your notebook will be regraded once it is fixed."),
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [{
            "name": ERROR_TEST_NAME,
            "number": "1",
            "score": 0.0,
            "max_score": 0.0,
            "status": "failed",
            "output": message[:4000],
            "output_format": "text",
            "visibility": "visible",
            "tags": ["autograder-error"],
        }],
    }


def _write_json(data: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, allow_nan=False))
    os.replace(tmp, path)


def _harden(root: Path) -> None:
    """As root: the student's uid must not read the metadata or touch the results."""
    if os.geteuid() != 0:
        return
    for path, mode in ((root / "submission_metadata.json", 0o600), (root / "submission", 0o700),
                       (root / "results", 0o755)):
        try:
            if path.exists():
                os.chown(path, 0, 0)
                os.chmod(path, mode)
        except OSError:
            pass


# ---------------------------------------------------------------- main
def grade(root: Path, assignment_name: str, started: float) -> int:
    from autograder.assignment import load_assignment
    from autograder.course import load_course
    from autograder.grading import grade_submission, prelaunch
    from autograder.gradescope.build import ROSTER_NAME
    from autograder.results import to_gradescope, write_results_json
    from autograder.validate import optional_courses

    source = root / "source"
    course_file = source / "course.yaml"
    results_path = root / "results" / "results.json"
    _harden(root)
    course = load_course(course_file)
    assignment = load_assignment(assignment_name, course_file)
    prelaunch(assignment)  # the student process starts while the metadata, the suite (and an exam's variant) load
    meta = load_metadata(root / "submission_metadata.json")
    for problem in meta.problems:
        print(f"metadata: {problem}")
    print(f"submission {meta.submission_id or '?'} by {meta.describe_users()}, created_at "
          f"{meta.created_at.isoformat() if meta.created_at else '?'}")
    if course.assignment(assignment_name).kind == "exam":  # graded on the submitter's own variant and window
        from autograder.exam.gradescope import grade_exam_run
        return grade_exam_run(root, course, assignment, meta, started)

    folder = root / "submission"
    choice = choose_submitted_notebook(folder, assignment)
    print(f"uploaded: {choice.uploaded}; grading: {choice.path}")
    target = choice.path or (folder / f"{assignment.name}.ipynb")
    result = grade_submission(assignment, target)
    if not choice.is_notebook:
        result.unusable = True
    result.problems[:0] = choice.notes

    late = decide_lateness(meta, course, assignment.name)
    for line in late.log:
        print(line)
    lateness = "unknown" if late.lateness is None else \
        f"{'-' if late.lateness.total_seconds() < 0 else ''}{words(late.lateness)}"
    print(f"due {late.due.isoformat() if late.due else '?'} ({late.due_source}); lateness {lateness}; "
          f"late days {late.late_days}; zeroed: {late.zeroed_reason or 'no'}")
    result.late_days = late.late_days
    result.late_note = late.note
    result.optional = optional_courses(assignment, course)
    result.course = student_course(source / ROSTER_NAME, meta, course)
    result.zeroed_reason = late.zeroed_reason
    result.execution_time = time.monotonic() - started

    data = to_gradescope(result, stdout_visibility=assignment.stdout_visibility)
    if meta.created_at is not None:  # staff only: which due date decided lateness (before any error test)
        tests = data["tests"]
        at = next((i for i, t in enumerate(tests) if "autograder-error" in t.get("tags", [])), len(tests))
        tests.insert(at, due_date_test(late, at + 1))
        for number, test in enumerate(tests, start=1):
            test["number"] = str(number)
    write_results_json(data, results_path)
    print(f"score {result.score:g} / {result.max_score:g} (raw {result.raw_score:g}); isolation: {result.isolation}; "
          f"{result.execution_time:.2f} s")
    if result.stdout:
        print("--- student output (truncated) ---")
        print(result.stdout[:4000])
    return 0


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope.run",
                                     description="Grade the submission under $AUTOGRADER_ROOT (default /autograder).")
    parser.add_argument("assignment", help="assignment name in course.yaml, e.g. hw1")
    args = parser.parse_args(argv)
    root = autograder_root()
    results_path = root / "results" / "results.json"
    try:
        return grade(root, args.assignment, started)
    except BaseException as exc:  # noqa: BLE001 - results.json must be written whatever happened
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        print("AUTOGRADER ERROR (not the student's fault):", file=sys.stderr)
        traceback.print_exc()
        message = (f"The autograder failed while grading this submission ({detail}). "
                   "This is a problem on the course staff's side, not in your notebook.")
        try:
            _write_json(error_results(message, time.monotonic() - started), results_path)
        except BaseException:  # noqa: BLE001
            traceback.print_exc()
            return 1
        return 0


if __name__ == "__main__":
    from autograder.cli import leave

    leave(main())  # results.json is written: skip the interpreter's teardown
