"""Launching the student process with the strongest isolation available.

Levels, strongest first (``detect_isolation``):

* ``namespaces``: the grader is root and bubblewrap works. The student
  process gets new PID, network, IPC and UTS namespaces and a new root
  file system holding only the system directories, the Python installation
  and its private working directory (so no course file, reference or hidden
  test exists in its world), and runs as an unprivileged per-slot uid with
  no capabilities and ``no_new_privs``.
* ``unprivileged-user``: root without bubblewrap (e.g. a container that
  forbids namespaces). The student runs as an unprivileged per-slot uid;
  hidden files must be root-only (``setup.sh`` locks them).
* ``none``: not root. The student runs as you, in its own process group and
  working directory, with OS limits. It could read files you can read.

Every level applies rlimits (address space, CPU, processes, file size,
open files) inside the student process before any student code runs, and
a timeout ends in SIGKILL of everything the student started.
"""

from __future__ import annotations

import functools
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from autograder.sandbox import protocol

SANDBOX_DIR = Path(__file__).resolve().parent
STUDENT_UID_BASE = 61000
INSIDE_SANDBOX_DIR = "/opt/autograder-sandbox"
INSIDE_HOME = "/home/student"


@dataclass(frozen=True)
class Limits:
    """Per-submission resource limits for the student process."""

    cell_timeout_s: float = 30.0
    """Wall time for one notebook cell."""
    call_timeout_s: float = 10.0
    """Wall time for one call from a test into the student's code."""
    submission_timeout_s: float = 300.0
    """Wall time (and CPU time) for the whole submission."""
    memory_mb: int = 768
    """Address-space cap (Gradescope's default container has 768 MB)."""
    max_processes: int = 64
    """Processes the student's uid may have at once (dedicated uid only)."""
    max_output_bytes: int = 65536
    """Captured stdout/stderr kept; the rest is counted and dropped."""
    max_file_mb: int = 16
    """Largest file the student process may write."""
    max_open_files: int = 256
    """Open file descriptors."""

    GRACE_S = 1.0  # after a soft SIGALRM deadline, before SIGKILL


@dataclass(frozen=True)
class Isolation:
    """The isolation level in force and what it means for the instructor."""

    level: str
    description: str

    @property
    def partial(self) -> bool:
        return self.level != "namespaces"


def _bwrap_path() -> str | None:
    return shutil.which("bwrap")


@functools.lru_cache(maxsize=1)
def detect_isolation() -> Isolation:
    """Probe once per grader process which isolation this machine allows."""
    is_root = os.geteuid() == 0
    bwrap = _bwrap_path()
    if is_root and bwrap and shutil.which("setpriv"):
        probe = subprocess.run(
            [bwrap, "--unshare-pid", "--unshare-net", "--ro-bind", "/", "/", "--proc", "/proc", "true"],
            capture_output=True, timeout=10,
        )
        if probe.returncode == 0:
            return Isolation("namespaces", "full: separate PID/network/mount namespaces (bubblewrap), "
                             "a file system without course files, an unprivileged uid, OS limits")
    if is_root and shutil.which("setpriv"):
        return Isolation("unprivileged-user", "partial: unprivileged uid and OS limits, no namespaces "
                         "(bubblewrap unavailable); hidden files must be root-only")
    return Isolation("none", "partial: grader is not root, so student code runs as your user with OS "
                     "limits only and could read files you can read; grade as root (or on Gradescope) "
                     "for full isolation")


def _system_binds() -> list[str]:
    args: list[str] = []
    for path in ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32", "/etc"):
        p = Path(path)
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), path]
        elif p.is_dir():
            args += ["--ro-bind", path, path]
    return args


def _with_parents(binds: list[tuple[str, str, str]]) -> list[str]:
    """bwrap arguments for (option, source, destination) binds, creating every
    missing parent directory world-traversable (bwrap would make them 0700)."""
    args: list[str] = []
    made: set[str] = {"/"}
    for option, source, destination in binds:
        parent = Path(destination).parent
        chain = [p for p in reversed([parent, *parent.parents]) if str(p) not in made]
        for directory in chain:
            if str(directory) in ("/usr", "/etc", "/tmp", "/proc", "/dev"):
                made.add(str(directory))
                continue
            args += ["--perms", "0755", "--dir", str(directory)]
            made.add(str(directory))
        args += [option, source, destination]
        made.add(destination)
    return args


def _python_binds() -> list[str]:
    """Read-only binds that make this interpreter and its packages work inside."""
    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(sys.prefix)}
    exe = Path(sys.executable)
    paths.add(exe.resolve().parent.parent)
    binds = []
    for p in sorted(paths, key=lambda q: len(str(q))):
        if any(str(p).startswith(prefix) for prefix in ("/usr/", "/bin/", "/lib/")):
            continue
        if p.exists():
            binds.append(("--ro-bind", str(p), str(p)))
    binds.append(("--ro-bind", str(SANDBOX_DIR), INSIDE_SANDBOX_DIR))
    return _with_parents(binds)


def student_environment(home: str) -> dict[str, str]:
    """The minimal environment the student process gets: nothing of the grader's."""
    return {
        "HOME": home,
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
    }


class StudentProcess:
    """One running student process and its channel.

    workdir: a fresh private directory (made by the caller); slot: which
    dedicated uid to use (one per parallel worker); strip_paths: folders to
    remove from the student's ``sys.path`` (the course root).
    """

    def __init__(self, limits: Limits, workdir: Path, *, slot: int = 0,
                 strip_paths: tuple[str, ...] = (), isolation: Isolation | None = None):
        self.limits = limits
        self.workdir = Path(workdir)
        self.slot = slot
        self.strip_paths = strip_paths
        self.isolation = isolation or detect_isolation()
        self.uid = STUDENT_UID_BASE + slot
        self.token = secrets.token_hex(8)
        self.proc: subprocess.Popen[bytes] | None = None
        self.reader: protocol.FrameReader | None = None
        self._output = bytearray()
        self._output_dropped = 0
        self._drain: threading.Thread | None = None

    # ------------------------------------------------------------ launching
    def _command(self) -> tuple[list[str], str, dict[str, str]]:
        config = json.dumps({"limits": asdict(self.limits), "strip_paths": list(self.strip_paths),
                             "dedicated_uid": self.isolation.level != "none"})
        python = sys.executable
        if self.isolation.level == "namespaces":
            home = INSIDE_HOME
            env = student_environment(home)
            cmd = [_bwrap_path() or "bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc",
                   "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent", "--new-session",
                   *_system_binds(), *_python_binds(),
                   "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp",
                   "--perms", "0755", "--dir", "/home",
                   "--bind", str(self.workdir), home, "--chdir", home, "--clearenv"]
            for key, value in env.items():
                cmd += ["--setenv", key, value]
            cmd += ["--", "setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
                    "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--",
                    python, "-I", f"{INSIDE_SANDBOX_DIR}/student_main.py", config]
            return cmd, "/", {}
        env = student_environment(str(self.workdir))
        env["AUTOGRADER_SANDBOX_TOKEN"] = self.token
        cmd = [python, "-I", str(SANDBOX_DIR / "student_main.py"), config]
        if self.isolation.level == "unprivileged-user":
            cmd = ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
                   "--inh-caps=-all", "--no-new-privs", "--", *cmd]
        return cmd, str(self.workdir), env

    def start(self) -> None:
        if self.isolation.level != "none":
            os.chown(self.workdir, self.uid, self.uid)
            os.chmod(self.workdir, 0o700)
        cmd, cwd, env = self._command()
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=cwd, env=env, close_fds=True, start_new_session=True,
        )
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.reader = protocol.FrameReader(self.proc.stdout.fileno())
        self._drain = threading.Thread(target=self._drain_output, args=(self.proc.stderr,), daemon=True)
        self._drain.start()

    def _drain_output(self, stream) -> None:  # type: ignore[no-untyped-def]
        cap = self.limits.max_output_bytes
        while True:
            try:
                chunk = stream.read1(65536)
            except (OSError, ValueError):
                return
            if not chunk:
                return
            room = cap - len(self._output)
            if room > 0:
                self._output += chunk[:room]
            self._output_dropped += max(0, len(chunk) - max(room, 0))

    # ------------------------------------------------------------ talking
    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def request(self, header: dict, buffers: list[bytes], timeout: float) -> tuple[dict, list[bytes]]:
        """Send one request and wait for the answer, at most ``timeout`` + grace seconds.

        Raises protocol.ChannelTimeout (then the process is killed),
        protocol.ChannelClosed (it died) or protocol.ProtocolError.
        """
        assert self.proc is not None and self.proc.stdin is not None and self.reader is not None
        frame = protocol.pack(dict(header, timeout=timeout), buffers)
        try:
            protocol.write_frame(self.proc.stdin.fileno(), frame)
        except (BrokenPipeError, OSError):
            raise protocol.ChannelClosed("the student process is gone") from None
        deadline = time.monotonic() + timeout + Limits.GRACE_S
        try:
            return self.reader.read(deadline)
        except protocol.ChannelTimeout:
            self.kill()
            raise

    def output(self) -> str:
        """The student's captured stdout/stderr (capped)."""
        text = self._output.decode("utf-8", errors="replace")
        if self._output_dropped:
            text += f"\n[autograder: {self._output_dropped} more bytes of output were dropped]"
        return text

    def exit_description(self) -> str:
        """Why the process ended, in words (exit code, signal)."""
        if self.proc is None or self.proc.poll() is None:
            return "still running"
        code = self.proc.returncode
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            hint = {"SIGSEGV": " (a crash in native code)", "SIGKILL": " (killed: time or memory limit, or by itself)",
                    "SIGXCPU": " (CPU time limit)", "SIGXFSZ": " (file size limit)"}.get(name, "")
            return f"killed by {name}{hint}"
        return f"exited with status {code}"

    # ------------------------------------------------------------ ending
    def kill(self) -> None:
        """SIGKILL the student process and everything it started."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.isolation.level == "unprivileged-user":
            _kill_all_of_uid(self.uid)
        elif self.isolation.level == "none":
            _kill_by_token(self.token)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        if self._drain is not None:
            self._drain.join(timeout=1)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass

    def close(self) -> None:
        """Say goodbye, then make sure nothing is left."""
        if self.alive and self.proc and self.proc.stdin:
            try:
                protocol.write_frame(self.proc.stdin.fileno(), protocol.pack({"op": "bye"}, []))
                self.proc.wait(timeout=0.5)
            except (OSError, subprocess.TimeoutExpired, protocol.ProtocolError):
                pass
        self.kill()


def _kill_all_of_uid(uid: int) -> None:
    """As root: kill every process of the dedicated uid (kill(-1) as that uid)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            os.setgid(uid)
            os.setuid(uid)
            for _ in range(3):
                os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def _kill_by_token(token: str) -> None:
    """Not root: find leftover processes by the token in their environment."""
    marker = f"AUTOGRADER_SANDBOX_TOKEN={token}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ValueError):
            continue


def student_user_exists() -> bool:
    try:
        pwd.getpwuid(STUDENT_UID_BASE)
        return True
    except KeyError:
        return False
