"""Batch grading: discover submissions, skip those already graded against the
same hidden tests, grade the rest in parallel, record each in the gradebook as
it finishes, then write the CSV from the gradebook."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, TextIO

import autograder
from autograder.assignment import Assignment
from autograder.batch.fingerprint import SuiteFingerprints, function_of, suite_fingerprints
from autograder.batch.gradebook import CurrentRow, Gradebook
from autograder.batch.inputs import Submission, Submitter, discover
from autograder.batch.pool import Done, Task, discard_prestarted, grade_all, prestart
from autograder.course import AssignmentPolicy, load_course
from autograder.lateness import decide, hms
from autograder.results import GradingResult

DB_NAME = "gradebook.sqlite"


def apply_lateness(result: GradingResult, sub: Submission, course, assignment: str) -> float:  # type: ignore[no-untyped-def]
    """Late days and zeroing by :func:`autograder.lateness.decide`, the rules of the Gradescope run.
    An export carries no due date, so course.yaml's is used. Returns the lateness in seconds
    (0 if on time or unknown)."""
    info = decide(course.assignment(assignment), course.late_days, sub.created_at, tz=course.timezone)
    result.late_days, result.late_note, result.zeroed_reason = info.late_days, info.note, info.zeroed_reason
    return max(0.0, info.lateness.total_seconds()) if info.lateness is not None else 0.0


def default_db(assignment: Assignment) -> Path:
    return assignment.course_root / DB_NAME


@dataclass
class BatchReport:
    """What a batch run did."""

    total: int = 0
    skipped: int = 0
    """Already graded against the same hidden tests (resume)."""
    graded: int = 0
    failed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    seconds: float = 0.0
    timings: list[dict[str, float]] = field(default_factory=list)
    changes: list[tuple[str, str, float, float]] = field(default_factory=list)
    """Regrade: (key, who, old score, new score) for scores that changed."""
    rescored: int = 0
    """Regrade: submissions re-scored from their stored outcomes, no student code run (of ``graded``)."""
    partial: int = 0
    """Regrade: submissions that ran only the tasks whose tests changed, the rest re-scored (of ``graded``)."""
    unfingerprinted: int = 0
    """Regrade: submissions re-run in full because their grading predates stored test fingerprints."""


class Recorder:
    """Turns worker results into gradebook rows (lateness applied here, in the parent)."""

    def __init__(self, assignment: Assignment, book: Gradebook, hidden_hash: str,
                 subs: dict[str, Submission], report: BatchReport, progress: Callable[[], None],
                 prints: SuiteFingerprints | None = None):
        self.course = load_course(assignment.course_root / "course.yaml")
        self.assignment, self.book, self.hidden_hash = assignment, book, hidden_hash
        self.prints = prints
        self.subs, self.report, self.progress = subs, report, progress
        self.version = autograder.__version__

    def done(self, done: Done, *, failed: bool = False) -> None:
        sub = self.subs[done.key]
        result = done.result
        if sub.notebook is None:
            missing = [n for n in sub.notes if "no notebook" in n or "missing" in n] or \
                ["The submission has no notebook."]
            result.problems[:0] = [n for n in missing if n not in result.problems]  # a re-scored one has them
        lateness_s = apply_lateness(result, sub, self.course, self.assignment.name) if sub.created_at else 0.0
        began = time.perf_counter()
        self.book.record(
            self.assignment.name, key=sub.key, content_hash=sub.content_hash,
            submitters=[asdict(s) for s in sub.submitters], created_at=sub.created_at,
            notebook=sub.notebook, notebook_name=sub.notebook_name, notes=sub.notes, result=result,
            lateness_s=lateness_s,
            hidden_hash="" if failed else self.hidden_hash,  # '' : retried by the next batch or regrade
            version=self.version, timings=done.timings,
            context_hash=self.prints.context if self.prints and not failed else "",
            fingerprints={t.name: self.prints.of(t.name) for t in result.tests} if self.prints else None)
        done.timings["write"] = time.perf_counter() - began
        self.report.graded += 1
        self.report.timings.append(done.timings)
        self.progress()

    def failure(self, task: Task, message: str) -> None:
        """A submission the grader itself could not grade: recorded with a grader error, score 0."""
        result = GradingResult(assignment=self.assignment.name, grader_errors=[message])
        self.report.failed.append(f"{task.key}: {message}")
        self.done(Done(task.key, result, {}), failed=True)


def _progress_bar(total: int, initial: int, enabled: bool, desc: str):  # type: ignore[no-untyped-def]
    from tqdm import tqdm

    tqdm.monitor_interval = 0
    return tqdm(total=total, initial=initial, unit="sub", desc=desc, file=sys.stderr, disable=not enabled,
                mininterval=0.5, smoothing=0.1, dynamic_ncols=True)


def grade_and_record(assignment: Assignment, book: Gradebook, subs: list[Submission], *, jobs: int,
                     hidden_hash: str, report: BatchReport, progress: bool, already: int = 0,
                     desc: str = "grading", prints: SuiteFingerprints | None = None,
                     reuse: dict[str, Reuse] | None = None) -> None:
    """Grade ``subs`` in the sandbox and record them; ``prints`` are stored with every grading.
    ``reuse`` ({key: stored grading re-scored}): recorded as it is when nothing must run again,
    else only its ``rerun`` tasks run and are merged into it."""
    reuse = reuse or {}
    by_key = {s.key: s for s in subs}
    bar = _progress_bar(len(subs) + already, already, progress, f"{assignment.name} {desc}")
    try:
        recorder = Recorder(assignment, book, hidden_hash, by_key, report, lambda: bar.update(1), prints)
        for key, stored in reuse.items():
            if not stored.rerun:
                recorder.done(Done(key, stored.result, {}))
                report.rescored += 1
        whole: list[Task] = []

        def partial_done(done: Done) -> None:
            merged = reuse[done.key].merged(done.result) if done.key in reuse else done.result
            if merged is None:
                whole.append(Task(done.key, by_key[done.key].notebook, by_key[done.key].notebook_name))
                return
            report.partial += done.key in reuse
            recorder.done(Done(done.key, merged, done.timings))

        tasks = [Task(s.key, s.notebook, s.notebook_name, reuse[s.key].rerun if s.key in reuse else None)
                 for s in subs if s.key not in reuse or reuse[s.key].rerun]
        if tasks:
            grade_all(assignment, tasks, jobs, partial_done, recorder.failure)
        if whole:  # the partial run did not give the tests expected: grade them in full
            grade_all(assignment, whole, jobs, recorder.done, recorder.failure)
    finally:
        bar.close()


def run_batch(assignment: Assignment, source: Path, *, jobs: int, db_path: Path, csv_path: Path | None,
              progress: bool = True) -> BatchReport:
    """Grade every submission in ``source`` that the gradebook does not already
    hold a current grading of (same notebook, same time, same hidden tests)."""
    began = time.perf_counter()
    report = BatchReport()
    try:
        return _run_batch(assignment, source, jobs=jobs, db_path=db_path, csv_path=csv_path,
                          progress=progress, report=report, began=began)
    finally:
        discard_prestarted()  # started for grading that did not happen (an error, Ctrl-C)


def _run_batch(assignment: Assignment, source: Path, *, jobs: int, db_path: Path, csv_path: Path | None,
               progress: bool, report: BatchReport, began: float) -> BatchReport:
    workdir = Path(tempfile.mkdtemp(prefix="autograder-batch-input-"))
    try:
        found = discover(Path(source), assignment.name, workdir=workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report.problems = list(found.problems)
    for sub in found.submissions:
        report.problems += [f"{sub.key}: {n}" if not n.startswith(sub.key) else n for n in sub.notes
                            if n not in found.problems]
    subs = found.submissions
    report.total, report.keys = len(subs), [s.key for s in subs]
    hidden_hash = assignment.hidden_hash()
    with Gradebook(db_path) as book:
        done = book.done_keys(assignment.name, hidden_hash)
        todo = [s for s in subs if done.get(s.key) != (s.content_hash, _iso(s.created_at))]
        report.skipped = len(subs) - len(todo)
        if todo:  # the workers start up (grader, hidden suite, zygote) while this process gets ready
            prestart(assignment, min(jobs, len(todo)))
        prints = suite_fingerprints(assignment)
        grade_and_record(assignment, book, todo, jobs=jobs, hidden_hash=hidden_hash, report=report,
                         progress=progress, already=report.skipped, prints=prints)
        if report.graded and assignment.hidden_hash() != hidden_hash:
            report.problems.append(
                f"the hidden tests, reference or source notebook of {assignment.name} changed while grading; "
                f"run `autograder regrade {assignment.name}` to grade everything with the new ones.")
        if csv_path is not None:
            write_csv(book, assignment.name, csv_path, keys=report.keys)
    report.seconds = time.perf_counter() - began
    return report


def _iso(when: dt.datetime | None) -> str | None:
    return when.isoformat() if when else None


def run_regrade(assignment: Assignment, *, jobs: int, db_path: Path, progress: bool = True) -> BatchReport:
    """Re-grade every stored submission whose current grading used other hidden
    tests, reference or source notebook than the ones on disk now. A submission whose
    tests changed only in their points is re-scored from its stored outcomes, without running
    its code (:mod:`autograder.batch.fingerprint`); the others run in the sandbox again."""
    began = time.perf_counter()
    report = BatchReport()
    hidden_hash, prints = assignment.hidden_hash(), suite_fingerprints(assignment)
    with Gradebook(db_path) as book:
        stored = book.stored_submissions(assignment.name)
        before = {r.key: r for r in book.current_rows(assignment.name)}
        stale = {s.key for s in stored if s.key in before and before[s.key].hidden_hash != hidden_hash}
        subs = [Submission(s.key, [Submitter(**p) for p in s.submitters], s.created_at, s.notebook,
                           s.notebook_name, s.notes) for s in stored if s.key in stale]
        report.total, report.skipped, report.keys = len(stored), len(stored) - len(subs), [s.key for s in subs]
        reuse: dict[str, Reuse] = {}
        for sub in subs:
            outcome = rescore(book, assignment.name, before[sub.key].grading_id, prints)
            if isinstance(outcome, Reuse):
                reuse[sub.key] = outcome
            report.unfingerprinted += outcome == UNFINGERPRINTED
        grade_and_record(assignment, book, subs, jobs=jobs, hidden_hash=hidden_hash, report=report,
                         progress=progress, desc="regrading", prints=prints, reuse=reuse)
        after = {r.key: r for r in book.current_rows(assignment.name, keys=report.keys)}
    for key in report.keys:
        old, new = before[key].score, after[key].score
        if abs(new - old) > 1e-9:
            report.changes.append((key, who(after[key]), old, new))
    report.seconds = time.perf_counter() - began
    return report


UNFINGERPRINTED = "graded before test fingerprints were stored"


@dataclass
class Reuse:
    """A stored grading re-scored at the new points; the tests of ``rerun`` (tasks whose tests
    changed) must run again and replace theirs. ``rerun`` empty: no student code runs at all."""

    result: GradingResult
    rerun: frozenset[str]

    def merged(self, fresh: GradingResult) -> GradingResult | None:
        """``fresh`` (a run of the ``rerun`` tasks only) with the stored outcomes of the other tests,
        in the stored order; None if its tests are not exactly the stored ones of those tasks
        (a test moved to another task, new parametrize ids: run the whole submission)."""
        by_name = {t.name: t for t in fresh.tests}
        wanted = [t.name for t in self.result.tests if t.task in self.rerun]
        if sorted(by_name) != sorted(wanted) or len(by_name) != len(fresh.tests):
            return None
        fresh.tests = [by_name[t.name] if t.task in self.rerun else t for t in self.result.tests]
        return fresh


def rescore(book: Gradebook, assignment: str, grading_id: int, prints: SuiteFingerprints) -> Reuse | str:
    """The stored grading with each test scored at its new points (passed: its points, else 0),
    if the context hash and the test functions are the same as when it was graded and it had
    no grader error; the tasks of tests whose fingerprint changed are to run again. Otherwise
    the reason it must run again in full (:data:`UNFINGERPRINTED`: graded before fingerprints)."""
    context, stored = book.fingerprints_of(grading_id)
    if not context:
        return UNFINGERPRINTED
    if context != prints.context:
        return "what the tests share changed"
    result = book.result_of(grading_id, assignment)
    if result.grader_errors or len(stored) != len(result.tests):
        return "a grader error"
    if {function_of(t.name) for t in result.tests} != set(prints.tests):
        return "tests added or removed"
    rerun = frozenset(test.task for test, fingerprint in zip(result.tests, stored)
                      if fingerprint != prints.tests[function_of(test.name)] or test.status not in ("passed", "failed"))
    for test in result.tests:
        new = prints.points[function_of(test.name)]  # None: in the fingerprint, so unchanged
        test.max_score = test.max_score if new is None else new
        test.score = test.max_score if test.status == "passed" else 0.0
    return Reuse(result, rerun)


def who(row: CurrentRow) -> str:
    """``905123456 Ada Student`` (group members joined by '; ')."""
    people = ["{} {}".format(p.get("sid", ""), p.get("name", "")).strip() for p in row.submitters]
    return "; ".join(p for p in people if p) or row.key


# ------------------------------------------------------------------ CSV
FIXED = ["sid", "name", "email", "score", "max_score", "submission_time", "lateness", "late_days"]


def _gs_time(iso: str | None) -> str:
    """``2025-02-03 22:10:05 -0800`` (Gradescope's format)."""
    if not iso:
        return ""
    return dt.datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S %z")


def csv_text(book: Gradebook, assignment: str, keys: list[str] | None = None) -> str:
    """One row per submission: who, score, time, lateness, one column per test,
    then the submission's key and notes (problems, zeroing, duplicate SIDs)."""
    rows = book.current_rows(assignment, keys)
    tests = book.test_names(assignment)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIXED + tests + ["submission", "notes"])
    for r in rows:
        people = r.submitters or [{}]
        notes = ([f"scored 0: {r.zeroed_reason}"] if r.zeroed_reason else []) + r.grader_errors
        notes += [n for n in r.notes if n not in notes] + [p for p in r.problems if p not in r.notes][:3]
        writer.writerow(
            ["; ".join(p.get(k, "") for p in people) for k in ("sid", "name", "email")]
            + [f"{r.score:g}", f"{r.max_score:g}", _gs_time(r.created_at),
               hms(dt.timedelta(seconds=r.lateness_s)), r.late_days]
            + [f"{r.tests[t]:g}" if t in r.tests else "" for t in tests]
            + [r.key, " | ".join(n.replace("\n", " ")[:300] for n in notes)])
    return out.getvalue()


def write_csv(book: Gradebook, assignment: str, path: Path, keys: list[str] | None = None) -> Path:
    text = csv_text(book, assignment, keys)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


# ------------------------------------------------------------------ per-question CSV
QUESTIONS_HEADER = ["SID", "assignment", "question", "score"]


class QuestionsError(ValueError):
    """course.yaml's questions and the graded tests disagree; the message names both."""


def _duplicate_note(sid: str, first: CurrentRow, second: CurrentRow) -> str:
    """Which of two submissions of one SID is used, and why: the later one, or, when both
    came at the same time, the last by submission key (said as such, for a person to confirm)."""
    keep = max(first, second, key=lambda x: (x.created_at or "", x.key))
    other = second if keep is first else first
    if (first.created_at or "") == (second.created_at or ""):
        when = f"at the same time ({first.created_at})" if first.created_at else "with no submission time"
        return (f"SID {sid} is on {first.key} and {second.key}, both submitted {when}; {keep.key} is used "
                f"(the last by submission key): check which one counts")
    return f"SID {sid} is on {other.key} and {keep.key}; the later one, {keep.key}, is used"


def questions_csv_text(book: Gradebook, policy: AssignmentPolicy) -> tuple[str, list[str]]:
    """The file ``autograder grades --questions`` reads: one row per student and question that
    course.yaml names for this assignment (``questions``), the score being the points of the
    current grading's tests whose ``task`` is that question (0 when the submission scored 0).

    Returns ``(csv text, notes)``; notes name rows left out (no SID, an SID on two submissions:
    the later one is kept). Raises QuestionsError when a question is no task of the graded tests
    or its tests' points differ from course.yaml's."""
    rows = book.current_rows(policy.name)
    tasks = book.task_scores(policy.name)
    possible: dict[str, float] = {}
    for per_task in tasks.values():
        for task, (_, most) in per_task.items():
            possible[task] = max(possible.get(task, 0.0), most)
    for question, points in policy.questions.items():
        if question not in possible:
            known = ", ".join(sorted(t for t in possible if t)) or "(none)"
            raise QuestionsError(
                f"course.yaml: assignments.{policy.name}.questions names {question!r}, but no graded test of "
                f"{policy.name} has task {question!r} (tasks: {known}); name the question after its task")
        if abs(possible[question] - points) > 1e-9:
            raise QuestionsError(
                f"course.yaml: assignments.{policy.name}.questions gives {question!r} {points:g} points, but its "
                f"tests are worth {possible[question]:g}; make them agree")
    chosen: dict[str, CurrentRow] = {}
    notes: list[str] = []
    for r in rows:
        for person in r.submitters or [{}]:
            sid = (person.get("sid") or "").strip()
            if not sid:
                notes.append(f"{r.key}: {person.get('name') or person.get('email') or 'a submitter'} has no SID; "
                             "left out of the questions file")
                continue
            if sid in chosen:
                notes.append(_duplicate_note(sid, chosen[sid], r))
                chosen[sid] = max(chosen[sid], r, key=lambda x: (x.created_at or "", x.key))
            else:
                chosen[sid] = r
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(QUESTIONS_HEADER)
    for sid, r in sorted(chosen.items()):
        for question in policy.questions:
            earned = 0.0 if r.zeroed_reason else tasks.get(r.grading_id, {}).get(question, (0.0, 0.0))[0]
            writer.writerow([sid, policy.name, question, f"{earned:g}"])
    return out.getvalue(), notes


def summarize_timings(timings: list[dict[str, float]]) -> dict[str, float]:
    """Median seconds per phase over the graded submissions."""
    import statistics

    phases = ["start", "cells", "tests", "other", "write", "worker"]
    return {p: statistics.median(t.get(p, 0.0) for t in timings) for p in phases} if timings else {}


def print_problems(report: BatchReport, stream: TextIO) -> None:
    for problem in report.problems + report.failed:
        print(f"! {problem}", file=stream)
