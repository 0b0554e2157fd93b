"""Student-side speed: ``autograder validate hwN.ipynb`` on a solved notebook of every
homework, from a cold start (a new process each time, as a student runs it), in a folder
holding only the released notebook and its support files, no course.yaml.

Target (issue 20, "Done when"): at most 2 s per homework on this machine (median).
    .venv/bin/python benchmarks/bench_validate.py [--runs 5] [--assignment hw4 ...]

Prints, per homework, the median, min and max of the cold runs and the slowest cells of
one in-process run (where the time goes). Machines shared with other work are noisy:
compare medians taken in the same conditions.
"""

from __future__ import annotations

import argparse
import os
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


def homeworks() -> list[str]:
    """Every homework of course.yaml that has a source notebook, in course order."""
    from autograder.course import load_course

    course = load_course(ROOT / "course.yaml")
    return [name for name, policy in course.assignments.items()
            if policy.kind == "homework" and (ROOT / "assignments" / name / f"{name}.ipynb").is_file()]


def student_folder(name: str, tmp: Path) -> Path:
    """A student's folder: the solved released notebook and the support files; returns the notebook."""
    assignment = load_assignment(name, ROOT / "course.yaml")
    folder = tmp / name
    notebook = write_notebook(perfect_submission(assignment), folder / f"{name}.ipynb")
    for path in assignment.support_files:
        shutil.copy(path, folder / path.name)
    return notebook


def time_cold_runs(notebook: Path, runs: int) -> list[float]:
    """Wall-clock seconds of ``runs`` cold ``autograder validate`` processes (after one warm-up)."""
    cmd = [str(BIN / "autograder"), "validate", notebook.name]
    times = []
    for run in range(runs + 1):  # the first run warms the OS file cache and is not counted
        started = time.perf_counter()
        proc = subprocess.run(cmd, cwd=notebook.parent, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"validate did not call the solved {notebook.name} ready (exit {proc.returncode}):\n"
                             f"{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
        if run:
            times.append(elapsed)
    return times


def slowest_cells(notebook: Path, count: int = 3) -> str:
    """The ``count`` slowest cells and visible tests of one in-process validate run, as text."""
    import autograder.validate as validate_module

    durations: dict[str, float] = {}
    original = validate_module._TimedSession._run_cell

    def timed(self, index, cell, *, report):
        started = time.perf_counter()
        try:
            return original(self, index, cell, report=report)
        finally:
            durations[cell.label] = time.perf_counter() - started

    validate_module._TimedSession._run_cell = timed
    try:
        cwd = os.getcwd()
        os.chdir(notebook.parent)
        try:
            validate_module.validate(notebook)
        finally:
            os.chdir(cwd)
    finally:
        validate_module._TimedSession._run_cell = original
    top = sorted(durations.items(), key=lambda item: -item[1])[:count]
    return ", ".join(f"{label} {seconds:.2f} s" for label, seconds in top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--assignment", action="append", help="one homework (repeatable); default: every homework")
    args = parser.parse_args()
    names = args.assignment or homeworks()
    print(f"autograder validate on a solved notebook, {args.runs} cold runs each, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    missed = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            notebook = student_folder(name, Path(tmp))
            times = time_cold_runs(notebook, args.runs)
            median = statistics.median(times)
            if median > TARGET_S:
                missed.append(name)
            print(f"  {name}: median {median:.2f} s, min {min(times):.2f} s, max {max(times):.2f} s"
                  f"{'' if median <= TARGET_S else '  (over the target)'}")
            print(f"       slowest: {slowest_cells(notebook)}")
    print(f"target <= {TARGET_S:g} s per homework: " + ("met" if not missed else f"NOT met for {', '.join(missed)}"))


if __name__ == "__main__":
    main()
