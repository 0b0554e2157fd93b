"""The zygote (fork server) for student processes: same scores, same security.

Runs only at the ``namespaces`` level (root + bubblewrap), where the zygote is
used; skipped elsewhere. ``AUTOGRADER_ZYGOTE=1 pytest tests/test_adversarial.py``
runs the hostile notebooks through it as well.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from autograder.assignment import load_assignment
from autograder.grading import grade_submission
from autograder.samples import blank_submission, perfect_submission, write_notebook
from autograder.sandbox import zygote
from autograder.sandbox.process import Limits, detect_isolation, processes_of_uid
from autograder.sandbox.session import CellToRun, StudentSession

ROOT = Path(__file__).resolve().parent.parent
SLOT = 740 + os.getpid() % 50
LIMITS = Limits(cell_timeout_s=1.5, call_timeout_s=1.5, submission_timeout_s=60, max_processes=32)

pytestmark = pytest.mark.skipif(detect_isolation().level != "namespaces",
                                reason="the zygote is used only at the namespaces level (root + bubblewrap)")


@pytest.fixture(scope="module")
def hw1():
    return load_assignment("hw1", ROOT / "course.yaml")


@pytest.fixture(scope="module")
def launcher():
    launcher = zygote.ZygoteLauncher(SLOT)
    yield launcher
    launcher.close()
    assert processes_of_uid(launcher.uid) == []


def session(launcher, *sources: str, limits: Limits = LIMITS) -> StudentSession:
    cells = [CellToRun(source, f"cell {i + 1}") for i, source in enumerate(sources)]
    s = StudentSession(cells, limits, slot=SLOT, launcher=launcher)
    s.start()
    return s


def zygote_host_pid(launcher) -> int:
    """The zygote's pid as the grader sees it (a descendant of bubblewrap)."""
    assert launcher._proc is not None
    todo, seen = [launcher._proc.pid], []
    while todo:
        pid = todo.pop()
        seen.append(pid)
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        todo += [int(c) for c in children]
    for pid in seen:
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if not argv[0].endswith(b"bwrap") and any(a.endswith(b"/zygote_main.py") for a in argv):
            return pid
    raise AssertionError("no zygote process found")


def open_fds(pid: int | str = "self") -> list[str]:
    """What each open fd points at (fd numbers may be reused differently)."""
    found = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            found.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            continue  # listdir's own descriptor
    return sorted(found)


# ---------------------------------------------------------------- scores
@pytest.mark.parametrize("kind", ["perfect", "blank"])
def test_scores_match_without_zygote(hw1, tmp_path, monkeypatch, kind):
    notebook = perfect_submission(hw1) if kind == "perfect" else blank_submission(hw1)
    path = write_notebook(notebook, tmp_path / "hw1.ipynb")
    monkeypatch.setenv("AUTOGRADER_ZYGOTE", "0")
    plain = grade_submission(hw1, path, slot=SLOT + 1)
    monkeypatch.setenv("AUTOGRADER_ZYGOTE", "1")
    through = grade_submission(hw1, path, slot=SLOT + 1)
    launcher = zygote._launchers.get(SLOT + 1)
    assert launcher is not None and launcher.starts == 1
    try:
        assert [(t.name, t.score, t.max_score) for t in through.tests] == \
               [(t.name, t.score, t.max_score) for t in plain.tests]
        assert through.score == plain.score
        assert (through.score == through.max_score) if kind == "perfect" else through.score < plain.max_score
        assert not through.grader_errors
        assert through.stdout == plain.stdout
    finally:
        launcher.close()
        zygote._launchers.pop(SLOT + 1, None)


# ---------------------------------------------------------------- privileges
PROBE = r'''
import ctypes, os, signal
def _status():
    out = {}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out
def _try(fn):
    try:
        fn()
        return "ok"
    except OSError as exc:
        return type(exc).__name__
def _list(path):
    try:
        return os.listdir(path)
    except OSError as exc:
        return type(exc).__name__
_libc = ctypes.CDLL(None, use_errno=True)
def _ptrace(pid):
    r = _libc.ptrace(16, pid, None, None)  # PTRACE_ATTACH
    return "ok" if r == 0 else os.strerror(ctypes.get_errno())
st = _status()
fds = {fd: os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
       if os.path.exists(f"/proc/self/fd/{fd}")}
info = {
    "uid": os.getresuid(), "gid": os.getresgid(), "groups": os.getgroups(),
    "caps": {k: st[k] for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")},
    "nnp": st["NoNewPrivs"], "cwd": os.getcwd(), "home": os.environ.get("HOME"),
    "setuid0": _try(lambda: os.setuid(0)),
    "sockets": [v for v in fds.values() if v.startswith("socket:")],
    "course": _try(lambda: open(COURSE).read()),
    "work_base": os.path.exists("/autograder-work") and _list("/autograder-work"),
    "kill_zygote": _try(lambda: os.kill(ZYGOTE, signal.SIGKILL)),
    "signal0_zygote": _try(lambda: os.kill(ZYGOTE, 0)),
    "kill_init": _try(lambda: os.kill(1, signal.SIGKILL)),
    "zygote_fds": _try(lambda: os.listdir(f"/proc/{ZYGOTE}/fd")),
    "zygote_mem": _try(lambda: open(f"/proc/{ZYGOTE}/mem", "rb").read(1)),
    "ptrace_zygote": _ptrace(ZYGOTE),
    "grader_visible": os.path.exists(f"/proc/{GRADER}") and GRADER not in (1, ZYGOTE),
    "tmp": sorted(os.listdir("/tmp")), "here": sorted(os.listdir(".")),
}
'''


def probe(launcher, hw1) -> dict:
    launcher.ensure_started()
    header = f"COURSE = {str(hw1.course_root / 'course.yaml')!r}\nZYGOTE = {launcher.zygote_pid}\nGRADER = {os.getpid()}\n"
    s = session(launcher, header + PROBE)
    try:
        assert [r.status for r in s.cell_reports] == ["ok"], s.cell_reports
        return s.get("info")
    finally:
        s.close()


def test_child_is_unprivileged_and_cannot_touch_the_zygote(launcher, hw1):
    info = probe(launcher, hw1)
    uid = launcher.uid
    assert list(info["uid"]) == [uid] * 3 and list(info["gid"]) == [uid] * 3 and list(info["groups"]) == []
    assert all(int(v, 16) == 0 for v in info["caps"].values()), info["caps"]
    assert info["nnp"] == "1"
    assert info["setuid0"] == "PermissionError"
    assert info["cwd"] == "/home/student" and info["home"] == "/home/student"
    assert info["sockets"] == [], "the zygote's control socket leaked into the child"
    assert info["course"] in ("FileNotFoundError", "PermissionError")
    # unmounted (empty), or not even listable where Landlock confines the child
    assert info["work_base"] in (False, [], "PermissionError"), "other submissions' folders must not be visible"
    assert info["kill_zygote"] == "PermissionError" and info["signal0_zygote"] == "PermissionError"
    assert info["kill_init"] == "PermissionError"
    assert info["zygote_fds"] == "PermissionError" and info["zygote_mem"] == "PermissionError"
    assert info["ptrace_zygote"] in ("Operation not permitted", "Permission denied")
    assert info["grader_visible"] is False
    assert launcher.running and launcher.starts == 1


def test_nothing_carries_over_between_submissions(launcher, hw1):
    leave = ("open('/tmp/left', 'w').write('x'); open('left', 'w').write('x')\n"
             "import ctypes; _l = ctypes.CDLL(None, use_errno=True)\n"
             "shm = _l.shmget(0x5EED, 4096, 0o1666)\n")  # IPC_CREAT | 0666
    s = session(launcher, leave)
    assert s.get("shm") >= 0
    s.close()
    s = session(launcher, "import ctypes, os; _l = ctypes.CDLL(None, use_errno=True)\n"
                          "shm = _l.shmget(0x5EED, 0, 0o666)\n"
                          "seen = sorted(os.listdir('/tmp')) + sorted(os.listdir('.'))\n")
    try:
        assert s.get("shm") == -1, "a System V segment survived into the next submission"
        # only the interpreter's own folders may appear in /tmp (when the checkout lives there)
        python_dirs = {Path(p).parts[2] for p in (sys.prefix, sys.base_prefix) if p.startswith("/tmp/")}
        assert set(s.get("seen")) <= python_dirs and "left" not in s.get("seen")
    finally:
        s.close()


def test_student_kill_all_cannot_reach_zygote(launcher):
    before = launcher.starts
    s = session(launcher, "import os, signal\nfor _ in range(3):\n    try:\n        os.kill(-1, signal.SIGKILL)\n"
                          "    except OSError:\n        pass\nx = 1\n")
    s.close()
    s = session(launcher, "x = 2")
    try:
        assert s.get("x") == 2
    finally:
        s.close()
    assert launcher.starts == before and launcher.running


# ---------------------------------------------------------------- containment
HOSTILE = {
    "exit": ("import os\nos._exit(3)", "crashed", "exited with status 3"),
    "segfault": ("import ctypes\nctypes.string_at(0)", "crashed", "SIGSEGV"),
    "fork_bomb": ("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
                  None, ""),
    "ignore_signals": ("import signal\nfor s in (signal.SIGALRM, signal.SIGINT, signal.SIGTERM):\n"
                       "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass", "timeout", ""),
    "setsid_daemon": ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\n", "ok", ""),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_cell_then_next_submission_is_fine(launcher, name):
    source, status, words = HOSTILE[name]
    s = session(launcher, "before = 1", source, "after = 42")
    try:
        report = s.cell_reports[1]
        if status:
            assert report.status == status, report
        assert words in report.message
        assert s.get("after") == 42 and s.get("before") == 1
    finally:
        s.close()
    assert processes_of_uid(launcher.uid) == []
    s = session(launcher, "y = sum(range(10))")
    try:
        assert s.get("y") == 45 and s.restarts == 0
    finally:
        s.close()
    assert processes_of_uid(launcher.uid) == [] and launcher.running


def test_twenty_in_a_row_leave_nothing(launcher):
    s = session(launcher, "x = 0")
    s.close()
    host = zygote_host_pid(launcher)
    grader_fds, zygote_fds = open_fds(), open_fds(host)
    import threading
    threads = threading.active_count()
    folders = sorted(os.listdir(launcher.work_base))
    for i in range(20):
        s = session(launcher, f"import numpy as np\nx = int(np.arange({i}).sum())\nprint('hello', {i})")
        assert s.get("x") == sum(range(i))
        s.close()
        assert f"hello {i}" in s.output()
    assert zygote_host_pid(launcher) == host
    assert open_fds() == grader_fds
    assert open_fds(host) == zygote_fds
    assert threading.active_count() == threads
    assert sorted(os.listdir(launcher.work_base)) == folders
    assert processes_of_uid(launcher.uid) == []
    for _ in range(50):  # the zygote reaps asynchronously (SIGCHLD)
        children = Path(f"/proc/{host}/task/{host}/children").read_text().split()
        if not children:
            break
        time.sleep(0.02)
    assert children == [], "the zygote has unreaped or living children"
    assert not launcher._exits and not launcher._replies


def test_zygote_death_is_survived(launcher):
    os.kill(zygote_host_pid(launcher), signal.SIGKILL)
    time.sleep(0.1)
    before = launcher.starts
    s = session(launcher, "x = 7")
    try:
        assert s.get("x") == 7
    finally:
        s.close()
    assert launcher.starts == before + 1


def test_zygote_death_mid_submission_restarts_the_student(launcher):
    s = session(launcher, "x = 7")
    try:
        os.kill(zygote_host_pid(launcher), signal.SIGKILL)
        time.sleep(0.1)
        assert s.get("x") == 7  # the session restarts and replays, through a new zygote
    finally:
        s.close()
    assert processes_of_uid(launcher.uid) == []


def test_sessions_use_the_shared_launcher_when_enabled(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_ZYGOTE", "1")
    s = StudentSession([CellToRun("x = 3", "cell 1")], LIMITS, slot=SLOT + 2)
    try:
        assert s.launcher is zygote._launchers[SLOT + 2]
        s.start()
        assert s.get("x") == 3
        assert isinstance(s.process, zygote.ZygoteProcess)
    finally:
        s.close()
        s.launcher.close()
        zygote._launchers.pop(SLOT + 2, None)
    monkeypatch.setenv("AUTOGRADER_ZYGOTE", "0")
    assert StudentSession([], LIMITS, slot=SLOT + 2).launcher is None


def test_a_child_that_cannot_set_up_never_runs_student_code(launcher, monkeypatch):
    """The child refuses a directory that is not private (0700) to the uid; the
    grader hears it as an unavailable sandbox (its fault), not a student crash."""
    from autograder.sandbox.process import SandboxUnavailable

    real_chmod = os.chmod
    monkeypatch.setattr(os, "chmod", lambda path, mode, **kw: real_chmod(path, 0o755, **kw))
    workdir = launcher.new_workdir()
    process = launcher.process(LIMITS, workdir)
    with pytest.raises(SandboxUnavailable, match="did not start"):
        process.start()
    assert "setup failed" in process.output()
    assert process.exit_description() == "the sandbox could not set up the student process"
    process.close()
    monkeypatch.undo()
    s = session(launcher, "x = 5")
    try:
        assert s.get("x") == 5
    finally:
        s.close()


@pytest.mark.skipif(os.environ.get("AUTOGRADER_SKIP_ADVERSARIAL") == "1", reason="asked to skip")
@pytest.mark.skipif(os.environ.get("AUTOGRADER_ZYGOTE") == "1", reason="this run already goes through the zygote")
def test_adversarial_suite_through_the_zygote():
    """The hostile notebooks of test_adversarial.py, graded with AUTOGRADER_ZYGOTE=1."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(ROOT / "tests" / "test_adversarial.py")],
                          env=dict(os.environ, AUTOGRADER_ZYGOTE="1"), cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


# ---------------------------------------------------------------- ending a submission
def test_a_submission_ends_without_forking_the_grader(launcher, monkeypatch):
    """The zygote sweeps its namespace (kill(-1) as its PID 1, reaped to ECHILD): the
    grader, a large process, forks nothing per submission, and nothing survives."""
    s = session(launcher, "import os, time\nif os.fork() == 0:\n    os.setsid()\n"
                          "    if os.fork() == 0:\n        time.sleep(60)\n    os._exit(0)\nx = 1\n")
    assert s.get("x") == 1

    def no_fork() -> int:
        raise AssertionError("the grader forked to end a submission")

    monkeypatch.setattr(os, "fork", no_fork)
    s.close()
    monkeypatch.undo()
    assert processes_of_uid(launcher.uid) == []
    host = zygote_host_pid(launcher)
    assert Path(f"/proc/{host}/task/{host}/children").read_text().split() == [], "unreaped children"


def test_a_failed_sweep_falls_back_to_killing_the_uid(launcher, monkeypatch):
    s = session(launcher, "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\nx = 1\n")
    assert s.get("x") == 1
    monkeypatch.setattr(launcher, "sweep", lambda: False)
    s.close()
    assert processes_of_uid(launcher.uid) == []


def test_support_modules_are_imported_from_the_graders_bytecode(launcher, tmp_path):
    """A support file arrives with its bytecode (compiled once per grader), so the student
    process does not compile it for every submission; a student who rewrites the file
    still imports their own code, as Jupyter would."""
    helper = tmp_path / "helper.py"
    helper.write_text("VALUE = 1\n")
    cells = [CellToRun("import os\nready = sorted(os.listdir('__pycache__')) if os.path.isdir('__pycache__') else []\n"
                       "import helper\nfirst = helper.VALUE\n", "cell 1"),
             CellToRun("import importlib, os, sys\nos.unlink('helper.py')\n"
                       "open('helper.py', 'w').write('VALUE = 2\\n')\ndel sys.modules['helper']\n"
                       "importlib.invalidate_caches()\nimport helper\nsecond = helper.VALUE\n", "cell 2")]
    for _ in range(2):
        s = StudentSession(cells, LIMITS, slot=SLOT, launcher=launcher, support_files=(helper,))
        s.start()
        try:
            assert [r.status for r in s.cell_reports] == ["ok", "ok"], s.cell_reports
            assert s.get("ready") == [f"helper.{sys.implementation.cache_tag}.pyc"]
            assert s.get("first") == 1 and s.get("second") == 2
        finally:
            s.close()
    assert helper.read_text() == "VALUE = 1\n"


def test_numpy_random_is_warm_and_each_child_draws_its_own_numbers(launcher):
    """The zygote imports numpy.random (numpy loads it lazily, at a cost to every
    submission); each child reseeds numpy's global generator, as a new process would."""
    draws = []
    for _ in range(3):
        s = session(launcher, "import sys\nwarm = 'numpy.random' in sys.modules\n"
                              "import numpy as np\nx = float(np.random.rand())\n")
        try:
            assert s.get("warm") is True
            draws.append(s.get("x"))
        finally:
            s.close()
    assert len(set(draws)) == 3, draws


def group_pids_max(uid: int) -> str | None:
    """pids.max of the uid's control group, None where cgroups are not writable here."""
    for folder in (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")):
        for found in folder.rglob(f"autograder-uid-{uid}/pids.max") if folder.is_dir() else []:
            return found.read_text().strip()
    return None


def test_group_limits_are_the_submissions_and_written_only_when_they_change(monkeypatch):
    """The uid's control group holds each submission's limits, the first after the zygote
    starts included (starting it writes the defaults); unchanged limits are not rewritten."""
    written = []
    real = zygote.tree_limits

    def spy(uid, memory_mb, max_pids):  # type: ignore[no-untyped-def]
        written.append((memory_mb, max_pids))
        return real(uid, memory_mb, max_pids)

    monkeypatch.setattr(zygote, "tree_limits", spy)
    launcher = zygote.ZygoteLauncher(SLOT + 3)
    other = Limits(cell_timeout_s=1.5, call_timeout_s=1.5, submission_timeout_s=60, max_processes=20)
    try:
        seen = []
        for limits in (LIMITS, LIMITS, LIMITS, other):
            s = StudentSession([CellToRun("x = 1", "cell 1")], limits, slot=SLOT + 3, launcher=launcher)
            s.start()
            seen.append(group_pids_max(launcher.uid))
            s.close()
    finally:
        launcher.close()
    ours = [(LIMITS.memory_mb, LIMITS.max_processes + zygote.TREE_EXTRA_PIDS),
            (other.memory_mb, other.max_processes + zygote.TREE_EXTRA_PIDS)]
    assert written == [(Limits().memory_mb, Limits().max_processes + zygote.TREE_EXTRA_PIDS)] + ours, written
    if seen[0] is not None:
        assert seen == [str(ours[0][1])] * 3 + [str(ours[1][1])]
