"""Killing everything of a student uid without forking the grader (issue 23).

As root the sandbox kills every process of the claimed uid (kill(-1) as that uid) when a
student process starts and when it ends. Forking the grader for that costs tens of
milliseconds per submission (its page tables, then copy-on-write faults); a small
setpriv + shell process does the same kill(-1), and a session whose control group is
already empty at the end skips it. These tests check that strays still die (setsid,
double fork, a fork chain) and that nothing else is touched.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from autograder.sandbox import process
from autograder.sandbox.process import STUDENT_UID_BASE, Limits, processes_of_uid
from autograder.sandbox.session import CellToRun, StudentSession

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or process.shutil.which("setpriv") is None,
                                reason="needs root and setpriv (as CI and Gradescope have)")

UID = STUDENT_UID_BASE + 900 + os.getpid() % 50 + 3000  # a spare uid no grader claims in these tests


def start_strays(uid: int) -> subprocess.Popen:
    """As ``uid``: a sleeper, a setsid'd double fork, and a fork chain (each link forks, then exits)."""
    script = ("sleep 300 & setsid sh -c 'sleep 300 & sleep 300' & "
              "sh -c 'while :; do sh -c \"sleep 0.01\" & wait; done' & sleep 300")
    started = subprocess.Popen(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--",
                                "/bin/sh", "-c", script])
    end = time.monotonic() + 5
    while len(processes_of_uid(uid)) < 5 and time.monotonic() < end:
        time.sleep(0.02)
    return started


def test_every_process_of_the_uid_dies_without_forking_the_grader(monkeypatch) -> None:
    bystander = subprocess.Popen(["sleep", "300"])  # root's: must survive
    strays = start_strays(UID)
    assert len(processes_of_uid(UID)) >= 5

    def no_fork() -> int:
        raise AssertionError("the grader was forked")
    try:
        with monkeypatch.context() as patched:
            patched.setattr(os, "fork", no_fork)
            process._kill_all_of_uid(UID)
        assert processes_of_uid(UID) == []
        strays.wait(timeout=5)
        assert bystander.poll() is None
    finally:
        process._kill_all_of_uid(UID)  # whatever happened above, no stray outlives the test
        strays.wait(timeout=5)
        bystander.kill()
        bystander.wait()


def test_root_is_never_the_uid_that_kills(monkeypatch) -> None:
    """The kill(-1) runs only as a student uid: as root it would end every process of the
    machine. (Forking is made to fail first, so that a missing check fails this test
    instead of running kill(-1) as root.)"""
    def no_fork() -> int:
        raise AssertionError("would have forked to kill(-1) as a non-student uid")
    monkeypatch.setattr(os, "fork", no_fork)
    assert process._signal_all_as(0) is False
    assert process._signal_all_as(STUDENT_UID_BASE - 1) is False
    with pytest.raises(ValueError, match="refusing"):
        process._kill_all_of_uid(0)


def test_a_session_with_an_empty_group_ends_without_a_uid_sweep(monkeypatch) -> None:
    """Everything of the uid lived in the session's control group; once that is empty
    the sweep of the uid is skipped, and strays the student left still die."""
    sweeps: list[int] = []
    real = process._kill_all_of_uid

    def counted(uid: int) -> None:
        sweeps.append(uid)
        real(uid)
    monkeypatch.setattr(process, "_kill_all_of_uid", counted)
    cell = ("import os, time\n"
            "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(300)\n    os._exit(0)\n")
    session = StudentSession([CellToRun(cell, "cell 1")], Limits(), slot=950 + os.getpid() % 40)
    session.start()
    uid = session.process.uid
    tree = session.process.tree
    session.close()
    if tree is None:
        pytest.skip("no writable control groups here: the sweep is the only clean-up")
    assert sweeps == [uid]  # the one at the start (leftovers of a crashed grader), not at the end
    assert processes_of_uid(uid) == []
