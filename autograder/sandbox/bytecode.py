"""Compiled bytecode for the files the student process loads from this folder.

The student's Python runs isolated (``-I``: no ``PYTHONPYCACHEPREFIX``, no
``PYTHONDONTWRITEBYTECODE``) on a read-only view of this folder, so it reads
``__pycache__`` beside the sources but can never write it: without it, every
student process compiles the sandbox's modules again (about 10 ms of a cold
grade). The grader writes it once, best effort (a read-only install just
compiles, as before).
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LOADED_BY_THE_STUDENT_PROCESS = ("imports.py", "protocol.py", "confine.py", "student_main.py")
"""Loaded as modules (``student_main`` by the zygote); a script's own file is always compiled."""
_done = False


def cached_path(source: str) -> str:
    """Where an isolated Python looks for ``source``'s bytecode (never under a pycache prefix)."""
    stem = os.path.splitext(os.path.basename(source))[0]
    return os.path.join(os.path.dirname(source), "__pycache__", f"{stem}.{sys.implementation.cache_tag}.pyc")


def _fresh(source: str) -> bool:
    target = cached_path(source)
    try:
        return os.stat(target).st_mtime_ns >= os.stat(source).st_mtime_ns
    except OSError:
        return False


def ensure_sandbox_bytecode() -> None:
    """Write the bytecode of the student process's modules where it is missing or stale (once per process)."""
    global _done
    if _done:
        return
    _done = True
    stale = [name for name in LOADED_BY_THE_STUDENT_PROCESS if not _fresh(os.path.join(HERE, name))]
    if not stale:
        return
    import py_compile  # only when something must be written (it imports more than it is worth otherwise)

    for name in stale:
        source = os.path.join(HERE, name)
        target = cached_path(source)
        try:
            py_compile.compile(source, cfile=target, doraise=True,
                               invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
        except (OSError, py_compile.PyCompileError):
            return
