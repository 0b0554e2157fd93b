"""Helpers for the grades tests: write a Gradescope export, roster and bonus file for course.yaml.

(No tests here; the name keeps it in the files the grades tests own.)
"""

from __future__ import annotations

import csv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COURSE_YAML = REPO / "course.yaml"
FIXTURES = Path("/work/shared/fixtures/gradescope")
GS_NAMES = {"hw1": "Homework 1", "hw2": "Homework 2", "hw3": "Homework 3", "hw4": "Homework 4",
            "hw5": "Homework 5", "midterm": "Midterm", "project": "Final Project"}


def write_export(path: Path, students: list[dict], names: dict[str, str] = GS_NAMES) -> Path:
    """students: ``{"sid", "first", "last", "scores": {hw: score or None}, "late": {hw: "H:M:S"}, "max": {hw: pts},
    "time": {hw: "2025-01-22 23:00:00 -0800"}}``; ``names`` maps those keys to the export's column names."""
    header = ["First Name", "Last Name", "SID", "Email", "section_name"]
    for gs in names.values():
        header += [gs, f"{gs} - Max Points", f"{gs} - Submission Time", f"{gs} - Lateness (H:M:S)"]
    header.append("Total Lateness (H:M:S)")
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for s in students:
            row = [s.get("first", "Stu"), s.get("last", s["sid"]), s["sid"], f"{s['sid']}@ucla.edu", "lec-1"]
            for a in names:
                score = s["scores"].get(a, 100)
                late = s.get("late", {}).get(a, "00:00:00")
                when = "" if score is None else s.get("time", {}).get(a, "2025-01-22 23:00:00 -0800")
                row += ["" if score is None else str(score), str(s.get("max", {}).get(a, 100)), when, late]
            row.append("00:00:00")
            w.writerow(row)
    return path


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def course_with(tmp_path: Path, replace: dict[str, str] | None = None, append: str = "") -> Path:
    """A copy of course.yaml with text replacements / appended YAML, written to tmp_path."""
    text = COURSE_YAML.read_text()
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "course.yaml"
    path.write_text(text + append)
    return path
