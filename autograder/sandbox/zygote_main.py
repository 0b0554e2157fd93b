"""The zygote: a warmed student runtime that forks one student process per request.

Started by ``autograder.sandbox.zygote`` inside the same bubblewrap sandbox as
a student process (new mount/PID/network/IPC/UTS namespaces, a root file
system without course files, a cleared environment), but it stays root inside
it so that each child can be given its own uid. It runs only this file,
``student_main.py``, ``protocol.py`` and ``confine.py`` (read-only binds) and
imports numpy (and numpy.random) once. It never runs student code itself: every child drops to
the requested unprivileged uid (no capabilities, ``no_new_privs``, empty
bounding set) in its own mount and IPC namespaces, then confines itself
(Landlock, seccomp) as a spawned student process does, before the first
student byte is read.

Control channel: a SOCK_SEQPACKET socket (its fd number is ``argv[1]``), one
JSON message per packet.

* grader -> zygote: ``{"op": "spawn", "id", "uid", "workdir", "config"}`` with
  three fds (SCM_RIGHTS): the channel's read end, the reply channel's write
  end, the output pipe's write end. ``{"op": "sweep", "id"}``: SIGKILL every
  other process of the PID namespace and reap them all. ``{"op": "bye"}``
  ends the zygote.
* zygote -> grader: ``{"op": "ready"}`` once, ``{"op": "started", "id", "pid"}``
  or ``{"op": "failed", "id", "message"}`` per spawn,
  ``{"op": "exit", "id", "status"}`` (the raw wait status) when a child ends,
  and ``{"op": "swept", "id", "clean"}`` after a sweep (``clean``: no process
  but the zygote is left in the namespace, not even a zombie).

The sweep is how a submission ends: the zygote is PID 1 of its namespace, so
every process a student started (double-forked, ``setsid``, any uid) is in it
and, once orphaned, its child; ``kill(-1)`` from PID 1 reaches all of them and
``waitpid`` returning ECHILD proves none is left. This costs the grader no
process of its own (killing by uid forks the grader, a large process).
"""

import ctypes
import importlib.util
import json
import os
import resource
import select
import signal
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CONTROL_FD = int(sys.argv[1]) if len(sys.argv) > 1 else 3
INSIDE_HOME = "/home/student"
WORK_BASE = "/autograder-work"
CHILD_SETUP_FAILED = 121
SWEEP_TIMEOUT_S = 5.0

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS = 4, 24, 38, 39

_libc = ctypes.CDLL(None, use_errno=True)


def _load(name, filename):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, filename))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source, target, fstype, flags, data=None):
    _check(_libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(),
                       ctypes.c_ulong(flags), data and data.encode()), f"mount {target}")


def _python_paths_under_tmp():
    """The interpreter's folders that live under /tmp (e.g. a checkout in /tmp
    with its .venv): a fresh /tmp must not hide them, or lazy imports fail."""
    candidates = {sys.prefix, sys.base_prefix, os.path.realpath(sys.prefix),
                  os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))}
    under = sorted(p for p in candidates if p.startswith("/tmp/") and os.path.isdir(p))
    return [p for p in under if not any(p != q and p.startswith(q + "/") for q in under)]


def _hold_python_under_tmp():
    """Bind those folders to holding places outside /tmp; returns [(path, holder)]."""
    held = []
    for index, path in enumerate(_python_paths_under_tmp()):
        holder = os.path.join(WORK_BASE, f".python-hold-{index}")
        os.makedirs(holder, exist_ok=True)
        _mount(path, holder, None, MS_BIND | MS_REC)
        held.append((path, holder))
    return held


def _restore_held(held):
    """Bind the held folders back at their own paths on the fresh /tmp, read-only."""
    for path, holder in held:
        os.makedirs(path, mode=0o755, exist_ok=True)
        _mount(holder, path, None, MS_BIND | MS_REC)
        _mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY)


def _private_world(workdir):
    """Own mount and IPC namespaces: the submission's directory at /home/student,
    a fresh /tmp, no view of the other submissions' directories, no System V or
    POSIX IPC objects left by an earlier submission."""
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWIPC), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount(workdir, INSIDE_HOME, None, MS_BIND)
    held = _hold_python_under_tmp()
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=256m")
    _restore_held(held)
    _check(_libc.umount2(WORK_BASE.encode(), MNT_DETACH), "umount the work base (and the holding binds)")
    if os.path.exists("/dev/mqueue"):
        try:
            _mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV)
        except OSError:
            pass
    os.chdir(INSIDE_HOME)


def _drop_privileges(uid):
    """Become ``uid`` for good: no capabilities (bounding set emptied too),
    no supplementary groups, ``no_new_privs``; then prove it."""
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == 22:  # EINVAL: no such cap
            break
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)  # from root to non-root: permitted, effective and ambient caps are cleared
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (uid, uid, uid) or os.getgroups():
        raise OSError(f"still not uid {uid}")
    try:
        os.setuid(0)
    except PermissionError:
        pass
    else:
        raise OSError("could regain root")
    with open("/proc/self/status") as handle:
        caps = {line.split(":")[0]: int(line.split()[1], 16) for line in handle if line.startswith("Cap")}
    if any(caps.get(k, 1) for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")):
        raise OSError(f"capabilities left: {caps}")
    if _libc.prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1:
        raise OSError("no_new_privs is not set")
    # a session keyring of its own, not the one inherited from the root zygote
    keyctl = {"x86_64": 250, "aarch64": 219}.get(os.uname().machine)
    if keyctl is not None:
        _libc.syscall(keyctl, 1, None)  # KEYCTL_JOIN_SESSION_KEYRING, anonymous; best effort
    # setuid made the process non-dumpable (its /proc files root-owned); an exec
    # under setpriv would have reset that, so match it: only this uid gains access
    _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)


def _fresh_random_state():
    """numpy's legacy global generator (``np.random.rand``) was seeded once, in the zygote:
    reseed it from the system's entropy, as importing numpy in a new process would. Python's
    own ``random`` reseeds itself after a fork."""
    random = sys.modules.get("numpy.random")
    if random is not None:
        random.seed()


def _child(request, fds, student_main, protocol, confine):
    """In the forked child: never returns."""
    try:
        os.setsid()
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(signum, signal.SIG_DFL)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        # nothing of the zygote's (its control socket, the wake-up pipe) reaches student code
        os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        uid = int(request["uid"])
        if uid < 1000:
            raise OSError(f"refusing uid {uid}")
        workdir = os.path.join(WORK_BASE, os.path.basename(str(request["workdir"])))
        info = os.lstat(workdir)
        if not (info.st_uid == uid and (info.st_mode & 0o170777) == 0o040700):
            raise OSError(f"{workdir} is not a private directory of uid {uid}")
        _private_world(workdir)
        config = request.get("config", {})
        student_main._apply_limits(config)
        _drop_privileges(uid)
        _fresh_random_state()
        student_main._strip_grader_paths(config)
        applied = student_main.confine_self(config, confine)  # Landlock and seccomp, as a process's own
    except BaseException as exc:  # never run student code half set up
        try:
            os.write(2, f"[autograder] student process setup failed: {exc}\n".encode())
        finally:
            os._exit(CHILD_SETUP_FAILED)
    try:
        # set up and unprivileged: say so before any student code can write on the channel
        protocol.write_frame(1, protocol.pack({"op": "ready", "confined": applied}, []))
        student_main.serve_std_fds(config, protocol)
    finally:
        os._exit(0)


def _send(sock, message):
    try:
        sock.send(json.dumps(message).encode())
    except OSError:
        os._exit(0)  # the grader is gone


def _reap(sock, children):
    """Reap ended children (ours, and as PID 1 orphans of theirs), reporting ours.
    Returns False once there is no child left at all (ECHILD)."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if not pid:
            return True
        ident = children.pop(pid, None)
        if ident is not None:
            _send(sock, {"op": "exit", "id": ident, "status": status})


def _sweep(sock, children, wake_r):
    """SIGKILL every other process of this PID namespace and reap them all; True when
    none is left (ECHILD), False if some are still there after SWEEP_TIMEOUT_S. Between
    rounds it waits for a SIGCHLD (``wake_r``, the signal wake-up pipe), not a fixed time."""
    deadline = time.monotonic() + SWEEP_TIMEOUT_S
    while True:
        try:
            os.kill(-1, signal.SIGKILL)  # from PID 1: every process of the namespace but this one
        except ProcessLookupError:
            pass  # none alive (zombies may wait to be reaped)
        if not _reap(sock, children):
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        try:
            select.select([wake_r], [], [], min(remaining, 0.05))
        except InterruptedError:
            pass
        _drain(wake_r)


def _drain(fd):
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass


def main():
    protocol = _load("_autograder_protocol", "protocol.py")
    student_main = _load("student_main", "student_main.py")
    student_main._load_protocol = lambda: protocol
    confine = _load("_autograder_confine", "confine.py")
    import numpy  # noqa: F401 - the reason this process exists
    import numpy.random  # noqa: F401 - loaded by numpy on first use, which almost every notebook makes (15-40 ms)
    import gc

    gc.collect()
    gc.freeze()  # the children's collector leaves the shared objects (and their pages) alone

    sock = socket.socket(fileno=CONTROL_FD)
    wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w)
    children = {}  # pid -> request id
    _send(sock, {"op": "ready", "pid": os.getpid()})
    while True:
        try:
            ready, _, _ = select.select([sock, wake_r], [], [])
        except InterruptedError:
            ready = [wake_r]
        if wake_r in ready:
            _drain(wake_r)
        _reap(sock, children)  # our children, and (as PID 1) orphans of theirs
        if sock not in ready:
            continue
        try:
            data, fds, _, _ = socket.recv_fds(sock, 65536, 8)
        except InterruptedError:
            continue
        if not data:
            os._exit(0)  # the grader closed its end
        try:
            request = json.loads(data)
        except ValueError:
            request = {}
        op = request.get("op")
        if op == "bye":
            os._exit(0)
        if op == "sweep":
            for fd in fds:
                os.close(fd)
            _send(sock, {"op": "swept", "id": request.get("id"), "clean": _sweep(sock, children, wake_r)})
            continue
        if op != "spawn" or len(fds) != 3:
            for fd in fds:
                os.close(fd)
            _send(sock, {"op": "failed", "id": request.get("id"), "message": "malformed request"})
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(request, fds, student_main, protocol, confine)
        for fd in fds:
            os.close(fd)
        children[pid] = request.get("id")
        _send(sock, {"op": "started", "id": request.get("id"), "pid": pid})


if __name__ == "__main__":
    main()
