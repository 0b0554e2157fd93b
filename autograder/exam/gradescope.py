"""Exams on Gradescope: the autograder zip and the per-submission run.

``autograder exam gradescope midterm --out build/`` builds the usual zip (``autograder.gradescope.build``)
plus, under ``reference/`` (made root-only by setup.sh, unreadable by the sandboxed student uid):

    reference/.exam-secret               the course secret (for a submitter missing from the issued roster)
    reference/.exam-issued-<exam>.json   every issued variant (params, answers, option order, track, extra time)

The run (called by ``autograder.gradescope.run`` for an assignment of kind ``exam``) grades the notebook on
the submitting SID's issued variant, applies the student's window (:mod:`autograder.exam.windows`) to
``created_at`` with ``previous_submissions``, flags a notebook that is not the submitter's and wrong answers
that are right for another issued variant (:mod:`autograder.exam.copies`, against every variant the zip
carries), shows the regrade window, and always writes results.json. Flags go only to the ``hidden``
(staff-only) "Exam integrity" entry; the log, whose visibility the course chooses, gets their count.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from autograder.exam import store
from autograder.exam.variants import (SECRET_ENV, ZIP_SECRET, IssuedExam, SecretUnavailable, Student, issue_exam,
                                      load_secret)
from autograder.exam.windows import GRACE, decide, parse_accommodation, window_for

ISSUED_FILE = "reference/.exam-issued-{exam}.json"
DISTINCTIVE_FILE = "reference/.exam-distinctive-{exam}.json"
"""Which parts are distinctive for the copied-answer check, decided when the zip is built (per digest of the
keys and the spec: a run whose keys or spec differ decides again)."""


def zip_extra_entries(exam: str, issued: dict[str, IssuedExam], secret: bytes,
                      spec: Any = None) -> dict[str, tuple[bytes, int]]:
    entries = {ZIP_SECRET.as_posix(): (secret + b"\n", 0o600),
               ISSUED_FILE.format(exam=exam): (store.to_json(issued).encode("utf-8"), 0o600)}
    if spec is not None and issued:
        from autograder.exam.copies import decided_parts

        entries[DISTINCTIVE_FILE.format(exam=exam)] = (json.dumps(decided_parts(spec, issued)).encode("utf-8"), 0o600)
    return entries


def _decided(source: Path, exam: str) -> Any:
    """The zip's :class:`~autograder.exam.copies.DistinctiveMemo` (empty when the zip carries none)."""
    from autograder.exam.copies import DistinctiveMemo

    try:
        return DistinctiveMemo(json.loads((source / DISTINCTIVE_FILE.format(exam=exam)).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return DistinctiveMemo()


def build_exam_zip(assignment: Any, out_dir: Path, db_path: Path, secret: bytes) -> Path:
    """The Gradescope zip of an exam: the platform's zip plus the secret and the issued variants."""
    from autograder.gradescope.build import write_zip, zip_entries
    from autograder.release import release_notebook

    db = store.connect(db_path)
    try:
        issued = store.load_all(db, assignment.name)
    finally:
        db.close()
    from autograder.exam.build import load_spec

    entries = zip_entries(assignment, release_notebook(assignment))
    entries.update(zip_extra_entries(assignment.name, issued, secret, load_spec(assignment)))
    return write_zip(entries, Path(out_dir) / f"{assignment.name}-autograder.zip")


def _issued_variants(source: Path, exam: str) -> dict[str, IssuedExam]:
    path = source / ISSUED_FILE.format(exam=exam)
    if path.is_file():
        return store.from_json(path.read_text(encoding="utf-8"))
    db_path = source / "gradebook.sqlite"
    if db_path.is_file():
        db = store.connect(db_path)
        try:
            return store.load_all(db, exam)
        finally:
            db.close()
    return {}


def regrade_line(course: Any) -> str:
    return (f"Regrade requests: within {course.regrade_window_days} days after the exam's grades are released "
            "(requests after that are not considered; a regrade re-grades the whole question).")


def grade_exam_run(root: Path, course: Any, assignment: Any, meta: Any, started: float) -> int:
    """Grade ``$ROOT/submission`` as an exam and write ``$ROOT/results/results.json``."""
    from autograder.exam.build import load_spec, student_extra
    from autograder.exam.grade import ExamGrading, find_submitter, grade_exam, integrity_test
    from autograder.gradescope.submission import choose_submitted_notebook
    from autograder.results import to_gradescope, write_results_json

    source = root / "source"
    results_path = root / "results" / "results.json"
    spec = load_spec(assignment)
    issued_all = _issued_variants(source, assignment.name)
    if not issued_all:
        raise RuntimeError(f"this autograder carries no issued {assignment.name} variants: build the zip with "
                           f"`autograder exam gradescope {assignment.name}` (not `autograder gradescope`) after "
                           f"`autograder exam build`, upload it again and regrade")
    sids = [u.sid for u in meta.users]
    emails = [u.email for u in meta.users]
    issued = find_submitter(issued_all, sids, emails)
    flags: list[str] = []
    secret_value = os.environ.pop(SECRET_ENV, None)  # read once; never passed on
    if issued is None:
        sid = next((s for s in sids if s), "")
        if not sid:
            raise RuntimeError(f"no SID in the submission metadata and no issued exam for {', '.join(emails) or '?'}; "
                               "add the student's SID on Gradescope (or to the roster) and regrade")
        if secret_value:
            os.environ[SECRET_ENV] = secret_value
        try:
            secret = load_secret(source, inside_zip=True)
        except SecretUnavailable as exc:
            raise RuntimeError(f"SID {sid} was not issued an exam and the course secret is unavailable: {exc}") from None
        finally:
            os.environ.pop(SECRET_ENV, None)
        user = next(u for u in meta.users if u.sid == sid)
        issued = issue_exam(spec, secret, Student(sid, user.name, user.email, course.default_track, ""))
        flags.append(f"SID {sid} was not on the roster when the exam was built: graded on the variant its SID derives "
                     f"(track {course.default_track}, no extra time); check it is the notebook they were given")
        del secret
    student = issued.student
    window = window_for(course, assignment.name, student.track, parse_accommodation(student.extra_time))
    decision = decide(window, meta.created_at, meta.previous_submissions)
    print(f"exam {assignment.name}: SID {student.sid} ({student.name}), track {window.track}, window "
          f"{window.start.isoformat()} – {window.end.isoformat()} (+{GRACE}); created_at "
          f"{meta.created_at.isoformat() if meta.created_at else '?'}: {decision.status}")

    folder = root / "submission"
    choice = choose_submitted_notebook(folder, assignment)
    target = choice.path or (folder / f"{assignment.name}.ipynb")
    template = exam_template(assignment)
    from autograder.exam.copies import class_index

    graded: ExamGrading = grade_exam(assignment, spec, issued, target, template=template,
                                     extra=student_extra(course, spec, issued),
                                     index=class_index(spec, issued_all, course,
                                                       cache=_decided(source, assignment.name)))
    result = graded.result
    if not choice.is_notebook:
        result.unusable = True
    result.problems[:0] = choice.notes
    flags += graded.flags
    result.execution_time = time.monotonic() - started
    data = to_gradescope(result, stdout_visibility=assignment.stdout_visibility)
    tests = data["tests"]
    if not decision.counts:
        for test in tests:
            if "autograder-error" not in test.get("tags", []):
                test["score"] = 0.0
        data["score"] = float(decision.score or 0.0)
        data["output"] = f"**Score: {data['score']:g}** — {decision.reason}\n\n" + data["output"]
    tests.insert(0, {"name": WINDOW_TEST_NAME, "number": "0", "score": 0.0, "max_score": 0.0,
                     "status": "passed" if decision.counts else "failed",
                     "output": f"{decision.reason} Uploads up to {int(GRACE.total_seconds() // 60)} minutes after "
                               "your window's end count as on time.",
                     "output_format": "text", "visibility": "visible", "tags": ["exam-window"]})
    tests.append(integrity_test(flags, len(tests) + 1))
    for number, test in enumerate(tests, start=1):
        test["number"] = str(number)
    data["output"] += "\n\n" + regrade_line(course)
    write_results_json(data, results_path)
    shown = flags if assignment.stdout_visibility == "hidden" else f"{len(flags)} (in the staff-only entry)"
    print(f"score {data['score']:g} / {result.max_score:g}; flags: {shown or 'none'}; {time.monotonic() - started:.2f} s")
    if result.stdout:
        print("--- student output (truncated) ---")
        print(result.stdout[:4000])
    return 0


def exam_template(assignment: Any) -> dict[str, Any]:
    """The exam notebook as JSON, for comparing the cells that show parameters (their text is the same in
    the source and the release: only the coding question's solution differs)."""
    return json.loads(Path(assignment.source_notebook).read_text(encoding="utf-8"))


WINDOW_TEST_NAME = "Exam window"
