"""A notebook imports the assignment's support files (``from solver import Solver``)
during grading exactly as it does in Jupyter, where the notebook's folder is importable."""

from __future__ import annotations

from pathlib import Path

from autograder.sandbox.process import Limits
from autograder.sandbox.session import CellToRun, SandboxNamespace, StudentSession


def test_support_files_are_importable_in_the_student_process(tmp_path: Path) -> None:
    helper = tmp_path / "helper_layers.py"
    helper.write_text("def double(x):\n    return 2 * x\n")
    cells = [CellToRun("from helper_layers import double\ny = double(21)\n", "Cell starting `from helper_layers`")]
    session = StudentSession(cells, Limits(cell_timeout_s=10, call_timeout_s=10), support_files=(helper,))
    try:
        session.start()
        assert [r.status for r in session.cell_reports] == ["ok"], session.cell_reports
        assert SandboxNamespace(session).y == 42
    finally:
        session.close()
