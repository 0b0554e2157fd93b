"""Exam timings (issue 13): building 500 variant notebooks with their printable PDFs and TA keys,
and grading one exam submission (cold, as ``autograder exam grade`` on the command line; and warm,
in a grader process that has graded one before, as a batch worker or Gradescope's single run after start-up).

    .venv/bin/python benchmarks/bench_exam.py [--students 500] [--print all|in-person|none]

Uses a throw-away secret and gradebook under a temporary folder; needs Chromium (/usr/bin/chromium).
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--print", dest="printable", default="all", choices=["all", "in-person", "none"])
    args = parser.parse_args()
    os.environ["AUTOGRADER_EXAM_SECRET"] = "benchmark-secret-" + "0" * 24
    from autograder.assignment import load_assignment
    from autograder.course import load_course
    from autograder.exam import samples, store
    from autograder.exam.build import build, load_spec, student_extra
    from autograder.exam.fixtures import ExamCheck
    from autograder.exam.gradescope import exam_template
    from autograder.exam.grade import grade_exam

    tmp = Path(tempfile.mkdtemp(prefix="bench-exam-"))
    try:
        tracks = ["C147", "C247", "C147", "MSOL"]
        lines = ["SID,Name,Email,Track,Extra time"]
        for i in range(args.students):
            # extra time only on the timed (MSOL) sitting: in-class sittings have no hours, so build refuses it there
            extra = "1.5x" if i % 20 == 3 else ""
            lines.append(f"9{i:08d},Student {i},s{i}@ucla.edu,{tracks[i % 4]},{extra}")
        (tmp / "roster.csv").write_text("\n".join(lines) + "\n")
        assignment = load_assignment("midterm", ROOT / "course.yaml")
        course = load_course(ROOT / "course.yaml")
        import resource

        cpu0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        report = build(assignment, course, tmp / "roster.csv", tmp / "out", db_path=tmp / "gb.sqlite",
                       printable=args.printable)
        total = time.perf_counter() - began
        cpu1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = sum(b.ru_utime + b.ru_stime - a.ru_utime - a.ru_stime for a, b in zip(cpu0, cpu1))
        load = os.getloadavg()[0]
        phases = ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items())
        on_disk = len(list((tmp / "out" / "print").glob("*.pdf")))
        assert on_disk == report.pdfs, (on_disk, report.pdfs)
        print(f"build: {report.notebooks} notebooks, {report.pdfs} printable PDFs, {report.keys} keys in {total:.1f} s "
              f"({phases}) on {os.cpu_count()} cores at load average {load:.1f}; CPU time {cpu:.1f} s "
              f"(this process and Chromium's), i.e. about {cpu / (os.cpu_count() or 1):.1f} s of wall time on idle cores")

        # grading one submission: cold (a fresh command), then warm (same process, suite already collected)
        sid = "900000001"
        conn = store.connect(tmp / "gb.sqlite")
        issued = store.load(conn, "midterm", sid)
        conn.close()
        spec = load_spec(assignment)
        notebook = samples.answered(samples.read(tmp / "out" / "notebooks" / sid / "midterm.ipynb"),
                                    ExamCheck(spec, issued).answers_as_student())
        path = samples.write(notebook, tmp / "sub.ipynb")
        cold = []
        for _ in range(3):
            t = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "autograder.cli", "exam", "grade", "midterm", str(path),
                                   "--sid", sid, "--db", str(tmp / "gb.sqlite")], cwd=ROOT, capture_output=True, text=True)
            cold.append(time.perf_counter() - t)
            assert "score 100 / 100" in done.stdout, done.stdout + done.stderr
        template = exam_template(assignment)
        warm = []
        for _ in range(6):
            t = time.perf_counter()
            graded = grade_exam(assignment, spec, issued, path, template=template,
                                extra=student_extra(course, spec, issued))
            warm.append(time.perf_counter() - t)
            assert graded.result.score == 100
        print(f"grade one exam submission: cold command median {statistics.median(cold):.2f} s "
              f"(min {min(cold):.2f}); warm grader median {statistics.median(warm[1:]):.2f} s (min {min(warm[1:]):.2f})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
