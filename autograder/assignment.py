"""Where an assignment's pieces live in a course folder.

By convention, for assignment ``hw1`` in the course root::

    course.yaml                  the course (lists hw1)
    assignments/hw1/hw1.ipynb    the source notebook (solutions, hidden tests)
    assignments/hw1/*            support files students get: every other file but make_*.py
                                 (code such as data_utils.py, data such as digits.npz)
    reference/hw1/__init__.py    the hidden reference (importable as reference.hw1)
    reference/hw1/test_hw1.py    the hidden pytest suite
    reference/hw1/alternatives.py  correct alternatives ``autograder check`` runs (optional;
                                 not in the Gradescope zip, not part of the grading)
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import UnusableInput
from autograder.sandbox.process import Limits

ALTERNATIVES_FILE = "alternatives.py"
"""``reference/<name>/alternatives.py``: the correct alternatives ``autograder check`` runs
(``CORRECT = {name: (grade_id, cell_source)}``); used by check only, never by grading."""


@dataclass(frozen=True)
class Assignment:
    """One assignment's files and grading settings."""

    name: str
    course_root: Path
    source_notebook: Path
    suite: Path
    reference_package: Path
    support_files: tuple[Path, ...]
    """Files copied next to the notebook for students and for grading."""
    limits: Limits
    hidden_visibility: str = "after_published"
    stdout_visibility: str = "hidden"
    title: str = ""

    @property
    def alternatives(self) -> Path:
        """The correct alternatives' module (it may not exist)."""
        return self.reference_package / ALTERNATIVES_FILE

    def hidden_hash(self) -> str:
        """SHA-256 over the hidden suite, the reference and the source notebook:
        a grading is current only while this is unchanged (the correct alternatives,
        which only ``check`` runs, are not part of it)."""
        digest = hashlib.sha256()
        files = sorted(p for p in self.reference_package.rglob("*.py") if p != self.alternatives) + [self.source_notebook]
        for path in files:
            digest.update(path.relative_to(self.course_root).as_posix().encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()


def support_files_of(folder: Path, notebook: Path) -> tuple[Path, ...]:
    files = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path == notebook or path.suffix == ".ipynb":
            continue
        if path.name.startswith(("make_", ".")) or path.suffix in (".pyc",):
            continue
        files.append(path)
    return tuple(files)


def load_assignment(name: str, course_file: Path | None = None) -> Assignment:
    """Find assignment ``name`` of the course; UnusableInput says what is missing."""
    from autograder.course import CourseConfigError, find_course_file, load_course

    try:
        course = load_course(course_file or find_course_file())
        policy = course.assignment(name)
    except CourseConfigError as exc:
        raise UnusableInput(str(exc)) from None
    root = course.root
    folder = root / "assignments" / name
    notebook = folder / f"{name}.ipynb"
    suite = root / "reference" / name / f"test_{name}.py"
    for path, what in ((notebook, "source notebook"), (suite, "hidden test suite"),
                       (root / "reference" / name / "__init__.py", "reference solution")):
        if not path.exists():
            raise UnusableInput(f"{name}: the {what} {path.relative_to(root)} is missing from {root}.")
    limits = Limits(**dataclasses.asdict(course.grading))
    return Assignment(
        name=name, course_root=root, source_notebook=notebook, suite=suite,
        reference_package=suite.parent, support_files=support_files_of(folder, notebook),
        limits=limits, hidden_visibility=course.gradescope.hidden_test_visibility,
        stdout_visibility=course.gradescope.stdout_visibility, title=policy.title,
    )
