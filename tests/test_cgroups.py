"""Whole-tree limits: every process a submission starts shares one control
group, so a memory storm across many processes is stopped by the kernel
inside the group, never by killing the grader."""

from __future__ import annotations

import os

import pytest

from autograder.sandbox.process import Limits, detect_isolation
from autograder.sandbox.session import CellToRun, SandboxNamespace, StudentSession

STORM = """\
import os, time
import numpy as np
children = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        block = np.ones(300 * 1024 * 1024 // 8)  # 300 MB each, touched
        time.sleep(1.5)
        os._exit(0)
    children.append(pid)
statuses = [os.waitpid(pid, 0)[1] for pid in children]
killed = sum(1 for s in statuses if os.WIFSIGNALED(s) and os.WTERMSIG(s) == 9)
"""


def _session(cells: list[str], limits: Limits) -> StudentSession:
    if os.geteuid() != 0 or not detect_isolation().dedicated_uid:
        pytest.skip("control groups need a root grader with a dedicated student uid")
    session = StudentSession([CellToRun(src, f"cell {i + 1}") for i, src in enumerate(cells)], limits, slot=40)
    session.start()
    if session.process is None or getattr(session.process, "tree", None) is None:
        session.close()
        pytest.skip("this kernel does not let the grader create memory/pids control groups")
    return session


def test_the_student_process_runs_in_a_capped_group():
    session = _session(["x = 1\n"], Limits(memory_mb=640, max_processes=16))
    try:
        tree = session.process.tree
        assert tree.pids(), "the student's processes should be in the group"
        limits = [(f / name).read_text().strip() for f in tree.folders
                  for name in ("memory.limit_in_bytes", "memory.max", "pids.max") if (f / name).exists()]
        assert str(640 * 1024 * 1024) in limits and str(16 + 8) in limits
    finally:
        session.close()
    assert tree.pids() == []


def test_a_memory_storm_across_processes_is_contained():
    """4 children × 300 MB under a 512 MB cap for the tree: the kernel kills
    children inside the group; the grader (this process) is untouched."""
    session = _session([STORM], Limits(memory_mb=512, cell_timeout_s=20, submission_timeout_s=60))
    try:
        assert session.cell_reports[0].status == "ok", session.cell_reports[0].message
        namespace = SandboxNamespace(session)
        assert namespace.killed >= 1
        assert session.process.tree.out_of_memory()
    finally:
        tree = session.process.tree
        session.close()
    assert tree.pids() == []
