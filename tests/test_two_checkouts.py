"""Two checkouts of different versions grade on one machine at the same time (a server with
two courses, CI next to a course): each student process runs its own checkout's sandbox code.

The sandbox code is never installed in a shared place: at the namespaces level each student's
private mount namespace binds its own checkout's ``autograder/sandbox`` at
``/opt/autograder-sandbox`` (a path inside that namespace only); below it, each grader process
stages its own copy in a fresh temporary folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.assignment import load_assignment
from autograder.samples import blank_submission, write_notebook
from tests import levels

ROOT = Path(__file__).resolve().parent.parent
MARK = 'import builtins as _builtins\n_builtins.AUTOGRADER_BUILD = "other checkout"\n'
GRADE = """
import sys
sys.path.insert(0, {package!r})
import autograder
assert autograder.__file__.startswith({package!r}), autograder.__file__
from pathlib import Path
from autograder.assignment import load_assignment
from autograder.grading import grade_submission
result = grade_submission(load_assignment("hw1", Path({course!r})), Path({notebook!r}))
print(result.isolation)
print(result.stdout)
"""


@pytest.mark.slow
def test_two_versions_grading_at_once_each_run_their_own_sandbox_code():
    folder = levels.scratch("autograder-two-checkouts-")
    try:
        other = folder / "other"
        shutil.copytree(ROOT / "autograder", other / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
        student_main = other / "autograder" / "sandbox" / "student_main.py"
        text = student_main.read_text()
        assert "\nimport os\n" in text
        student_main.write_text(text.replace("\nimport os\n", "\nimport os\n" + MARK, 1))
        levels._world_readable(other)
        notebook = blank_submission(load_assignment("hw1", ROOT / "course.yaml"))
        notebook["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                                  "source": 'import builtins\nprint("BUILD", getattr(builtins, "AUTOGRADER_BUILD", '
                                            '"this checkout"))\n'})
        path = write_notebook(notebook, folder / "build.ipynb")
        path.chmod(0o644)
        runs = {name: subprocess.Popen([sys.executable, "-c", GRADE.format(package=str(package), notebook=str(path),
                                                                          course=str(ROOT / "course.yaml"))],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=folder)
                for name, package in (("this checkout", ROOT), ("other checkout", other))}
        for name, run in runs.items():
            out, err = run.communicate(timeout=600)
            assert run.returncode == 0, out + err
            assert f"BUILD {name}" in out, out
    finally:
        shutil.rmtree(folder, ignore_errors=True)
