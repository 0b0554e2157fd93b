"""Sandbox slots: each concurrently running student process gets its own
dedicated uid (61000 + slot), so limits and clean-up that act on "every
process of this uid" never touch another submission's process, even across
separate grader processes on one machine."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import Iterator

SLOT_DIR = Path(os.environ.get("AUTOGRADER_SLOT_DIR", "/tmp/autograder-slots"))
MAX_SLOTS = 256


@contextlib.contextmanager
def claim_slot(preferred: int = 0) -> Iterator[int]:
    """Hold an exclusive lock on the first free slot at or after ``preferred``."""
    SLOT_DIR.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):
        os.chmod(SLOT_DIR, 0o1777)
    for offset in range(MAX_SLOTS):
        slot = (preferred + offset) % MAX_SLOTS
        handle = open(SLOT_DIR / f"slot-{slot}.lock", "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        try:
            yield slot
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
        return
    raise RuntimeError(f"all {MAX_SLOTS} sandbox slots are busy")
