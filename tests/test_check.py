"""Every assignment of the course passes `autograder check`, and its source
notebook is the file an instructor edits: re-saving it changes nothing."""

from __future__ import annotations

import nbformat
import pytest

from autograder.check import check_assignment
from tests.conftest import ASSIGNMENTS, COURSE


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_every_assignment_passes_check(name):
    report = check_assignment(name, COURSE)
    assert report.problems == []
    assert report.points == 100


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_resaving_a_source_notebook_changes_nothing(name, assignments):
    """Cell ids are stable and the file is in nbformat's own layout, so opening and
    saving it (Jupyter, nbformat) gives no diff without a content change."""
    path = assignments[name].source_notebook
    text = path.read_text(encoding="utf-8")
    notebook = nbformat.reads(text, as_version=4)
    assert all(cell.get("id") for cell in notebook.cells)
    assert len({cell.id for cell in notebook.cells}) == len(notebook.cells)
    assert nbformat.writes(notebook).rstrip("\n") == text.rstrip("\n")
    nbformat.validate(notebook)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_source_notebook_has_no_outputs_and_no_hidden_test_copies(name, assignments):
    notebook = nbformat.read(assignments[name].source_notebook, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        assert "### BEGIN HIDDEN TESTS" not in cell.source
