"""The batch worker pool: workers start while the parent reads the export, and
arrive at their first submission with the hidden suite collected and their zygote
running; a batch with nothing to grade leaves no worker behind."""

from __future__ import annotations

import time
from pathlib import Path

import psutil
import pytest

from autograder.assignment import load_assignment
from autograder.batch import core, pool
from autograder.samples import perfect_submission, write_notebook
from autograder.sandbox.process import detect_isolation

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def hw1():
    return load_assignment("hw1", ROOT / "course.yaml")


def live_children() -> list[psutil.Process]:
    """This test process's descendants that have not ended (zombies and multiprocessing's
    resource tracker, which lives as long as this process, aside)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "resource_tracker" not in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def wait_for_no_children(seconds: float = 10.0) -> list[psutil.Process]:
    end = time.monotonic() + seconds
    while (left := live_children()) and time.monotonic() < end:
        time.sleep(0.05)
    return left


def test_prestarted_workers_are_warm_before_the_first_submission(hw1):
    pool.prestart(hw1, 2)
    try:
        executor = pool._prestarted[0][2]
        asked = [executor.submit(pool.worker_status, 1.0) for _ in range(2)]
        states = [future.result(timeout=120) for future in asked]
    finally:
        pool.discard_prestarted()
    assert len({s["pid"] for s in states}) == 2, "two workers, started at once"
    assert len({s["slot"] for s in states}) == 2
    assert all(s["suite"] for s in states), "the hidden suite is collected before any submission"
    if detect_isolation().level == "namespaces":  # the zygote is used only there
        assert all(s["zygote"] and s["zygote_starts"] == 1 for s in states), states
    assert wait_for_no_children() == []
    # a worker's exit cleaned up before it left (its last finalizer exits at once)
    left = [f for s in states for f in (s["folder"], s["work_base"]) if f and Path(f).exists()]
    assert left == []


def test_grade_all_takes_over_the_prestarted_workers(hw1, tmp_path, monkeypatch):
    notebook = write_notebook(perfect_submission(hw1), tmp_path / "hw1.ipynb").read_bytes()
    pool.prestart(hw1, 1)
    monkeypatch.setattr(pool, "_executor", lambda *args: pytest.fail("grade_all started new workers"))
    done: list[pool.Done] = []
    pool.grade_all(hw1, [pool.Task("a", notebook, "hw1.ipynb")], 1, done.append,
                   lambda task, message: pytest.fail(message))
    assert pool._prestarted == []
    assert len(done) == 1 and done[0].result.score == done[0].result.max_score > 0
    assert wait_for_no_children() == []


def test_a_batch_starts_no_more_workers_than_it_has_submissions_to_grade(hw1, tmp_path, monkeypatch):
    """One submission with --jobs 2: one worker; run again (nothing left): none at all."""
    started: list[int] = []
    real = core.prestart

    def spy(assignment, workers):  # type: ignore[no-untyped-def]
        started.append(workers)
        return real(assignment, workers)

    monkeypatch.setattr(core, "prestart", spy)
    export = tmp_path / "export"
    write_notebook(perfect_submission(hw1), export / "905000001.ipynb")
    db, out = tmp_path / "gradebook.sqlite", tmp_path / "hw1.csv"
    first = core.run_batch(hw1, export, jobs=2, db_path=db, csv_path=out, progress=False)
    assert first.graded == 1 and started == [1]
    assert wait_for_no_children() == []
    again = core.run_batch(hw1, export, jobs=2, db_path=db, csv_path=out, progress=False)
    assert again.graded == 0 and again.skipped == 1
    assert started == [1], "workers were started with nothing to grade"
    assert pool._prestarted == [] and wait_for_no_children() == []
