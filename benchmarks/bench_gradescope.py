"""What the Gradescope path costs on top of grading one submission, and what ``--try`` costs.

    .venv/bin/python benchmarks/bench_gradescope.py [--runs 7] [--setup-python python3.10]
    .venv/bin/python benchmarks/bench_gradescope.py --try [--runs 5] [--fresh] [--before DIR]

Default mode: builds the HW1 zip, lays it out under a fresh scratch root (as
Gradescope's /autograder), times ``setup.sh`` once as Gradescope's image runs it
(a fresh venv, pip install with no cache; ``--setup-python`` picks the interpreter,
e.g. Python 3.10 as on Gradescope's Ubuntu 22.04) and prints where its time goes,
then alternates ``run_autograder`` (what Gradescope runs per submission, each from what
``setup.sh`` left, as in a new container) with
``autograder grade hw1`` on the same perfect notebook, and prints both medians and
their difference. The promise: the difference is at most 0.2 s.

``--try`` mode: ``autograder gradescope hw1 --try perfect.ipynb`` as an instructor
runs it after ``make demo``: the *first* run (the --try root and the release cache
removed; ``make demo``'s .venv and its check of HW1 kept) and a *later* run of the
same zip, interleaved, medians of ``--runs`` each (targets: 15 s and 3 s).
``--fresh`` adds one ``--try --fresh`` (the full Gradescope-like build). ``--before
DIR`` times another checkout's ``--try`` (e.g. ``git archive main | tar -x -C DIR``)
the same way, interleaved, for a same-run comparison.
"""

from __future__ import annotations

import argparse
import json
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
from autograder.course import load_course  # noqa: E402
from autograder.gradescope.build import build_zip, trial_metadata, unpack  # noqa: E402
from autograder.samples import perfect_submission, write_notebook  # noqa: E402


def timed(cmd: list[str], **kwargs) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0,):
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return elapsed


SETUP_TRACE = 'PS4="+ \\$EPOCHREALTIME "; set -x; source ./setup.sh'


def setup_breakdown(trace: str, top: int = 6) -> list[tuple[float, str]]:
    """The slowest commands of an ``xtrace`` of setup.sh whose PS4 carries $EPOCHREALTIME."""
    steps = []
    previous: tuple[float, str] | None = None
    for line in trace.splitlines():
        parts = line.split(" ", 2)
        if len(parts) < 3 or not parts[0].startswith("+"):
            continue
        try:
            when = float(parts[1])
        except ValueError:
            continue
        if previous is not None:
            steps.append((when - previous[0], previous[1]))
        previous = (when, parts[2])
    return sorted(steps, reverse=True)[:top]


def time_setup(root: Path, env: dict[str, str]) -> float:
    """setup.sh from a fresh root, traced; prints its total and its slowest steps."""
    started = time.perf_counter()
    proc = subprocess.run(["bash", "-c", SETUP_TRACE], cwd=root / "source", env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"setup.sh failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    python = env.get("AUTOGRADER_SETUP_PYTHON", "python3")
    print(f"setup.sh, fresh venv made with {python} (pip install as on Gradescope, no pip cache): {elapsed:.1f} s")
    for seconds, command in setup_breakdown(proc.stderr):
        print(f"  {seconds:6.2f} s  {command[:110]}")
    return elapsed


def main_gradescope(args: argparse.Namespace) -> int:
    assignment = load_assignment("hw1", ROOT / "course.yaml")
    work = Path(tempfile.mkdtemp(prefix="bench-gradescope-", dir="/var/tmp" if Path("/var/tmp").is_dir() else None))
    try:
        zip_path = build_zip(assignment, work / "out")
        root = work / "root"
        root.mkdir()
        os.chmod(work, 0o755)
        os.chmod(root, 0o755)
        unpack(zip_path, root)
        env = dict(os.environ, AUTOGRADER_ROOT=str(root))
        if args.setup_python:
            env["AUTOGRADER_SETUP_PYTHON"] = args.setup_python
        setup_s = time_setup(root, env)

        notebook = write_notebook(perfect_submission(assignment), work / "hw1.ipynb")
        (root / "submission").mkdir()
        shutil.copy2(notebook, root / "submission" / "hw1.ipynb")
        policy_due = load_course(ROOT / "course.yaml").assignment("hw1").due
        (root / "submission_metadata.json").write_text(json.dumps(trial_metadata("HW1", policy_due, policy_due)))

        grade_cmd = [str(Path(sys.executable).parent / "autograder"), "grade", "hw1", str(notebook), "--quiet"]
        if not Path(grade_cmd[0]).exists():
            grade_cmd = [sys.executable, "-m", "autograder.cli", "grade", "hw1", str(notebook), "--quiet"]
        gs_cmd = [str(root / "run_autograder")]
        image = set((root / "source").rglob("*"))  # what setup.sh left: every container starts from it
        # one warm-up each (page cache, bytecode)
        timed(gs_cmd, cwd=root, env=env)
        timed(grade_cmd, cwd=ROOT)
        gs_times, grade_times = [], []
        for _ in range(args.runs):
            as_in_a_new_container(root / "source", image)
            gs_times.append(timed(gs_cmd, cwd=root, env=env))
            grade_times.append(timed(grade_cmd, cwd=ROOT))
        results = json.loads((root / "results" / "results.json").read_text())
        assert results["score"] == 100, results["output"]
        gs, grade = statistics.median(gs_times), statistics.median(grade_times)
        print(f"run_autograder (Gradescope path), median of {args.runs}: {gs:.3f} s  "
              f"[{', '.join(f'{t:.2f}' for t in gs_times)}]")
        print(f"autograder grade hw1 (direct),     median of {args.runs}: {grade:.3f} s  "
              f"[{', '.join(f'{t:.2f}' for t in grade_times)}]")
        print(f"difference: {gs - grade:+.3f} s (promise: at most +0.200 s); setup.sh {setup_s:.1f} s")
        return 0 if gs - grade <= 0.2 else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


def as_in_a_new_container(source: Path, image: set[Path]) -> None:
    """Remove what an earlier run wrote under ``source`` (a kept collection, bytecode): Gradescope
    runs each submission in a new container made from the image ``setup.sh`` built."""
    for path in sorted(set(source.rglob("*")) - image, reverse=True):
        if path.is_dir() and not path.is_symlink():
            path.rmdir()
        else:
            path.unlink()


def try_command(checkout: Path, notebook: Path, out: Path, root: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "autograder.cli", "gradescope", "hw1", "--course", str(ROOT / "course.yaml"),
            "--out", str(out), "--try", str(notebook), "--root", str(root), *extra]


def timed_try(checkout: Path, cmd: list[str], expect: str) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=checkout, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0 or "What the student sees: 100 / 100" not in proc.stdout or expect not in proc.stdout:
        raise SystemExit(f"--try in {checkout} did not do what was expected ({expect!r}; exit {proc.returncode}):\n"
                         f"{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def main_try(args: argparse.Namespace) -> int:
    assignment = load_assignment("hw1", ROOT / "course.yaml")
    work = Path(tempfile.mkdtemp(prefix="bench-gradescope-try-", dir="/var/tmp" if Path("/var/tmp").is_dir() else None))
    os.chmod(work, 0o755)
    checkouts = {"this checkout": ROOT}
    if args.before:
        checkouts["before (" + str(args.before) + ")"] = Path(args.before).resolve()
    try:
        notebook = write_notebook(perfect_submission(assignment), work / "hw1.ipynb")
        times: dict[str, dict[str, list[float]]] = {name: {"first": [], "later": []} for name in checkouts}
        for name, checkout in checkouts.items():  # `check hw1` passes once per checkout (make demo builds the zip)
            subprocess.run(try_command(checkout, notebook, work / f"warm-{len(times[name]['first'])}", work / "warm")[:-4],
                           cwd=checkout, capture_output=True, check=True)
        for run in range(args.runs):
            for index, (name, checkout) in enumerate(checkouts.items()):
                out, root = work / f"out-{index}", work / f"root-{index}"
                shutil.rmtree(root, ignore_errors=True)  # the --try cache: the laid-out root, its venv
                (out / ".hw1-release.json").unlink(missing_ok=True)  # and the released notebook's
                cmd = try_command(checkout, notebook, out, root)
                first_expect = "environment: reused" if checkout == ROOT else "What the student sees"
                times[name]["first"].append(timed_try(checkout, cmd, first_expect))
                later_expect = "reusing" if checkout == ROOT else "What the student sees"
                times[name]["later"].append(timed_try(checkout, cmd, later_expect))
                print(f"run {run + 1}: {name}: first {times[name]['first'][-1]:.1f} s, "
                      f"later {times[name]['later'][-1]:.1f} s", flush=True)
        load = os.getloadavg()
        print(f"\nautograder gradescope hw1 --try perfect.ipynb, medians of {args.runs} "
              f"(load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}, {os.cpu_count()} cores):")
        for name, got in times.items():
            first, later = statistics.median(got["first"]), statistics.median(got["later"])
            print(f"  {name:<40} first run {first:6.1f} s [{', '.join(f'{t:.1f}' for t in got['first'])}]   "
                  f"later run {later:5.1f} s [{', '.join(f'{t:.1f}' for t in got['later'])}]")
        if args.before:
            mine, theirs = times["this checkout"], times[next(n for n in times if n.startswith("before"))]
            print(f"  ratio before/this: first {statistics.median(theirs['first']) / statistics.median(mine['first']):.1f}x,"
                  f" later {statistics.median(theirs['later']) / statistics.median(mine['later']):.1f}x")
        if args.fresh:
            fresh = timed_try(ROOT, try_command(ROOT, notebook, work / "out-0", work / "root-0", "--fresh"), "--fresh")
            print(f"  --try --fresh (setup.sh pip-installs a new venv, as on Gradescope): {fresh:.1f} s (one run)")
        mine = times["this checkout"]
        ok = statistics.median(mine["first"]) <= 15 and statistics.median(mine["later"]) <= 3
        print(f"targets: first run <= 15 s, later <= 3 s: {'met' if ok else 'NOT met'}")
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=None, help="runs per median (default 7; 5 with --try)")
    parser.add_argument("--setup-python", default=None, metavar="PYTHON",
                        help="the interpreter setup.sh makes the venv with (AUTOGRADER_SETUP_PYTHON), "
                             "e.g. python3.10 as on Gradescope's Ubuntu 22.04 image")
    parser.add_argument("--try", dest="try_mode", action="store_true", help="time `autograder gradescope --try`")
    parser.add_argument("--fresh", action="store_true", help="with --try: also time one --try --fresh")
    parser.add_argument("--before", type=Path, default=None, metavar="DIR",
                        help="with --try: another checkout to time the same way, interleaved")
    args = parser.parse_args()
    if args.try_mode:
        args.runs = args.runs or 5
        return main_try(args)
    args.runs = args.runs or 7
    return main_gradescope(args)


if __name__ == "__main__":
    sys.exit(main())
