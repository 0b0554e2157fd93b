"""Which of the files a student uploaded to Gradescope is graded, and what to tell them about it.

Used by the homework run (``gradescope/run.py``) and the exam run (``exam/gradescope.py``)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

IGNORED_PARTS = ("__MACOSX", ".ipynb_checkpoints", ".git", "__pycache__")


@dataclass
class Choice:
    """Which uploaded file is graded, and what the student should be told about it."""

    path: Path | None
    notes: list[str] = field(default_factory=list)
    uploaded: list[str] = field(default_factory=list)
    """Every file in the submission, relative to the submission folder."""
    is_notebook: bool = True


def _uploaded_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    files = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part in IGNORED_PARTS or part.startswith("._") for part in rel.parts):
            continue
        if path.is_file() and not path.is_symlink():
            files.append(path)
    return files


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _notebook_grade_ids(path: Path) -> int:
    """How many cells carry an nbgrader grade_id (-1 if it is not a readable notebook)."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
        cells = data["cells"]
        return sum(1 for c in cells if isinstance(c, dict)
                   and ((c.get("metadata") or {}).get("nbgrader") or {}).get("grade_id"))
    except Exception:
        return -1


def choose_notebook(folder: Path, assignment: str, source_ids: set[str] | None = None) -> Choice:
    """The file to grade among what the student uploaded.

    ``hw1.ipynb`` if present; else the one notebook; else, among several
    notebooks, the readable one with the most of the assignment's cells
    (then the one whose name mentions the assignment, then the largest).
    Without any notebook, the most likely file is returned with
    ``is_notebook=False`` so that the student gets a clear message.
    """
    files = _uploaded_files(folder)
    rels = [p.relative_to(folder).as_posix() for p in files]
    expected = f"{assignment}.ipynb"
    notebooks = [p for p in files if p.suffix.lower() == ".ipynb"]
    if not files:
        return Choice(None, [f"Your submission is empty: no file was uploaded. Submit your notebook `{expected}`."],
                      rels, is_notebook=False)
    if not notebooks:
        listing = ", ".join(f"`{r}`" for r in rels[:10]) + (" ..." if len(rels) > 10 else "")
        best = max(files, key=lambda p: (_normalise(assignment) in _normalise(p.name), p.stat().st_size))
        return Choice(best, [f"Your submission has no Jupyter notebook (.ipynb file); you uploaded {listing}. "
                             f"Submit `{expected}` itself: in Jupyter, File > Download as > Notebook (.ipynb)."],
                      rels, is_notebook=False)
    exact = [p for p in notebooks if p.name == expected]
    if len(notebooks) == 1:
        chosen = notebooks[0]
        notes = []
        if chosen.name != expected:
            notes.append(f"Your notebook is named `{chosen.relative_to(folder).as_posix()}` rather than `{expected}`; "
                         "it was graded all the same.")
        return Choice(chosen, notes, rels)
    if exact:
        chosen = min(exact, key=lambda p: len(p.relative_to(folder).parts))
        reason = f"it is the one named `{expected}`"
    else:
        wanted = source_ids or set()

        def rank(path: Path) -> tuple[int, int, int, int]:
            cells = _notebook_grade_ids(path)
            common = 0
            if cells > 0 and wanted:
                try:
                    data = json.loads(path.read_bytes().decode("utf-8-sig"))
                    ids = {((c.get("metadata") or {}).get("nbgrader") or {}).get("grade_id") for c in data["cells"]
                           if isinstance(c, dict)}
                    common = len(ids & wanted)
                except Exception:
                    common = 0
            return (cells >= 0, common, _normalise(assignment) in _normalise(path.name), path.stat().st_size)

        chosen = max(notebooks, key=rank)
        reason = "it has the most of the assignment's cells"
    others = ", ".join(f"`{p.relative_to(folder).as_posix()}`" for p in notebooks if p != chosen)
    note = (f"You uploaded {len(notebooks)} notebooks; `{chosen.relative_to(folder).as_posix()}` was graded "
            f"because {reason} (not graded: {others}). Submit only `{expected}` to avoid doubt.")
    return Choice(chosen, [note], rels)


def choose_submitted_notebook(folder: Path, assignment: Any) -> Choice:
    """``choose_notebook`` for an ``Assignment``: among several notebooks, the source's grade_ids decide."""
    ids = None
    if len([p for p in _uploaded_files(folder) if p.suffix.lower() == ".ipynb"]) > 1:
        from autograder.grading import source_notebook

        ids = {c.grade_id for c in source_notebook(assignment).cells if c.grade_id}
    return choose_notebook(folder, assignment.name, ids)
