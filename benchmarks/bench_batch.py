"""Benchmark ``autograder batch`` on a class of submissions against
``nbgrader autograde`` (0.9.6) on the same notebooks, in the same run.

Builds N submissions of one assignment (a third perfect, a third blank, a third
with one wrong function from tests/variants/<assignment>_variants.py) as a
Gradescope export folder; grades it with ``autograder batch --jobs 1`` and
``--jobs 2`` (fresh gradebook each, the whole command timed, start-up included;
``--repeat`` runs each several times, interleaved, and prints medians); then sets
up an nbgrader course (the source notebook, ``generate_assignment``, submissions
under ``submitted/<sid>/<assignment>/``) and times ``nbgrader autograde --create``
on the first M of the same notebooks.

Prints rates, the CPU time of every process of the batch (the command, its
workers, their zygotes, every student process) per submission, which depends far
less on what else the machine runs than the rate does (2 cores at 25/s allow
80 ms), how 1 -> 2 jobs scales, the ratio to nbgrader, and the median time split
per submission read from the gradebook's timings (start: student process until
it answers; cells: running the notebook's cells; tests: the hidden suite; other:
reading, planning, closing; write: the gradebook transaction).

    .venv/bin/python benchmarks/bench_batch.py [--assignment hw1] [--n 120] [--nbgrader 30] [--repeat 3]

Targets (issue 23): >= 25 submissions/s for HW1 with --jobs 2 on 2 cores, HW3-HW5 within
2x of that (>= 12.5/s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # tests/variants, which import reference/hwN/alternatives.py


def build(assignment, n: int, export: Path) -> list[Path]:
    """The export folder; returns the notebooks in order."""
    import importlib

    from autograder.samples import blank_submission, perfect_submission, with_cells, write_notebook

    wrong = list(importlib.import_module(f"variants.{assignment.name}_variants").WRONG.values())
    perfect, blank = perfect_submission(assignment), blank_submission(assignment)
    meta, paths = {}, []
    when = dt.datetime(2025, 1, 22, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=-8)))
    for i in range(n):
        kind = i % 3
        if kind == 0:
            nb = perfect
        elif kind == 1:
            nb = blank
        else:
            grade_id, source, _ = wrong[(i // 3) % len(wrong)]
            nb = with_cells(perfect, {grade_id: source})
        key = f"submission_{700000 + i}"
        paths.append(write_notebook(nb, export / key / f"{assignment.name}.ipynb"))
        meta[key] = {":submitters": [{":name": f"Student {i}", ":sid": f"s{i:04d}", ":email": f"s{i}@x.edu"}],
                     ":created_at": when, ":score": None, ":status": "processed", ":results": {}, ":history": []}
    (export / "submission_metadata.yml").write_text(yaml.safe_dump(meta))
    return paths


def children_cpu() -> float:
    """CPU seconds (user + system) of every waited-for descendant so far: the batch command,
    its workers, their zygotes and every student process, each reaped by its parent."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_ours(name: str, export: Path, jobs: int, work: Path) -> tuple[float, float, dict[str, float], list[float]]:
    """(wall seconds, CPU seconds of all its processes, median split, scores by key)."""
    db, out = work / f"gb-{jobs}.sqlite", work / f"out-{jobs}.csv"
    for stale in (db, out, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)  # a fresh gradebook each run: a kept one would skip every unchanged submission
    cmd = [str(BIN / "autograder"), "batch", name, str(export), "--jobs", str(jobs), "--db", str(db),
           "--csv", str(out), "--no-progress", "--course", str(ROOT / "course.yaml")]
    cpu = children_cpu()
    began = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - began
    cpu = children_cpu() - cpu
    if proc.returncode not in (0, 1):
        raise SystemExit(f"autograder batch failed:\n{proc.stdout}\n{proc.stderr[-3000:]}")
    with sqlite3.connect(db) as con:
        timings = [json.loads(t) for (t,) in con.execute("SELECT timings FROM gradings")]
        scores = [s for (s,) in con.execute("SELECT g.score FROM gradings g JOIN submissions s "
                                             "ON s.id = g.submission_id ORDER BY s.key")]
    split = {k: statistics.median(t.get(k, 0.0) for t in timings)
             for k in ("start", "cells", "tests", "other", "write", "worker")}
    return wall, cpu, split, scores


def run_nbgrader(assignment, notebooks: list[Path], work: Path) -> float:
    course = work / "nbgrader-course"
    name = assignment.name
    source = course / "source" / name
    source.mkdir(parents=True)
    shutil.copy(assignment.source_notebook, source / f"{name}.ipynb")
    for support in assignment.support_files:
        shutil.copy(support, source)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'bench'\nc.ExecutePreprocessor.timeout = 120\n")
    env = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '')}")
    nbgrader = str(BIN / "nbgrader")
    subprocess.run([nbgrader, "generate_assignment", name, "--force", "--create"], cwd=course, check=True,
                   capture_output=True, env=env)
    for i, nb in enumerate(notebooks):
        target = course / "submitted" / f"s{i:04d}" / name
        target.mkdir(parents=True)
        shutil.copy(nb, target / f"{name}.ipynb")
        for support in assignment.support_files:
            shutil.copy(support, target)
    began = time.perf_counter()
    proc = subprocess.run([nbgrader, "autograde", name, "--create", "--force"], cwd=course,
                          capture_output=True, text=True, env=env)
    wall = time.perf_counter() - began
    graded = len(list((course / "autograded").glob(f"*/{name}/{name}.ipynb")))
    if graded != len(notebooks):
        raise SystemExit(f"nbgrader graded {graded} of {len(notebooks)}:\n{proc.stderr[-3000:]}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="hw1", help="hw1..hw5 (default hw1); its WRONG variants "
                        "come from tests/variants/<assignment>_variants.py")
    parser.add_argument("--n", type=int, default=120, help="submissions for our batch (default 120)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="--jobs values to time (default 1 2)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="batches per --jobs value, interleaved; the median is printed (default 1)")
    parser.add_argument("--nbgrader", type=int, default=30,
                        help="how many of them nbgrader autogrades (default 30; it is ~1/s; 0: skip it)")
    args = parser.parse_args()
    from autograder.assignment import load_assignment

    assignment = load_assignment(args.assignment, ROOT / "course.yaml")
    name = assignment.name
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        work = Path(tmp)
        notebooks = build(assignment, args.n, work / "export")
        print(f"{args.n} {name.upper()} submissions (perfect/blank/one wrong function), {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f}")
        runs: dict[int, list[tuple[float, float, dict[str, float], list[float]]]] = {j: [] for j in args.jobs}
        for _ in range(args.repeat):
            for jobs in args.jobs:
                runs[jobs].append(run_ours(name, work / "export", jobs, work))
        walls = {}
        for jobs, measured in runs.items():
            wall = statistics.median(r[0] for r in measured)
            cpu = statistics.median(r[1] for r in measured)
            split = {k: statistics.median(r[2][k] for r in measured) for k in measured[0][2]}
            walls[jobs] = wall
            rates = ", ".join(f"{args.n / r[0]:.2f}" for r in measured)
            print(f"autograder batch --jobs {jobs}: {wall:6.1f} s  {args.n / wall:5.2f} submissions/s "
                  f"(runs: {rates}); CPU of all processes {cpu / args.n * 1000:.0f} ms per submission; "
                  f"mean score {statistics.mean(measured[0][3]):.1f}")
            print("   median per submission: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in split.items()))
        scores = [r[3] for measured in runs.values() for r in measured]
        assert all(s == scores[0] for s in scores), "the same submissions earned different scores across runs"
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        if 1 in walls and 2 in walls:
            print(f"scaling 1 -> 2 jobs: {walls[1] / walls[2]:.2f}x")
        if 2 in walls:
            target = 25.0 if name == "hw1" else 12.5
            rate = args.n / walls[2]
            print(f"target (issue 23): >= {target:g}/s with --jobs 2: {'met' if rate >= target else 'NOT met'} "
                  f"({rate:.1f}/s at load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        m = min(args.nbgrader, args.n)
        if m == 0 or 2 not in walls:
            return
        theirs = run_nbgrader(assignment, notebooks[:m], work)
        ours_rate, their_rate = args.n / walls[2], m / theirs
        print(f"nbgrader autograde (first {m}): {theirs:6.1f} s  {their_rate:5.2f} submissions/s")
        print(f"speed-up --jobs 2 vs nbgrader: {ours_rate / their_rate:.1f}x")


if __name__ == "__main__":
    main()
