"""Benchmark ``autograder regrade`` after a points-only edit (issue 22 item 2) on a class of
HW1 submissions (bench_batch's mix of perfect, blank and wrong, plus two that loop forever),
with the course's real limits.

Grades the class once with ``autograder batch --jobs 2``, then moves one point between two
tests of the same task (suite only; `check` still passes) and times the whole
``autograder regrade hw1 --jobs 2`` command (check included) on a fresh copy of the gradebook:

* before: the gradebook's context hashes cleared, so regrade falls back to running every
  submission again (what it always did before fingerprints were stored);
* after: the gradebook as batch wrote it: every submission re-scored from its stored outcomes.

Prints the median wall and CPU seconds (this process's children: the CLI and its workers).

    .venv/bin/python benchmarks/bench_regrade.py [--n 40] [--reps 3]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

MOVE = [("@pytest.mark.points(2)\ndef test_squared_error_gradient_small(",
         "@pytest.mark.points(3)\ndef test_squared_error_gradient_small("),
        ("@pytest.mark.points(3)\ndef test_squared_error_gradient_shapes(",
         "@pytest.mark.points(2)\ndef test_squared_error_gradient_shapes(")]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str]) -> tuple[float, float, str]:
    """(wall s, CPU s, stdout) of one command."""
    cpu, began = children_cpu(), time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{cmd} failed:\n{done.stdout}\n{done.stderr}")
    return wall, children_cpu() - cpu, done.stdout


def main() -> None:
    from bench_batch import build
    from tests.test_batch import copy_course
    from tests.test_regrade_partial import edit_suite
    from autograder.assignment import load_assignment
    from autograder.samples import with_cells, write_notebook, perfect_submission
    from tests.test_batch import HOSTILE

    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    cli = [sys.executable, "-m", "autograder.cli"]
    with tempfile.TemporaryDirectory(prefix="bench-regrade-") as tmp:
        work = Path(tmp)
        course = copy_course(work / "course")
        assignment = load_assignment("hw1", course)
        notebooks = build(assignment, args.n, work / "export")
        looping = with_cells(perfect_submission(assignment), {HOSTILE["loops"][0]: HOSTILE["loops"][1]})
        for i, path in enumerate(notebooks[:2]):  # two of them loop forever in squared_error_loss
            write_notebook(looping, path)
        graded = work / "graded.sqlite"
        wall, cpu, _ = timed(cli + ["batch", "hw1", str(work / "export"), "--course", str(course), "--db", str(graded),
                                    "--jobs", "2", "--no-progress"])
        print(f"batch of {args.n}: {wall:.1f} s wall, {cpu:.1f} s CPU")
        edit_suite(course, MOVE)
        results: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
        for rep in range(args.reps):
            for label in ("before", "after"):
                db = work / f"{label}{rep}.sqlite"
                shutil.copy2(graded, db)
                if label == "before":
                    with sqlite3.connect(db) as con:
                        con.execute("UPDATE gradings SET context_hash = ''")
                wall, cpu, out = timed(cli + ["regrade", "hw1", "--course", str(course), "--db", str(db),
                                              "--jobs", "2", "--no-progress"])
                results[label].append((wall, cpu))
                summary = next(line for line in out.splitlines() if line.startswith("hw1: "))
                print(f"{label} #{rep + 1}: {wall:.1f} s wall, {cpu:.1f} s CPU (check included); "
                      f"regrade itself:{summary.rsplit(';', 1)[-1]}; {summary.split(': ', 2)[-1].split(';')[0]}")
        med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in results.items()}
        for label, (wall, cpu) in med.items():
            print(f"median {label}: {wall:.2f} s wall, {cpu:.2f} s CPU")
        print(f"speed-up: {med['before'][0] / med['after'][0]:.1f}x wall, {med['before'][1] / med['after'][1]:.1f}x CPU")


if __name__ == "__main__":
    main()
