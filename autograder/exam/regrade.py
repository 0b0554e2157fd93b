"""Grading a class's exam submissions into the gradebook, and regrading one question for everyone.

``autograder exam batch midterm INPUT`` grades a Gradescope export (or a folder of ``<sid>.ipynb`` /
``<sid>/midterm.ipynb``) on each submitter's issued variant and records it in the gradebook, like
``autograder batch`` does for homework; a submission outside the student's window scores 0 with the
reason (an export holds only each student's active submission, so there is no earlier one to fall back
on), and integrity flags go to the CSV's notes column and the report (printed; ``exam batch`` exits 1 on any):
among them, wrong answers that are right for another student's variant (``exam copy: ...``,
:mod:`autograder.exam.copies`). What each student answered is kept in the gradebook (``exam_answers``) for
``autograder exam integrity``. ``--jobs N`` grades in N spawned workers, each with its own sandbox slot
(:func:`autograder.batch.pool.claim_slot`), recording in this process as each finishes.

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
    flags: list[tuple[str, str, str]] = field(default_factory=list)
    """(submission key, SID, flag) for the instructor: another SID's notebook, edited parameters, copied answers."""


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
                     progress: Callable[[str], None] | None = None, *, jobs: int = 1,
                     bar: bool = False) -> ExamBatchReport:
    """Grade every submission under ``source`` on its submitter's variant; record each in the gradebook.
    ``jobs`` > 1: that many worker processes (each with its own sandbox slot, the spec, template and the
    class's keys loaded once); results are recorded here as they finish. ``bar``: a tqdm progress bar on
    stderr. Each graded submission's integrity flags land in ``report.flags``."""
    from autograder.batch.inputs import discover

    began = time.perf_counter()
    report = ExamBatchReport()
    issued = _issued(db_path, assignment.name)
    scratch = Path(tempfile.mkdtemp(prefix="autograder-exam-batch-"))
    try:
        found = discover(Path(source), assignment.name, workdir=scratch / "input")
        report.problems += found.problems
        report.total = len(found.submissions)
        tasks, subs = [], {}
        for sub in found.submissions:
            exam = _find(issued, sub.submitters)
            if exam is None:
                report.problems.append(f"{sub.key}: {sub.sids or '(no SID)'} was issued no {assignment.name}; "
                                       "not graded (add them to the roster and run `autograder exam build`)")
                continue
            path = scratch / f"{sub.key}.ipynb"
            path.write_bytes(sub.notebook or b"")
            tasks.append((sub.key, str(path), exam.student.sid))
            subs[sub.key] = (sub, exam)
        from autograder.batch.core import _progress_bar

        meter = _progress_bar(len(tasks), 0, bar, f"{assignment.name} grading")
        try:
            for key, outcome in _grade_tasks(assignment, course, db_path, tasks, jobs):
                sub, exam = subs[key]
                if isinstance(outcome, str):
                    report.problems.append(f"{key}: not graded: {outcome}")
                else:
                    _record(assignment, course, db_path, sub, exam, outcome, report)
                meter.update(1)
                if progress:
                    progress(key)
        finally:
            meter.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report.seconds = time.perf_counter() - began
    return report


def _record(assignment: Any, course: Any, db_path: Path, sub: Any, exam: IssuedExam, graded: Any,
            report: ExamBatchReport) -> None:
    """Apply the window to one graded submission and record it (answers, notes, result) in the gradebook."""
    import autograder
    from autograder.batch.gradebook import Gradebook
    from autograder.exam.windows import SittingTimesMissing, decide, parse_accommodation, window_for

    result = graded.result
    try:
        window = window_for(course, assignment.name, exam.student.track, parse_accommodation(exam.student.extra_time))
    except SittingTimesMissing as exc:
        report.problems.append(f"{sub.key}: not recorded: SID {exam.student.sid}'s {exc}")
        return
    decision = decide(window, sub.created_at)
    if not decision.counts:
        result.zeroed_reason = decision.zeroed_reason or decision.reason
    notes = list(sub.notes) + _flag_notes(graded.flags, graded.copy_flags)
    people = [dict(vars(s)) for s in sub.submitters] or [{"sid": exam.student.sid}]
    for person in people:  # a folder of <sid>.ipynb has no names: the roster's
        if person.get("sid") and person["sid"] == exam.student.sid:
            person["name"] = person.get("name") or exam.student.name
            person["email"] = person.get("email") or exam.student.email
    with Gradebook(db_path) as book:
        store.save_answers(book.db, assignment.name, exam.student.sid, graded.answers)
        book.record(assignment.name, key=sub.key, content_hash=sub.content_hash,
                    submitters=people, created_at=sub.created_at,
                    notebook=sub.notebook, notebook_name=sub.notebook_name, notes=notes, result=result,
                    lateness_s=0.0, hidden_hash=assignment.hidden_hash(), version=autograder.__version__, timings={})
    report.graded += 1
    report.flags += [(sub.key, exam.student.sid, flag) for flag in graded.flags]


# ----------------------------------------------------------- grading, in this process or in workers
_worker: dict[str, Any] = {}


def _setup_worker(assignment: Any, course: Any, db_path: Path, slot: int) -> None:
    """Load once what every submission's grading needs: spec, template, issued variants, the class's keys."""
    from autograder.exam.build import load_spec
    from autograder.exam.copies import class_index
    from autograder.exam.gradescope import exam_template

    spec = load_spec(assignment)
    issued = _issued(db_path, assignment.name)
    _worker.update(assignment=assignment, course=course, spec=spec, template=exam_template(assignment),
                   issued=issued, index=class_index(spec, issued, course, cache=db_path), slot=slot)


def _init_pool_worker(assignment: Any, course: Any, db_path: Path, parent: int) -> None:
    import os
    import signal

    from autograder.batch.pool import _die_with_parent, claim_slot

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent()
    if os.getppid() != parent:
        os._exit(1)
    slot, handle = claim_slot()
    _worker["lock"] = handle  # held while the worker lives
    _setup_worker(assignment, course, db_path, slot)


def _grade_one(key: str, path: str, sid: str) -> tuple[str, Any]:
    from autograder.exam.build import student_extra
    from autograder.exam.grade import grade_exam

    w = _worker
    exam = w["issued"][sid]
    graded = grade_exam(w["assignment"], w["spec"], exam, Path(path), template=w["template"],
                        extra=student_extra(w["course"], w["spec"], exam), index=w["index"], slot=w["slot"])
    return key, graded


def _grade_tasks(assignment: Any, course: Any, db_path: Path, tasks: list[tuple[str, str, str]],
                 jobs: int):  # type: ignore[no-untyped-def]
    """Yield ``(key, ExamGrading or the reason it failed)`` for every ``(key, notebook path, SID)`` task, in
    completion order: in this process when ``jobs`` is 1, else in ``jobs`` worker processes."""
    if not tasks:
        return
    if jobs <= 1 or len(tasks) == 1:
        _setup_worker(assignment, course, db_path, 0)
        for task in tasks:
            yield _grade_one(*task)
        return
    import os
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context

    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=get_context("spawn"),
                             initializer=_init_pool_worker, initargs=(assignment, course, db_path, os.getpid())) as pool:
        futures = {pool.submit(_grade_one, *task): task[0] for task in tasks}
        for future in as_completed(futures):
            try:
                yield future.result()
            except Exception as exc:  # noqa: BLE001 - a worker that died, or a grader bug on one submission
                yield futures[future], f"the grader failed: {type(exc).__name__}: {exc}"


def _flag_notes(flags: list[str], copy_flags: list[str]) -> list[str]:
    """Gradebook notes: ``exam flag: ...`` for the notebook's own flags, ``exam copy: ...`` for copied answers."""
    from autograder.exam.copies import FLAG_PREFIX

    return [f"exam flag: {f}" for f in flags if f not in copy_flags] + [FLAG_PREFIX + f for f in copy_flags]


def _stored_grading(book: Any, grading_id: int) -> tuple[dict[str, Any], list[TestOutcome]]:
    """The stored grading's fields and tests (with their visibility: the staff-only entries stay hidden)."""
    stored = book.result_of(grading_id, "")
    lateness = book.db.execute("SELECT lateness_s FROM gradings WHERE id = ?", (grading_id,)).fetchone()[0]
    fields = {"problems": stored.problems, "grader_errors": stored.grader_errors, "isolation": stored.isolation,
              "late_days": stored.late_days, "late_note": stored.late_note, "zeroed_reason": stored.zeroed_reason,
              "unusable": stored.unusable, "lateness_s": lateness}
    return fields, stored.tests


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
    index = class_index(spec, issued_all, course, cache=db_path)  # with the new key (a new digest)
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
