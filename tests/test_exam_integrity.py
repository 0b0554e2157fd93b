"""Issue 21 part 2: an exam answer that is wrong for the student's own variant but right for another
student's is flagged, staff-only, naming the matching SID and the parts; a right answer and an ordinary
wrong answer are not. Graded for real: built notebooks, the sandbox, the hidden suite, the gradebook,
the Gradescope zip and its run."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.assignment import load_assignment
from autograder.course import load_course
from autograder.exam import samples, store
from autograder.exam.build import build, load_spec, student_extra
from autograder.exam.copies import KeyIndex, class_index, find_copies, trivial
from autograder.exam.fixtures import ExamCheck
from autograder.exam.gradescope import build_exam_zip, exam_template
from autograder.exam.grade import grade_exam
from autograder.exam.variants import SECRET_ENV, Student, issue_exam

ROOT = Path(__file__).resolve().parent.parent
SECRET = "course-secret-for-integrity-tests-51f0"
ADA, ALAN, GRACE, KAT = "905000001", "905000002", "905000003", "905000004"
ROSTER = f"""SID,Name,Email,Track,Extra time
{ADA},Ada Lovelace,ada@ucla.edu,C147,
{ALAN},Alan Turing,alan@ucla.edu,C247,
{GRACE},Grace Hopper,grace@ucla.edu,MSOL,
{KAT},Katherine Johnson,kj@ucla.edu,MSOL,
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """The midterm issued to four students: Ada (C147) and Alan (C247) sit in class on the 19th, Grace and
    Katherine (MSOL) remotely on the 22nd."""
    old = os.environ.get(SECRET_ENV)
    os.environ[SECRET_ENV] = SECRET
    tmp = tmp_path_factory.mktemp("exam-integrity")
    (tmp / "roster.csv").write_text(ROSTER)
    assignment = load_assignment("midterm", ROOT / "course.yaml")
    course = load_course(ROOT / "course.yaml")
    db = tmp / "gradebook.sqlite"
    build(assignment, course, tmp / "roster.csv", tmp / "out", db_path=db, printable="none")
    conn = store.connect(db)
    issued = store.load_all(conn, "midterm")
    conn.close()
    spec = load_spec(assignment)
    yield {"tmp": tmp, "assignment": assignment, "course": course, "db": db, "issued": issued, "spec": spec,
           "template": exam_template(assignment), "index": class_index(spec, issued, course)}
    if old is None:
        os.environ.pop(SECRET_ENV, None)
    else:
        os.environ[SECRET_ENV] = old


def key(env, sid: str, part: str):
    question = env["spec"].part_owner(part).name
    return env["issued"][sid].questions[question].answers[part]


def notebook(env, sid: str, **changes) -> dict:
    """``sid``'s own built notebook, answered right except for ``changes``."""
    answers = ExamCheck(env["spec"], env["issued"][sid]).answers_as_student()
    answers.update(changes)
    built = samples.read(env["tmp"] / "out" / "notebooks" / sid / "midterm.ipynb")
    return samples.answered(built, answers)


def grade(env, nb: dict, sid: str, name: str):
    path = samples.write(nb, env["tmp"] / "subs" / name)
    issued = env["issued"][sid]
    return grade_exam(env["assignment"], env["spec"], issued, path, template=env["template"],
                      extra=student_extra(env["course"], env["spec"], issued), index=env["index"])


# ---------------------------------------------------------------- the index judges like the grader
def test_the_index_accepts_exactly_what_each_keys_judge_accepts():
    """Against a class of 300 variants, the index's lookup equals judging the value against every key with
    the part's own judge (same tolerance, boundary included), for keys, near misses and ordinary values."""
    assignment = load_assignment("midterm", ROOT / "course.yaml")
    spec = load_spec(assignment)
    issued = {f"9{i:08d}": issue_exam(spec, b"k" * 32, Student(f"9{i:08d}")) for i in range(300)}
    index = KeyIndex(spec, issued)
    rnd = random.Random(4)
    checked = 0
    for q in spec.questions:
        for part, p in q.parts.items():
            if part not in index.parts or p.judge.describe() == "one letter":
                continue
            keys = [e.questions[q.name].answers[part] for e in issued.values()]
            for base in rnd.sample(keys, 25):
                for value in (base, _scale(base, 1 + 0.6 * _tol(p.judge)), _scale(base, 1 + 3 * _tol(p.judge))):
                    if trivial(value):  # 0 or all zeros: never evidence, never looked up
                        assert index.accepting(part, value) == []
                        continue
                    want = sorted(s for s, e in issued.items() if p.judge.judge(value, e.questions[q.name].answers[part], "").ok)
                    assert sorted(index.accepting(part, value)) == want, (part, value)
                    checked += 1
    assert checked > 400


def _tol(judge) -> float:
    return getattr(judge, "rtol", None) or (5 * 10.0 ** -getattr(judge, "sig_figs", 3) if getattr(judge, "sig_figs", None) else 0.0)


def _scale(value, factor):
    if isinstance(value, list):
        return [_scale(v, factor) for v in value]
    return value * factor if isinstance(value, float) else value


def test_across_a_class_of_500_mistakes_are_not_flagged_and_copies_are(course_spec):
    """Ordinary mistakes that look like keys (−∂L/∂W1, 2Ax instead of (A+Aᵀ)x, q3_f off by one, the
    probabilities as the gradient, the momentum's sign) flag nobody; one copied distinctive part, or three
    copied small-integer parts of one classmate, name that classmate."""
    import numpy as np

    spec, course = course_spec
    rnd = random.Random(1)
    sids = [str(905000000 + i) for i in range(500)]
    issued = {s: issue_exam(spec, b"z" * 32, Student(s, track=rnd.choice(["C147", "C247", "MSOL"]))) for s in sids}
    index = class_index(spec, issued, course)
    assert index.distinctive == {"q2_grad", "q5_v", "q5_w"}

    def mistakes(e) -> dict:
        p2, p5, q3 = e.questions["Q2"].params, e.questions["Q5"].params, e.questions["Q3"].answers
        scores = np.array(p2["s"])
        probs = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
        w, v, g = (np.array(p5[k]) for k in "wvg")
        v_bad = p5["rho"] * v + p5["lr"] * g
        A, x = np.array(e.questions["Q1"].params["A"]), np.array(e.questions["Q1"].params["x"])
        return {"q2_grad": (probs.tolist(), False), "q5_v": (v_bad.tolist(), False), "q5_w": ((w - v_bad).tolist(), False),
                "q1_grad": ((2 * A @ x).tolist(), False), "q3_f": (q3["q3_f"] + 1, False),
                "q2_loss": (float(-np.log(probs.max())), False), "q3_dW1": ((-np.array(q3["q3_dW1"])).tolist(), False)}

    assert [s for s in sids if find_copies(index, s, mistakes(issued[s]))] == []

    def copied(s: str, other: str, parts: tuple[str, ...]) -> dict:
        out = {}
        for part in parts:
            q = spec.part_owner(part)
            value = issued[other].questions[q.name].answers[part]
            if not q.parts[part].judge.judge(value, issued[s].questions[q.name].answers[part], "").ok:
                out[part] = (value, False)
        return out

    pairs = [(sids[i], sids[i + 1]) for i in range(100)]
    one = sum(other in {m for c in find_copies(index, s, copied(s, other, ("q5_v",))) for m in c.matching}
              for s, other in pairs)
    three = sum(other in {m for c in find_copies(index, s, copied(s, other, ("q1_grad", "q3_dW1", "q4_value")))
                          for m in c.matching} for s, other in pairs)
    assert one == 100 and three >= 75, (one, three)


@pytest.fixture(scope="module")
def course_spec():
    assignment = load_assignment("midterm", ROOT / "course.yaml")
    return load_spec(assignment), load_course(ROOT / "course.yaml")


# ---------------------------------------------------------------- grading flags a copy, only a copy
def test_answers_copied_from_another_variant_are_flagged_naming_the_sid_and_parts(env):
    copied = notebook(env, ADA, q5_v=key(env, ALAN, "q5_v"), q5_w=key(env, ALAN, "q5_w"),
                      q2_grad=key(env, ALAN, "q2_grad"))
    graded = grade(env, copied, ADA, "ada-copied.ipynb")
    assert graded.result.score == 100 - 7 - 8 - 12  # graded on her own variant: the copied parts are wrong
    copy_flags = [f for f in graded.flags if "possible copied answers" in f]
    assert len(copy_flags) == 1, graded.flags
    assert "q2_grad, q5_v, q5_w" in copy_flags[0] and f"SID {ALAN}" in copy_flags[0]
    assert "(the same sitting)" in copy_flags[0]  # C147 and C247 sit together in class
    assert {c.part for c in graded.copies} == {"q2_grad", "q5_v", "q5_w"}
    assert all(c.matching == [ALAN] and c.same_sitting for c in graded.copies)
    feedback = json.dumps([t.output for t in graded.result.tests])
    assert ALAN not in feedback and "copied" not in feedback  # nothing of it in what the student reads


def test_right_answers_and_ordinary_mistakes_are_not_flagged(env):
    right = grade(env, notebook(env, ADA), ADA, "ada-right.ipynb")
    assert right.result.score == 100 and right.flags == [] and right.copies == []
    own_v, own_grad = key(env, ADA, "q5_v"), key(env, ADA, "q2_grad")
    mistakes = notebook(env, ADA, q5_v=[-v for v in own_v], q5_w=[w * 1.5 for w in key(env, ADA, "q5_w")],
                        q2_grad=[g + 0.1 for g in own_grad], q3_f=key(env, ALAN, "q3_f") if
                        key(env, ALAN, "q3_f") != key(env, ADA, "q3_f") else key(env, ADA, "q3_f") + 1,
                        q1_grad=[0, 0])
    graded = grade(env, mistakes, ADA, "ada-mistakes.ipynb")
    assert graded.result.score < 70
    # a small integer that happens to be someone's key (q3_f) proves nothing on its own; 0 is trivial
    assert graded.flags == [] and graded.copies == []


def test_a_copy_from_another_sitting_says_so(env):
    graded = grade(env, notebook(env, ADA, q5_v=key(env, GRACE, "q5_v")), ADA, "ada-from-grace.ipynb")
    assert [c.part for c in graded.copies] == ["q5_v"]
    assert graded.copies[0].matching == [GRACE] and not graded.copies[0].same_sitting
    assert any(f"SID {GRACE}'s (another sitting)" in f for f in graded.flags)


# ---------------------------------------------------------------- batch, the gradebook and the CSV
def test_batch_records_the_flag_and_exam_integrity_lists_every_case(env):
    db = env["tmp"] / "batch.sqlite"
    shutil.copy(env["db"], db)
    folder = env["tmp"] / "class"
    submissions = {
        ADA: notebook(env, ADA, q5_v=key(env, ALAN, "q5_v"), q3_f=key(env, ALAN, "q3_f")),
        ALAN: notebook(env, ALAN),
        GRACE: notebook(env, GRACE, q2_grad=key(env, KAT, "q2_grad")),
        KAT: notebook(env, KAT, q5_w=[0.5, 0.5, 0.5]),
    }
    for sid, nb in submissions.items():
        samples.write(nb, folder / f"{sid}.ipynb")
    cli = [sys.executable, "-m", "autograder.cli"]
    done = subprocess.run(cli + ["exam", "batch", "midterm", str(folder), "--db", str(db)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr  # flags found: printed, exit 1
    flagged = {line.split("[SID ")[1].split("]")[0] for line in done.stdout.splitlines()
               if line.startswith("flag (instructor)")}
    assert flagged == {ADA, GRACE}, done.stdout
    from autograder.batch.gradebook import Gradebook

    with Gradebook(db) as book:
        notes = {r.submitters[0]["sid"]: r.notes for r in book.current_rows("midterm")}
    assert any(n.startswith("exam copy: ") and f"SID {ALAN}" in n and "q5_v" in n for n in notes[ADA])
    assert any(n.startswith("exam copy: ") and f"SID {KAT}" in n for n in notes[GRACE])
    assert not any("exam copy" in n for n in notes[ALAN] + notes[KAT])

    out = env["tmp"] / "cases.csv"
    done = subprocess.run(cli + ["exam", "integrity", "midterm", "--db", str(db), "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr  # cases found
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    got = {(r["sid"], r["question"], r["part"], r["matching_sids"], r["same_sitting"], r["evidence"]) for r in rows}
    q3_same = key(env, ALAN, "q3_f") != key(env, ADA, "q3_f")
    want = {(ADA, "Q5", "q5_v", ALAN, "yes", "distinctive part"), (GRACE, "Q2", "q2_grad", KAT, "yes", "distinctive part")}
    if q3_same:  # her q3_f matches the same student: listed as corroboration
        want.add((ADA, "Q3", "q3_f", ALAN, "yes", "with other parts"))
    assert got == want
    ada = next(r for r in rows if r["part"] == "q5_v")
    assert ada["sitting"].startswith("2025-02-19") and json.loads(ada["answer"]) == key(env, ALAN, "q5_v")
    assert "from 2 student(s)" in done.stdout


def test_regrade_recomputes_the_copy_notes_with_the_new_key(env):
    """A regrade of Q5 that changes Alan's key: Ada's answer no longer matches it, and her note goes."""
    import sqlite3

    db = env["tmp"] / "regrade.sqlite"
    shutil.copy(env["db"], db)
    folder = env["tmp"] / "class-regrade"
    samples.write(notebook(env, ADA, q5_v=key(env, ALAN, "q5_v")), folder / f"{ADA}.ipynb")
    cli = [sys.executable, "-m", "autograder.cli"]
    done = subprocess.run(cli + ["exam", "batch", "midterm", str(folder), "--db", str(db)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 1 and f"[SID {ADA}]: possible copied answers" in done.stdout, done.stdout + done.stderr
    from autograder.batch.gradebook import Gradebook

    with Gradebook(db) as book:
        assert any("exam copy" in n for n in book.current_rows("midterm")[0].notes)
    conn = sqlite3.connect(db)  # Alan's Q5 params are corrected: his key changes when Q5 is regraded
    params = dict(env["issued"][ALAN].questions["Q5"].params, lr=env["issued"][ALAN].questions["Q5"].params["lr"] * 2)
    conn.execute("UPDATE exam_variants SET params=? WHERE sid=? AND question='Q5'", (json.dumps(params), ALAN))
    conn.commit()
    conn.close()
    done = subprocess.run(cli + ["regrade", "midterm", "--question", "Q5", "--db", str(db)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    with Gradebook(db) as book:
        assert not any("exam copy" in n for n in book.current_rows("midterm")[0].notes)


# ---------------------------------------------------------------- Gradescope: staff only
@pytest.mark.slow
def test_gradescope_run_flags_a_copy_in_the_staff_only_entry_only(env):
    from autograder.gradescope.build import unpack

    zip_path = build_exam_zip(env["assignment"], env["tmp"] / "zip", env["db"], SECRET.encode())
    root = Path(os.environ.get("TMPDIR_EXAM_ROOT", "/var/tmp")) / f"autograder-exam-integrity-{os.getpid()}"
    try:
        unpack(zip_path, root)
        for sub in ("submission", "results"):
            (root / sub).mkdir(exist_ok=True)
        samples.write(notebook(env, GRACE, q5_v=key(env, KAT, "q5_v"), q5_w=key(env, KAT, "q5_w")),
                      root / "submission" / "midterm.ipynb")
        meta = {"id": 1, "created_at": "2025-02-22T15:00:00.000000-08:00", "submission_method": "upload",
                "users": [{"email": "grace@ucla.edu", "name": "Grace Hopper", "sid": GRACE,
                           "assignment": {"due_date": None}}],
                "assignment": {"title": "Midterm", "due_date": "2025-02-22T23:59:00.000000-08:00",
                               "total_points": "100.0"}, "previous_submissions": []}
        (root / "submission_metadata.json").write_text(json.dumps(meta))
        environment = {k: v for k, v in os.environ.items() if k != SECRET_ENV}
        environment.update(AUTOGRADER_ROOT=str(root), AUTOGRADER_EXAM_SECRET=SECRET)
        done = subprocess.run([sys.executable, "-m", "autograder.gradescope.run", "midterm"], cwd=root / "source",
                              env=environment, capture_output=True, text=True, timeout=300)
        results = json.loads((root / "results" / "results.json").read_text())
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert results["score"] == 100 - 7 - 8, done.stdout + done.stderr
    entry = next(t for t in results["tests"] if t["name"] == "Exam integrity (instructors only)")
    assert entry["visibility"] == "hidden" and entry["status"] == "failed" and entry["max_score"] == 0
    assert f"SID {KAT}" in entry["output"] and "q5_v, q5_w" in entry["output"]
    shown = [results["output"]] + [t["output"] for t in results["tests"] if t is not entry]
    assert not any(KAT in text or "copied" in text for text in shown)  # nothing visible to the student names it
