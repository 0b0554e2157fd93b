"""The resource limits of one grading: declared once, here.

``Limits`` is both what the sandbox enforces and course.yaml's ``grading:`` section: each field's
default is the option's default, and its ``metadata`` holds the help text and the JSON Schema of the
value, from which ``autograder.course`` builds its schema and ``docs/course-yaml.md``'s table
(``python -m autograder.course --docs``). Stdlib only: the sandbox knows nothing of courses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def _option(default: Any, help: str, schema: dict[str, Any], *, in_course_yaml: bool = True) -> Any:
    return field(default=default, metadata={"help": help, "schema": schema, "course_yaml": in_course_yaml})


@dataclass(frozen=True)
class Limits:
    """Per-submission resource limits for the student process (course.yaml ``grading:``)."""

    cell_timeout_s: float = _option(30.0, "seconds one notebook cell may run",
                                    {"type": "number", "exclusiveMinimum": 0})
    """Wall time for one notebook cell."""
    call_timeout_s: float = _option(10.0, "seconds one call from a test into a student function may run",
                                    {"type": "number", "exclusiveMinimum": 0})
    """Wall time for one call from a test into the student's code."""
    submission_timeout_s: float = _option(300.0, "seconds (wall and CPU) for a whole submission",
                                          {"type": "number", "exclusiveMinimum": 0})
    """Wall time (and CPU time) for the whole submission."""
    function_budget_s: float = _option(
        20.0, "seconds all the tests of one graded function may spend in student code; once spent, its other "
              "tests fail at once and every other function is still graded",
        {"type": "number", "exclusiveMinimum": 0})
    """Wall time all the tests of one graded function (one ``task``) may spend in student code;
    once spent, that function's remaining tests fail at once and every other function is still graded."""
    memory_mb: int = _option(768, "address-space limit of the student process, MiB (Gradescope's container has 768 MB)",
                             {"type": "integer", "minimum": 64})
    """Address-space cap (Gradescope's default container has 768 MB)."""
    max_processes: int = _option(64, "processes the student code may have at once",
                                 {"type": "integer", "minimum": 1})
    """Processes the student's uid may have at once (dedicated uid only)."""
    max_output_bytes: int = _option(65536, "bytes of the student's stdout/stderr kept",
                                    {"type": "integer", "minimum": 0})
    """Captured stdout/stderr kept; the rest is counted and dropped."""
    max_file_mb: int = _option(16, "largest file the student code may write, MiB", {"type": "integer", "minimum": 0})
    """Largest file the student process may write."""
    max_open_files: int = _option(256, "open file descriptors of the student process",
                                  {"type": "integer", "minimum": 16})
    """Open file descriptors."""

    GRACE_S = 1.0  # after a soft SIGALRM deadline, before SIGKILL
