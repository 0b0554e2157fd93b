"""Every source notebook runs top to bottom in a real Jupyter kernel, offline.

A notebook that does not run is the first defect a student finds. Each
``assignments/<hw>/<hw>.ipynb`` (found by glob, so new homeworks are included)
is executed in memory with nbclient in a python3 kernel whose working
directory is the notebook's folder (where its data helpers live); nothing is
written back. How long each takes is measured by ``benchmarks/bench_notebooks.py``, not
asserted here: a test's clock on a shared machine measures the machine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMS = {name for name, a in __import__("autograder.course", fromlist=["load_course"]).load_course(
    ROOT / "course.yaml").assignments.items() if a.kind == "exam"}
# an exam's notebook is a template filled per student: tests/test_exam_grading.py runs a built one
NOTEBOOKS = sorted(p for p in ROOT.glob("assignments/*/*.ipynb") if p.parent.name not in EXAMS)
HANG_TIMEOUT_S = 600
"""Per cell: a cell that never ends fails the test (nbclient raises) rather than hanging CI."""


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.parent.name + "/" + p.name for p in NOTEBOOKS])
def test_source_notebook_runs_top_to_bottom(path: Path):
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=HANG_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        allow_errors=False,
    )
    try:
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"{path.relative_to(ROOT)} stopped with an error:\n{str(error)[-3000:]}", pytrace=False)
    ran = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert ran and all(c.execution_count is not None for c in ran), "every code cell should have run"


def test_there_are_notebooks_to_run():
    assert NOTEBOOKS, "no assignments/*/*.ipynb found"
