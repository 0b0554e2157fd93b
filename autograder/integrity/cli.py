"""``autograder similarity hwN SUBMISSIONS [--against DIR]... [--out DIR] [--archive DIR]``.

Compares what each student wrote (solution cells' code per graded function, minus
what the release gives) across the class, and with earlier terms' archives and
public solutions given by ``--against``. Writes ``pairs.csv`` and a staff-only
``index.html`` in ``--out`` (default ``similarity/hwN/``). Evidence for a person to
weigh, never a penalty: nothing here touches a score.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from autograder.errors import UnusableInput

EPILOG = """\
examples:
  autograder similarity hw3 export.zip                          # this term's class only
  autograder similarity hw3 export.zip --against archive/ --against public/cs231n/
  autograder similarity hw3 export.zip --archive archive/       # also keep this term's code for later terms

--against DIR: folders of .ipynb and/or .py files (searched recursively), each file one source
named by its path under DIR without the extension; compared with this term's students only.
An archive folder written by --archive may be given whole: only hwN's files are read.
exit codes: 0 done, 1 done but some notebooks were unreadable (listed), 2 unusable input.
See docs/integrity.md for what the numbers mean and what the tool cannot see."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from autograder.integrity.similarity import Settings

    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    defaults = Settings()
    parser.add_argument("assignment", help="assignment name in course.yaml, e.g. hw3")
    parser.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                        help="Gradescope export (.zip or unpacked folder) or a folder of <sid>.ipynb")
    parser.add_argument("--against", type=Path, action="append", default=[], metavar="DIR",
                        help="earlier terms' code or public solutions (.ipynb/.py); repeatable")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="where pairs.csv and index.html go (default: similarity/<assignment>/)")
    parser.add_argument("--archive", type=Path, default=None, metavar="DIR",
                        help="also store this term's code per function under DIR/<assignment>/<term>/<SID>.py")
    parser.add_argument("--term", default=None, help="the term to archive under (default: course.yaml's course.term)")
    parser.add_argument("--threshold", type=float, default=defaults.threshold,
                        help="flag pairs at or above this similarity (0-1, default %(default)s)")
    parser.add_argument("--min-tokens", type=int, default=defaults.min_tokens, metavar="N",
                        help="never flag pairs sharing fewer normalized tokens (default %(default)s)")
    parser.add_argument("--common", type=int, default=None, metavar="N",
                        help="code held by more than N students does not count (default: max(10, 2%% of the class))")
    parser.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="processes reading notebooks (default: the number of cores, %(default)s)")
    parser.add_argument("--course", type=Path, default=None, help="course.yaml (default: found from the current folder)")


def _student_jobs(args: argparse.Namespace, assignment: str, workdir: Path) -> tuple[list, list[str]]:
    """(path, SID, "student") for each submission with a notebook, and messages for the others."""
    from autograder.batch.inputs import discover

    found = discover(args.submissions, assignment, workdir=workdir)
    problems = list(found.problems)
    jobs = []
    seen: dict[str, int] = {}
    folder = workdir / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    for index, sub in enumerate(found.submissions):
        name = sub.sids if any(s.sid for s in sub.submitters) else sub.key
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name}#{seen[name]}"
        if sub.notebook is None:
            problems.append(f"{name}: no readable notebook ({'; '.join(sub.notes) or 'none submitted'}); skipped.")
            continue
        path = folder / f"{index}.ipynb"
        path.write_bytes(sub.notebook)
        jobs.append((path, name, "student"))
    return jobs, problems


def _against_jobs(folders: list[Path], assignment: str, term: str) -> list:
    from autograder.integrity.similarity import against_files

    jobs = []
    for folder in folders:
        if not folder.is_dir():
            raise UnusableInput(f"--against {folder}: no such folder. Give a folder of earlier terms' "
                                ".ipynb/.py files, public solutions, or an archive written by --archive.")
        jobs += [(path, name, "against") for path, name in against_files(folder, assignment, term)]
    return jobs


def _term(args: argparse.Namespace, *, required: bool) -> str:
    """This term: --term, else course.yaml's course.term ('' when unset and not required)."""
    if args.term:
        return args.term
    from autograder.course import find_course_file, load_course

    term = load_course(args.course or find_course_file()).term
    if not term and required:
        raise UnusableInput("--archive needs the term to file this code under: set course.term in "
                            "course.yaml (e.g. 'Winter 2025') or give --term.")
    return term


def run(args: argparse.Namespace) -> int:
    from autograder.assignment import load_assignment
    from autograder.integrity import report
    from autograder.integrity.similarity import Settings, compare, extract_all, load_template, write_archive

    started = time.perf_counter()
    settings = Settings(threshold=args.threshold, min_tokens=args.min_tokens, common=args.common)
    try:
        if not 0 <= args.threshold <= 1:
            raise UnusableInput(f"--threshold {args.threshold}: give a similarity between 0 and 1.")
        if args.jobs < 1:
            raise UnusableInput("--jobs must be at least 1.")
        assignment = load_assignment(args.assignment, args.course)
        term = _term(args, required=bool(args.archive))
        against_jobs = _against_jobs(args.against, assignment.name, term)
        template = load_template(assignment)
        with tempfile.TemporaryDirectory(prefix="similarity-") as work:
            student_jobs, problems = _student_jobs(args, assignment.name, Path(work))
            sources, unreadable = extract_all(student_jobs + against_jobs, template, args.jobs)
        problems += [f"{m}; skipped." for m in unreadable]
        students = [s for s in sources if s.kind == "student"]
        against = [s for s in sources if s.kind == "against"]
        if not students:
            raise UnusableInput(f"{args.submissions}: no readable {assignment.name} notebook, so there is no class "
                                "to compare. Give the Gradescope export (.zip or folder) or a folder of <sid>.ipynb.")
    except UnusableInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for source in students:
        problems += [f"{source.name}: {note}" for note in source.notes]
    comparison = compare(students, against, settings)
    out = args.out or Path("similarity") / assignment.name
    csv_path = report.write_csv(comparison, out / "pairs.csv")
    settings_text = (f"Flagged: similarity at least {settings.threshold:.2f} with at least {settings.min_tokens} "
                     "shared tokens, or whole functions (each at least 80 % shared) making up that many tokens.")
    html_path = report.write_html(comparison, out / "index.html", assignment=assignment.name, problems=problems,
                                  settings_text=settings_text)
    for message in problems:
        print(f"warning: {message}", file=sys.stderr)
    flagged = sum(p.flagged for p in comparison.pairs)
    print(f"{assignment.name}: {len(students)} students, {len(against)} other sources; {flagged} flagged pairs, "
          f"{len(comparison.pairs)} worth a look, {len(comparison.clusters)} clusters of 3+; "
          f"{time.perf_counter() - started:.1f} s")
    print(f"csv: {csv_path}\nreport (staff only): {html_path}")
    if args.archive:
        folder = write_archive(args.archive, assignment.name, term, students)
        print(f"archived {len(students)} students' code to {folder}/ (pass {args.archive} to --against next term)")
    return 1 if problems else 0
