"""Batch grading of a whole class: Gradescope exports (or folders of notebooks)
in, a gradebook (SQLite) and a CSV out. See docs/batch.md."""
