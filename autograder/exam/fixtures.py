"""The ``exam`` pytest fixture of exam suites (``reference/<exam>/conftest.py`` imports it).

What it gives a test, the variants and :func:`grading_variant` live in
:mod:`autograder.exam.checking` (importable without pytest); their names are offered here too.
"""

from __future__ import annotations

from typing import Any

import pytest

from autograder.exam.checking import (  # noqa: F401 - offered here, as they always were
    AUTHORING_KEY,
    AUTHORING_SID,
    ExamCheck,
    authoring_variant,
    exam_check,
    grading_variant,
)


@pytest.fixture
def exam(request: pytest.FixtureRequest, reference: Any, student: Any) -> ExamCheck:
    """The submitter's variant (or the authoring one); skips tests of other questions in a one-question regrade."""
    task = request.node.get_closest_marker("task")
    return exam_check(reference, student, str(task.args[0]) if task is not None and task.args else "")
