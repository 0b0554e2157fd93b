"""The isolation levels other than the one this machine picks: the uid
fallback's refusal and locking, uid claims, and the user-namespace level."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from autograder.sandbox import process
from autograder.sandbox.process import Isolation, Limits, SandboxUnavailable
from autograder.sandbox.session import CellToRun, SandboxNamespace, StudentSession

ROOT = Path(__file__).resolve().parent.parent
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (as CI and Gradescope are)")


def test_unreachable_interpreter_is_detected() -> None:
    import tempfile

    tmp_path = Path(tempfile.mkdtemp(prefix="autograder-reach-", dir="/tmp"))
    locked = tmp_path / "home"
    (locked / "py" / "bin").mkdir(parents=True)
    (locked / "py" / "bin" / "python3").write_text("")
    os.chmod(tmp_path, 0o755)
    os.chmod(locked, 0o700)
    assert process.unreachable_for_others([locked / "py" / "bin" / "python3"]) == locked
    os.chmod(locked, 0o755)
    assert process.unreachable_for_others([locked / "py" / "bin" / "python3"]) is None


def test_unavailable_level_refuses_with_an_actionable_message() -> None:
    level = Isolation("unavailable", "refused: install bubblewrap (apt-get install bubblewrap)")
    session = StudentSession([CellToRun("x = 1", "cell 1")], Limits(), isolation=level)
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        session.start()
    session.close()


@root_only
def test_fallback_on_this_machine_would_refuse_rather_than_run_as_root() -> None:
    blocked = process.unreachable_for_others(process._needed_paths())
    if blocked is None:
        pytest.skip("this interpreter is reachable by other users")
    # what detect_isolation says when bubblewrap is missing
    assert not os.stat(blocked).st_mode & stat.S_IXOTH


def test_lock_hidden_material_makes_the_course_root_only(tmp_path: Path) -> None:
    course = tmp_path / "course"
    for sub in ("reference/hw1", "assignments/hw1", "autograder"):
        (course / sub).mkdir(parents=True)
    (course / "reference/hw1/__init__.py").write_text("SECRET = 1\n")
    (course / "course.yaml").write_text("x: 1\n")
    for path in [course, *course.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    changed = process.lock_hidden_material(course)
    assert course in changed or {course / "reference", course / "course.yaml"} <= set(changed)
    for path in (course / "reference", course / "course.yaml", course / "assignments"):
        probe = path if course not in changed else course
        assert not probe.stat().st_mode & 0o007


@root_only
def test_two_graders_never_share_a_uid() -> None:
    uid_a, fd_a = process.claim_uid(777)
    try:
        uid_b, fd_b = process.claim_uid(777)
        try:
            assert uid_a != uid_b and {uid_a, uid_b} <= {process.STUDENT_UID_BASE + 777 + 1000 * k for k in range(32)}
        finally:
            os.close(fd_b)
    finally:
        os.close(fd_a)


@pytest.mark.skipif(not process._bwrap_works("--unshare-user"), reason="no unprivileged user namespaces")
def test_user_namespace_level_hides_files_and_protects_the_grader() -> None:
    level = Isolation("user-namespaces", "partial: test")
    cells = [CellToRun(
        "import os, signal\n"
        f"readable = os.path.exists({str(ROOT / 'reference')!r})\n"
        "for pid in (os.getppid(), 1, -1):\n"
        "    try:\n        os.kill(pid, signal.SIGKILL)\n    except OSError:\n        pass\n"
        "def f(x):\n    return x * 2\n", "cell 1")]
    session = StudentSession(cells, Limits(cell_timeout_s=5, call_timeout_s=5, submission_timeout_s=30),
                             isolation=level, strip_paths=(str(ROOT),))
    try:
        session.start()
        student = SandboxNamespace(session)
        assert student.readable is False
        assert student.f(21) == 42
    finally:
        session.close()
