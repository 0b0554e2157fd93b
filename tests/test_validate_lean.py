"""``autograder validate`` does in its own process only what it needs (issue 20, "Done when": at most
2 s per homework). The student process imports numpy (its cells need it); validate's own process never
decodes an array, so it does not import numpy (about 0.09 s of CPU, 0.3-0.5 s on a busy machine).
Timings are in benchmarks/bench_validate.py; here only the behaviour that makes them."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT
from tests.test_validate import student_folder


def test_validate_runs_a_solved_notebook_without_importing_numpy_itself(assignments, perfect_notebooks, tmp_path):
    path = student_folder(tmp_path, assignments["hw2"], perfect_notebooks["hw2"])
    code = ("import sys\nfrom pathlib import Path\nfrom autograder.validate import validate\n"
            f"report = validate(Path({str(path)!r}))\n"
            "print('ready' if report.ready else report.render())\n"
            "print('numpy imported' if 'numpy' in sys.modules else 'numpy not imported')\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=path.parent, capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["ready", "numpy", "not", "imported"], proc.stdout
