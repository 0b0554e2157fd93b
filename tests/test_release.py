"""The release is nbgrader's own, leaks nothing, and nbgrader accepts our sources."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ASSIGNMENTS, ROOT

SOLUTION_REGION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN_REGION = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


def _meaningful_lines(text: str) -> set[str]:
    lines = {line.strip() for line in text.splitlines()}
    return {line for line in lines if len(line) > 12 and not line.startswith("#") and line not in ("return", "pass")}


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release")
    for name in ASSIGNMENTS:
        proc = subprocess.run([sys.executable, "-m", "autograder.cli", "release", name, "--out", str(out)],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_contains_no_solution_hidden_test_or_reference(name, released, assignments):
    source_text = "".join(
        "".join(c["source"]) + "\n" for c in json.loads(assignments[name].source_notebook.read_text())["cells"])
    secret_lines: set[str] = set()
    for region in SOLUTION_REGION.findall(source_text) + HIDDEN_REGION.findall(source_text):
        secret_lines |= _meaningful_lines(region)
    reference_lines = _meaningful_lines((ROOT / "reference" / name / "__init__.py").read_text())
    suite_lines = _meaningful_lines((ROOT / "reference" / name / f"test_{name}.py").read_text())
    assert secret_lines, "the source notebook should have solution regions"
    folder = released / name
    # every file students get, the autograder wheel too (binary: decoded leniently)
    released_text = "\n".join(p.read_bytes().decode("utf-8", "replace") for p in folder.iterdir())
    released_lines = _meaningful_lines("\n".join(
        "".join(c["source"]) for c in json.loads((folder / f"{name}.ipynb").read_text())["cells"]))
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in released_text
    # a line may appear both in a solution and in the text students see (e.g. the stated batch rule)
    assert (secret_lines - _shared_with_student_view(name, assignments)).isdisjoint(released_lines)
    # instructor cells may share harmless lines with the reference (imports, docstrings), never its bodies
    leaked = {line for line in (reference_lines | suite_lines) & released_lines
              if not line.startswith(("import ", "from ", "def ", '"""', "Inputs", "Returns", "-", "class "))}
    assert not {line for line in leaked if "=" in line and "(" in line} - _shared_with_student_view(name, assignments)


def _shared_with_student_view(name, assignments) -> set[str]:
    """Lines the source notebook shows students outside solution regions (e.g. a provided helper)."""
    cells = json.loads(assignments[name].source_notebook.read_text())["cells"]
    visible = "\n".join(SOLUTION_REGION.sub("", "".join(c["source"])) for c in cells)
    return _meaningful_lines(HIDDEN_REGION.sub("", visible))


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_is_stubbed_locked_and_checksummed(name, released, assignments):
    nb = json.loads((released / name / f"{name}.ipynb").read_text())
    solution_cells = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]
    assert solution_cells and all("raise NotImplementedError()" in "".join(c["source"])
                                  for c in solution_cells if c["cell_type"] == "code")
    locked = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("locked")]
    assert locked and all("checksum" in c["metadata"]["nbgrader"] for c in locked)
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
    for support in assignments[name].support_files:
        assert (released / name / support.name).is_file()


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_nbgrader_generate_assignment_accepts_the_source(name, assignments, tmp_path):
    nbgrader = Path(sys.executable).with_name("nbgrader")
    source = tmp_path / "source" / name
    source.mkdir(parents=True)
    shutil.copy(assignments[name].source_notebook, source)
    for support in assignments[name].support_files:
        shutil.copy(support, source)
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'c147'\n")
    env = dict(os.environ, PATH=f"{nbgrader.parent}:{os.environ.get('PATH', '')}")  # nbgrader runs `alembic`
    proc = subprocess.run([str(nbgrader), "generate_assignment", name, "--force", "--create"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    released = tmp_path / "release" / name / f"{name}.ipynb"
    assert released.is_file()
    assert "BEGIN SOLUTION" not in released.read_text()
