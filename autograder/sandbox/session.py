"""A student session: the notebook's cells run in a sandboxed process that
then answers the hidden tests' calls through proxies.

If a cell or call kills the process (``os._exit``, a segfault, a hard
timeout), the session starts a fresh process and replays the cells that
behaved, so one bad cell or one runaway function costs only its own points.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from autograder import phases
from autograder.errors import (StudentCrash, StudentError, StudentMissing, StudentNotImplemented, StudentTimeout,
                               UnusableValue)
from autograder.results import CellReport
from autograder.sandbox import protocol, zygote
from autograder.sandbox.process import Isolation, Limits, StudentProcess, detect_isolation
from autograder.stubs import raised_by_stub
from autograder.sandbox.zygote import ZygoteLauncher

MAX_RESTARTS = 6
MAX_FUNCTIONS = 2000
"""The most functions and classes the grader takes from the student process's list."""
PRESEND_BYTES = 60 * 1024
"""``launch`` sends the cells at once if the request fits in a pipe's buffer (64 KiB), so
that the write never waits for the process, which is still starting."""
MAX_METHODS = 200
"""Most method names the student process may report for one object (``RemoteMethod``)."""


@dataclass
class CellToRun:
    """One code cell, already restored and transformed to plain Python."""

    source: str
    label: str
    """How the student finds it, e.g. ``cell 7 (fit_least_squares)``."""


@dataclass
class CallRecord:
    """What the sandbox observed about the last call."""

    name: str = ""
    mutated: tuple[str, ...] = ()
    """Arguments the call changed in place."""


def describe_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """``X (5, 3), y (5,), k=3``: shapes and small scalars, never array contents."""
    import sys

    numpy = sys.modules.get("numpy")  # not imported (validate): then no argument is an array

    def one(value: Any) -> str:
        if numpy is not None and isinstance(value, numpy.ndarray):
            return f"array {value.shape}"
        if isinstance(value, (int, float, bool)) or value is None:
            return repr(value)
        if isinstance(value, RemoteObject):
            return f"<{value._type}>"
        if isinstance(value, RemoteName):
            return value._name
        if isinstance(value, str):
            return repr(value[:20])
        if isinstance(value, (list, tuple)) and len(repr(value)) <= 40 and all(
                isinstance(v, (int, float, bool)) or v is None for v in value):
            return repr(value)
        return type(value).__name__
    parts = [one(a) for a in args] + [f"{k}={one(v)}" for k, v in kwargs.items()]
    return ", ".join(parts)


class StudentSession:
    """Runs ``cells`` in a student process and serves calls into it."""

    def __init__(self, cells: list[CellToRun], limits: Limits, *, slot: int = 0,
                 strip_paths: tuple[str, ...] = (), isolation: Isolation | None = None,
                 support_files: tuple[Path, ...] = (), launcher: "ZygoteLauncher | None" = None,
                 stubs: frozenset[str] | None = None, imports: tuple[str, ...] | None = None):
        self.cells = cells
        self.stubs = stubs
        """Fingerprints of the released stubs (``autograder.stubs``): a NotImplementedError is
        "not implemented yet" only from one of them. None: from any function."""
        self.limits = limits
        self.slot = slot
        self.strip_paths = strip_paths
        self.isolation = isolation or detect_isolation()
        self.support_files = support_files
        self.imports = imports
        """Top-level modules besides the standard library that student code may import
        (``sandbox/imports.py``: the grader's packages and the support files); None: no rule."""
        # a zygote to fork student processes from: given, or the slot's shared one
        # when the zygote is enabled (zygote.enable_zygote, AUTOGRADER_ZYGOTE=1)
        self.launcher = launcher if launcher is not None else zygote.launcher_for(slot, self.isolation)
        self.cell_reports: list[CellReport] = []
        self.bad_cells: set[int] = set()
        self.generation = 0
        self.restarts = 0
        self.deadline = time.monotonic() + limits.submission_timeout_s
        self.task_deadline: float | None = None
        """When the function under test runs out of its time budget (set per test by the grader)."""
        self.task = ""
        self.task_budget_s = 0.0
        self.process: StudentProcess | None = None
        self.functions: dict[str, str] = {}
        """{name: type name} of the plain functions and classes the student process last said
        its namespace holds (reset with each new process): ``student.f(x)`` then calls ``f``
        by name in one round trip instead of fetching it first (``RemoteGlobal``)."""
        self.last_call = CallRecord()
        self.outputs: list[str] = []
        self.notes: list[str] = []
        self._cells_sent_at: float | None = None
        """When ``launch`` asked for every cell (None: it did not)."""
        self._workdir: Path | None = None

    # ------------------------------------------------------------ lifecycle
    def prelaunch(self) -> None:
        """Start the student process without waiting for it and without cells (``cells`` may
        still be set): it sets up its sandbox and imports numpy while the grader does the rest."""
        if self.process is None and self.launcher is None:
            self._spawn(wait=False)

    def launch(self) -> None:
        """Start the student process without waiting for it (if ``prelaunch`` did not), so that
        it confines itself, imports numpy and runs the notebook's cells while the grader loads
        the hidden suite; ``start`` waits for it and collects what each cell did."""
        if self.process is None:
            self._spawn(wait=False)
        if self.generation == 1 and self._cells_sent_at is None:
            self._cells_sent_at = self._send_cells(0, at_most=PRESEND_BYTES)

    def start(self) -> None:
        """Start the process (or wait for the launched one) and run every cell once,
        recording what happened."""
        if self.process is None:
            self._spawn()
        else:
            self.process.await_ready()
        phases.mark("sandbox start")
        index, sent_at = 0, self._cells_sent_at
        while index < len(self.cells):
            index = self._run_cells_from(index, sent_at if index == 0 else None)
        phases.mark("student's cells")

    def _spawn(self, wait: bool = True) -> None:
        """A new student process; ``wait=False`` (plain processes only) returns once it is launched."""
        if self.process is not None:
            self.outputs.append(self.process.output())
            self.process.kill()
        self.functions = {}
        # A fresh directory every time: the old one was writable by the student
        # (who may have left symlinks to grader files in it), so nothing is ever
        # copied into it; shutil.rmtree does not follow symlinks.
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
        launcher = self.launcher if self.launcher is not None and self.launcher.active is None else None
        if launcher is not None:
            self._workdir = launcher.new_workdir()
        else:
            self._workdir = Path(tempfile.mkdtemp(prefix="autograder-student-"))
        for path in self.support_files:
            shutil.copy2(path, self._workdir / path.name)
        if launcher is not None:
            self.process = launcher.process(self.limits, self._workdir, strip_paths=self.strip_paths,
                                            imports=self.imports)
        else:
            self.process = StudentProcess(self.limits, self._workdir, slot=self.slot, strip_paths=self.strip_paths,
                                          isolation=self.isolation, imports=self.imports)
        if wait or launcher is not None:
            self.process.start()
        else:
            self.process.launch()
        self.generation += 1

    def _restart_and_replay(self) -> None:
        if self.restarts >= MAX_RESTARTS:
            raise StudentCrash("Your code crashed the student process too many times; the remaining tests were not run.")
        self.restarts += 1
        self._spawn()
        for index, cell in enumerate(self.cells):
            if index not in self.bad_cells:
                self._run_cell(index, cell, report=False)

    def _remaining(self, limit: float) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise StudentTimeout(
                f"The submission used up its total time limit of {self.limits.submission_timeout_s:g} s; "
                "later tests were not run."
            )
        return min(limit, remaining)

    def _run_cell(self, index: int, cell: CellToRun, *, report: bool) -> CellReport:
        """Run one cell (a replay after a crash, ``report`` False, or a cell after a bad one)."""
        assert self.process is not None
        try:
            timeout = self._remaining(self.limits.cell_timeout_s)
        except StudentTimeout as exc:
            return CellReport(index, cell.label, "timeout", exc.feedback)
        if not self.process.alive:
            self._spawn()
        try:
            header, _ = self.process.request({"op": "run_cell", "source": cell.source, "label": cell.label},
                                             [], timeout)
        except protocol.ProtocolError as exc:
            return self._cell_lost(index, cell, exc, timeout, report)
        self._note_functions(header)
        return self._cell_report(index, cell, header, timeout)

    def _send_cells(self, start: int, at_most: int | None = None) -> float | None:
        """Ask for ``cells[start:]`` in one request (``run_cells``): the student process runs
        them in order and answers each as it ends, so the cells cost no round trip each.
        When the request was sent (None: the process is gone, the time is used up, or the
        request is larger than ``at_most`` bytes)."""
        assert self.process is not None
        budget = self.deadline - time.monotonic()
        if budget <= 0:
            return None
        cells = [{"source": c.source, "label": c.label} for c in self.cells[start:]]
        try:
            sent = self.process.send({"op": "run_cells", "cells": cells, "budget": budget}, [],
                                     self.limits.cell_timeout_s, at_most=at_most)
        except protocol.ProtocolError:
            return None
        return time.monotonic() if sent else None

    def _run_cells_from(self, start: int, sent_at: float | None = None) -> int:
        """Run ``cells[start:]`` (already asked for at ``sent_at``, else now) and record a report
        for each; after a cell that killed the process, restart and replay the ones before
        it. Returns where to go on from (``len(self.cells)`` when every cell has a report)."""
        assert self.process is not None
        if sent_at is None:
            if not self.process.alive:
                self._spawn()
            sent_at = self._send_cells(start)
            if sent_at is None:  # used up, or gone: the one-cell path says which, in its words
                self.cell_reports.append(self._run_cell(start, self.cells[start], report=True))
                return start + 1
        # each cell's hard deadline counts from when the one before answered, or from now for
        # the first (which may have waited for a starting process): late, never early
        last = time.monotonic()
        for index in range(start, len(self.cells)):
            cell = self.cells[index]
            timeout = max(0.0, min(self.limits.cell_timeout_s, self.deadline - last))
            try:
                header, _ = self.process.receive(last + timeout + Limits.GRACE_S)
            except protocol.ProtocolError as exc:
                self.cell_reports.append(self._cell_lost(index, cell, exc, timeout, report=True))
                return index + 1
            self._note_functions(header)
            used = header.get("timeout")
            self.cell_reports.append(self._cell_report(
                index, cell, header, float(used) if type(used) in (int, float) and 0 <= used <= timeout else timeout))
            last = time.monotonic()  # the next cell started by now (earlier if this answer waited unread)
        return len(self.cells)

    def _cell_lost(self, index: int, cell: CellToRun, exc: protocol.ProtocolError, timeout: float,
                   report: bool) -> CellReport:
        """The report of a cell after which the process is gone (killed at the hard deadline,
        ended, or wrote something that is not an answer); with ``report``, restart and replay."""
        assert self.process is not None
        self.bad_cells.add(index)
        if isinstance(exc, protocol.ChannelTimeout):
            self.process.kill()
            result = CellReport(index, cell.label, "timeout",
                                f"{cell.label} was still running after {timeout:g} s and was stopped "
                                "(it ignored the polite interruption, so the process was killed and restarted "
                                "without this cell).")
        elif isinstance(exc, protocol.ChannelClosed):
            self.process.kill()
            description = self.process.exit_description()
            result = CellReport(index, cell.label, "crashed",
                                f"{cell.label} ended the student process ({description}); "
                                "the other cells were run again without it.")
        else:
            self.process.kill()
            result = CellReport(index, cell.label, "crashed",
                                f"{cell.label} wrote something that is not a valid answer on the grading channel "
                                f"({exc}); the process was stopped and the other cells were run again without it.")
        if report:
            self._spawn_after_bad_cell(index)
        return result

    def _cell_report(self, index: int, cell: CellToRun, header: dict[str, Any], timeout: float) -> CellReport:
        """What the student process said of one cell, in the words the student reads."""
        if header.get("ok"):
            return CellReport(index, cell.label, "ok")
        kind = str(header.get("kind", "error"))
        message = str(header.get("message", ""))[:3000]
        if kind == "budget":
            return CellReport(index, cell.label, "timeout",
                              f"The submission used up its total time limit of {self.limits.submission_timeout_s:g} s; "
                              "later tests were not run.")
        status = {"timeout": "timeout", "exit": "exit"}.get(kind, "error")
        if status == "timeout":
            message = (f"{cell.label} was still running after {timeout:g} s and was interrupted; "
                       "the next cell ran.")
        elif status == "exit":
            message = f"{cell.label} {message}; the rest of that cell was skipped and the next cell ran."
        else:
            message = f"{cell.label} raised an error; the next cell ran.\n{message}"
        return CellReport(index, cell.label, status, message)

    def _spawn_after_bad_cell(self, bad_index: int) -> None:
        """After a cell killed the process: restart and replay the cells before it."""
        self.restarts += 1
        self._spawn()
        for index in range(bad_index):
            if index not in self.bad_cells:
                self._run_cell(index, self.cells[index], report=False)

    def close(self) -> None:
        if self.process is not None:
            self.process.close()
            self.outputs.append(self.process.output())
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)

    def output(self) -> str:
        return "\n".join(o for o in self.outputs if o)

    # ------------------------------------------------------------ calls
    def _note_functions(self, reply: dict[str, Any]) -> None:
        """Take the student process's list of its plain functions and classes, if the reply
        has one. Untrusted: anything malformed empties the table (every name is then fetched)."""
        if "functions" not in reply:
            return
        table = reply["functions"]
        if (type(table) is dict and len(table) <= MAX_FUNCTIONS
                and all(type(k) is str and type(v) is str and len(k) <= 200 for k, v in table.items())):
            self.functions = {k: v[:80] for k, v in table.items()}
        else:
            self.functions = {}

    def lazy_ready(self) -> bool:
        """Whether a proxy can be made without asking the process (it runs and is not known dead):
        otherwise the eager request restarts it first, as it always did."""
        return self.process is not None and self.process.alive

    def _encode_outgoing(self, value: Any, encoder: protocol.Encoder) -> Any:
        if isinstance(value, _LazyRemote):  # passed as an argument: fetch it first, as before
            value = value._materialize()
            if not isinstance(value, RemoteObject):
                return encoder.encode(value)
        if isinstance(value, RemoteObject):
            if value._generation != self.generation:
                raise StudentCrash("An object from before your process was restarted cannot be used any more.")
            return {"t": "ref", "id": value._id}
        if isinstance(value, RemoteName):
            return {"t": "global", "name": value._name}
        raise protocol.ProtocolError(f"cannot send a {type(value).__name__} to the student process")

    def _decode_ref(self, node: dict[str, Any]) -> Any:
        remote = RemoteObject(self, int(node["id"]), str(node.get("type", "object"))[:80],
                              bool(node.get("callable")), self.generation)
        methods = node.get("methods")
        if (type(methods) is list and len(methods) <= MAX_METHODS
                and all(type(m) is str and m.isidentifier() and len(m) <= 100 for m in methods)):
            remote._methods = frozenset(methods)  # untrusted: it only decides when a method is resolved
        return remote

    def request(self, header: dict[str, Any], *, what: str, args: tuple[Any, ...] = (),
                kwargs: dict[str, Any] | None = None,
                on_reply: Callable[[dict[str, Any]], None] | None = None) -> Any:
        """Send a call-like request; return the decoded value or raise a StudentError.
        ``on_reply`` sees the reply's header first (whatever it says)."""
        kwargs = kwargs or {}
        if self.process is None:
            self.start()
        assert self.process is not None
        if not self.process.alive:
            self._restart_and_replay()
        encoder = protocol.Encoder(lambda value: self._encode_outgoing(value, encoder))
        body = dict(header, args=encoder.encode(tuple(args)), kwargs=encoder.encode(dict(kwargs)))
        timeout = self._remaining(self.limits.call_timeout_s)
        if self.task_deadline is not None:
            timeout = max(0.05, min(timeout, self.task_deadline - time.monotonic()))
        try:
            reply, buffers = self.process.request(body, encoder.buffers, timeout)
        except protocol.ChannelTimeout:
            raise StudentTimeout(f"{what} did not finish within {timeout:g} s and was stopped"
                                 f"{self._budget_note(timeout)}.") from None
        except protocol.ChannelClosed:
            description = self.process.exit_description() if self.process else "ended"
            self.process.kill()
            tail = self.process.output()[-800:].strip()
            raise StudentCrash(f"{what} ended the student process ({description})."
                               + (f"\nLast output:\n{tail}" if tail else "")) from None
        except protocol.ProtocolError as exc:
            self.process.kill()
            raise UnusableValue(f"{what}: the answer could not be read ({exc}); "
                                "the student process was stopped.") from None
        self._note_functions(reply)
        if on_reply is not None:
            on_reply(reply)
        return self._interpret(reply, buffers, what, timeout)

    def _interpret(self, reply: dict[str, Any], buffers: list[bytes], what: str, timeout: float) -> Any:
        if reply.get("ok") is True:
            mutated = reply.get("mutated", [])
            self.last_call = CallRecord(what, tuple(str(m)[:40] for m in mutated if isinstance(m, str)))
            if "value" not in reply:
                return None
            try:
                return protocol.Decoder(buffers, self._decode_ref).decode(reply["value"])
            except (protocol.ProtocolError, RecursionError, ValueError, TypeError, MemoryError) as exc:
                # our own encoder never produces this: the channel was forged, so the
                # process cannot be trusted to be in step any more
                if self.process is not None:
                    self.process.kill()
                raise UnusableValue(f"{what} returned something that cannot be graded: {exc}") from None
        kind = str(reply.get("kind", "error"))
        message = str(reply.get("message", ""))[:3000]
        if kind == "missing":
            raise StudentMissing(f"{what}: {message} in your notebook. Check the name and that its cell runs without errors.")
        if kind == "timeout":
            raise StudentTimeout(f"{what} did not finish within {timeout:g} s and was interrupted"
                                 f"{self._budget_note(timeout)} "
                                 "(an endless loop, or much slower than a vectorized solution?).")
        if kind == "error" and reply.get("exception") == "NotImplementedError" and (
                self.stubs is None or raised_by_stub(message, {c.label: c.source for c in self.cells}, self.stubs)):
            raise StudentNotImplemented(
                f"{what} is not implemented yet: it (or a function it calls) still raises NotImplementedError. "
                f"Replace the `raise NotImplementedError()` line with your code.\n{message}")
        if kind == "memory":
            raise StudentCrash(f"{what} ran out of memory (limit {self.limits.memory_mb} MB).")
        if kind == "exit":
            raise StudentError(f"{what} {message} instead of returning.")
        if kind == "unusable":
            raise UnusableValue(f"{what}: {message}")
        raise StudentError(f"{what} raised an error:\n{message}")

    def _budget_note(self, timeout: float) -> str:
        """Why the limit was ``timeout``: say so when it was the function's time budget."""
        if self.task_deadline is None or timeout >= self.limits.call_timeout_s - 0.01:
            return ""
        return (f" when `{self.task}` reached its time budget of {self.task_budget_s:g} s "
                "for all its tests")

    def get(self, name: str) -> Any:
        return self.request({"op": "get", "name": name}, what=f"`{name}`")

    def define(self, source: str) -> Any:
        return self.request({"op": "define", "source": source}, what="a helper the test defined")


HELPER_NAME = "<test helper>"
"""The name of a callable a test made with ``student.define``: never shown; a call to it is
described by the student's code it runs (see ``RemoteObject.__call__``)."""


_HELPER_FRAME = re.compile(r'  File "<string>", line \d+, in <lambda>\n')


class RemoteName:
    """A name in the student's namespace, sent as a reference (not fetched)."""

    def __init__(self, name: str):
        self._name = name


class RemoteObject:
    """An object that lives in the student process (an instance, a function)."""

    def __init__(self, session: StudentSession, ref: int, type_name: str, is_callable: bool, generation: int):
        self._session, self._id, self._type = session, ref, type_name
        self._callable, self._generation = is_callable, generation
        self._name = type_name
        self._methods: frozenset[str] = frozenset()
        """The plain methods its class defines, as the student process said (``RemoteMethod``)."""

    def _check(self) -> None:
        if self._generation != self._session.generation:
            raise StudentCrash(f"This `{self._type}` object was lost when your process was restarted after a crash.")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._check()
        what = f"`{self._name}({describe_args(args, kwargs)})`"
        if self._name == HELPER_NAME:  # a test's helper: name the student's code it runs, not the helper
            names = [a._name for a in args if isinstance(a, RemoteName)]
            objects = [a for a in args if isinstance(a, RemoteObject)]
            rest = tuple(a for a in args if not isinstance(a, RemoteName))
            if names:
                what = f"`{names[0]}({describe_args(rest, kwargs)})`"
            elif objects:
                what = f"a step of the test on your `{objects[0]._type}` object"
            else:
                what = "a step of the test in your notebook's process"
            try:
                return self._send_call(what, args, kwargs)
            except StudentError as exc:  # the helper's own frame is the test's, not the student's
                exc.feedback = _HELPER_FRAME.sub("", exc.feedback)
                exc.args = (exc.feedback,)
                raise
        return self._send_call(what, args, kwargs)

    def _send_call(self, what: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return self._session.request({"op": "call", "target": {"ref": self._id}}, what=what,
                                     args=args, kwargs=kwargs)

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        self._check()
        if attribute in self._methods and self._session.lazy_ready():
            return RemoteMethod(self, attribute)
        return self._fetch_attribute(attribute)

    def _fetch_attribute(self, attribute: str) -> Any:
        value = self._session.request({"op": "call", "target": {"ref": self._id}, "attribute": attribute},
                                      what=f"`{self._type}.{attribute}`")
        if isinstance(value, RemoteObject):
            value._name = f"{self._type}.{attribute}"
        return value

    def __repr__(self) -> str:
        return f"<student {self._type} object>"


_UNBOUND = object()


class _LazyRemote(RemoteObject):
    """A callable in the student process not fetched yet: its first call names it (a global,
    or an expression the test defined) and the student process resolves it then, in the
    same round trip, and keeps it; later uses go to what that call resolved. Any other
    first use (an attribute, passing it as an argument) fetches it as before and behaves
    exactly like what was fetched."""

    def __init__(self, session: StudentSession, target: dict[str, Any], type_name: str):
        super().__init__(session, 0, type_name, True, session.generation)
        self._id = None  # type: ignore[assignment]
        self._target = target
        self._bound: Any = _UNBOUND
        self._missing = False
        """The first call's target was not there (not the same as something it was given)."""

    def _fetch(self) -> Any:
        raise NotImplementedError

    def _materialize(self) -> Any:
        """What the name or expression stands for: a RemoteObject, or plain data if the student
        rebound the name to data since the process last reported its functions."""
        self._check()
        if self._bound is _UNBOUND:
            value = self._fetch()
            if isinstance(value, RemoteObject):
                value._name = self._name
            self._bound = value
        return self._bound

    def _send_call(self, what: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self._bound is not _UNBOUND:
            bound = self._bound
            if isinstance(bound, RemoteObject):
                return bound._send_call(what, args, kwargs)
            return bound(*args, **kwargs)  # plain data: fails as it did when fetched (not callable)

        def bind(reply: dict[str, Any]) -> None:
            ref = reply.get("ref")
            self._missing = reply.get("ok") is not True and reply.get("kind") == "missing"
            if type(ref) is int and self._bound is _UNBOUND:
                # (a process restarted by this very request: the proxy now belongs to the new one)
                self._generation = self._session.generation
                bound = RemoteObject(self._session, ref, self._type, True, self._generation)
                bound._name = self._name
                self._bound = bound

        return self._session.request({"op": "call", "target": dict(self._target, keep=True)}, what=what,
                                     args=args, kwargs=kwargs, on_reply=bind)

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        return getattr(self._materialize(), attribute)


class RemoteGlobal(_LazyRemote):
    """``student.f`` for a plain function or class ``f`` the student process reported:
    ``student.f(x)`` is one round trip (a call of ``f`` by name) instead of two (fetch, call).
    The same words as a fetch when ``f`` is gone by then."""

    def __init__(self, session: StudentSession, name: str, type_name: str):
        super().__init__(session, {"name": name}, type_name)
        self._name = name

    def _fetch(self) -> Any:
        return self._session.get(self._name)

    def _send_call(self, what: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            return super()._send_call(what, args, kwargs)
        except StudentMissing:
            if not self._missing:
                raise
            # the words of a fetch of a name that is not there (``StudentSession.get``)
            raise StudentMissing(f"`{self._name}`: `{self._name}` is not defined in your notebook. "
                                 "Check the name and that its cell runs without errors.") from None


class RemoteDefinition(_LazyRemote):
    """``student.define(source)``: evaluated in the student process at its first call
    (one round trip for ``student.define(src)(args)``), or fetched when first used otherwise."""

    def __init__(self, session: StudentSession, source: str):
        super().__init__(session, {"define": source}, "function")
        self._name = HELPER_NAME
        self._source = source

    def _fetch(self) -> Any:
        return self._session.define(self._source)


class RemoteMethod(_LazyRemote):
    """``obj.method`` for a plain method the student process said ``obj``'s class defines:
    ``obj.method(x)`` is one round trip (the object's method, called by name, resolved
    at each call as ``obj.method(x)`` is) instead of two (fetch the bound method, call it).
    Any other first use fetches the bound method, as before."""

    def __init__(self, owner: RemoteObject, method: str):
        super().__init__(owner._session, {"ref": owner._id}, "method")
        self._owner, self._method = owner, method
        self._generation = owner._generation
        self._name = f"{owner._type}.{method}"

    def _fetch(self) -> Any:
        return self._owner._fetch_attribute(self._method)

    def _send_call(self, what: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self._bound is not _UNBOUND:
            return super()._send_call(what, args, kwargs)
        return self._session.request({"op": "call", "target": {"ref": self._owner._id}, "method": self._method},
                                     what=what, args=args, kwargs=kwargs)


class SandboxNamespace:
    """The ``student`` fixture: attribute access reaches into the student process."""

    def __init__(self, session: StudentSession):
        self._session = session

    @property
    def last_call(self) -> CallRecord:
        return self._session.last_call

    def _set_deadline(self, deadline: float | None, task: str, budget_s: float) -> None:
        """Calls made from now on stop at ``deadline`` (the time budget of ``task``); None: no budget."""
        self._session.task_deadline, self._session.task, self._session.task_budget_s = deadline, task, budget_s

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        session = self._session
        type_name = session.functions.get(name)
        if type_name is not None and session.lazy_ready():
            return RemoteGlobal(session, name, type_name)
        value = session.get(name)
        if isinstance(value, RemoteObject):
            value._name = name
        return value

    def define(self, source: str) -> Any:
        """A callable made inside the student process from instructor-written ``source``."""
        if self._session.lazy_ready():
            return RemoteDefinition(self._session, source)
        value = self._session.define(source)
        if isinstance(value, RemoteObject):
            value._name = HELPER_NAME
        return value

    def ref(self, name: str) -> RemoteName:
        """Pass the student's own global ``name`` as an argument without fetching it."""
        return RemoteName(name)
