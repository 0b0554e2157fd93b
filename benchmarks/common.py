"""Shared by the benchmarks: a one-course nbgrader set-up to time against,
timing helpers, and printing medians side by side."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run_timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def cached_bytecode_env(checkout: Path = ROOT, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a user's Python runs in: compiled modules cached between runs
    (some shells set PYTHONDONTWRITEBYTECODE, which makes every cold start compile
    the platform again), kept under /tmp per checkout so no checkout is written to."""
    import hashlib

    env = dict(os.environ if base is None else base)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    tag = hashlib.sha256(str(checkout.resolve()).encode()).hexdigest()[:12]
    env["PYTHONPYCACHEPREFIX"] = f"/tmp/autograder-bench-pycache/{tag}"
    return env


def nbgrader_env() -> dict[str, str]:
    return dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '')}")


def make_nbgrader_course(workdir: Path, assignment, students: dict[str, Path]) -> Path:
    """An nbgrader course with ``assignment``'s source, released, and one
    submitted notebook per student id. Returns the course root."""
    course = workdir / "nbgrader-course"
    shutil.rmtree(course, ignore_errors=True)
    source = course / "source" / assignment.name
    source.mkdir(parents=True)
    shutil.copy(assignment.source_notebook, source)
    for support in assignment.support_files:
        shutil.copy(support, source)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'bench'\n"
        "c.ExecutePreprocessor.timeout = 120\n")
    env = nbgrader_env()
    nbgrader = str(BIN / "nbgrader")
    subprocess.run([nbgrader, "generate_assignment", assignment.name, "--force", "--create"],
                   cwd=course, check=True, capture_output=True, env=env)
    for sid, notebook in students.items():
        subprocess.run([nbgrader, "db", "student", "add", sid], cwd=course, check=True, capture_output=True, env=env)
        target = course / "submitted" / sid / assignment.name
        target.mkdir(parents=True)
        shutil.copy(notebook, target / f"{assignment.name}.ipynb")
        for support in assignment.support_files:
            shutil.copy(support, target)
    return course


NBGRADER_PIN = "0.9.6"


def nbgrader_missing() -> str:
    """Why the peer cannot run here ("" when ``nbgrader`` 0.9.6 is installed beside this Python):
    a benchmark then prints our own numbers and says so, never a ratio against nothing."""
    from importlib import metadata

    try:
        version = metadata.version("nbgrader")
    except metadata.PackageNotFoundError:
        return "nbgrader is not installed in this environment (pip install -e '.[author]')"
    if version != NBGRADER_PIN:
        return f"nbgrader {version} is installed, the benchmarks compare against the pinned {NBGRADER_PIN}"
    if not (BIN / "nbgrader").exists():
        return f"no nbgrader command beside {sys.executable}"
    return ""


def report(label_a: str, times_a: list[float], label_b: str, times_b: list[float], unit: str = "s") -> None:
    med_a, med_b = statistics.median(times_a), statistics.median(times_b)
    print(f"{label_a:<34} median {med_a:7.3f} {unit}   (n={len(times_a)}, min {min(times_a):.3f})")
    print(f"{label_b:<34} median {med_b:7.3f} {unit}   (n={len(times_b)}, min {min(times_b):.3f})")
    print(f"ratio {label_b} / {label_a}: {med_b / med_a:.2f}x   (cores: {os.cpu_count()})")
