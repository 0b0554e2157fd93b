"""Single-submission speed: ``autograder grade hwN`` on a perfect submission
from a cold start, against ``nbgrader autograde`` (0.9.6) of a one-student
course built from the same source notebook, alternating, same run.

Targets (issue 23): HW1 at most 0.35 s, HW3-HW5 at most 0.5 s per submission.
    .venv/bin/python benchmarks/bench_grade.py [--runs 7] [--assignment hw1]
    .venv/bin/python benchmarks/bench_grade.py --profile [--runs 15] [--assignment hw3]
``--profile`` skips nbgrader and prints where our time goes (median of each
phase, its share of the total, and the grader's CPU time), from the marks of
``autograder/phases.py``. ``--compare CHECKOUT`` times another checkout (its own
.venv, e.g. main's) interleaved with this one: wall and CPU medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (ROOT, cached_bytecode_env, make_nbgrader_course, nbgrader_env, nbgrader_missing,  # noqa: E402
                    report, run_timed)

from autograder.assignment import load_assignment  # noqa: E402
from autograder.samples import perfect_submission, write_notebook  # noqa: E402


def profiled_run(cmd: list[str]) -> tuple[float, dict]:
    """Run ``cmd`` once with AUTOGRADER_PROFILE; its wall time and its phase report."""
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                          env=dict(cached_bytecode_env(), AUTOGRADER_PROFILE=repr(started)))
    wall = time.monotonic() - started
    line = next((ln for ln in proc.stderr.splitlines() if ln.startswith("AUTOGRADER_PROFILE ")), None)
    if proc.returncode not in (0, 1) or line is None:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return wall, json.loads(line.split(" ", 1)[1])


def profile(cmd: list[str], runs: int) -> None:
    """Print the median of each phase over ``runs`` cold runs, and its share of the median total."""
    profiled_run(cmd)  # warm the OS file cache
    walls, reports = [], []
    for _ in range(runs):
        wall, data = profiled_run(cmd)
        walls.append(wall)
        reports.append(data)
    total = statistics.median(walls)
    names = [name for name, _ in reports[0]["phases"]]
    print(f"{'phase':<22} {'median s':>9} {'share':>6}")
    for name in names + ["exit"]:
        if name == "exit":
            values = [w - sum(s for _, s in r["phases"]) for w, r in zip(walls, reports)]
        else:
            values = [dict(r["phases"]).get(name, 0.0) for r in reports]
        print(f"{name:<22} {statistics.median(values):9.3f} {statistics.median(values) / total:6.0%}")
    print(f"{'total (wall)':<22} {total:9.3f}   (n={runs}, min {min(walls):.3f}, cores: {os.cpu_count()})")
    # the student process runs under bubblewrap's own init and is reaped there, not counted here
    for key, label in (("cpu_self", "CPU, grader"), ("cpu_children", "CPU, children reaped")):
        print(f"{label:<22} {statistics.median(r[key] for r in reports):9.3f}")


def timed_cpu(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds (user + sys of the process and the children it waited for)."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=cached_bytecode_env(cwd))
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.read().decode()[-2000:]}")
    proc.stderr.close()
    return wall, usage.ru_utime + usage.ru_stime


def compare(checkout: Path, args_tail: list[str], runs: int) -> None:
    """This checkout against another one (e.g. main's), each with its own .venv, interleaved."""
    sides = {"this checkout": (sys.executable, ROOT), str(checkout): (str(checkout / ".venv/bin/python"), checkout)}
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
    for _ in range(runs + 1):
        for name, (python, cwd) in sides.items():
            times[name].append(timed_cpu([python, "-m", "autograder.cli", *args_tail], cwd))
    print(f"{'':<24} {'wall median':>11} {'min':>6} {'CPU median':>10}   (n={runs}, first run dropped)")
    for name, values in times.items():
        walls, cpus = [w for w, _ in values[1:]], [c for _, c in values[1:]]
        print(f"{name[-24:]:<24} {statistics.median(walls):11.3f} {min(walls):6.3f} {statistics.median(cpus):10.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--assignment", default="hw1")
    parser.add_argument("--profile", action="store_true", help="where the time goes (no nbgrader)")
    parser.add_argument("--compare", type=Path, metavar="CHECKOUT",
                        help="time against another checkout with its own .venv (e.g. /work/main), no nbgrader")
    args = parser.parse_args()
    assignment = load_assignment(args.assignment, ROOT / "course.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        perfect = write_notebook(perfect_submission(assignment), work / "perfect.ipynb")
        # this checkout's code, whichever virtual environment runs the benchmark
        ours_cmd = [sys.executable, "-m", "autograder.cli", "grade", assignment.name, str(perfect), "--json",
                    str(work / "results.json"), "--quiet"]
        if args.compare:
            print(f"grading one perfect {assignment.name} submission from a cold start, two checkouts")
            compare(args.compare.resolve(), ours_cmd[3:], args.runs)
            return
        if args.profile:
            print(f"where the time goes: grading one perfect {assignment.name} submission from a cold start")
            profile(ours_cmd, args.runs)
            return
        missing = nbgrader_missing()
        if missing:
            times = [run_timed(ours_cmd, ROOT, cached_bytecode_env()) for _ in range(args.runs + 1)][1:]
            print(f"grading one perfect {assignment.name} submission from a cold start")
            print(f"autograder grade {assignment.name}: median {statistics.median(times):.3f} s "
                  f"(n={len(times)}, min {min(times):.3f}, cores: {os.cpu_count()})")
            print(f"no ratio: {missing}")
            return
        course = make_nbgrader_course(work, assignment, {"s1": perfect})
        theirs_cmd = [str(Path(sys.executable).parent / "nbgrader"), "autograde", assignment.name, "--force"]
        run_timed(ours_cmd, ROOT, cached_bytecode_env())  # warm the OS file cache for both
        run_timed(theirs_cmd, course, cached_bytecode_env(course, nbgrader_env()))
        ours, theirs = [], []
        for _ in range(args.runs):
            ours.append(run_timed(ours_cmd, ROOT, cached_bytecode_env()))
            theirs.append(run_timed(theirs_cmd, course, cached_bytecode_env(course, nbgrader_env())))
        print(f"grading one perfect {assignment.name} submission from a cold start")
        report(f"autograder grade {assignment.name}", ours, "nbgrader autograde", theirs)


if __name__ == "__main__":
    main()
