"""Grading a class's exam submissions into the gradebook, and regrading one question for everyone.

``autograder exam batch midterm INPUT`` grades a Gradescope export (or a folder of ``<sid>.ipynb`` /
``<sid>/midterm.ipynb``) on each submitter's issued variant and records it in the gradebook, like
``autograder batch`` does for homework; a submission outside the student's window scores 0 with the
reason (an export holds only each student's active submission, so there is no earlier one to fall back
on), and integrity flags go to the CSV's notes column: among them, wrong answers that are right for another
student's variant (``exam copy: ...``, :mod:`autograder.exam.copies`). What each student answered is kept in
the gradebook (``exam_answers``) for ``autograder exam integrity``.

``autograder regrade midterm --question Q3``, after the key, tolerance or points of Q3 changed in
``reference/midterm/questions.py``: Q3's answers are recomputed from the *stored* params (the issued
variant never changes; old answers are logged in ``exam_key_log``), every stored submission is graded again
for Q3's tests only, its other questions keep their stored results, and the students whose score changed
are printed with by how much. The copied-answer notes are recomputed with the new key and Q3's new answers.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from autograder.exam import store
from autograder.exam.variants import IssuedExam
from autograder.results import GradingResult, TestOutcome


@dataclass
class ExamBatchReport:
    graded: int = 0
    total: int = 0
    changes: list[tuple[str, str, float, float]] = field(default_factory=list)
    """(key, who, old score, new score) of the scores a regrade changed."""
    problems: list[str] = field(default_factory=list)
    key_changes: int = 0
    """Students whose stored answers of the question a regrade replaced."""
    seconds: float = 0.0


def _issued(db_path: Path, exam: str) -> dict[str, IssuedExam]:
    db = store.connect(db_path)
    try:
        return store.load_all(db, exam)
    finally:
        db.close()


def _find(issued: dict[str, IssuedExam], submitters: list[dict[str, str]] | list[Any]) -> IssuedExam | None:
    from autograder.exam.grade import find_submitter

    people = [s if isinstance(s, dict) else vars(s) for s in submitters]
    return find_submitter(issued, [p.get("sid", "") for p in people], [p.get("email", "") for p in people])


def grade_exam_batch(assignment: Any, course: Any, source: Path, db_path: Path,
                     progress: Callable[[str], None] | None = None) -> ExamBatchReport:
    """Grade every submission under ``source`` on its submitter's variant; record each in the gradebook."""
    import autograder
    from autograder.batch.gradebook import Gradebook
    from autograder.batch.inputs import discover
    from autograder.exam.build import load_spec, student_extra
    from autograder.exam.copies import class_index
    from autograder.exam.gradescope import exam_template
    from autograder.exam.grade import grade_exam
    from autograder.exam.windows import decide, parse_accommodation, window_for

    began = time.perf_counter()
    report = ExamBatchReport()
    spec, template = load_spec(assignment), exam_template(assignment)
    issued = _issued(db_path, assignment.name)
    index = class_index(spec, issued, course)  # every issued key, once
    scratch = Path(tempfile.mkdtemp(prefix="autograder-exam-batch-"))
    try:
        found = discover(Path(source), assignment.name, workdir=scratch / "input")
        report.problems += found.problems
        report.total = len(found.submissions)
        hidden_hash = assignment.hidden_hash()
        with Gradebook(db_path) as book:
            for sub in found.submissions:
                exam = _find(issued, sub.submitters)
                if exam is None:
                    report.problems.append(f"{sub.key}: {sub.sids or '(no SID)'} was issued no {assignment.name}; "
                                           "not graded (add them to the roster and run `autograder exam build`)")
                    continue
                path = scratch / f"{sub.key}.ipynb"
                path.write_bytes(sub.notebook or b"")
                graded = grade_exam(assignment, spec, exam, path, template=template,
                                    extra=student_extra(course, spec, exam), index=index)
                store.save_answers(book.db, assignment.name, exam.student.sid, graded.answers)
                result = graded.result
                window = window_for(course, assignment.name, exam.student.track,
                                    parse_accommodation(exam.student.extra_time))
                decision = decide(window, sub.created_at)
                if not decision.counts:
                    result.zeroed_reason = decision.reason
                notes = list(sub.notes) + _flag_notes(graded.flags, graded.copy_flags)
                people = [dict(vars(s)) for s in sub.submitters] or [{"sid": exam.student.sid}]
                for person in people:  # a folder of <sid>.ipynb has no names: the roster's
                    if person.get("sid") and person["sid"] == exam.student.sid:
                        person["name"] = person.get("name") or exam.student.name
                        person["email"] = person.get("email") or exam.student.email
                book.record(assignment.name, key=sub.key, content_hash=sub.content_hash,
                            submitters=people, created_at=sub.created_at,
                            notebook=sub.notebook, notebook_name=sub.notebook_name, notes=notes, result=result,
                            lateness_s=0.0, hidden_hash=hidden_hash, version=autograder.__version__, timings={})
                report.graded += 1
                if progress:
                    progress(sub.key)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report.seconds = time.perf_counter() - began
    return report


def _flag_notes(flags: list[str], copy_flags: list[str]) -> list[str]:
    """Gradebook notes: ``exam flag: ...`` for the notebook's own flags, ``exam copy: ...`` for copied answers."""
    from autograder.exam.copies import FLAG_PREFIX

    return [f"exam flag: {f}" for f in flags if f not in copy_flags] + [FLAG_PREFIX + f for f in copy_flags]


def _stored_grading(book: Any, grading_id: int) -> tuple[dict[str, Any], list[TestOutcome]]:
    row = book.db.execute(
        "SELECT problems, grader_errors, isolation, late_days, late_note, zeroed_reason, unusable, lateness_s "
        "FROM gradings WHERE id = ?", (grading_id,)).fetchone()
    import json

    fields = {"problems": json.loads(row[0]), "grader_errors": json.loads(row[1]), "isolation": row[2],
              "late_days": row[3], "late_note": row[4], "zeroed_reason": row[5], "unusable": bool(row[6]),
              "lateness_s": row[7]}
    tests = [TestOutcome(name, task, score, max_score, status, output)
             for name, task, score, max_score, status, output in book.db.execute(
                 "SELECT name, task, score, max_score, status, output FROM tests WHERE grading_id = ? ORDER BY number",
                 (grading_id,))]
    return fields, tests


def regrade_question(assignment: Any, course: Any, db_path: Path, question: str, *,
                     progress: Callable[[str], None] | None = None) -> ExamBatchReport:
    """Re-grade ``question`` in every stored submission (see the module docstring)."""
    import autograder
    from autograder.batch.core import who
    from autograder.batch.gradebook import Gradebook
    from autograder.exam.build import load_spec, student_extra
    from autograder.exam.copies import FLAG_PREFIX, class_index, copy_flags, find_copies
    from autograder.exam.gradescope import exam_template
    from autograder.exam.grade import grade_exam

    began = time.perf_counter()
    report = ExamBatchReport()
    spec, template = load_spec(assignment), exam_template(assignment)
    q = spec.question(question)
    db = store.connect(db_path)
    try:
        issued_all = store.load_all(db, assignment.name)
        new_keys = {sid: exam_answers for sid, exam_answers in
                    ((sid, q.answer(e.questions[q.name].params)) for sid, e in issued_all.items() if q.name in e.questions)}
        from autograder.exam.questions import plain
        report.key_changes = store.replace_answers(db, assignment.name, q.name, {s: plain(a) for s, a in new_keys.items()})
        issued_all = store.load_all(db, assignment.name)
        stored_answers = store.load_answers(db, assignment.name)
    finally:
        db.close()
    index = class_index(spec, issued_all, course)  # with the new key
    scratch = Path(tempfile.mkdtemp(prefix="autograder-exam-regrade-"))
    hidden_hash = assignment.hidden_hash()
    try:
        with Gradebook(db_path) as book:
            stored = book.stored_submissions(assignment.name)
            before = {r.key: r for r in book.current_rows(assignment.name)}
            report.total = len(stored)
            for sub in stored:
                row = before.get(sub.key)
                exam = _find(issued_all, sub.submitters)
                if row is None or exam is None:
                    report.problems.append(f"{sub.key}: no current grading or no issued exam; left as it is")
                    continue
                fields, old_tests = _stored_grading(book, row.grading_id)
                path = scratch / f"{sub.key}.ipynb"
                path.write_bytes(sub.notebook or b"")
                graded = grade_exam(assignment, spec, exam, path, template=template,
                                    extra=student_extra(course, spec, exam), only_question=q.name)
                fresh = graded.result.tests
                merged: list[TestOutcome] = []
                placed = False
                for test in old_tests:
                    if test.task.lower() == q.name.lower():
                        if not placed:
                            merged += fresh
                            placed = True
                        continue
                    merged.append(test)
                if not placed:
                    merged += fresh
                lateness_s = fields.pop("lateness_s")
                result = GradingResult(assignment=assignment.name, tests=merged, **fields)
                answers = dict(stored_answers.get(exam.student.sid, {}), **graded.answers)
                store.save_answers(book.db, assignment.name, exam.student.sid, graded.answers)
                notes = [n for n in sub.notes if not n.startswith(FLAG_PREFIX)]
                notes += [FLAG_PREFIX + f for f in copy_flags(find_copies(index, exam.student.sid, answers))]
                book.record(assignment.name, key=sub.key, content_hash=sub.content_hash, submitters=sub.submitters,
                            created_at=sub.created_at, notebook=sub.notebook, notebook_name=sub.notebook_name,
                            notes=notes, result=result, lateness_s=lateness_s, hidden_hash=hidden_hash,
                            version=autograder.__version__, timings={})
                report.graded += 1
                if progress:
                    progress(sub.key)
            after = {r.key: r for r in book.current_rows(assignment.name)}
        for key, old in before.items():
            new = after.get(key)
            if new is not None and abs(new.score - old.score) > 1e-9:
                report.changes.append((key, who(new), old.score, new.score))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report.seconds = time.perf_counter() - began
    return report
