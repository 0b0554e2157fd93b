"""Exceptions shared by the grader: problems in the student's code or input files."""

from __future__ import annotations


class StudentError(Exception):
    """The student's code failed in a way the student can fix.

    ``feedback`` is shown to the student as it is (their traceback trimmed to
    their own code, or what the sandbox observed).
    """

    def __init__(self, feedback: str):
        super().__init__(feedback)
        self.feedback = feedback


class StudentMissing(StudentError):
    """The notebook does not define a name the tests need."""


class StudentNotImplemented(StudentError):
    """The student's function still raises ``NotImplementedError`` (not written yet)."""


class StudentTimeout(StudentError):
    """A call or cell ran past its time limit and was killed."""


class StudentCrash(StudentError):
    """The student process died (exit, segfault, memory limit, killed)."""


class UnusableValue(StudentError):
    """The student returned something that cannot cross the boundary as data."""


class UnusableInput(Exception):
    """An input file (notebook, CSV, course.yaml) cannot be used; say what and where."""
