"""The copied-answer check made cheap for one submission (issue 23): the class's keys are read only when a
wrong answer is looked up, and which parts are distinctive is remembered in the gradebook per digest of
what decides it (the class's keys, so the roster and the secret; the spec's judges and generators)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from autograder.assignment import load_assignment
from autograder.course import load_course
from autograder.exam import store
from autograder.exam.build import load_spec
from autograder.exam.copies import DistinctiveCache, class_index, find_copies
from autograder.exam.questions import Numeric
from autograder.exam.variants import Student, issue_exam

ROOT = Path(__file__).resolve().parent.parent
SECRET = b"copies-cache-secret-0123456789abcdef"


@pytest.fixture(scope="module")
def spec_course():
    assignment = load_assignment("midterm", ROOT / "course.yaml")
    return load_spec(assignment), load_course(ROOT / "course.yaml")


def _class(spec, sids, secret=SECRET):
    return {s: issue_exam(spec, secret, Student(s, track="C147")) for s in sids}


SIDS = [str(905000200 + i) for i in range(6)]


def _poison(db: Path, spec, issued, part: str) -> None:
    """Record the opposite of the truth for ``part`` under the digest of (spec, issued): a build that
    reads the cache for these keys then says what the cache says."""
    index = class_index(spec, issued, cache=db)
    truth = index.is_distinctive(part)
    question = index.parts[part]
    digest = index._digest(question)
    conn = store.connect(db)
    try:
        decided = store.load_distinctive(conn, spec.name, digest)
        assert decided[part] == truth
        store.save_distinctive(conn, spec.name, digest, {**decided, part: not truth})
    finally:
        conn.close()


def test_the_cache_holds_what_would_be_decided_and_is_read_for_the_same_keys(tmp_path, spec_course):
    spec, course = spec_course
    issued = _class(spec, SIDS)
    fresh = class_index(spec, issued, course).distinctive
    db = tmp_path / "gradebook.sqlite"
    assert class_index(spec, issued, course, cache=db).distinctive == fresh  # decided, then stored
    assert class_index(spec, issued, course, cache=db).distinctive == fresh  # read back
    assert fresh == {"q2_grad", "q5_v", "q5_w"}
    _poison(db, spec, issued, "q2_grad")
    assert "q2_grad" not in class_index(spec, issued, course, cache=db).distinctive  # the cache was read


@pytest.mark.parametrize("change", ["roster", "secret", "spec"])
def test_the_cache_is_not_used_when_the_roster_the_secret_or_the_spec_changes(tmp_path, spec_course, change):
    spec, course = spec_course
    db = tmp_path / "gradebook.sqlite"
    issued = _class(spec, SIDS)
    _poison(db, spec, issued, "q2_grad")
    assert not class_index(spec, issued, course, cache=db).is_distinctive("q2_grad")
    if change == "roster":
        issued = _class(spec, SIDS + ["905000299"])
    elif change == "secret":
        issued = _class(spec, SIDS, secret=b"another-secret-for-the-same-class-42")
    else:  # a looser tolerance on Q2's gradient: the same keys, judged otherwise
        q2 = spec.question("Q2")
        parts = dict(q2.parts, q2_grad=dataclasses.replace(q2.parts["q2_grad"], judge=Numeric(rtol=2e-2)))
        spec = dataclasses.replace(spec, questions=tuple(dataclasses.replace(q, parts=parts) if q.name == "Q2" else q
                                                         for q in spec.questions))
    assert class_index(spec, issued, course, cache=db).is_distinctive("q2_grad")  # decided again, truthfully


def test_right_answers_read_no_other_students_keys_and_a_copied_one_still_names_its_owner(tmp_path, spec_course):
    spec, course = spec_course
    issued = _class(spec, SIDS)
    reads = []

    def the_class():
        reads.append(1)
        return issued

    ada, alan = SIDS[0], SIDS[1]
    own = {part: (value, True) for part, value in issued[ada].answers().items()}
    index = class_index(spec, the_class, course, cache=tmp_path / "gradebook.sqlite")
    assert find_copies(index, ada, own) == [] and reads == []
    copied = dict(own, q5_v=(issued[alan].questions["Q5"].answers["q5_v"], False))
    cases = find_copies(index, ada, copied)
    assert reads == [1] and [(c.part, c.matching, c.distinctive) for c in cases] == [("q5_v", [alan], True)]


def test_a_gradebook_that_cannot_be_written_only_costs_the_decision(tmp_path, spec_course):
    spec, course = spec_course
    issued = _class(spec, SIDS)
    missing = tmp_path / "no-such-dir" / "sub" / "gradebook.sqlite"
    (tmp_path / "no-such-dir").write_text("a file where a folder should be")
    cache = DistinctiveCache(missing, spec.name)
    assert cache.get("x") == {}
    assert class_index(spec, issued, course, cache=missing).distinctive == {"q2_grad", "q5_v", "q5_w"}


@pytest.mark.slow
def test_exam_grade_flags_a_copied_answer_and_remembers_the_decision_in_the_gradebook(tmp_path, spec_course):
    """The command reads only the submitter's variant for right answers; a copied distinctive answer reads the
    class's keys (answers only), names its owner, and the gradebook then holds the distinctive parts."""
    import os
    import sqlite3
    import subprocess
    import sys

    from autograder.exam import samples
    from autograder.exam.build import build
    from autograder.exam.fixtures import ExamCheck
    from autograder.exam.variants import SECRET_ENV

    spec, course = spec_course
    env = dict(os.environ, **{SECRET_ENV: SECRET.decode()})
    (tmp_path / "roster.csv").write_text("SID,Name,Track\n905000301,Ada,C147\n905000302,Alan,C147\n")
    db = tmp_path / "gradebook.sqlite"
    old = os.environ.get(SECRET_ENV)
    os.environ[SECRET_ENV] = SECRET.decode()
    try:
        build(load_assignment("midterm", ROOT / "course.yaml"), course, tmp_path / "roster.csv", tmp_path / "out",
              db_path=db, printable="none")
    finally:
        if old is None:
            os.environ.pop(SECRET_ENV, None)
        else:
            os.environ[SECRET_ENV] = old
    conn = store.connect(db)
    ada, alan = store.load(conn, "midterm", "905000301"), store.load(conn, "midterm", "905000302")
    conn.close()
    answers = dict(ExamCheck(spec, ada).answers_as_student(), q5_v=alan.questions["Q5"].answers["q5_v"])
    notebook = samples.answered(samples.read(tmp_path / "out" / "notebooks" / "905000301" / "midterm.ipynb"), answers)
    path = samples.write(notebook, tmp_path / "copied.ipynb")
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "exam", "grade", "midterm", str(path), "--sid",
                           "905000301", "--db", str(db)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "possible copied answers: q5_v" in done.stdout and "SID 905000302" in done.stdout
    rows = sqlite3.connect(db).execute("SELECT part, distinctive FROM exam_distinctive WHERE exam='midterm'").fetchall()
    assert ("q5_v", 1) in rows and ("q5_w", 1) in rows  # Q5's parts decided once, for the next submission


def test_the_gradescope_zip_carries_the_decision_and_a_run_reads_it(spec_course):
    import json

    from autograder.exam.copies import DistinctiveMemo
    from autograder.exam.gradescope import DISTINCTIVE_FILE, zip_extra_entries

    spec, course = spec_course
    issued = _class(spec, SIDS)
    entries = zip_extra_entries("midterm", issued, SECRET, spec)
    data, mode = entries[DISTINCTIVE_FILE.format(exam="midterm")]
    decided = json.loads(data)
    assert mode == 0o600 and len(decided) == 5  # one digest per question judged by value
    assert {p for parts in decided.values() for p, flag in parts.items() if flag} == {"q2_grad", "q5_v", "q5_w"}
    for parts in decided.values():  # poisoned: the run believes the zip rather than deciding again
        if "q2_grad" in parts:
            parts["q2_grad"] = False
    assert not class_index(spec, issued, course, cache=DistinctiveMemo(decided)).is_distinctive("q2_grad")
    other = _class(spec, SIDS[:-1])  # another class (the zip of an earlier roster): decided again
    assert class_index(spec, other, course, cache=DistinctiveMemo(decided)).is_distinctive("q2_grad")
