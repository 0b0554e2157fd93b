"""Validate runs where students are (Linux, macOS, Windows with WSL): the sandbox's clean-up
must not need Linux's /proc (issue 20 item 11).

On Linux the sandbox finds a student's stray processes (setsid, double fork) through /proc;
elsewhere through psutil. These tests take /proc away and check that the strays still die:
in-process (``process.PROC`` pointed at an empty folder), and end to end: ``autograder
validate`` run by an unprivileged user in a mount namespace where /proc is an empty tmpfs,
at the ``none`` level without Landlock (what a macOS laptop gives), with psutil reading the
real process table from elsewhere (psutil itself needs one on Linux).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from autograder.sandbox import confine, process
from autograder.samples import write_notebook
from tests.conftest import ROOT


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() not in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
    except psutil.NoSuchProcess:
        return False


def gone_within(pid: int, seconds: float = 5.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def start_stray(token: str) -> int:
    """A process that left its parent's group and session (setsid, then its parent exited),
    with the sandbox's token in its environment, as a student's stray would be. Returns its pid."""
    launcher = ("import os, subprocess, sys\n"
                "child = subprocess.Popen(['sleep', '300'], start_new_session=True, stdout=subprocess.DEVNULL,"
                " stderr=subprocess.DEVNULL)\n"
                "print(child.pid, flush=True)\n"
                "os._exit(0)\n")
    out = subprocess.run([sys.executable, "-c", launcher], capture_output=True, text=True, timeout=30,
                         env=dict(os.environ, AUTOGRADER_SANDBOX_TOKEN=token), start_new_session=True)
    return int(out.stdout.split()[0])


def test_strays_are_found_without_proc(monkeypatch, tmp_path):
    monkeypatch.setattr(process, "PROC", tmp_path / "no-proc-here")
    assert not process._proc_table()
    mine, other = start_stray("a1b2c3d4e5f60718"), start_stray("ffffffffffffffff")
    try:
        assert alive(mine) and alive(other)
        assert process.processes_of_uid(os.getuid()) and mine in process.processes_of_uid(os.getuid())
        process._kill_by_token("a1b2c3d4e5f60718")
        assert gone_within(mine)
        assert alive(other)  # another sandbox's (or anyone's) processes are left alone
    finally:
        for pid in (mine, other):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_no_landlock_or_seccomp_calls_off_linux(monkeypatch):
    """On macOS there is no Landlock, seccomp or prctl; an unknown syscall number there is
    SIGSYS, so nothing may be attempted."""
    def refuse(*args):
        raise AssertionError(f"a Linux system call was attempted: {args}")

    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(confine, "_syscall", refuse)
    monkeypatch.setattr(confine, "_libc", None)
    assert confine.landlock_abi() == 0
    assert confine.seccomp_available() is False


def _namespaces_for_a_laptop() -> str:
    """Why this machine cannot hide /proc from an unprivileged user, or ''."""
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("setpriv"):
        return "needs root, unshare and setpriv"
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                            "mount -t tmpfs none /proc && test ! -e /proc/self"], capture_output=True)
    return "" if probe.returncode == 0 else "this container refuses mount namespaces"


def _open_up_python(folder: Path) -> str:
    """Shell commands (for inside the mount namespace) that let an unprivileged user run this
    interpreter when it lives under a folder others cannot enter (a pyenv under /root): a
    world-traversable tmpfs over that folder, with only the interpreter's subfolder bound back.
    Nothing outside the namespace changes."""
    blocked = process.unreachable_for_others(process._needed_paths())
    if blocked is None:
        return ""
    base = Path(sys.base_prefix).resolve()
    if blocked not in base.parents:
        pytest.skip(f"{blocked} blocks this interpreter for other users")
    keep = blocked / base.relative_to(blocked).parts[0]
    hold = folder / "held"
    return (f"mkdir {hold} && mount --bind {keep} {hold} && mount -t tmpfs -o mode=755 none {blocked} && "
            f"mkdir {keep} && mount --bind {hold} {keep} && ")


@pytest.mark.slow
def test_validate_without_proc_kills_a_students_stray(assignments, perfect_notebooks):
    why = _namespaces_for_a_laptop()
    if why:
        pytest.skip(why)
    marker = f"{time.time_ns() % 10**6}.25"  # sleep's argument: finds the stray in the real process table
    notebook = perfect_notebooks["hw1"]
    stray = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
             "source": f"import subprocess\nsubprocess.Popen(['sleep', '{marker}'], start_new_session=True)\n"}
    notebook = dict(notebook, cells=[*notebook["cells"][:2], stray, *notebook["cells"][2:]])
    folder = Path(tempfile.mkdtemp(prefix="autograder-laptop-"))
    try:
        os.chmod(folder, 0o777)  # the unprivileged user's folder
        path = write_notebook(notebook, folder / "hw1.ipynb")
        os.chmod(path, 0o666)
        real = folder / "realproc"
        real.mkdir()
        runner = folder / "run_validate.py"
        runner.write_text(
            "import json, os, sys\nimport psutil\n"
            "psutil.PROCFS_PATH = sys.argv[1]  # psutil's own table; the sandbox sees no /proc\n"
            "from autograder.sandbox import process\nfrom autograder.validate import validate\n"
            "assert not os.path.exists('/proc/self') and not process._proc_table()\n"
            "report = validate(sys.argv[2])\n"
            "print(json.dumps({'ready': report.ready, 'isolation': report.isolation, 'uid': os.getuid(),"
            " 'text': report.render()}))\n")
        env = dict(os.environ, AUTOGRADER_ISOLATION="none", AUTOGRADER_LANDLOCK="0", PYTHONPATH=str(ROOT),
                   HOME=str(folder), TMPDIR=str(folder))
        script = (f"{_open_up_python(folder)}mount --bind /proc {real} && mount -t tmpfs none /proc && "
                  f"exec setpriv --reuid=65534 --regid=65534 --clear-groups "
                  f"{sys.executable} {runner} {real} {path}")
        proc = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                              capture_output=True, text=True, timeout=300, env=env, cwd=folder)
        assert proc.returncode == 0, proc.stderr[-3000:]
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        assert result["uid"] == 65534 and result["isolation"].startswith("none")
        assert result["ready"], result["text"]
        strays = [p.pid for p in psutil.process_iter(["cmdline"]) if (p.info["cmdline"] or [])[1:] == [marker]]
        assert not [pid for pid in strays if alive(pid)], "the student's stray outlived validate"
    finally:
        for p in psutil.process_iter(["cmdline"]):
            if (p.info["cmdline"] or [])[1:] == [marker]:
                p.kill()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="killing by uid needs root (the grader's dedicated-uid levels)")
def test_killing_by_uid_spawns_nothing_when_no_process_of_the_uid_is_alive(monkeypatch):
    """Every sandbox start and end kills what its uid left behind; with nothing alive, no
    process is started for it, and a live process of the uid is still killed."""
    uid = process.STUDENT_UID_BASE + 977
    spawned = []
    signal_all_as, forked = process._signal_all_as, process._kill_all_of_uid_forked
    monkeypatch.setattr(process, "_signal_all_as", lambda u: (spawned.append("setpriv"), signal_all_as(u))[1])
    monkeypatch.setattr(process, "_kill_all_of_uid_forked", lambda u: (spawned.append("fork"), forked(u))[1])
    process._kill_all_of_uid(uid)
    assert spawned == []

    stray = subprocess.Popen(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "sleep", "30"])
    try:
        end = time.monotonic() + 5
        while not process.processes_of_uid(uid) and time.monotonic() < end:
            time.sleep(0.01)
        process._kill_all_of_uid(uid)
        assert spawned
        assert stray.wait(timeout=5) == -signal.SIGKILL
    finally:
        if stray.poll() is None:
            stray.kill()


@pytest.mark.skipif(os.geteuid() != 0, reason="a process of another uid needs root")
def test_a_new_sandbox_without_namespaces_waits_for_the_uids_zombies_to_be_reaped():
    """Killed orphans count against the uid's process limit until init reaps them: without
    namespaces, a new student process is started only once they are gone (at most a second)."""
    import threading

    uid = process.STUDENT_UID_BASE + 978
    child = subprocess.Popen(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "true"])
    end = time.monotonic() + 5
    while (process.processes_of_uid(uid) or not process.processes_of_uid(uid, zombies=True)) and time.monotonic() < end:
        time.sleep(0.005)
    assert process.processes_of_uid(uid, zombies=True) == [child.pid], "the child is a zombie now"
    reaper = threading.Timer(0.2, child.wait)
    reaper.start()
    process._await_reaping(uid)
    assert process.processes_of_uid(uid, zombies=True) == [], "returned before the zombie was reaped"
    reaper.join()
