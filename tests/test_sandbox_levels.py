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


# ---------------------------------------------------------------- forcing a level (AUTOGRADER_ISOLATION, --isolation)
def test_forced_levels_are_given_or_refused_with_the_reason(monkeypatch) -> None:
    monkeypatch.setenv(process.ISOLATION_ENV, "sandbox-please")
    bogus = process.detect_isolation()
    assert bogus.level == "unavailable" and "unprivileged-user" in bogus.description
    as_root = os.geteuid() == 0
    for level in process.LEVELS:
        monkeypatch.setenv(process.ISOLATION_ENV, level)
        got = process.detect_isolation()
        assert got.level in (level, "unavailable"), got
        if as_root and level in ("user-namespaces", "none"):  # never student code as root
            assert got.level == "unavailable" and "as root" in got.description
        if not as_root and level in ("namespaces", "unprivileged-user"):
            assert got.level == "unavailable" and "needs a grader running as root" in got.description
    monkeypatch.delenv(process.ISOLATION_ENV)
    assert process.detect_isolation().level != "unavailable" or "refused" in process.detect_isolation().description


@root_only
def test_masked_bubblewrap_falls_back_to_the_uid_level_with_landlock(tmp_path: Path) -> None:
    """What a container that refuses namespaces gives: bwrap present but failing."""
    import subprocess

    from autograder.sandbox import confine
    from tests import levels

    folder = levels.scratch("autograder-levels-")
    try:
        python = levels.require_world_python(folder)
        fake = folder / "bin"
        fake.mkdir()
        (fake / "bwrap").write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
        os.chmod(fake / "bwrap", 0o755)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGRADER_")}
        env["PATH"] = f"{fake}:/usr/sbin:/usr/bin:/sbin:/bin"
        done = subprocess.run([str(python), "-c", "from autograder.sandbox.process import detect_isolation as d\n"
                               "i = d()\nprint(i.level)\nprint(i.landlock)\nprint(i.description)"],
                              cwd=levels.world_checkout(folder), env=env, capture_output=True, text=True, timeout=60)
        level, abi, description = done.stdout.splitlines()[:3]
        assert level == "unprivileged-user", done.stdout + done.stderr
        assert int(abi) == confine.landlock_abi()
        assert ("Landlock (ABI" in description) if int(abi) else ("Landlock NOT in force" in description)
    finally:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


# (level, as a spare non-root uid)
OTHER_LEVELS = [("unprivileged-user", False), ("user-namespaces", True), ("none", True)]


@pytest.mark.slow
@root_only
@pytest.mark.skipif(os.environ.get("AUTOGRADER_SKIP_ADVERSARIAL") == "1", reason="asked to skip")
@pytest.mark.parametrize("level, as_other_user", OTHER_LEVELS, ids=[lvl for lvl, _ in OTHER_LEVELS])
def test_adversarial_suite_at_level(level: str, as_other_user: bool) -> None:
    """tests/test_adversarial.py at a level this machine can give besides its own:
    the uid level as root with bubblewrap set aside (AUTOGRADER_ISOLATION), and, as
    a spare non-root uid, user namespaces and no namespaces at all. It grades a
    world-readable copy of the course while the checkout (world-readable too) sits
    elsewhere: the hidden-material cases must still score 0."""
    import shutil

    from autograder.sandbox import confine
    from tests import levels

    folder = levels.scratch("autograder-levels-")
    try:
        python = levels.require_world_python(folder)
        checkout = levels.world_checkout(folder)
        uid = levels.spare_uid() if as_other_user else None
        if level == "user-namespaces":
            probe = levels.run_as(uid, ["bwrap", "--unshare-user", "--unshare-pid", "--ro-bind", "/", "/", "true"],
                                  env=dict(os.environ), cwd=folder, timeout=30)
            if probe.returncode != 0:
                pytest.skip(f"no unprivileged user namespaces here: {probe.stderr.strip()}")
        if level == "none" and confine.landlock_abi() < 6:
            pytest.skip("without Landlock's signal scoping, 'none' lets student code signal the grader (documented)")
        course = levels.copy_course(folder)
        work = levels.owned_folder(folder, "work", uid) if uid is not None else folder
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "AUTOGRADER_"))}
        env.update(AUTOGRADER_ISOLATION=level, AUTOGRADER_TEST_COURSE=str(course), PYTHONDONTWRITEBYTECODE="1",
                   HOME=str(work))
        done = levels.run_as(uid, [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                                   "--basetemp", str(work / "pytest"), str(checkout / "tests" / "test_adversarial.py")],
                             env=env, cwd=checkout, timeout=900)
        assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
        assert " passed" in done.stdout and "skipped" not in done.stdout.splitlines()[-1]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_an_interpreter_started_by_a_path_with_dot_dot_still_grades(tmp_path: Path, perfect_notebooks) -> None:
    """``cd source && ../venv/bin/python -m ...`` gives ``sys.executable`` a ``..`` whose first part
    the sandbox does not bind: the student process is started by the normalized path."""
    import subprocess
    import sys

    from autograder.samples import write_notebook

    notebook = write_notebook(perfect_notebooks["hw1"], tmp_path / "hw1.ipynb")
    python = Path(sys.executable)
    venv = python.parent.parent
    sibling = next(p for p in sorted(venv.parent.iterdir()) if p.is_dir() and p != venv)  # not bound in the sandbox
    relative = Path("..") / venv.name / python.parent.name / python.name  # Python keeps it as cwd + "/../..."
    assert (sibling / relative).exists()
    done = subprocess.run([str(relative), "-m", "autograder.cli", "grade", "hw1", str(notebook), "--quiet",
                           "--course", str(ROOT / "course.yaml")],
                          cwd=sibling, capture_output=True, text=True, timeout=300)
    assert done.stdout.strip().endswith("100 / 100"), done.stdout + done.stderr
