"""Gradescope: build the autograder zip (``build``), and what runs inside it
for every submission (``run``, reading ``metadata``).

Inside Gradescope's container (and under ``$AUTOGRADER_ROOT`` when trying a
zip locally) the layout is::

    $ROOT/source/                    the unzipped autograder (platform, course.yaml, hidden material)
    $ROOT/venv/                      made by setup.sh
    $ROOT/run_autograder             Gradescope's copy of source/run_autograder
    $ROOT/submission/                the student's files
    $ROOT/submission_metadata.json   who, when, due dates
    $ROOT/results/results.json       what we write, always
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_ROOT = "/autograder"
ROOT_ENV = "AUTOGRADER_ROOT"


def autograder_root() -> Path:
    """``$AUTOGRADER_ROOT`` if set, else Gradescope's ``/autograder``."""
    return Path(os.environ.get(ROOT_ENV) or DEFAULT_ROOT)
