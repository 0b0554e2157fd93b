"""Bad files get a clear message, exit code 2, and still a valid results file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

NBFORMAT3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "hw1"},
             "worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1", "language": "python", "outputs": []}]}]}

CASES = {
    "not_json.ipynb": (b"this is not json {", "not valid JSON"),
    "empty.ipynb": (b"", "is empty"),
    "solution.py": (b"import numpy as np\n\ndef polynomial_features(x, degree):\n    return x\n", "Python script"),
    "old.ipynb": (json.dumps(NBFORMAT3).encode(), "nbformat 3"),
    "binary.ipynb": (bytes(range(256)) * 4, "not a text file"),
    "list.ipynb": (b"[1, 2, 3]", "not a Jupyter notebook"),
}


@pytest.mark.parametrize("filename", sorted(CASES))
def test_bad_submission_gets_message_and_results_file(filename, tmp_path: Path):
    content, expected = CASES[filename]
    submission = tmp_path / filename
    submission.write_bytes(content)
    results = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", "hw1", str(submission), "--json", str(results)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert expected in proc.stdout
    data = json.loads(results.read_text())
    assert data["score"] == 0
    assert expected in data["output"]
    graded = [t for t in data["tests"] if "environment" not in t["tags"]]
    assert graded and all(t["score"] == 0 and t["max_score"] > 0 for t in graded)
    assert sum(t["max_score"] for t in graded) == 100


def test_unknown_assignment_names_the_known_ones(tmp_path: Path):
    proc = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", "hw9", str(tmp_path / "x.ipynb")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "hw9" in proc.stderr and "hw1" in proc.stderr
