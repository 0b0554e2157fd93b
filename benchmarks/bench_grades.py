"""Benchmark ``autograder grades`` end to end: 2,000 synthetic students x 8 graded assignments.

Writes a course (course.yaml plus a sixth homework, so 8 assignments in 3
components), a Gradescope export with random scores, lateness (some >24 h,
some blank scores), a roster over the three tracks and bases, and a bonus file;
then runs ``python -m autograder.cli grades`` REPEAT times in fresh processes
and prints each time and the median.  Target: under 2 s.

    .venv/bin/python benchmarks/bench_grades.py [--students 2000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def make_course(folder: Path) -> tuple[Path, dict[str, str]]:
    """course.yaml with hw6 added: {assignment: Gradescope name} for 8 assignments."""
    data = yaml.safe_load((REPO / "course.yaml").read_text())
    data["assignments"]["hw6"] = {"title": "Homework 6", "kind": "homework", "release": "2025-02-24",
                                  "due": "2025-03-05", "max_points": 100, "gradescope": ["Homework 6"]}
    data["components"]["homework"]["assignments"].append("hw6")
    path = folder / "course.yaml"
    # dump dates as strings the loader understands
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    names = {a: spec["gradescope"][0] for a, spec in data["assignments"].items()}
    return path, names


def make_inputs(folder: Path, names: dict[str, str], n: int, rng: random.Random) -> None:
    """export.csv, roster.csv, bonus.csv for n students."""
    header = ["First Name", "Last Name", "SID", "Email", "section_name"]
    for gs in names.values():
        header += [gs, f"{gs} - Max Points", f"{gs} - Submission Time", f"{gs} - Lateness (H:M:S)"]
    header.append("Total Lateness (H:M:S)")
    tracks, bases = ["C147", "C247", "MSOL"], ["letter"] * 8 + ["P/NP", "S/U"]
    with (folder / "export.csv").open("w", newline="") as ex, (folder / "roster.csv").open("w", newline="") as ro, \
            (folder / "bonus.csv").open("w", newline="") as bo:
        e, r, b = csv.writer(ex), csv.writer(ro), csv.writer(bo)
        e.writerow(header)
        r.writerow(["SID", "track", "basis"])
        b.writerow(["SID", "evaluation", "piazza"])
        for i in range(n):
            sid = f"{100000000 + i}"
            row = [f"First{i}", f"Last{i}", sid, f"s{i}@ucla.edu", "lec-1"]
            for _ in names:
                if rng.random() < 0.03:
                    row += ["", "100.0", "", "00:00:00"]
                    continue
                late_h = rng.choice([0] * 12 + [1, 5, 23, 30, 49, 75])
                row += [f"{min(105.0, max(0.0, rng.gauss(85, 10))):.1f}", "100.0", "2025-01-22 23:00:00 -0800",
                        f"{late_h}:{rng.randrange(60):02d}:00" if late_h else "00:00:00"]
            row.append("00:00:00")
            e.writerow(row)
            r.writerow([sid, rng.choice(tracks), rng.choice(bases)])
            b.writerow([sid, rng.choice(["yes", "no"]), rng.choice([0, 0, 1, 3, 8, 20])])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        course, names = make_course(folder)
        make_inputs(folder, names, args.students, random.Random(147))
        cmd = [sys.executable, "-m", "autograder.cli", "grades", str(folder / "export.csv"), "--roster", str(folder / "roster.csv"),
               "--bonus", str(folder / "bonus.csv"), "--course", str(course), "--out", str(folder / "out")]
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
            times.append(time.perf_counter() - start)
            if done.returncode != 0:
                print(done.stderr, file=sys.stderr)
                return 1
        print(done.stdout.strip())
        print(f"autograder grades, {args.students} students x {len(names)} assignments: "
              + ", ".join(f"{t:.2f}" for t in times) + f" s; median {statistics.median(times):.2f} s (target < 2 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
