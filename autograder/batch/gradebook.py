"""The gradebook: an SQLite database of every grading.

Tables
  submissions  one row per (assignment, key): who, when, the notebook's bytes and hash
  gradings     one row per grading of a submission: autograder version, hidden-tests
               hash, scores, lateness, problems, timings; ``current`` marks the one in force
  tests        one row per test of a grading: score, max, status, output

WAL mode, a busy timeout, and one transaction per graded submission (written by
one process, the batch's parent), so a batch killed at any moment leaves whole
gradings only, and readers (``autograder export`` while a batch runs) always see
a consistent state. A partial unique index keeps at most one current grading per
submission.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from autograder.results import GradingResult, TestOutcome

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id            INTEGER PRIMARY KEY,
    assignment    TEXT NOT NULL,
    key           TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    submitters    TEXT NOT NULL,          -- JSON [{sid, name, email}]
    created_at    TEXT,                   -- ISO 8601 with offset, or NULL
    notebook      BLOB,                   -- the file graded (NULL: no notebook)
    notebook_name TEXT NOT NULL DEFAULT '',
    notes         TEXT NOT NULL DEFAULT '[]',
    seen_at       TEXT NOT NULL,
    UNIQUE (assignment, key)
);
CREATE TABLE IF NOT EXISTS gradings (
    id                 INTEGER PRIMARY KEY,
    submission_id      INTEGER NOT NULL REFERENCES submissions(id),
    content_hash       TEXT NOT NULL,
    created_at         TEXT,
    hidden_hash        TEXT NOT NULL,
    autograder_version TEXT NOT NULL,
    graded_at          TEXT NOT NULL,
    current            INTEGER NOT NULL DEFAULT 1,
    score              REAL NOT NULL,
    raw_score          REAL NOT NULL,
    max_score          REAL NOT NULL,
    lateness_s         REAL NOT NULL DEFAULT 0,
    late_days          INTEGER NOT NULL DEFAULT 0,
    late_note          TEXT NOT NULL DEFAULT '',
    zeroed_reason      TEXT NOT NULL DEFAULT '',
    unusable           INTEGER NOT NULL DEFAULT 0,
    problems           TEXT NOT NULL DEFAULT '[]',
    grader_errors      TEXT NOT NULL DEFAULT '[]',
    isolation          TEXT NOT NULL DEFAULT '',
    execution_time     REAL NOT NULL DEFAULT 0,
    timings            TEXT NOT NULL DEFAULT '{}',
    context_hash       TEXT NOT NULL DEFAULT ''   -- autograder.batch.fingerprint: '' before it existed
);
CREATE UNIQUE INDEX IF NOT EXISTS one_current ON gradings(submission_id) WHERE current = 1;
CREATE TABLE IF NOT EXISTS tests (
    grading_id  INTEGER NOT NULL REFERENCES gradings(id),
    number      INTEGER NOT NULL,
    name        TEXT NOT NULL,
    task        TEXT NOT NULL,
    score       REAL NOT NULL,
    max_score   REAL NOT NULL,
    status      TEXT NOT NULL,
    output      TEXT NOT NULL,
    visibility  TEXT NOT NULL DEFAULT 'after_published',
    description TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL DEFAULT '',   -- the test function's, without its points ('' unknown)
    PRIMARY KEY (grading_id, number)
);
"""

# Columns added after the first release, with their defaults: a gradebook written before them
# gets them on its next writable open (ALTER TABLE keeps its rows); a read-only open reads the defaults.
ADDED_COLUMNS = {"tests": (("visibility", "TEXT NOT NULL DEFAULT 'after_published'"),
                           ("description", "TEXT NOT NULL DEFAULT ''"),
                           ("kind", "TEXT NOT NULL DEFAULT ''"),
                           ("fingerprint", "TEXT NOT NULL DEFAULT ''")),
                 "gradings": (("context_hash", "TEXT NOT NULL DEFAULT ''"),)}


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


@dataclass
class StoredSubmission:
    id: int
    key: str
    content_hash: str
    submitters: list[dict[str, str]]
    created_at: dt.datetime | None
    notebook: bytes | None
    notebook_name: str
    notes: list[str]


@dataclass
class CurrentRow:
    """A submission with its current grading: one CSV row."""

    key: str
    submitters: list[dict[str, str]]
    created_at: str | None
    notes: list[str]
    grading_id: int
    score: float
    max_score: float
    lateness_s: float
    late_days: int
    zeroed_reason: str
    problems: list[str]
    grader_errors: list[str]
    hidden_hash: str
    tests: dict[str, float]
    """{test name: score}"""
    graded_at: str


class Gradebook:
    """One connection to the gradebook file (created on first use)."""

    def __init__(self, path: Path, *, readonly: bool = False):
        self.path = Path(path)
        if readonly and not self.path.exists():
            raise FileNotFoundError(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA busy_timeout = 30000")
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints; atomic always
        self.db.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            self.db.executescript(SCHEMA)
            self._migrate()

    def _migrate(self) -> None:
        """Add the columns of :data:`ADDED_COLUMNS` an older gradebook lacks (its rows get the defaults)."""
        for table, columns in ADDED_COLUMNS.items():
            have = self._columns(table)
            for name, decl in columns:
                if name not in have:
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {decl}")

    def _columns(self, table: str) -> set[str]:
        return {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Gradebook":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------- reading
    def done_keys(self, assignment: str, hidden_hash: str) -> dict[str, tuple[str, str | None]]:
        """{key: (content_hash, created_at)} of submissions whose current grading used ``hidden_hash``."""
        rows = self.db.execute(
            "SELECT s.key, g.content_hash, g.created_at FROM submissions s JOIN gradings g "
            "ON g.submission_id = s.id AND g.current = 1 WHERE s.assignment = ? AND g.hidden_hash = ?",
            (assignment, hidden_hash))
        return {k: (h, c) for k, h, c in rows}

    def stored_submissions(self, assignment: str) -> list[StoredSubmission]:
        rows = self.db.execute(
            "SELECT id, key, content_hash, submitters, created_at, notebook, notebook_name, notes "
            "FROM submissions WHERE assignment = ? ORDER BY key", (assignment,))
        return [StoredSubmission(i, k, h, json.loads(p), dt.datetime.fromisoformat(c) if c else None,
                                 nb, name, json.loads(n)) for i, k, h, p, c, nb, name, n in rows]

    def current_rows(self, assignment: str, keys: list[str] | None = None) -> list[CurrentRow]:
        """Every submission of ``assignment`` with its current grading, in key order,
        read in one transaction (a consistent snapshot while a batch writes)."""
        self.db.execute("BEGIN")
        try:
            rows = self.db.execute(
                "SELECT s.key, s.submitters, s.created_at, s.notes, g.id, g.score, g.max_score, g.lateness_s,"
                " g.late_days, g.zeroed_reason, g.problems, g.grader_errors, g.hidden_hash, g.graded_at "
                "FROM submissions s JOIN gradings g ON g.submission_id = s.id AND g.current = 1 "
                "WHERE s.assignment = ? ORDER BY s.key", (assignment,)).fetchall()
            tests: dict[int, dict[str, float]] = {}
            for gid, name, score in self.db.execute(
                    "SELECT t.grading_id, t.name, t.score FROM tests t JOIN gradings g ON g.id = t.grading_id "
                    "JOIN submissions s ON s.id = g.submission_id WHERE g.current = 1 AND s.assignment = ? "
                    "ORDER BY t.grading_id, t.number", (assignment,)):
                tests.setdefault(gid, {})[name] = score
        finally:
            self.db.execute("COMMIT")
        out = [CurrentRow(k, json.loads(p), c, json.loads(n), gid, sc, mx, ls, ld, zr, json.loads(pr),
                          json.loads(ge), hh, tests.get(gid, {}), ga)
               for k, p, c, n, gid, sc, mx, ls, ld, zr, pr, ge, hh, ga in rows]
        if keys is not None:
            wanted = set(keys)
            out = [r for r in out if r.key in wanted]
        return out

    def test_names(self, assignment: str) -> list[str]:
        """Test names in suite order, over the current gradings."""
        rows = self.db.execute(
            "SELECT t.name, MIN(t.number) FROM tests t JOIN gradings g ON g.id = t.grading_id "
            "JOIN submissions s ON s.id = g.submission_id WHERE g.current = 1 AND s.assignment = ? "
            "GROUP BY t.name ORDER BY MIN(t.number), t.name", (assignment,))
        return [name for name, _ in rows]

    def task_scores(self, assignment: str) -> dict[int, dict[str, tuple[float, float]]]:
        """``{grading id: {task: (points earned, points possible)}}`` over the current gradings:
        each question's (task's) tests added up."""
        out: dict[int, dict[str, tuple[float, float]]] = {}
        for gid, task, score, most in self.db.execute(
                "SELECT t.grading_id, t.task, SUM(t.score), SUM(t.max_score) FROM tests t JOIN gradings g "
                "ON g.id = t.grading_id JOIN submissions s ON s.id = g.submission_id "
                "WHERE g.current = 1 AND s.assignment = ? GROUP BY t.grading_id, t.task", (assignment,)):
            out.setdefault(gid, {})[task] = (score, most)
        return out

    def result_of(self, grading_id: int, assignment: str) -> GradingResult:
        """One stored grading as the :class:`GradingResult` it was made from (tests, problems, late note,
        zeroing, grader errors; not the student's stdout or cell reports, which are not stored). A gradebook
        from before visibility was stored reads every test as ``after_published``."""
        g = self.db.execute(
            "SELECT late_days, late_note, zeroed_reason, unusable, problems, grader_errors, isolation, "
            "execution_time FROM gradings WHERE id = ?", (grading_id,)).fetchone()
        if g is None:
            raise KeyError(grading_id)
        have = self._columns("tests")
        extra = ", ".join(c if c in have else f"{d!r}" for c, d in
                          (("visibility", "after_published"), ("description", ""), ("kind", "")))
        tests = [TestOutcome(*row) for row in self.db.execute(
            f"SELECT name, task, score, max_score, status, output, {extra} FROM tests WHERE grading_id = ? "
            "ORDER BY number", (grading_id,))]
        return GradingResult(assignment=assignment, tests=tests, problems=json.loads(g[4]),
                             grader_errors=json.loads(g[5]), isolation=g[6], execution_time=g[7],
                             late_days=g[0], late_note=g[1], zeroed_reason=g[2], unusable=bool(g[3]))

    def fingerprints_of(self, grading_id: int) -> tuple[str, list[str]]:
        """``(context hash, [fingerprint of each test, in order])`` a grading was made with
        (:mod:`autograder.batch.fingerprint`); '' where it was graded before they were stored."""
        if "context_hash" not in self._columns("gradings"):
            return "", []
        row = self.db.execute("SELECT context_hash FROM gradings WHERE id = ?", (grading_id,)).fetchone()
        if row is None:
            raise KeyError(grading_id)
        return row[0], [f for (f,) in self.db.execute(
            "SELECT fingerprint FROM tests WHERE grading_id = ? ORDER BY number", (grading_id,))]

    def count_current(self, assignment: str) -> int:
        return self.db.execute(
            "SELECT COUNT(*) FROM gradings g JOIN submissions s ON s.id = g.submission_id "
            "WHERE g.current = 1 AND s.assignment = ?", (assignment,)).fetchone()[0]

    # ------------------------------------------------------------- writing
    def record(self, assignment: str, *, key: str, content_hash: str, submitters: list[dict[str, str]],
               created_at: dt.datetime | None, notebook: bytes | None, notebook_name: str, notes: list[str],
               result: GradingResult, lateness_s: float, hidden_hash: str, version: str,
               timings: dict[str, float], context_hash: str = "",
               fingerprints: dict[str, str] | None = None) -> int:
        """Store one grading in one transaction; it becomes the submission's current one.
        ``fingerprints``: {test name: fingerprint} with ``context_hash``, what a regrade needs to
        reuse the outcomes (:mod:`autograder.batch.fingerprint`). Returns the grading id."""
        fingerprints = fingerprints or {}
        when = created_at.isoformat() if created_at else None
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT id FROM submissions WHERE assignment = ? AND key = ?",
                             (assignment, key)).fetchone()
            people = json.dumps(submitters)
            if row is None:
                sub_id = db.execute(
                    "INSERT INTO submissions (assignment, key, content_hash, submitters, created_at, notebook,"
                    " notebook_name, notes, seen_at) VALUES (?,?,?,?,?,?,?,?,?)",
                    (assignment, key, content_hash, people, when, notebook, notebook_name,
                     json.dumps(notes), now_iso())).lastrowid
            else:
                sub_id = row[0]
                db.execute("UPDATE submissions SET content_hash=?, submitters=?, created_at=?, notebook=?,"
                           " notebook_name=?, notes=?, seen_at=? WHERE id=?",
                           (content_hash, people, when, notebook, notebook_name, json.dumps(notes), now_iso(),
                            sub_id))
                db.execute("UPDATE gradings SET current = 0 WHERE submission_id = ? AND current = 1", (sub_id,))
            grading_id = db.execute(
                "INSERT INTO gradings (submission_id, content_hash, created_at, hidden_hash, autograder_version,"
                " graded_at, current, score, raw_score, max_score, lateness_s, late_days, late_note,"
                " zeroed_reason, unusable, problems, grader_errors, isolation, execution_time, timings,"
                " context_hash) VALUES (?,?,?,?,?,?,1,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (sub_id, content_hash, when, hidden_hash, version, now_iso(), result.score, result.raw_score,
                 result.max_score, lateness_s, result.late_days, result.late_note, result.zeroed_reason,
                 int(result.unusable), json.dumps(result.problems), json.dumps(result.grader_errors),
                 result.isolation, result.execution_time, json.dumps(timings), context_hash)).lastrowid
            db.executemany(
                "INSERT INTO tests (grading_id, number, name, task, score, max_score, status, output, visibility,"
                " description, kind, fingerprint) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [(grading_id, n, t.name, t.task, t.score, t.max_score, t.status, t.output, t.visibility,
                  t.description, t.kind, fingerprints.get(t.name, "")) for n, t in enumerate(result.tests, start=1)])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return int(grading_id)

    def gradings_of(self, assignment: str) -> Iterator[tuple[str, int, float, str, int]]:
        """(key, grading id, score, hidden hash, current) for every grading ever made."""
        yield from self.db.execute(
            "SELECT s.key, g.id, g.score, g.hidden_hash, g.current FROM gradings g JOIN submissions s "
            "ON s.id = g.submission_id WHERE s.assignment = ? ORDER BY s.key, g.id", (assignment,))
