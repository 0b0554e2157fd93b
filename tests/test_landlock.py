"""Landlock and seccomp in the student process (confine.py), and the case of issue 12:
a world-readable copy of the course elsewhere on the machine.

The unit tests confine a fresh Python process (confinement cannot be undone,
so never this one) and check what it can still do. The end-to-end test plants
a solved notebook and a ``reference`` package, world-readable, in /tmp and
under /home, then grades a HW1 notebook whose only code walks the file system
for them (as the notebook measured in issue 12 did, which scored 100/100 at
the unprivileged-user level), at every level this machine offers, through
``autograder grade --isolation``: it must score 0. The same notebook with
Landlock turned off (``AUTOGRADER_LANDLOCK=0``) shows that the copy is there
to steal.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from autograder.sandbox import confine, process
from tests import levels

ROOT = Path(__file__).resolve().parent.parent
ABI = confine.landlock_abi()
needs_landlock = pytest.mark.skipif(ABI < 1, reason="this kernel has no Landlock")
needs_seccomp = pytest.mark.skipif(not confine.seccomp_available(), reason="no seccomp filter for this machine")
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (as CI and Gradescope are)")


# ---------------------------------------------------------------- confine.py in a fresh process
CONFINED = r'''
import ctypes, errno, importlib.util, os, sys
spec = importlib.util.spec_from_file_location("confine", CONFINE)
confine = importlib.util.module_from_spec(spec)
spec.loader.exec_module(confine)
applied = confine.confine(SPEC)
out = {"applied": applied}
def attempt(name, fn):
    try:
        fn()
        out[name] = "ok"
    except OSError as exc:
        out[name] = errno.errorcode.get(exc.errno, str(exc.errno))
def read(path):
    return lambda: os.listdir(path) if os.path.isdir(path) else open(path, "rb").read(1)
def write(path):
    def go():
        with open(path, "w") as handle:
            handle.write("x")
    return go
attempt("read_secret", read(SECRET))
attempt("list_secret_dir", read(os.path.dirname(SECRET)))
attempt("write_outside", write(OUTSIDE))
attempt("write_work", write(os.path.join(WORK, "mine.txt")))
attempt("rename_in_work", lambda: os.replace(os.path.join(WORK, "mine.txt"), os.path.join(WORK, "sub.txt")))
attempt("read_stdlib", read(os.__file__))
attempt("read_etc", read("/etc/passwd"))
attempt("own_proc", read("/proc/self/status"))
attempt("other_proc", read("/proc/1/cmdline"))
attempt("dev_null", write("/dev/null"))
import numpy as np  # after confinement: its libraries must still load, its threads still start
a = np.random.default_rng(0).normal(size=(300, 300))
out["solve"] = float(np.abs(a @ np.linalg.solve(a, np.ones(300)) - 1).max())
out["threads"] = len(os.listdir("/proc/self/task"))
import subprocess
out["subprocess"] = subprocess.run(["/bin/sh", "-c", "echo hi"], capture_output=True, text=True).stdout
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
numbers = confine.SYSCALLS[confine._ARCH]
def call(name, *args, number=None):
    result = libc.syscall(ctypes.c_long(numbers[name] if number is None else number), *args)
    if result == 0 and name == "clone":
        os._exit(0)  # the child of a clone that should not have happened
    return "ok" if result >= 0 else errno.errorcode.get(ctypes.get_errno())
out["ptrace"] = call("ptrace", 16, os.getppid(), None, None)
out["unshare_user"] = call("unshare", 0x10000000)
out["keyctl"] = call("keyctl", 1, None)
out["bpf"] = call("bpf", 0, None, 0)
out["perf_event_open"] = call("perf_event_open", None, 0, -1, -1, 0)
out["mount"] = call("mount", None, None, None, 0, None)
out["clone_newuser"] = call("clone", ctypes.c_ulong(0x10000000 | 17), None, None, None, None)
out["clone3"] = call("clone3", None, 0)
if confine._ARCH == "x86_64":
    out["x32_getpid"] = call("x32", number=0x40000000 + 39)
out["getpid"] = "ok" if libc.syscall(ctypes.c_long(numbers.get("getpid", 39 if confine._ARCH == "x86_64" else 172))) > 0 else "no"
if applied.get("tcp"):
    import socket
    attempt("tcp_connect", lambda: socket.create_connection(("127.0.0.1", 9), timeout=1))
if applied.get("signals"):
    attempt("signal_parent", lambda: os.kill(os.getppid(), 0))
    child = os.fork()
    if child == 0:
        import time
        time.sleep(30)
        os._exit(0)
    attempt("signal_own_child", lambda: os.kill(child, 9))
    os.waitpid(child, 0)
print(json.dumps(out))
'''


def run_confined(tmp_path: Path, spec: dict) -> dict:
    secret_dir = tmp_path / "course"
    secret_dir.mkdir()
    (secret_dir / "solution.py").write_text("ANSWER = 42\n")
    work = tmp_path / "work"
    work.mkdir()
    header = (f"import json\nCONFINE = {str(Path(confine.__file__))!r}\nSECRET = {str(secret_dir / 'solution.py')!r}\n"
              f"WORK = {str(work)!r}\nOUTSIDE = {str(tmp_path / 'outside.txt')!r}\n"
              f"SPEC = json.loads({json.dumps(spec)!r})\n")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="2")  # OpenBLAS starts its threads after confinement
    done = subprocess.run([sys.executable, "-I", "-c", header + CONFINED], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@needs_landlock
@needs_seccomp
def test_confined_process_reads_only_what_it_is_given_and_numpy_still_works(tmp_path: Path) -> None:
    spec = {"landlock": ABI, "seccomp": True, "write": [str(tmp_path / "work")],
            "read": [*process.SYSTEM_DIRS, *process.python_dirs()]}
    out = run_confined(tmp_path, spec)
    assert out["applied"]["landlock"] == ABI and out["applied"]["seccomp"] is True
    # files: the course (here a folder beside the working folder) is neither readable nor listable
    assert out["read_secret"] == "EACCES" and out["list_secret_dir"] == "EACCES"
    assert out["write_outside"] == "EACCES" and out["other_proc"] == "EACCES"
    assert out["write_work"] == "ok" and out["rename_in_work"] == "ok"
    assert out["read_stdlib"] == out["read_etc"] == out["own_proc"] == out["dev_null"] == "ok"
    # numpy, its OpenBLAS threads (clone3 refused, so the C library falls back to clone) and subprocesses
    assert out["solve"] < 1e-8 and out["threads"] >= 2 and out["subprocess"] == "hi\n"
    # seccomp
    for name in ("ptrace", "unshare_user", "keyctl", "bpf", "perf_event_open", "mount", "clone_newuser"):
        assert out[name] == "EPERM", (name, out[name])
    assert out["clone3"] == "ENOSYS" and out.get("x32_getpid", "ENOSYS") == "ENOSYS" and out["getpid"] == "ok"
    if ABI >= 4:
        assert out["tcp_connect"] == "EACCES"
    if ABI >= 6:  # signals reach the student's own processes only
        assert out["signal_parent"] == "EPERM" and out["signal_own_child"] == "ok"


@needs_seccomp
def test_seccomp_alone_leaves_files_alone(tmp_path: Path) -> None:
    out = run_confined(tmp_path, {"landlock": 0, "seccomp": True})
    assert out["applied"] == {"landlock": 0, "tcp": False, "signals": False, "seccomp": True}
    assert out["read_secret"] == "ok" and out["ptrace"] == "EPERM" and out["unshare_user"] == "EPERM"


def test_seccomp_program_checks_the_architecture_first() -> None:
    for arch in confine.SYSCALLS:
        program = confine.seccomp_program(arch)
        assert len(program) % 8 == 0 and len(program) // 8 < 4096
        op, jt, jf, k = __import__("struct").unpack("=HBBI", program[8:16])
        assert (op, k) == (0x15, confine.AUDIT_ARCH[arch])  # jeq arch, else ENOSYS for every call


def test_isolation_description_says_whether_landlock_is_in_force(monkeypatch) -> None:
    level = process.detect_isolation()
    if level.level == "unavailable":
        pytest.skip(level.description)
    if ABI:
        assert level.landlock == ABI and f"Landlock (ABI {ABI}) in force" in level.description
    else:
        assert level.landlock == 0 and "Landlock NOT in force" in level.description
    monkeypatch.setenv(process.LANDLOCK_ENV, "0")
    off = process.detect_isolation()
    assert off.landlock == 0 and "Landlock turned off" in off.description and off.level == level.level


# ---------------------------------------------------------------- a planted copy of the course
THIEF = r'''
import json, os
stolen = dict()
def _keep(ns):
    stolen.update({k: v for k, v in ns.items() if callable(v) and not k.startswith('_')})
def _steal_py(path):
    ns = dict()
    try:
        exec(compile(open(path).read(), path, 'exec'), ns)
    except BaseException:
        return
    print('FOUND-HIDDEN', path)
    _keep(ns)
def _steal_notebook(path):
    try:
        cells = json.load(open(path)).get('cells', [])
    except BaseException:
        return
    code = [''.join(c['source']) if isinstance(c['source'], list) else c['source']
            for c in cells if c.get('cell_type') == 'code']
    if not any('BEGIN SOLUTION' in c for c in code):
        return
    print('FOUND-HIDDEN', path)
    ns = dict()
    for c in code:
        try:
            exec(c, ns)
        except BaseException:
            pass
    _keep(ns)
for top in ROOTS:
    if 'fit_least_squares' in stolen:
        break  # one copy of the reference is enough
    for folder, dirs, files in os.walk(top):
        depth = folder.count(os.sep) - top.count(os.sep)
        dirs[:] = [d for d in dirs if d not in ('site-packages', 'dist-packages', '.git', 'proc', 'sys') and depth < 6]
        for name in files:
            path = os.path.join(folder, name)
            if name == '__init__.py' and folder.endswith(os.path.join('reference', 'hw1')):
                _steal_py(path)
            elif name.endswith('.ipynb'):
                _steal_notebook(path)
globals().update(stolen)
'''


def plant_copies(tag: str) -> list[Path]:
    """World-readable copies of the hidden material where a TA's machine has them:
    a clone under /home (default 755 permissions) and a solved notebook in /tmp."""
    planted = []
    for base in (Path("/tmp"), Path("/home")):
        folder = base / f"autograder-planted-{tag}"
        clone = folder / "course-clone"
        for sub in ("reference/hw1", "assignments/hw1"):
            (clone / sub).mkdir(parents=True)
        shutil.copy2(ROOT / "reference" / "__init__.py", clone / "reference" / "__init__.py")
        for name in ("__init__.py", "test_hw1.py"):
            shutil.copy2(ROOT / "reference" / "hw1" / name, clone / "reference" / "hw1" / name)
        shutil.copy2(ROOT / "assignments" / "hw1" / "hw1.ipynb", clone / "assignments" / "hw1" / "hw1.ipynb")
        shutil.copy2(ROOT / "assignments" / "hw1" / "hw1.ipynb", folder / "hw1-solved.ipynb")
        for path in [folder, *folder.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        planted.append(folder)
    return planted


# (level, run as a spare non-root uid, Landlock on, the thief must score 0)
CASES = [
    ("namespaces", False, True, True),
    ("unprivileged-user", False, True, True),
    ("user-namespaces", True, True, True),
    ("none", True, True, True),
    ("unprivileged-user", False, False, False),  # control: without Landlock the copy is stolen
]


@pytest.mark.slow
@root_only
@needs_landlock
@pytest.mark.parametrize("level, as_other_user, landlock, confined", CASES,
                         ids=["namespaces", "unprivileged-user", "user-namespaces", "none",
                              "unprivileged-user-without-landlock"])
def test_world_readable_copy_elsewhere_cannot_be_read(level, as_other_user, landlock, confined) -> None:
    from autograder.assignment import load_assignment
    from autograder.samples import blank_submission, write_notebook

    if level == "namespaces" and process._detect_level("namespaces").level != "namespaces":
        pytest.skip("bubblewrap namespaces are not available here")
    tag = uuid.uuid4().hex[:10]
    scratch = levels.scratch("autograder-levels-")
    planted = plant_copies(tag)
    try:
        python = levels.require_world_python(scratch) if level != "namespaces" else Path(sys.executable)
        course = levels.copy_course(scratch)
        uid = levels.spare_uid() if as_other_user else None
        out = levels.owned_folder(scratch, "out", uid) if uid is not None else scratch
        notebook = blank_submission(load_assignment("hw1", course))
        roots = [*map(str, planted), "/tmp", "/home", "/var/tmp", "/root", "/srv", "/opt", "/autograder", "/mnt",
                 str(ROOT.parent)]
        notebook["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                                  "source": f"ROOTS = {roots!r}\n" + THIEF})
        submission = write_notebook(notebook, scratch / "thief.ipynb")
        os.chmod(submission, 0o644)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "AUTOGRADER_"))}
        env.update(PYTHONDONTWRITEBYTECODE="1", HOME=str(out))
        if not landlock:
            env[process.LANDLOCK_ENV] = "0"
        done = levels.run_as(uid, [str(python), "-m", "autograder.cli", "grade", "hw1", str(submission),
                                   "--course", str(course), "--isolation", level, "--json", str(out / "r.json")],
                             env=env, cwd=levels.world_checkout(scratch), timeout=600)
        assert f"isolation: {level}" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]
        results = json.loads((out / "r.json").read_text())
        environment = next(t["output"] for t in results["tests"] if "environment" in t["tags"])
        if confined:
            assert results["score"] == 0, done.stdout[-3000:]
            if level != "namespaces":
                assert f"Landlock (ABI {ABI}) in force" in environment
        else:  # issue 12 as measured: the uid alone protects only the graded folder
            assert results["score"] == sum(t["max_score"] for t in results["tests"]) > 0, done.stdout[-3000:]
            assert "Landlock turned off" in environment
    finally:
        for folder in planted:
            shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
