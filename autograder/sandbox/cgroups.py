"""Whole-tree limits: a control group per sandbox uid.

rlimits bound each process (address space, CPU); a fork storm of 64
processes could still use 64 times the memory and take the machine, and
the grader, down. When the grader is root and the kernel's memory and pids
controllers are writable (cgroup v1 or v2), every process the student
starts shares one group capped at the submission's memory and process
limits, so the kernel's out-of-memory killer picks a student process, never
the grader. Best effort: elsewhere (a container with a read-only
/sys/fs/cgroup) the per-process rlimits remain.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
ENTER = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 111; shift; done; shift; exec "$@"'


@dataclass
class TreeLimits:
    """The group(s) one sandbox uid's processes live in."""

    folders: list[Path]
    """One folder per controller (v1: memory, pids) or one (v2)."""
    version: int
    baseline: int = 0
    """oom_kill count when this submission's process started."""

    def wrap(self, command: list[str]) -> list[str]:
        """``command`` started inside the group (a shell joins it, then execs)."""
        procs = [str(folder / "cgroup.procs") for folder in self.folders]
        return ["/bin/sh", "-c", ENTER, "sh", *procs, "--", *command]

    def pids(self) -> list[int]:
        found: set[int] = set()
        for folder in self.folders:
            try:
                found.update(int(p) for p in (folder / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                continue
        return sorted(found)

    def kill_all(self) -> None:
        """SIGKILL every process in the group, until none is left."""
        for _ in range(50):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

    def oom_kills(self) -> int:
        """How many processes the kernel has killed in the group for memory, ever."""
        total = 0
        for folder in self.folders:
            for name in ("memory.oom_control", "memory.events"):
                try:
                    text = (folder / name).read_text()
                except OSError:
                    continue
                counts = dict(line.split(None, 1) for line in text.splitlines() if " " in line)
                total += int(counts.get("oom_kill", "0").strip() or 0)
        return total

    def out_of_memory(self) -> bool:
        """Has the kernel killed a process of the group for memory since ``reset``?"""
        return self.oom_kills() > self.baseline

    def reset(self) -> None:
        """Start counting out-of-memory kills from now (the counters never go back to 0)."""
        self.baseline = self.oom_kills()


def _own_path(controller: str) -> str | None:
    """This process's group in a controller's hierarchy ('' for v2's unified line)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, names, path = line.split(":", 2)
        if controller in names.split(","):
            return path
    return None


def _write(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
        return True
    except OSError:
        return False


def _v1(uid: int, memory_bytes: int, max_pids: int) -> TreeLimits | None:
    folders = []
    for controller in ("memory", "pids"):
        own = _own_path(controller)
        base = CGROUP_ROOT / controller
        if own is None or not (base / "cgroup.procs").exists():
            return None
        folder = base / own.lstrip("/") / f"autograder-uid-{uid}"
        try:
            folder.mkdir(exist_ok=True)
        except OSError:
            return None
        folders.append(folder)
    memory, pids = folders
    # memory <= memory+swap must hold at every step: raise the pair's upper bound first, lower it last
    _write(memory / "memory.memsw.limit_in_bytes", str(memory_bytes))
    if not _write(memory / "memory.limit_in_bytes", str(memory_bytes)):
        return None
    _write(memory / "memory.memsw.limit_in_bytes", str(memory_bytes))  # swap too, where accounted
    if not _write(pids / "pids.max", str(max_pids)):
        return None
    limits = TreeLimits(folders, 1)
    limits.reset()
    return limits


def _v2(uid: int, memory_bytes: int, max_pids: int) -> TreeLimits | None:
    own = _own_path("")
    if own is None or not (CGROUP_ROOT / "cgroup.controllers").exists():
        return None
    parent = CGROUP_ROOT / own.lstrip("/")
    _write(parent / "cgroup.subtree_control", "+memory +pids")
    folder = parent / f"autograder-uid-{uid}"
    try:
        folder.mkdir(exist_ok=True)
    except OSError:
        return None
    if not (_write(folder / "memory.max", str(memory_bytes)) and _write(folder / "pids.max", str(max_pids))):
        return None
    _write(folder / "memory.swap.max", "0")
    limits = TreeLimits([folder], 2)
    limits.reset()
    return limits


def tree_limits(uid: int, memory_mb: int, max_pids: int) -> TreeLimits | None:
    """A group for ``uid`` capped at ``memory_mb`` and ``max_pids``, or None where not allowed."""
    if os.geteuid() != 0 or os.environ.get("AUTOGRADER_CGROUPS") == "0":
        return None
    memory_bytes = int(memory_mb) * 1024 * 1024
    try:
        return _v1(uid, memory_bytes, max_pids) or _v2(uid, memory_bytes, max_pids)
    except (OSError, ValueError):
        return None
