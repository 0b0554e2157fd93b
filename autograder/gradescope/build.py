"""``autograder gradescope hw1 [--out DIR] [--try SUBMISSION.ipynb]``.

Builds ``DIR/hw1-autograder.zip`` for Gradescope's "Configure Autograder"
page. The zip holds, at its root::

    setup.sh, run_autograder        Gradescope's two entry points (LF, executable)
    pyproject.toml, autograder/     the platform
    requirements.txt                what setup.sh installs (wheels only): pyproject's dependencies
    course.yaml                     the course's rules (late days, visibility, limits)
    reference/__init__.py
    reference/hw1/                  hw1's hidden reference and hidden tests (locked to root by setup.sh;
                                    not alternatives.py, the correct alternatives only `check` runs)
    assignments/hw1/hw1.ipynb       the RELEASED notebook (no solutions, no hidden tests): the grader
                                    reads its cell structure to restore locked instructor cells
    assignments/hw1/<support files> the data helpers students also get

and nothing of any other assignment. ``--try`` then lays the zip out the way
Gradescope does under a kept root, runs ``setup.sh`` and ``run_autograder``
with ``AUTOGRADER_ROOT`` pointing there, and prints what the student would see.
What it reuses to take seconds (this environment's packages, a root already set
up for the same zip) is in ``tryenv.py``; ``--fresh`` reuses nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import autograder
from autograder.assignment import ALTERNATIVES_FILE
from autograder.errors import UnusableInput
from autograder.grades.errors import GradesInputError

TEMPLATES = Path(__file__).with_name("templates")
PLATFORM_DIR = Path(autograder.__file__).resolve().parent
ZIP_DATE = (2025, 1, 1, 0, 0, 0)  # fixed: the same inputs give the same zip
SKIP_PARTS = ("__pycache__", ".ipynb_checkpoints", ".pytest_cache")


# ---------------------------------------------------------------- building
def _template(name: str, assignment: str) -> bytes:
    text = (TEMPLATES / name).read_text(encoding="utf-8").replace("\r\n", "\n")
    return text.replace("__ASSIGNMENT__", assignment).encode("utf-8")


REQUIREMENTS_NAME = "requirements.txt"
"""In the zip: what ``setup.sh`` installs (as wheels only), pyproject.toml's ``dependencies``:
the grading environment, without the ``author`` and ``dev`` extras (no Jupyter, no nbgrader)."""


def grading_requirements(pyproject: Path) -> list[str]:
    """pyproject.toml's ``[project] dependencies``, in its order (``["numpy>=1.24", ...]``)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: pytest's own dependency
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        return list(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"])
    except (KeyError, ValueError) as exc:
        raise UnusableInput(f"{pyproject}: no readable [project] dependencies ({exc}); "
                            "restore the platform's pyproject.toml") from None


def requirements_entry(pyproject: Path) -> bytes:
    """The zip's ``requirements.txt``."""
    lines = ["# The grading environment: pyproject.toml's dependencies (not its author/dev extras).",
             "# setup.sh installs them as wheels; written by `autograder gradescope`.",
             *grading_requirements(pyproject)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _platform_files() -> list[tuple[str, Path]]:
    files = []
    for path in sorted(PLATFORM_DIR.rglob("*")):
        rel = path.relative_to(PLATFORM_DIR)
        if not path.is_file() or any(p in SKIP_PARTS for p in rel.parts) or path.suffix in (".pyc", ".pyo"):
            continue
        files.append((f"autograder/{rel.as_posix()}", path))
    pyproject = PLATFORM_DIR.parent / "pyproject.toml"
    if not pyproject.is_file():
        raise UnusableInput(f"the platform's pyproject.toml is not beside {PLATFORM_DIR}; "
                            "build from a checkout of the platform (pip install -e .).")
    files.append(("pyproject.toml", pyproject))
    return files


ROSTER_NAME = "roster.csv"
"""In the zip: ``SID,track`` only (no names, no emails), so that the feedback knows each
student's course (an optional question is optional for C147 only)."""


def roster_entry(roster: Path, course: Any) -> bytes:
    """The zip's ``roster.csv`` from the instructor's roster (read and checked as
    ``autograder grades`` reads it): only each SID and its track name."""
    import csv
    import io

    from autograder.grades.inputs import read_roster

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["SID", "track"])
    for entry in read_roster(roster, course):
        writer.writerow([entry.sid, entry.track])
    return out.getvalue().encode("utf-8")


def zip_entries(assignment: Any, released: dict[str, Any], roster: bytes | None = None) -> dict[str, tuple[bytes, int]]:
    """``{path in zip: (content, unix mode)}`` for one assignment's autograder;
    ``roster``: the ``roster.csv`` to include (``roster_entry``), if any."""
    name = assignment.name
    root = Path(assignment.course_root)
    entries: dict[str, tuple[bytes, int]] = {
        "setup.sh": (_template("setup.sh", name), 0o755),
        "run_autograder": (_template("run_autograder", name), 0o755),
        "course.yaml": ((root / "course.yaml").read_bytes(), 0o644),
    }
    for arcname, path in _platform_files():
        entries[arcname] = (path.read_bytes(), 0o644)
    entries[REQUIREMENTS_NAME] = (requirements_entry(PLATFORM_DIR.parent / "pyproject.toml"), 0o644)
    reference_root = root / "reference"
    init = reference_root / "__init__.py"
    entries["reference/__init__.py"] = (init.read_bytes() if init.is_file() else b"", 0o644)
    package = Path(assignment.reference_package)
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package)
        if rel.as_posix() == ALTERNATIVES_FILE:
            continue  # correct alternatives: for `autograder check`, not for grading
        if path.is_file() and not any(p in SKIP_PARTS for p in rel.parts) and path.suffix not in (".pyc", ".pyo"):
            entries[f"reference/{name}/{rel.as_posix()}"] = (path.read_bytes(), 0o644)
    folder = f"assignments/{name}"
    entries[f"{folder}/{Path(assignment.source_notebook).name}"] = (
        (json.dumps(released, indent=1) + "\n").encode("utf-8"), 0o644)
    for path in assignment.support_files:
        entries[f"{folder}/{path.name}"] = (path.read_bytes(), 0o644)
    if roster is not None:
        entries[ROSTER_NAME] = (roster, 0o600)
    return entries


def write_zip(entries: dict[str, tuple[bytes, int]], target: Path) -> Path:
    """Write the zip atomically, entries sorted, dates fixed, modes recorded."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for arcname in sorted(entries):
            data, mode = entries[arcname]
            info = zipfile.ZipInfo(arcname, date_time=ZIP_DATE)
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.create_system = 3  # unix, so that the modes are honoured
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    os.replace(tmp, target)
    return target


def release_inputs(assignment: Any) -> str:
    """SHA-256 over everything the released notebook is made from: the source notebook, the
    support files, course.yaml, the platform's code, nbgrader's version and what the
    grader's environment lets student code import (stamped into the release)."""
    from importlib import metadata

    from autograder.sandbox.imports import importable

    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    add("name", assignment.name.encode())
    add("notebook", Path(assignment.source_notebook).read_bytes())
    add("course.yaml", (Path(assignment.course_root) / "course.yaml").read_bytes())
    for path in assignment.support_files:
        add(f"support/{path.name}", path.read_bytes())
    for arcname, path in _platform_files():
        add(arcname, path.read_bytes())
    try:
        add("nbgrader", metadata.version("nbgrader").encode())
    except metadata.PackageNotFoundError:
        add("nbgrader", b"")
    add("importable", json.dumps(importable(assignment.support_files)).encode())
    add("python", sys.version.encode())
    return digest.hexdigest()


def released_notebook(assignment: Any, cache_dir: Path) -> dict[str, Any]:
    """The released notebook (``release.release_notebook``), remembered in
    ``cache_dir/.<name>-release.json`` under ``release_inputs``: nbgrader's import and
    preprocessors cost seconds, and a rebuild with the same inputs gives the same release."""
    from autograder.release import release_notebook

    key = release_inputs(assignment)
    cache = Path(cache_dir) / f".{assignment.name}-release.json"
    try:
        cached = json.loads(cache.read_text(encoding="utf-8"))
        if cached.get("inputs") == key and isinstance(cached.get("notebook"), dict):
            return cached["notebook"]
    except (OSError, ValueError, AttributeError):
        pass
    from autograder.course import _import_jsonschema

    _import_jsonschema()  # without its IRI checker, which costs a second or more at import (nbformat validates)
    released = release_notebook(assignment)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(cache.name + ".partial")
    tmp.write_text(json.dumps({"inputs": key, "notebook": released}), encoding="utf-8")
    os.replace(tmp, cache)
    return released


def build_zip(assignment: Any, out_dir: Path, roster: Path | None = None, course: Any | None = None) -> Path:
    """Build ``out_dir/<name>-autograder.zip``; returns its path. ``roster`` (a roster CSV
    with SID and track columns, as for ``autograder grades``) tells the feedback each
    student's course; ``course`` is needed with it."""
    released = released_notebook(assignment, Path(out_dir))
    roster_bytes = roster_entry(roster, course) if roster is not None else None
    return write_zip(zip_entries(assignment, released, roster_bytes),
                     Path(out_dir) / f"{assignment.name}-autograder.zip")


# ---------------------------------------------------------------- trying
def unpack(zip_path: Path, root: Path) -> None:
    """Lay the zip out as Gradescope does: ``root/source`` and ``root/run_autograder``."""
    source = root / "source"
    shutil.rmtree(source, ignore_errors=True)
    source.mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            target = source / info.filename
            if not target.resolve().is_relative_to(source.resolve()):
                raise UnusableInput(f"{zip_path}: entry {info.filename!r} points outside the zip")
            archive.extract(info, source)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(target, mode)
    shutil.copy2(source / "run_autograder", root / "run_autograder")


def trial_metadata(assignment_title: str, due: dt.datetime, created_at: dt.datetime) -> dict[str, Any]:
    """submission_metadata.json in Gradescope's format, for a trial run."""
    fmt = "%Y-%m-%dT%H:%M:%S.%f%z"

    def iso(when: dt.datetime) -> str:
        text = when.strftime(fmt)
        return text[:-2] + ":" + text[-2:]

    return {
        "id": 1, "created_at": iso(created_at), "assignment_id": None, "submission_method": "upload",
        "users": [{"id": 1, "email": "try.student@example.edu", "name": "Try Student", "sid": "",
                   "assignment": {"due_date": iso(due), "late_due_date": None}}],
        "assignment": {"id": 1, "title": assignment_title, "due_date": iso(due), "late_due_date": None,
                       "total_points": "100.0", "group_submission": False, "group_size": None},
        "previous_submissions": [],
    }


def student_view(results: dict[str, Any]) -> str:
    """results.json the way Gradescope shows it to the student (and what it holds back)."""
    total = sum(float(t.get("max_score", 0)) for t in results.get("tests", []))
    lines = [f"=== What the student sees: {results['score']:g} / {total:g} ===", "", results.get("output", ""), ""]
    hidden = 0
    for test in results.get("tests", []):
        visibility = test.get("visibility", "visible")
        tag = "" if visibility == "visible" else f"   [{visibility}: not shown to the student until then]"
        if visibility != "visible":
            hidden += 1
        lines.append(f"{test.get('status', ''):>6}  {test.get('score', 0):g}/{test.get('max_score', 0):g}  "
                     f"{test.get('name', '')}{tag}")
        output = (test.get("output") or "").strip()
        if output and test.get("status") != "passed":
            lines += ["          " + line for line in output.splitlines()[:6]]
    if hidden:
        lines += ["", f"({hidden} test(s) are hidden from the student until their visibility allows.)"]
    return "\n".join(lines)


def isolation_note(results: dict[str, Any]) -> str:
    """The staff-only "Grading environment" test's text: which isolation was in force."""
    for test in results.get("tests", []):
        if "environment" in (test.get("tags") or []):
            return (test.get("output") or "").strip()
    return "Isolation in force: unknown (no grading-environment entry in results.json)"


def _run_setup(root: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root / "source", env=env,
                          capture_output=True, text=True, timeout=timeout)


def lay_out(zip_path: Path, root: Path, env: dict[str, str], *, fresh: bool) -> tuple[bool, list[str]]:
    """Make ``root`` what Gradescope's image is after ``setup.sh`` on this zip: reused as it is
    when setup.sh last completed there on the same zip (Gradescope too runs setup.sh once per
    upload), else unpacked and set up again. Returns (ok, lines for the user)."""
    from autograder.gradescope import tryenv

    state = tryenv.RootState(root)
    digest = tryenv.sha256_file(zip_path)
    if not fresh and state.zip_digest() == digest and (root / "venv" / "bin" / "python").exists() \
            and (root / "source" / "setup.sh").is_file():
        return True, [f"reusing {root}, set up earlier for this same zip (sha256 {digest[:12]}): setup.sh is not "
                      "run again, only run_autograder, as for a new submission on Gradescope (--fresh: redo it all)"]
    state.forget()
    if fresh:
        shutil.rmtree(root / "source", ignore_errors=True)
    unpack(zip_path, root)
    lines = [f"laid out {zip_path.name} under {root} ({'--fresh' if fresh else 'a new or changed zip'})"]
    started = time.monotonic()
    lines.append(f"{tryenv.prepare_venv(root, fresh, env)} [{time.monotonic() - started:.1f} s]")
    started = time.monotonic()
    done = _run_setup(root, env, timeout=1800)
    if done.returncode != 0:
        lines.append(f"setup.sh failed (exit {done.returncode}); on Gradescope the image build would fail too:\n"
                     f"{done.stdout}{done.stderr}")
        return False, lines
    state.record(digest)
    lines.append(f"setup.sh completed in {time.monotonic() - started:.1f} s: "
                 + " / ".join(line.removeprefix("setup.sh: ") for line in done.stdout.splitlines()
                              if line.startswith("setup.sh: ")))
    return True, lines


def try_zip(zip_path: Path, assignment: Any, course: Any, submission: Path, *, root: Path | None,
            late_hours: float | None, keep: bool = True, isolation: str | None = None,
            fresh: bool = False) -> int:
    """Run the zip on ``submission`` as Gradescope would, under ``root`` (default: a folder
    kept per course and assignment under /var/tmp), and print what the student would see.
    ``keep`` is ignored (the root is always kept, to be reused). Returns the exit code."""
    from autograder.gradescope import tryenv

    policy = course.assignment(assignment.name)
    created = policy.due - dt.timedelta(minutes=1) if late_hours is None else policy.due + dt.timedelta(hours=late_hours)
    default = root is None
    root = tryenv.default_root(Path(assignment.course_root), assignment.name) if default else Path(root)
    tryenv.make_root(root, default)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root))
    if isolation:
        env["AUTOGRADER_ISOLATION"] = isolation
    print(f"trying {zip_path.name} under {root} (submitted at {created.isoformat()}) ...", flush=True)
    with tryenv.locked(root):
        ok, lines = lay_out(zip_path, root, env, fresh=fresh)
        print("\n".join(lines), flush=True)
        if not ok:
            return 1
        for sub in ("submission", "results"):
            shutil.rmtree(root / sub, ignore_errors=True)
            (root / sub).mkdir()
        shutil.copy2(submission, root / "submission" / submission.name)
        (root / "submission_metadata.json").write_text(
            json.dumps(trial_metadata(policy.title, policy.due, created), indent=2))
        started = time.monotonic()
        done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                              timeout=900)
        elapsed = time.monotonic() - started
        results_file = root / "results" / "results.json"
        if not results_file.is_file():
            print(f"error: run_autograder wrote no results.json\n{done.stdout}\n{done.stderr}", file=sys.stderr)
            return 1
        results = json.loads(results_file.read_text())
    print(student_view(results))
    print(f"\n--- sandbox (staff only; Gradescope's own containers usually refuse namespaces: compare with "
          f"--isolation unprivileged-user) ---\n{isolation_note(results)}")
    print(f"\n--- autograder stdout (Gradescope shows it to: {results.get('stdout_visibility')}) ---")
    print((done.stdout + done.stderr).strip())
    print(f"\nresults.json: {results_file} (kept with the root; the next --try of the same zip reuses it); "
          f"run_autograder took {elapsed:.1f} s")
    errors = [t for t in results.get("tests", []) if "autograder-error" in (t.get("tags") or [])]
    return 1 if errors else 0


# ---------------------------------------------------------------- the verb
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="assignment name in course.yaml, e.g. hw1")
    parser.add_argument("--out", type=Path, default=Path("build"), metavar="DIR",
                        help="folder for <assignment>-autograder.zip (default: build/)")
    parser.add_argument("--course", type=Path, default=None, help="course.yaml (default: found from the current folder)")
    parser.add_argument("--roster", type=Path, default=None, metavar="ROSTER.csv",
                        help="the class roster (columns SID and track, as for `autograder grades`): only each "
                             "SID and track go into the zip, so that the feedback knows a student's course "
                             "(e.g. that an optional question is optional for them); without it, the feedback "
                             "says which courses a question is optional for")
    parser.add_argument("--try", dest="try_submission", type=Path, metavar="SUBMISSION.ipynb",
                        help="after building, run the zip's setup.sh and run_autograder on this submission as "
                             "Gradescope would (under a kept AUTOGRADER_ROOT, see --root) and print what the "
                             "student would see; reuses what it can and says what (--fresh: nothing)")
    parser.add_argument("--late", type=float, metavar="HOURS", default=None,
                        help="with --try: pretend the submission came this many hours after the due date "
                             "(default: one minute before it)")
    parser.add_argument("--root", type=Path, metavar="DIR", default=None,
                        help="with --try: lay the zip out under DIR, kept: a later --try of the same zip only "
                             "runs run_autograder there, and a changed zip reuses its environment (default: "
                             "/var/tmp/autograder-try-<uid>/<assignment>-<course hash>). Not under /tmp, "
                             "which the sandbox hides")
    parser.add_argument("--fresh", action="store_true",
                        help="with --try: do the full Gradescope-like build: unpack again, and let setup.sh "
                             "make the environment with pip (about a minute and a download) instead of reusing "
                             "this environment's installed packages")
    parser.add_argument("--keep", action="store_true", help=argparse.SUPPRESS)  # the root is always kept now
    parser.add_argument("--isolation", choices=("namespaces", "unprivileged-user", "user-namespaces", "none"),
                        default=None, help="with --try: force this sandbox isolation level (AUTOGRADER_ISOLATION), "
                        "e.g. 'unprivileged-user' to see what Gradescope's containers, which usually refuse "
                        "namespaces, will give (see docs/security.md)")


def run(args: argparse.Namespace) -> int:
    from autograder.assignment import load_assignment
    from autograder.check import require_checked
    from autograder.course import load_course

    try:
        assignment = load_assignment(args.assignment, args.course)
        require_checked(assignment, args.course)
        course = load_course(Path(assignment.course_root) / "course.yaml")
        if args.try_submission is not None and not args.try_submission.is_file():
            raise UnusableInput(f"--try {args.try_submission}: no such file")
        if args.roster is not None and not args.roster.is_file():
            raise UnusableInput(f"--roster {args.roster}: no such file")
        zip_path = build_zip(assignment, args.out, roster=args.roster, course=course)
    except (UnusableInput, GradesInputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with zipfile.ZipFile(zip_path) as archive:
        count = len(archive.namelist())
    print(f"wrote {zip_path} ({count} files, {zip_path.stat().st_size // 1024} KiB): upload it on Gradescope under "
          f"the assignment's Configure Autograder > Zip file upload.")
    if args.try_submission is None:
        return 0
    try:
        return try_zip(zip_path, assignment, course, args.try_submission, root=args.root,
                       late_hours=args.late, isolation=args.isolation, fresh=args.fresh)
    except UnusableInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
