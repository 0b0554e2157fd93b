"""Reading submitted notebooks (plain JSON, no nbformat import on the grading
path) and deciding which code runs, Jupyter-style, in the student process.

A source notebook (nbgrader format) tells what each cell is by its
``grade_id``: solution cells keep the student's code, locked instructor
cells are restored from the source, test cells and cells tagged
``skip-grading`` are not run. Cells with no metadata (split, pasted into a
fresh notebook) run as the student wrote them.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.errors import UnusableInput
from autograder.sandbox.session import CellToRun

MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024
SKIP_TAG = "skip-grading"


@dataclass
class Cell:
    """One notebook cell as far as grading cares."""

    kind: str
    """``code``, ``markdown`` or ``raw``."""
    source: str
    grade_id: str = ""
    solution: bool = False
    grade: bool = False
    locked: bool = False
    points: float = 0.0
    """nbgrader's points of a test cell."""
    tags: tuple[str, ...] = ()

    @property
    def is_test(self) -> bool:
        return self.grade and not self.solution

    @property
    def is_instructor(self) -> bool:
        return self.locked and not self.solution and not self.grade

    @property
    def skipped(self) -> bool:
        return SKIP_TAG in self.tags


@dataclass
class Notebook:
    path: Path
    cells: list[Cell] = field(default_factory=list)

    def code_cells(self) -> list[Cell]:
        return [c for c in self.cells if c.kind == "code"]


def source_text(value: Any) -> str:
    """A cell's ``source`` as one string (nbformat allows a list of lines)."""
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return value if isinstance(value, str) else ""


def _number(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def read_notebook(path: Path) -> Notebook:
    """Parse an .ipynb file (nbformat 4); UnusableInput says what is wrong and how to fix it."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise UnusableInput(f"{name}: no such file.")
    size = path.stat().st_size
    if size == 0:
        raise UnusableInput(f"{name} is empty (0 bytes). Save the notebook in Jupyter (File > Save) and submit it again.")
    if size > MAX_NOTEBOOK_BYTES:
        raise UnusableInput(f"{name} is {size // 1_000_000} MB; the limit is {MAX_NOTEBOOK_BYTES // 1_000_000} MB. "
                            "Clear the outputs (Kernel > Restart & Clear Output), save, and submit again.")
    raw = path.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UnusableInput(f"{name} is not a text file, so it is not a Jupyter notebook. Submit the .ipynb file.") from None
    except json.JSONDecodeError as exc:
        hint = ""
        if path.suffix == ".py" or raw.lstrip().startswith((b"import", b"def ", b"#", b"from")):
            hint = " It looks like a Python script: submit the .ipynb notebook instead (File > Download > .ipynb)."
        raise UnusableInput(f"{name} is not a Jupyter notebook: it is not valid JSON "
                            f"(line {exc.lineno}, column {exc.colno}: {exc.msg}).{hint}") from None
    except RecursionError:
        raise UnusableInput(f"{name} is nested too deeply to be a notebook.") from None
    if not isinstance(data, dict):
        raise UnusableInput(f"{name} is JSON but not a Jupyter notebook (no 'cells').")
    major = data.get("nbformat")
    if "worksheets" in data or (isinstance(major, int) and major < 4):
        raise UnusableInput(f"{name} is an old nbformat {major} notebook (Jupyter before 2015). "
                            "Open it in a current Jupyter, save it (it converts to nbformat 4), and submit again.")
    cells = data.get("cells")
    if not isinstance(cells, list):
        raise UnusableInput(f"{name} is JSON but not a Jupyter notebook: it has no list of 'cells'.")
    notebook = Notebook(path)
    for index, raw_cell in enumerate(cells):
        if not isinstance(raw_cell, dict):
            raise UnusableInput(f"{name}: cell {index + 1} is not a JSON object.")
        metadata = raw_cell.get("metadata") if isinstance(raw_cell.get("metadata"), dict) else {}
        nbgrader = metadata.get("nbgrader") if isinstance(metadata.get("nbgrader"), dict) else {}
        tags = metadata.get("tags") if isinstance(metadata.get("tags"), list) else []
        notebook.cells.append(Cell(
            kind=str(raw_cell.get("cell_type", "")),
            source=source_text(raw_cell.get("source", "")),
            grade_id=str(nbgrader.get("grade_id", "") or ""),
            solution=bool(nbgrader.get("solution", False)),
            grade=bool(nbgrader.get("grade", False)),
            locked=bool(nbgrader.get("locked", False)),
            points=_number(nbgrader.get("points")),
            tags=tuple(str(t) for t in tags),
        ))
    return notebook


# ---------------------------------------------------------------- magics
_transformer: Any = None


def to_plain_python(source: str) -> str:
    """Turn IPython syntax (``%matplotlib inline``, ``!pip install x``) into
    plain Python calling ``get_ipython()``, which the student process stubs."""
    global _transformer
    if "%" not in source and "!" not in source and "?" not in source:
        return source
    try:  # valid Python needs no transformation (and IPython costs ~0.2 s to import)
        compile(source, "<cell>", "exec", dont_inherit=True)
        return source
    except (SyntaxError, ValueError):
        pass
    if _transformer is None:
        try:
            from IPython.core.inputtransformer2 import TransformerManager
            _transformer = TransformerManager()
        except ImportError:  # grading without IPython: comment the magics out
            _transformer = False
    if _transformer is False:
        return "\n".join("pass  # " + line if line.lstrip().startswith(("%", "!")) else line
                         for line in source.splitlines())
    try:
        return _transformer.transform_cell(source)
    except Exception:  # leave it; a SyntaxError will be reported for the cell
        return source


# ---------------------------------------------------------------- assembling
def defined_names(source: str) -> list[str]:
    """Top-level functions and classes a cell defines (``[]`` if it does not parse)."""
    import ast

    try:
        tree = ast.parse(to_plain_python(source))
    except (SyntaxError, ValueError):
        return []
    return [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]


def cell_label(source: str) -> str:
    """How a student finds a cell in Jupyter: by what it defines, else by its first line.

    ``Cell defining `fit_least_squares```; ``Cell starting `X, y = load_data()```.
    """
    names = defined_names(source)
    if names:
        shown = ", ".join(f"`{name}`" for name in names[:3]) + (", ..." if len(names) > 3 else "")
        return f"Cell defining {shown}"
    for line in source.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return f"Cell starting `{line[:60]}{'...' if len(line) > 60 else ''}`"
    return "An empty cell"


CACHED_CELL_CHARS = 20_000
"""Cells up to this size have their plain Python and label remembered (``cell_to_run``)."""


def cell_to_run(source: str) -> CellToRun:
    """``source`` as the student process runs it, labelled. Remembered per process for
    cells up to CACHED_CELL_CHARS: a batch worker sees the same instructor cells, stubs and
    common answers in most submissions (both are pure functions of the text)."""
    plain, label = _cell_to_run(source) if len(source) <= CACHED_CELL_CHARS else _plain_and_label(source)
    return CellToRun(plain, label)


def _plain_and_label(source: str) -> tuple[str, str]:
    return to_plain_python(source), cell_label(source)


_cell_to_run = functools.lru_cache(maxsize=2048)(_plain_and_label)


@dataclass
class Plan:
    """The cells to run and what the student should know about how they were chosen."""

    cells: list[CellToRun]
    notes: list[str]


def plan_cells(submission: Notebook, source: Notebook | None) -> Plan:
    """Choose and order the code to run, restoring instructor cells by grade_id."""
    source_cells = {c.grade_id: c for c in source.code_cells() if c.grade_id} if source else {}
    source_order = {gid: i for i, gid in enumerate(source_cells)}
    planned: list[tuple[CellToRun, int | None]] = []  # (cell, source position if known)
    notes: list[str] = []
    seen: set[str] = set()
    for cell in submission.cells:
        if cell.kind != "code":
            continue
        original = source_cells.get(cell.grade_id) if cell.grade_id else None
        if original is not None:
            seen.add(cell.grade_id)
            if original.is_test or original.skipped:
                continue
            if original.is_instructor:
                if cell.source.strip() != original.source.strip():
                    label = cell_label(original.source)
                    notes.append(f"{label} is a locked instructor cell; your changes to it were replaced by the original.")
                planned.append((cell_to_run(original.source), source_order[cell.grade_id]))
                continue
        if cell.source.strip():
            planned.append((cell_to_run(cell.source), source_order.get(cell.grade_id)))
    for gid, original in source_cells.items():
        if gid in seen or not original.is_instructor or original.skipped:
            continue
        notes.append(f"The instructor cell `{gid}` was missing from your notebook; the original was run in its place.")
        index = _insertion_point(planned, source_order[gid])
        planned.insert(index, (cell_to_run(original.source), source_order[gid]))
    return Plan([c for c, _ in planned], notes)


def _insertion_point(planned: list[tuple[CellToRun, int | None]], source_position: int) -> int:
    """Just after the last planned cell that comes before it in the source."""
    index = 0
    for i, (_, pos) in enumerate(planned):
        if pos is not None and pos < source_position:
            index = i + 1
    return index
