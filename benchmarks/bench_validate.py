"""Student-side speed: ``autograder validate hw1.ipynb`` on a solved HW1, from a cold
start (a new process each time, as a student runs it), in a folder holding only the
released notebook (and its support files), no course.yaml.

Target (issue 14): under 2 s on this machine (median of 5).
    .venv/bin/python benchmarks/bench_validate.py [--runs 5] [--assignment hw1]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.assignment import load_assignment  # noqa: E402
from autograder.samples import perfect_submission, write_notebook  # noqa: E402

BIN = Path(sys.executable).parent
TARGET_S = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--assignment", default="hw1")
    args = parser.parse_args()
    assignment = load_assignment(args.assignment, ROOT / "course.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "student"
        notebook = write_notebook(perfect_submission(assignment), folder / f"{assignment.name}.ipynb")
        for path in assignment.support_files:
            shutil.copy(path, folder / path.name)
        cmd = [str(BIN / "autograder"), "validate", notebook.name]
        times = []
        for run in range(args.runs + 1):  # the first run warms the OS file cache and is not counted
            started = time.perf_counter()
            proc = subprocess.run(cmd, cwd=folder, capture_output=True, text=True)
            elapsed = time.perf_counter() - started
            if proc.returncode != 0:
                raise SystemExit(f"validate did not call the solved notebook ready (exit {proc.returncode}):\n"
                                 f"{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
            if run:
                times.append(elapsed)
    median = statistics.median(times)
    print(f"autograder validate {assignment.name}.ipynb (solved), {args.runs} cold runs: "
          f"median {median:.2f} s, min {min(times):.2f} s, max {max(times):.2f} s "
          f"(target < {TARGET_S:g} s: {'met' if median < TARGET_S else 'NOT met'})")


if __name__ == "__main__":
    main()
