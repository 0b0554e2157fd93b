"""A zygote (fork server) for student processes, for long-lived graders.

Starting a student process costs bubblewrap, a Python start and ``import
numpy`` (about 0.1 s of CPU) per submission. A ``ZygoteLauncher`` pays that
once: it starts ``zygote_main.py`` inside the same bubblewrap sandbox as a
student process (``namespaces`` level only), and for each student process
sends it fresh pipes over a Unix socket; the zygote forks, and the child
drops to the slot's uid before running any student code (see
``zygote_main.py`` and docs/security.md, "The zygote").

Opt-in: ``enable_zygote()`` in a long-lived grader (the batch workers do it),
or ``AUTOGRADER_ZYGOTE=1`` in the environment (``AUTOGRADER_ZYGOTE=0`` turns
it off even where enabled). Then every ``StudentSession`` at the
``namespaces`` level uses one launcher per slot; at other levels sessions
start a process per submission as before.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import marshal
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path

from autograder.sandbox import protocol
from autograder.sandbox.cgroups import tree_limits
from autograder.sandbox.process import (
    INSIDE_HOME, INSIDE_SANDBOX_DIR, STUDENT_UID_BASE, TREE_EXTRA_PIDS, Isolation, Limits, SandboxUnavailable, StudentProcess, _bwrap_path,
    _kill_all_of_uid, _python_binds, _system_binds, claim_uid, confinement, detect_isolation, student_environment,
)

INSIDE_WORK_BASE = "/autograder-work"
READY_TIMEOUT_S = 30.0
REPLY_TIMEOUT_S = 10.0
SWEEP_REPLY_TIMEOUT_S = 7.0  # the zygote gives up its sweep after 5 s (zygote_main.SWEEP_TIMEOUT_S)
CHILD_SETUP_FAILED = 121  # zygote_main's exit status for a child that could not drop privileges

_enabled: bool | None = None
_launchers: dict[int, "ZygoteLauncher"] = {}


def enable_zygote(on: bool = True) -> None:
    """Use a zygote for the student processes of this (long-lived) process."""
    global _enabled
    _enabled = on


def zygote_enabled() -> bool:
    env = os.environ.get("AUTOGRADER_ZYGOTE", "")
    if env in ("0", "1"):
        return env == "1"
    return bool(_enabled)


def launcher_for(slot: int, isolation: Isolation) -> "ZygoteLauncher | None":
    """The shared launcher of ``slot`` if the zygote is enabled and usable here."""
    if not zygote_enabled() or isolation.level != "namespaces":
        return None
    launcher = _launchers.get(slot)
    if launcher is None or launcher.closed:
        _close_in_pool_workers()
        launcher = _launchers[slot] = ZygoteLauncher(slot, isolation)
    return launcher


@atexit.register
def close_all() -> None:
    for launcher in list(_launchers.values()):
        launcher.close()
    _launchers.clear()


_finalizer_registered_in: int | None = None
"""The process whose multiprocessing finalizers close the launchers (see below)."""


def _close_in_pool_workers() -> None:
    """multiprocessing's workers end with os._exit (no atexit), but run its finalizers: in such
    a worker (multiprocessing is imported), register one that closes the launchers, once per
    process. A single grade never imports multiprocessing for this."""
    global _finalizer_registered_in
    if "multiprocessing" not in sys.modules or _finalizer_registered_in == os.getpid():
        return
    from multiprocessing import util

    util.Finalize(None, close_all, exitpriority=100)
    _finalizer_registered_in = os.getpid()


class ZygoteDied(RuntimeError):
    pass


_bytecode: dict[tuple[str, bytes], bytes | None] = {}


def checked_pyc(source: bytes, filename: str) -> bytes | None:
    """``source`` compiled as a checked-hash .pyc (PEP 552): Python uses it only while the
    source file's hash matches, else it compiles the source as if there were none. None if
    the source does not compile (the import will say why, as before)."""
    try:
        code = compile(source, filename, "exec", dont_inherit=True, optimize=0)
    except (SyntaxError, ValueError):
        return None
    flags = 0b11  # hash-based, check the source
    return (importlib.util.MAGIC_NUMBER + flags.to_bytes(4, "little") + importlib.util.source_hash(source)
            + marshal.dumps(code))


def add_bytecode(workdir: Path, uid: int) -> None:
    """Put compiled bytecode in ``workdir/__pycache__`` for each .py file there (the
    assignment's support files, just copied in), compiled once per grader process: the
    student process then imports ``solver``, ``data_utils``... without compiling them again
    for every submission (its interpreter writes no bytecode). As in Jupyter, where the
    first import leaves the same folder (owned by ``uid``). A student who changes such a
    file gets their own code: the hash no longer matches."""
    cache = workdir / "__pycache__"
    for source in sorted(workdir.glob("*.py")):
        data = source.read_bytes()
        import hashlib  # here: OpenSSL takes a few ms to load, and a single grade has no zygote

        key = (source.name, hashlib.sha256(data).digest())
        if key not in _bytecode:
            _bytecode[key] = checked_pyc(data, f"{INSIDE_HOME}/{source.name}")
        pyc = _bytecode[key]
        if pyc is None:
            continue
        if not cache.is_dir():
            cache.mkdir(mode=0o755)
            os.chown(cache, uid, uid)
        target = cache / f"{source.stem}.{sys.implementation.cache_tag}.pyc"
        target.write_bytes(pyc)
        os.chown(target, uid, uid)


class ZygoteLauncher:
    """One zygote (restarted when it dies), one claimed uid, one work folder.

    The uid is held (flock, ``claim_uid``) for the launcher's lifetime; the
    zygote itself is root inside its namespaces, so killing everything of the
    uid never touches it. Serves one student process at a time.
    """

    def __init__(self, slot: int = 0, isolation: Isolation | None = None):
        self.slot = slot
        self.isolation = isolation or detect_isolation()
        if self.isolation.level != "namespaces":
            raise SandboxUnavailable(f"the zygote needs the 'namespaces' isolation level, not {self.isolation.level!r}")
        self.uid, self._lock_fd = claim_uid(slot)
        if self.uid < STUDENT_UID_BASE:  # killing "everything of the uid" must never mean root's processes
            raise SandboxUnavailable(f"refusing student uid {self.uid}")
        _kill_all_of_uid(self.uid)  # leftovers of a grader that crashed must not share the uid
        # root-only: each submission's directory is made here by the grader, and
        # only bound (alone) into that submission's world
        prefix = f"autograder-zygote-{self.uid}-"
        for stale in Path(tempfile.gettempdir()).glob(prefix + "*"):  # of a killed grader: we hold the uid now
            if stale.is_dir() and not stale.is_symlink() and stale.stat().st_uid == os.geteuid():
                shutil.rmtree(stale, ignore_errors=True)
            elif stale.suffix == ".log" and stale.is_file() and not stale.is_symlink():
                stale.unlink(missing_ok=True)
        self.work_base = Path(tempfile.mkdtemp(prefix=prefix))
        os.chmod(self.work_base, 0o700)
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._log: Path = self.work_base.with_name(self.work_base.name + ".log")
        self._exits: dict[int, int] = {}
        self._replies: dict[int, dict] = {}
        self._next_id = 0
        self._current: int | None = None
        self.generation = 0
        self.starts = 0
        self.zygote_pid: int | None = None
        """The zygote's pid inside its PID namespace (for tests)."""
        self.active: "ZygoteProcess | None" = None
        self.closed = False
        self._awaiting = False
        """Launched, its "ready" not read yet."""
        self.tree_applied: tuple[int, int] | None = None
        """(memory MB, processes) last written to the uid's control group (``cgroups.tree_limits``)."""

    # ------------------------------------------------------------ the zygote
    def _command(self, control_fd: int) -> list[str]:
        # --as-pid-1: the zygote is its PID namespace's init, which a child's kill(-1)
        # skips (no EPERM to count) and which reaps orphans; signals sent from inside
        # the namespace without a handler are ignored by it
        cmd = [_bwrap_path() or "bwrap", "--as-pid-1", "--unshare-pid", "--unshare-net", "--unshare-ipc",
               "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent", "--new-session",
               "--perms", "1777", "--tmpfs", "/tmp",
               *_system_binds(), *_python_binds(),
               "--proc", "/proc", "--dev", "/dev",
               "--perms", "0755", "--dir", "/home", "--perms", "0755", "--dir", INSIDE_HOME,
               "--bind", str(self.work_base), INSIDE_WORK_BASE, "--chdir", "/", "--clearenv"]
        for key, value in student_environment(INSIDE_HOME).items():
            cmd += ["--setenv", key, value]
        return cmd + ["--", os.path.abspath(sys.executable), "-I", f"{INSIDE_SANDBOX_DIR}/zygote_main.py", str(control_fd)]

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None and self._sock is not None

    def ensure_started(self) -> None:
        """A zygote that has said it is ready: the launched one, or a new one."""
        if self.closed:
            raise SandboxUnavailable("the zygote launcher was closed")
        if self._awaiting:
            self._await_ready()
        if not self.running:
            self._launch()
            self._await_ready()

    def launch(self) -> None:
        """Start the zygote without waiting for it (it imports numpy while the caller
        does its own start-up); ``ensure_started`` then waits for its word."""
        if self.closed:
            raise SandboxUnavailable("the zygote launcher was closed")
        if not self.running:
            self._launch()

    def _launch(self) -> None:
        self._stop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            with open(os.open(self._log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600), "wb") as log:
                command = self._command(theirs.fileno())
                self.tree_applied = (Limits().memory_mb, Limits().max_processes + TREE_EXTRA_PIDS)
                tree = tree_limits(self.uid, *self.tree_applied)
                if tree is not None:  # the zygote and every child it forks share the uid's group
                    command = tree.wrap(command)
                self._proc = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                              stdout=subprocess.DEVNULL, stderr=log, close_fds=True,
                                              pass_fds=(theirs.fileno(),), start_new_session=True)
        finally:
            theirs.close()
        self._sock = ours
        self.generation += 1
        self.starts += 1
        self._awaiting = True

    def _await_ready(self) -> None:
        self._awaiting = False
        try:
            message = self._receive(time.monotonic() + READY_TIMEOUT_S)
        except ZygoteDied:
            message = None
        if not message or message.get("op") != "ready":
            self._stop()
            tail = self._log.read_text(errors="replace")[-2000:] if self._log.exists() else ""
            raise SandboxUnavailable(f"the student zygote did not start: {tail or 'no output'}")
        self.zygote_pid = int(message.get("pid", 0))

    def _stop(self) -> None:
        self._awaiting = False
        if self._sock is not None:
            try:
                self._sock.send(json.dumps({"op": "bye"}).encode())
            except OSError:
                pass
            self._sock.close()
            self._sock = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait()
            self._proc = None
        self._replies.clear()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.active is not None:
            self.active.kill()
        self._stop()
        _kill_all_of_uid(self.uid)
        os.close(self._lock_fd)
        shutil.rmtree(self.work_base, ignore_errors=True)
        self._log.unlink(missing_ok=True)

    # ------------------------------------------------------------ messages
    def _receive(self, deadline: float | None) -> dict | None:
        """One message from the zygote (None at the deadline); exits are filed.
        Raises ZygoteDied on end of file."""
        assert self._sock is not None
        while True:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self._sock], [], [], timeout)
            if not ready:
                return None
            try:
                data = self._sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                self._stop()
                raise ZygoteDied("the zygote ended")
            message = json.loads(data)
            if message.get("op") == "exit" and message.get("id") == self._current:
                self._exits[int(message["id"])] = int(message["status"])  # others: nobody will ask
            return message

    def poll(self, ident: int | None = None, wait: float = 0.0) -> int | None:
        """The wait status of child ``ident`` if it has ended, waiting at most ``wait`` s."""
        deadline = time.monotonic() + wait
        while ident not in self._exits:
            if not self.running:
                return None
            try:
                message = self._receive(deadline)
            except ZygoteDied:
                return None
            if message is None:
                break
            if message.get("op") in ("started", "failed"):
                self._replies[int(message["id"])] = message
        return self._exits.get(ident) if ident is not None else None

    def spawn(self, workdir: Path, config: dict, group: tuple[int, int] | None = None) -> tuple[int, int, int, int]:
        """Ask the zygote for a child in ``workdir`` (a direct child of
        ``work_base``, owned by the uid, 0700), in the uid's control group capped at
        ``group`` (memory MB, processes). Returns (id, channel write fd,
        reply read fd, output read fd). Restarts a dead zygote once."""
        if workdir.parent != self.work_base:
            raise ValueError(f"{workdir} is not in the zygote's work folder")
        for attempt in (0, 1):
            self.ensure_started()  # a (re)started zygote's group has the default limits
            if group is not None and self.tree_applied != group:  # a batch's are all the same
                tree_limits(self.uid, *group)
                self.tree_applied = group
            assert self._sock is not None
            self._next_id += 1
            ident = self._current = self._next_id
            self._exits.clear()
            chan_r, chan_w = os.pipe()
            reply_r, reply_w = os.pipe()
            out_r, out_w = os.pipe()
            request = {"op": "spawn", "id": ident, "uid": self.uid, "workdir": workdir.name, "config": config}
            try:
                socket.send_fds(self._sock, [json.dumps(request).encode()], [chan_r, reply_w, out_w])
                reply = self._wait_reply(ident)
            except (OSError, ZygoteDied) as exc:
                for fd in (chan_r, chan_w, reply_r, reply_w, out_r, out_w):
                    os.close(fd)
                self._stop()
                if attempt:
                    raise SandboxUnavailable(f"the student zygote failed twice: {exc}") from None
                continue
            for fd in (chan_r, reply_w, out_w):
                os.close(fd)
            if reply.get("op") != "started":
                for fd in (chan_w, reply_r, out_r):
                    os.close(fd)
                raise SandboxUnavailable(f"the student zygote refused: {reply.get('message')}")
            return ident, chan_w, reply_r, out_r
        raise AssertionError("unreachable")

    def _wait_reply(self, ident: int) -> dict:
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        while ident not in self._replies:
            message = self._receive(deadline)
            if message is None:
                raise ZygoteDied("the zygote did not answer")
            if message.get("op") in ("started", "failed"):
                self._replies[int(message["id"])] = message
        return self._replies.pop(ident)

    def sweep(self) -> bool:
        """Have the zygote SIGKILL every other process of its PID namespace and reap them
        all. True once it says none is left; False when it cannot say so (dead, stuck,
        or some process outlived the sweep), and then the caller kills by uid."""
        if not self.running or self._awaiting:  # not ready yet: it has no child to sweep
            return False
        assert self._sock is not None
        self._next_id += 1
        ident = self._next_id
        deadline = time.monotonic() + SWEEP_REPLY_TIMEOUT_S
        try:
            self._sock.send(json.dumps({"op": "sweep", "id": ident}).encode())
            while True:
                message = self._receive(deadline)
                if message is None:
                    return False
                if message.get("op") == "swept" and message.get("id") == ident:
                    return message.get("clean") is True
                if message.get("op") in ("started", "failed"):
                    self._replies[int(message["id"])] = message
        except (OSError, ZygoteDied):
            return False

    def forget(self, ident: int) -> None:
        if self._current == ident:
            self._current = None
        self._exits.pop(ident, None)
        self._replies.pop(ident, None)

    # ------------------------------------------------------------ processes
    def new_workdir(self) -> Path:
        return Path(tempfile.mkdtemp(prefix="student-", dir=self.work_base))

    def process(self, limits: Limits, workdir: Path, strip_paths: tuple[str, ...] = (),
                imports: tuple[str, ...] | None = None) -> "ZygoteProcess":
        return ZygoteProcess(self, limits, workdir, strip_paths=strip_paths, imports=imports)


class ZygoteProcess(StudentProcess):
    """A student process forked by the zygote; same interface as StudentProcess.

    There is no Popen: death shows as end of file on the channel (and as the
    zygote's exit report); killing means killing every process of the uid."""

    def __init__(self, launcher: ZygoteLauncher, limits: Limits, workdir: Path, *,
                 strip_paths: tuple[str, ...] = (), imports: tuple[str, ...] | None = None):
        super().__init__(limits, workdir, slot=launcher.slot, strip_paths=strip_paths, isolation=launcher.isolation,
                         imports=imports)
        self.launcher = launcher
        self.uid = launcher.uid
        self.ident: int | None = None
        self.generation = 0
        self._chan_w: int | None = None
        self._ended = False

    def start(self) -> None:
        launcher = self.launcher
        if launcher.active is not None and launcher.active is not self:
            raise SandboxUnavailable("the zygote already serves a student process")
        add_bytecode(self.workdir, self.uid)
        os.chown(self.workdir, self.uid, self.uid)
        os.chmod(self.workdir, 0o700)
        config = {"limits": asdict(self.limits), "strip_paths": list(self.strip_paths),
                  "dedicated_uid": True, "kill_strays": True,
                  "confine": confinement(self.isolation, INSIDE_HOME),
                  "imports": None if self.imports is None else list(self.imports)}
        group = (self.limits.memory_mb, self.limits.max_processes + TREE_EXTRA_PIDS)
        self.ident, self._chan_w, reply_r, out_r = launcher.spawn(self.workdir, config, group)
        self.generation = launcher.generation
        launcher.active = self
        self.reader = protocol.FrameReader(reply_r, max_frame=protocol.MAX_REPLY_BYTES)
        self._reply_fd = reply_r
        self._out_stream = os.fdopen(out_r, "rb")
        self._drain = threading.Thread(target=self._drain_output, args=(self._out_stream,), daemon=True)
        self._drain.start()
        try:  # the child's own word, sent before any student code ran, that it dropped privileges
            header, _ = self.reader.read(time.monotonic() + REPLY_TIMEOUT_S)
        except protocol.ProtocolError as exc:
            self.kill()
            raise SandboxUnavailable(f"the zygote's student process did not start ({exc}): "
                                     f"{self.output()[-1000:].strip()}") from None
        if header.get("op") != "ready":
            self.kill()
            raise SandboxUnavailable("the zygote's student process did not start")
        self.confined = header.get("confined") or {}

    @property
    def alive(self) -> bool:
        if self._ended or self.ident is None or self.launcher.generation != self.generation:
            return False
        if not self.launcher.running:
            return False
        return self.launcher.poll(self.ident) is None

    def _channel_fd(self) -> int:
        if self._chan_w is None or self.reader is None or self._ended:
            raise protocol.ChannelClosed("the student process is gone")
        return self._chan_w

    def exit_description(self) -> str:
        if self.ident is None:
            return "not started"
        status = self.launcher.poll(self.ident, wait=0.3) if self.launcher.generation == self.generation else None
        if status is None:
            return "ended"
        if os.WIFSIGNALED(status):
            signum = os.WTERMSIG(status)
            name = signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else str(signum)
            hint = {"SIGSEGV": " (a crash in native code)", "SIGKILL": " (killed: time or memory limit, or by itself)",
                    "SIGXCPU": " (CPU time limit)", "SIGXFSZ": " (file size limit)"}.get(name, "")
            return f"killed by {name}{hint}"
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
        if code == CHILD_SETUP_FAILED:
            return "the sandbox could not set up the student process"
        return f"exited with status {code}"

    def kill(self) -> None:
        """SIGKILL the child and anything it started: the zygote's sweep of its
        namespace, or (if the zygote cannot) every process of the uid."""
        if self.ident is None:
            return
        if not self._ended:
            if self.launcher.generation != self.generation or not self.launcher.sweep():
                _kill_all_of_uid(self.uid)
            self._ended = True
        if self._drain is not None:
            self._drain.join(timeout=1)
        if getattr(self, "_out_stream", None) is not None and not self._drain.is_alive():
            self._out_stream.close()
            self._out_stream = None
        for attribute in ("_chan_w", "_reply_fd"):
            fd = getattr(self, attribute, None)
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
                setattr(self, attribute, None)
        if self.launcher.active is self:
            self.launcher.active = None

    def close(self) -> None:
        """End the child (no goodbye: it has flushed its output after every cell and call)."""
        self.kill()
        if self.ident is not None:
            self.launcher.forget(self.ident)
