"""What the Gradescope path costs on top of grading one submission.

    .venv/bin/python benchmarks/bench_gradescope.py [--runs 7]

Builds the HW1 zip, lays it out under a fresh scratch root (as Gradescope's
/autograder), times ``setup.sh`` once (fresh venv, warm package cache), then
alternates ``run_autograder`` (what Gradescope runs per submission) with
``autograder grade hw1`` (the single-submission command of the HW1 issue) on
the same perfect notebook, and prints both medians and their difference.
The promise: the difference is at most 0.2 s; setup.sh takes under 2 minutes.
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

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
        setup_s = timed(["bash", str(root / "source" / "setup.sh")], cwd=root / "source", env=env)
        print(f"setup.sh (fresh venv, warm package cache): {setup_s:.1f} s")

        notebook = write_notebook(perfect_submission(assignment), work / "hw1.ipynb")
        (root / "submission").mkdir()
        shutil.copy2(notebook, root / "submission" / "hw1.ipynb")
        policy_due = load_course(ROOT / "course.yaml").assignment("hw1").due
        (root / "submission_metadata.json").write_text(json.dumps(trial_metadata("HW1", policy_due, policy_due)))

        grade_cmd = [str(Path(sys.executable).parent / "autograder"), "grade", "hw1", str(notebook), "--quiet"]
        if not Path(grade_cmd[0]).exists():
            grade_cmd = [sys.executable, "-m", "autograder.cli", "grade", "hw1", str(notebook), "--quiet"]
        gs_cmd = [str(root / "run_autograder")]
        # one warm-up each (page cache, bytecode)
        timed(gs_cmd, cwd=root, env=env)
        timed(grade_cmd, cwd=ROOT)
        gs_times, grade_times = [], []
        for _ in range(args.runs):
            gs_times.append(timed(gs_cmd, cwd=root, env=env))
            grade_times.append(timed(grade_cmd, cwd=ROOT))
        results = json.loads((root / "results" / "results.json").read_text())
        assert results["score"] == 100, results["output"]
        gs, grade = statistics.median(gs_times), statistics.median(grade_times)
        print(f"run_autograder (Gradescope path), median of {args.runs}: {gs:.3f} s  "
              f"[{', '.join(f'{t:.2f}' for t in gs_times)}]")
        print(f"autograder grade hw1 (direct),     median of {args.runs}: {grade:.3f} s  "
              f"[{', '.join(f'{t:.2f}' for t in grade_times)}]")
        print(f"difference: {gs - grade:+.3f} s (promise: at most +0.200 s); setup.sh {setup_s:.1f} s "
              "(promise: under 120 s)")
        return 0 if gs - grade <= 0.2 and setup_s < 120 else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
