"""Exam timings (issues 13, 23): building 500 variant notebooks with their printable PDFs and TA keys (and
the same build run again, every PDF up to date), and grading one exam submission (cold, as ``autograder
exam grade`` on the command line, right and with one copied answer; and warm, in a grader process that has
graded one before, as a batch worker or Gradescope's single run after start-up).

    .venv/bin/python benchmarks/bench_exam.py [--students 500] [--print all|in-person|none] [--runs 7]

Uses a throw-away secret and gradebook under a temporary folder; needs Chromium (/usr/bin/chromium).
The cold commands run with PYTHONDONTWRITEBYTECODE unset, as a user's do (with it set, every run compiles
every module again).
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
    parser.add_argument("--runs", type=int, default=7, help="cold commands per kind (median shown)")
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

        cpu0 = (resource.getrusage(resource.RUSAGE_SELF),)
        began = time.perf_counter()
        report = build(assignment, course, tmp / "roster.csv", tmp / "out", db_path=tmp / "gb.sqlite",
                       printable=args.printable)
        total = time.perf_counter() - began
        cpu1 = (resource.getrusage(resource.RUSAGE_SELF),)
        load = os.getloadavg()[0]
        phases = ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items())
        on_disk = len(list((tmp / "out" / "print").glob("*.pdf")))
        assert on_disk == report.pdfs, (on_disk, report.pdfs)
        own = cpu1[0].ru_utime + cpu1[0].ru_stime - cpu0[0].ru_utime - cpu0[0].ru_stime
        cpu = own + report.chromium_cpu  # Chromium's renderers are not waited for by this process: measured apart
        print(f"build: {report.notebooks} notebooks, {report.pdfs} printable PDFs, {report.keys} keys in {total:.1f} s "
              f"({phases}) on {os.cpu_count()} cores at load average {load:.1f}; CPU time {cpu:.1f} s "
              f"(this process {own:.1f} s, Chromium {report.chromium_cpu:.1f} s), i.e. about "
              f"{cpu / (os.cpu_count() or 1):.1f} s of wall time on idle cores")
        began = time.perf_counter()
        again = build(assignment, course, tmp / "roster.csv", tmp / "out", db_path=tmp / "gb.sqlite",
                      printable=args.printable)
        print(f"build again (same roster): {again.pdfs_reused} of {again.pdfs} PDFs up to date, not printed again; "
              f"{time.perf_counter() - began:.1f} s")

        # grading one submission: cold (a fresh command), then warm (same process, suite already collected)
        sid = "900000001"
        conn = store.connect(tmp / "gb.sqlite")
        issued = store.load(conn, "midterm", sid)
        conn.close()
        spec = load_spec(assignment)
        notebook = samples.answered(samples.read(tmp / "out" / "notebooks" / sid / "midterm.ipynb"),
                                    ExamCheck(spec, issued).answers_as_student())
        path = samples.write(notebook, tmp / "sub.ipynb")
        other = store.connect(tmp / "gb.sqlite")
        copied_from = store.load(other, "midterm", "900000002")
        other.close()
        copied = samples.write(samples.answered(notebook, {"q5_v": copied_from.questions["Q5"].answers["q5_v"]}),
                               tmp / "copied.ipynb")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cold: dict[str, list[float]] = {"right": [], "copied": []}
        for run in range(args.runs + 1):  # the first run of each writes the .pyc files and the gradebook's cache
            for kind, submission, expect in (("right", path, "score 100 / 100"), ("copied", copied, "SID 900000002")):
                t = time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "autograder.cli", "exam", "grade", "midterm",
                                       str(submission), "--sid", sid, "--db", str(tmp / "gb.sqlite")], cwd=ROOT,
                                      capture_output=True, text=True, env=env)
                if run:
                    cold[kind].append(time.perf_counter() - t)
                assert expect in done.stdout, done.stdout + done.stderr
        template = exam_template(assignment)
        warm = []
        for _ in range(6):
            t = time.perf_counter()
            graded = grade_exam(assignment, spec, issued, path, template=template,
                                extra=student_extra(course, spec, issued))
            warm.append(time.perf_counter() - t)
            assert graded.result.score == 100
        print(f"grade one exam submission: cold command median {statistics.median(cold['right']):.2f} s "
              f"(min {min(cold['right']):.2f}); with a copied answer flagged {statistics.median(cold['copied']):.2f} s "
              f"(min {min(cold['copied']):.2f}); warm grader median {statistics.median(warm[1:]):.2f} s "
              f"(min {min(warm[1:]):.2f}); load average {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
