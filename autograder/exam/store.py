"""Issued variants in the SQLite gradebook (``gradebook.sqlite`` of the course by default).

Tables (created on first use, beside the gradebook's own):

  exam_students   one row per (exam, space, sid): name, email, track, extra time, when issued
  exam_variants   one row per (exam, space, sid, question): params, answers, option order,
                  generator hash, issued_at; ``key_version`` counts regrades of the key
  exam_key_log    the answers a regrade replaced (who, question, old answers, new answers, when)
  exam_answers    one row per (exam, space, sid, part): what the student answered and whether it was
                  right on their own variant, as last graded (read by ``autograder exam integrity``)
  exam_distinctive  which parts are distinctive for the copied-answer check, per digest of the keys that
                  decide it (:class:`autograder.exam.copies.DistinctiveCache`)

Once a row exists it is what the student was shown: ``autograder exam build`` run again reuses it
(whatever the generator's code is now), grading reads the answers from it, and a regrade of one
question recomputes that question's answers from the *stored* params. A leaked notebook is traced
with :func:`find_by_params`.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any, Iterable

from autograder.exam.variants import IssuedExam, IssuedQuestion, Student, normalize_sid

SCHEMA = """
CREATE TABLE IF NOT EXISTS exam_students (
    exam        TEXT NOT NULL,
    space       TEXT NOT NULL,
    sid         TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    email       TEXT NOT NULL DEFAULT '',
    track       TEXT NOT NULL DEFAULT '',
    extra_time  TEXT NOT NULL DEFAULT '',
    issued_at   TEXT NOT NULL,
    PRIMARY KEY (exam, space, sid)
);
CREATE TABLE IF NOT EXISTS exam_variants (
    exam            TEXT NOT NULL,
    space           TEXT NOT NULL,
    sid             TEXT NOT NULL,
    question        TEXT NOT NULL,
    params          TEXT NOT NULL,
    answers         TEXT NOT NULL,
    option_order    TEXT NOT NULL DEFAULT '[]',
    generator_hash  TEXT NOT NULL,
    issued_at       TEXT NOT NULL,
    key_version     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (exam, space, sid, question)
);
CREATE TABLE IF NOT EXISTS exam_key_log (
    exam        TEXT NOT NULL,
    space       TEXT NOT NULL,
    sid         TEXT NOT NULL,
    question    TEXT NOT NULL,
    old_answers TEXT NOT NULL,
    new_answers TEXT NOT NULL,
    changed_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS exam_distinctive (
    exam        TEXT NOT NULL,
    digest      TEXT NOT NULL,
    part        TEXT NOT NULL,
    distinctive INTEGER NOT NULL,
    PRIMARY KEY (exam, digest, part)
);
CREATE TABLE IF NOT EXISTS exam_answers (
    exam        TEXT NOT NULL,
    space       TEXT NOT NULL,
    sid         TEXT NOT NULL,
    part        TEXT NOT NULL,
    value       TEXT NOT NULL,
    correct     INTEGER NOT NULL,
    graded_at   TEXT NOT NULL,
    PRIMARY KEY (exam, space, sid, part)
);
"""


def connect(path: Path) -> sqlite3.Connection:
    """Open the gradebook file (created if missing) with the exam tables."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(Path(path), timeout=30, isolation_level=None)
    db.execute("PRAGMA busy_timeout = 30000")
    db.execute("PRAGMA journal_mode = WAL")
    db.executescript(SCHEMA)
    return db


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def save(db: sqlite3.Connection, exams: Iterable[IssuedExam]) -> int:
    """Record issued exams in one transaction; rows that exist are kept as they are. Returns rows added."""
    added = 0
    db.execute("BEGIN IMMEDIATE")
    try:
        for exam in exams:
            s = exam.student
            sid = normalize_sid(s.sid)
            db.execute("INSERT OR IGNORE INTO exam_students VALUES (?,?,?,?,?,?,?,?)",
                       (exam.exam, exam.space, sid, s.name, s.email, s.track, s.extra_time, exam.issued_at or _now()))
            db.execute("UPDATE exam_students SET name=?, email=?, track=?, extra_time=? WHERE exam=? AND space=? AND sid=?",
                       (s.name, s.email, s.track, s.extra_time, exam.exam, exam.space, sid))
            for q in exam.questions.values():
                cursor = db.execute(
                    "INSERT OR IGNORE INTO exam_variants (exam, space, sid, question, params, answers, option_order,"
                    " generator_hash, issued_at) VALUES (?,?,?,?,?,?,?,?,?)",
                    (exam.exam, exam.space, sid, q.question, json.dumps(q.params), json.dumps(q.answers),
                     json.dumps(q.order), q.generator_hash, exam.issued_at or _now()))
                added += cursor.rowcount
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return added


def load(db: sqlite3.Connection, exam: str, sid: str, space: str = "exam") -> IssuedExam | None:
    """The exam issued to ``sid`` (None if none was)."""
    sid = normalize_sid(sid)
    row = db.execute("SELECT name, email, track, extra_time, issued_at FROM exam_students "
                     "WHERE exam=? AND space=? AND sid=?", (exam, space, sid)).fetchone()
    if row is None:
        return None
    questions = {}
    for q, params, answers, order, ghash in db.execute(
            "SELECT question, params, answers, option_order, generator_hash FROM exam_variants "
            "WHERE exam=? AND space=? AND sid=?", (exam, space, sid)):
        questions[q] = IssuedQuestion(q, json.loads(params), json.loads(answers), json.loads(order), ghash)
    return IssuedExam(exam, space, Student(sid, row[0], row[1], row[2], row[3]), questions, row[4])


def load_all(db: sqlite3.Connection, exam: str, space: str = "exam", *, params: bool = True) -> dict[str, IssuedExam]:
    """``{sid: issued exam}`` for every student of ``exam``. ``params=False``: the keys only (answers and option
    order; every question's ``params`` left empty), for the copied-answer check, which reads nothing else."""
    out: dict[str, IssuedExam] = {}
    for sid, name, email, track, extra, issued in db.execute(
            "SELECT sid, name, email, track, extra_time, issued_at FROM exam_students WHERE exam=? AND space=?",
            (exam, space)):
        out[sid] = IssuedExam(exam, space, Student(sid, name, email, track, extra), {}, issued)
    columns = "params" if params else "'{}'"
    for sid, q, shown, answers, order, ghash in db.execute(
            f"SELECT sid, question, {columns}, answers, option_order, generator_hash FROM exam_variants "
            "WHERE exam=? AND space=?", (exam, space)):
        if sid in out:
            out[sid].questions[q] = IssuedQuestion(q, json.loads(shown) if params else {}, json.loads(answers),
                                                   json.loads(order), ghash)
    return out


def replace_answers(db: sqlite3.Connection, exam: str, question: str, new: dict[str, dict[str, Any]],
                    space: str = "exam") -> int:
    """Regrade of a key: set ``{sid: answers}`` of one question (params untouched), logging the old
    answers. Returns how many students' answers changed."""
    changed = 0
    db.execute("BEGIN IMMEDIATE")
    try:
        for sid, answers in new.items():
            row = db.execute("SELECT answers FROM exam_variants WHERE exam=? AND space=? AND sid=? AND question=?",
                             (exam, space, sid, question)).fetchone()
            if row is None or json.loads(row[0]) == answers:
                continue
            db.execute("INSERT INTO exam_key_log VALUES (?,?,?,?,?,?,?)",
                       (exam, space, sid, question, row[0], json.dumps(answers), _now()))
            db.execute("UPDATE exam_variants SET answers=?, key_version=key_version+1 "
                       "WHERE exam=? AND space=? AND sid=? AND question=?",
                       (json.dumps(answers), exam, space, sid, question))
            changed += 1
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return changed


def save_answers(db: sqlite3.Connection, exam: str, sid: str, answers: dict[str, tuple[Any, bool]],
                 space: str = "exam") -> None:
    """Record what ``sid`` answered (``{part: (value, right?)}``), replacing those parts' earlier rows.
    A value that is not plain data (a function, an object) is recorded as null."""
    from autograder.exam.questions import plain

    rows = []
    for part, (value, right) in answers.items():
        try:
            text = json.dumps(plain(value), allow_nan=False)
        except (TypeError, ValueError):
            text = "null"
        rows.append((exam, space, normalize_sid(sid), part, text, int(bool(right)), _now()))
    db.execute("BEGIN IMMEDIATE")
    try:
        db.executemany("INSERT OR REPLACE INTO exam_answers VALUES (?,?,?,?,?,?,?)", rows)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def load_answers(db: sqlite3.Connection, exam: str, space: str = "exam") -> dict[str, dict[str, tuple[Any, bool]]]:
    """``{sid: {part: (value, right?)}}`` as last graded."""
    out: dict[str, dict[str, tuple[Any, bool]]] = {}
    for sid, part, value, correct in db.execute(
            "SELECT sid, part, value, correct FROM exam_answers WHERE exam=? AND space=?", (exam, space)):
        out.setdefault(sid, {})[part] = (json.loads(value), bool(correct))
    return out


def find_by_params(db: sqlite3.Connection, exam: str, question: str, params: dict[str, Any]) -> list[str]:
    """SIDs whose issued ``question`` has exactly these params (tracing a leaked variant)."""
    wanted = json.dumps(params)
    return [sid for (sid,) in db.execute(
        "SELECT sid FROM exam_variants WHERE exam=? AND question=? AND params=?", (exam, question, wanted))]


# ------------------------------------------------------- the Gradescope zip's copy
def to_json(exams: dict[str, IssuedExam]) -> str:
    """Every issued exam as JSON (carried root-only in the Gradescope zip)."""
    data = {sid: {"student": vars(e.student), "issued_at": e.issued_at, "space": e.space, "exam": e.exam,
                  "questions": {q: vars(iq) for q, iq in e.questions.items()}}
            for sid, e in exams.items()}
    return json.dumps(data, sort_keys=True)


def from_json(text: str) -> dict[str, IssuedExam]:
    out = {}
    for sid, e in json.loads(text).items():
        out[sid] = IssuedExam(e["exam"], e["space"], Student(**e["student"]),
                              {q: IssuedQuestion(**iq) for q, iq in e["questions"].items()}, e["issued_at"])
    return out


def load_distinctive(db: sqlite3.Connection, exam: str, digest: str) -> dict[str, bool]:
    """``{part: distinctive?}`` remembered for ``digest`` (see :class:`autograder.exam.copies.DistinctiveCache`)."""
    rows = db.execute("SELECT part, distinctive FROM exam_distinctive WHERE exam=? AND digest=?", (exam, digest))
    return {part: bool(flag) for part, flag in rows}


def save_distinctive(db: sqlite3.Connection, exam: str, digest: str, decided: dict[str, bool]) -> None:
    """Remember ``decided`` for ``digest``; older digests of the exam are dropped (they described other keys)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("DELETE FROM exam_distinctive WHERE exam=? AND digest<>? AND part IN (%s)"
                   % ",".join("?" * len(decided)), (exam, digest, *decided))
        db.executemany("INSERT OR REPLACE INTO exam_distinctive VALUES (?,?,?,?)",
                       [(exam, digest, part, int(flag)) for part, flag in decided.items()])
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
