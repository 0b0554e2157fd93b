"""The exam suite's fixture: ``exam`` (the submitter's issued variant; see autograder.exam.fixtures)."""

from autograder.exam.fixtures import exam  # noqa: F401
