"""Autograder for deep-learning courses: release, sandboxed grading, Gradescope, final grades."""

__version__ = "0.1.0"
