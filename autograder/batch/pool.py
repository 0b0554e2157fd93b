"""The worker pool: ``jobs`` long-lived processes, each with its own sandbox slot,
grading submissions sent by the parent.

Each worker imports the grader, the hidden suite's reference and pytest once and
reuses them for every submission it grades. Workers are started with ``spawn``
so nothing of the parent (another course's ``reference`` package, sqlite
connections, threads) leaks into them.

Slots: each worker takes the first free slot number from ``FIRST_SLOT`` (an
exclusive ``flock`` on ``/tmp/autograder-slots/slot-N.lock``, released when the
worker dies), which names its scratch folder and the student uid it asks for
(61000+slot). Exclusive use of that uid is the sandbox's business, not the pool's:
``autograder.sandbox.process.claim_uid`` holds a per-uid lock in a root-only
folder and falls back to a spare uid when another grader has it, so two graders
never share a uid whatever their slot numbers.
"""

from __future__ import annotations

import fcntl
import multiprocessing.util
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Callable, Iterable

from autograder.assignment import Assignment
from autograder.results import GradingResult

FIRST_SLOT = int(os.environ.get("AUTOGRADER_FIRST_SLOT", "16"))
LAST_SLOT = 999
SLOT_DIR = Path(tempfile.gettempdir()) / "autograder-slots"


@dataclass
class Task:
    key: str
    notebook: bytes | None
    notebook_name: str
    tasks: frozenset[str] | None = None
    """Run only the hidden tests of these tasks (a regrade reusing the others' stored outcomes)."""


@dataclass
class Done:
    key: str
    result: GradingResult
    timings: dict[str, float]
    """Seconds: start (student process until ready), cells, tests, other, worker (total), slot."""


def claim_slot() -> tuple[int, Any]:
    """The first free slot from FIRST_SLOT, held by an open locked file."""
    SLOT_DIR.mkdir(mode=0o1777, parents=True, exist_ok=True)
    for slot in range(FIRST_SLOT, LAST_SLOT):
        handle = open(SLOT_DIR / f"slot-{slot}.lock", "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        return slot, handle
    raise RuntimeError(f"no free sandbox slot in {FIRST_SLOT}..{LAST_SLOT} ({SLOT_DIR})")


# ----------------------------------------------------------- worker side
_state: dict[str, Any] = {}
_timer: dict[str, float] = {}


def _install_timers() -> None:
    """Time the phases of ``grade_submission`` by wrapping, in this worker only,
    the session start (split into process start and cells) and the suite run.
    Process start ends when the student process has said it is ready: a zygote's
    child says so before ``_spawn`` returns; a process launched without waiting is
    sent a no-op cell, which returns once it has started and imported numpy."""
    from autograder import grading
    from autograder.sandbox import session
    from autograder.sandbox.zygote import ZygoteProcess

    needed = (hasattr(session.StudentSession, "start"), hasattr(session.StudentSession, "_spawn"),
              hasattr(session.StudentSession, "launch"), hasattr(grading, "run_suite"))
    if not all(needed):  # the grader changed shape: grade without the time split
        return
    original_start = session.StudentSession.start
    original_launch = session.StudentSession.launch
    original_spawn = session.StudentSession._spawn
    original_suite = grading.run_suite

    def spawn(self: Any, *args: Any, **kwargs: Any) -> None:
        began = time.perf_counter()
        original_spawn(self, *args, **kwargs)
        if not isinstance(self.process, ZygoteProcess):
            try:
                self.process.await_ready()  # a process launched without waiting (session.launch)
                self.process.request({"op": "run_cell", "source": "", "label": "start"}, [], 30.0)
            except Exception:  # noqa: BLE001 - the real first cell will see and report it
                pass
        _timer["start"] = _timer.get("start", 0.0) + time.perf_counter() - began

    def timed(original: Callable[..., None]) -> Callable[..., None]:
        def run(self: Any) -> None:  # launch and start: the session's part (start + cells)
            began = time.perf_counter()
            original(self)
            _timer["session"] = _timer.get("session", 0.0) + time.perf_counter() - began
        return run

    def run_suite(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return original_suite(*args, **kwargs)
        finally:
            _timer["tests"] = _timer.get("tests", 0.0) + time.perf_counter() - began

    session.StudentSession._spawn = spawn  # type: ignore[method-assign]
    session.StudentSession.start = timed(original_start)  # type: ignore[method-assign]
    session.StudentSession.launch = timed(original_launch)  # type: ignore[method-assign]
    grading.run_suite = run_suite


def _die_with_parent() -> None:
    """Linux: get SIGKILL when the batch process dies, so a killed batch leaves no workers."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _init_worker(assignment: Assignment, parent: int) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before we could ask to follow it
        os._exit(1)
    slot, handle = claim_slot()
    from autograder import grading, rules

    rules.reference_module_for(assignment.suite)  # import the reference once
    grading.source_notebook(assignment)
    _install_timers()
    os.environ.setdefault("AUTOGRADER_ZYGOTE", "1")  # fork student processes from a warmed zygote (namespaces level)
    prefix = f"autograder-batch-{slot}-"
    for stale in Path(tempfile.gettempdir()).glob(prefix + "*"):  # left by a killed worker; we hold the slot now
        shutil.rmtree(stale, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    # multiprocessing runs these finalizers when a worker ends (highest priority first): the zygote
    # (100), this folder (10), then the exit itself, without tearing down the interpreter (the grader,
    # pytest, numpy and the collected suite: a tenth of a second the batch would wait for)
    multiprocessing.util.Finalize(None, shutil.rmtree, args=(str(folder),), kwargs={"ignore_errors": True},
                                  exitpriority=10)
    multiprocessing.util.Finalize(None, _leave, exitpriority=-100)
    _state.update(assignment=assignment, slot=slot, lock=handle, folder=folder)
    _warm_up(assignment, slot)


def _leave() -> None:
    """The worker's last finalizer: flush and exit now (everything it holds is cleaned up)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    os._exit(0)


def _warm_up(assignment: Assignment, slot: int) -> None:
    """What the first submission would otherwise wait for: the zygote (started first; it
    imports numpy in its sandbox meanwhile), the hidden suite collected, the released stubs'
    fingerprints and the import rule's set of modules. Failures are left for the grading to
    meet and report as it always has."""
    from autograder import grading
    from autograder.sandbox import zygote
    from autograder.sandbox.process import detect_isolation

    launcher = None
    try:
        launcher = zygote.launcher_for(slot, detect_isolation())
        if launcher is not None:
            launcher.launch()
    except Exception:  # noqa: BLE001 - the first session starts it again and says why not
        launcher = None
    from autograder.sandbox.imports import importable

    for warm in (getattr(grading, "suite_runner", None), getattr(grading, "released_stubs", None),
                 lambda a: importable(a.support_files)):  # the import rule's set: ~0.1 s the first time
        try:
            if warm is not None:
                warm(assignment)
        except Exception:  # noqa: BLE001 - grading reports a suite that cannot be collected, and so on
            pass
    try:
        if launcher is not None:
            launcher.ensure_started()
    except Exception:  # noqa: BLE001
        pass


def _ready() -> int:
    """A no-op task: submitting one per worker starts every worker at once."""
    return os.getpid()


def worker_status(hold_s: float = 0.0) -> dict[str, Any]:
    """Run in a worker (``executor.submit(worker_status)``): what it holds ready, then stay
    busy ``hold_s`` seconds (so that the next one asked is another worker). For tests."""
    from autograder import grading
    from autograder.sandbox import zygote

    time.sleep(hold_s)
    launcher = zygote._launchers.get(_state.get("slot", -1))
    return {"pid": os.getpid(), "slot": _state.get("slot"), "folder": str(_state.get("folder")),
            "work_base": str(launcher.work_base) if launcher is not None else None,
            "zygote": launcher is not None and launcher.running and not launcher._awaiting,
            "zygote_starts": launcher.starts if launcher is not None else 0,
            "suite": _state["assignment"].suite in getattr(grading, "_runners", {})}


def _grade(task: Task) -> Done:
    from autograder.grading import grade_submission

    began = time.perf_counter()
    _timer.clear()
    assignment: Assignment = _state["assignment"]
    name = Path(task.notebook_name or f"{assignment.name}.ipynb").name
    path = _state["folder"] / name
    path.unlink(missing_ok=True)
    if task.notebook is not None:
        path.write_bytes(task.notebook)
    try:
        result = grade_submission(assignment, path, slot=_state["slot"], only_tasks=task.tasks)
    finally:
        path.unlink(missing_ok=True)
    total = time.perf_counter() - began
    start = _timer.get("start", 0.0)
    cells = max(0.0, _timer.get("session", 0.0) - start)
    tests = _timer.get("tests", 0.0)
    # restarts after a crash happen during tests; their spawn time is counted in start
    timings = {"start": start, "cells": cells, "tests": tests,
               "other": max(0.0, total - _timer.get("session", 0.0) - tests), "worker": total,
               "slot": float(_state["slot"])}
    return Done(task.key, result, timings)


# ----------------------------------------------------------- parent side
_prestarted: list[tuple[Assignment, int, ProcessPoolExecutor]] = []


def _executor(assignment: Assignment, workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=max(1, workers), mp_context=get_context("spawn"),
                               initializer=_init_worker, initargs=(assignment, os.getpid()))


def prestart(assignment: Assignment, workers: int) -> None:
    """Start ``workers`` workers now, so that they import the grader, collect the hidden suite
    and start their zygotes while this process gets ready; the next ``grade_all`` of
    ``assignment`` that wants as many workers takes them over. ``discard_prestarted`` ends
    unused ones."""
    discard_prestarted()
    executor = _executor(assignment, workers)
    for _ in range(workers):  # each submit starts one more worker, up to ``workers``
        executor.submit(_ready)
    _prestarted.append((assignment, workers, executor))


def discard_prestarted() -> None:
    """End workers that ``prestart`` started and no ``grade_all`` took over."""
    while _prestarted:
        _, _, executor = _prestarted.pop()
        executor.shutdown(wait=False, cancel_futures=True)


def _take_prestarted(assignment: Assignment, workers: int) -> ProcessPoolExecutor | None:
    if _prestarted and _prestarted[0][0] is assignment and _prestarted[0][1] == workers:
        return _prestarted.pop()[2]
    discard_prestarted()
    return None


def grade_all(assignment: Assignment, tasks: Iterable[Task], jobs: int,
              on_done: Callable[[Done], None], on_failure: Callable[[Task, str], None]) -> None:
    """Grade ``tasks`` on ``jobs`` workers; ``on_done`` runs in this process as
    each finishes (in completion order). A worker that dies (out of memory, killed)
    is replaced and its submission retried once; a second death is reported through
    ``on_failure``."""
    interrupted = threading.Event()
    previous = None

    def on_sigint(signum: int, frame: Any) -> None:
        if interrupted.is_set():  # the second Ctrl-C: quit now
            raise KeyboardInterrupt
        interrupted.set()

    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        _grade_all(assignment, list(tasks), jobs, on_done, on_failure, interrupted)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if interrupted.is_set():
        raise KeyboardInterrupt


def _grade_all(assignment: Assignment, pending: list[Task], jobs: int, on_done: Callable[[Done], None],
               on_failure: Callable[[Task, str], None], interrupted: threading.Event) -> None:
    attempts: dict[str, int] = {}
    while pending and not interrupted.is_set():
        queue = list(pending)
        pending = []
        workers = max(1, min(jobs, len(queue)))
        executor = _take_prestarted(assignment, workers) or _executor(assignment, workers)
        futures: dict[Future[Done], Task] = {}
        broken = False
        try:
            # keep a bounded number in flight so a broken pool loses little
            it = iter(queue)
            def top_up() -> None:
                while len(futures) < 2 * jobs + 2:
                    task = next(it, None)
                    if task is None:
                        return
                    futures[executor.submit(_grade, task)] = task
            top_up()
            stopping = False
            while futures:
                finished, _ = wait(futures, timeout=0.25, return_when=FIRST_COMPLETED)
                if interrupted.is_set() and not stopping:
                    stopping = True
                    for future in list(futures):
                        if future.cancel():
                            del futures[future]
                    print(f"\nstopping: finishing the {len(futures)} submission(s) in progress "
                          "(Ctrl-C again to quit now; run the same command later to resume)", file=sys.stderr)
                for future in finished:
                    task = futures.pop(future)
                    try:
                        done = future.result()
                    except BrokenProcessPool:
                        broken = True
                        attempts[task.key] = attempts.get(task.key, 0) + 1
                        if attempts[task.key] >= 2:
                            on_failure(task, "the grading worker died twice on this submission")
                        else:
                            pending.append(task)
                        continue
                    except Exception as exc:  # noqa: BLE001 - a grader bug on one submission
                        on_failure(task, f"the grader failed: {type(exc).__name__}: {exc}")
                        continue
                    on_done(done)
                if broken:
                    pending += list(futures.values()) + list(it)
                    futures.clear()
                    break
                if not stopping:
                    top_up()
        except KeyboardInterrupt:  # the second Ctrl-C: stop the workers now
            for process in list((getattr(executor, "_processes", None) or {}).values()):
                process.kill()
            executor.shutdown(wait=False, cancel_futures=True)
            raise
        executor.shutdown(wait=not broken, cancel_futures=True)
