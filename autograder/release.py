"""``autograder release hw1 [--out DIR]``: the student version of an assignment.

Uses nbgrader's own preprocessors, in the order ``nbgrader
generate_assignment`` applies them: lock cells, replace solutions by stubs,
clear outputs, check metadata, compute checksums, remove hidden tests and
mark schemes. Support files (data helpers) are copied beside the notebook.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from autograder.errors import UnusableInput

LEAK_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS",
                "### END HIDDEN TESTS", "BEGIN MARK SCHEME")


def release_notebook(assignment: Any) -> dict[str, Any]:
    """The released notebook as nbformat JSON (a dict), built with nbgrader's preprocessors."""
    try:
        import nbformat
        from nbgrader.preprocessors import (CheckCellMetadata, ClearHiddenTests, ClearMarkScheme,
                                            ClearOutput, ClearSolutions, ComputeChecksums, LockCells)
    except ImportError as exc:
        raise UnusableInput(f"releasing needs nbgrader and nbformat ({exc.name} is missing): "
                            "install the authoring tools with  pip install -e '.[author]'  "
                            "(make demo does this)") from None

    notebook = nbformat.read(str(assignment.source_notebook), as_version=nbformat.NO_CONVERT)
    resources: dict[str, Any] = {"unique_key": assignment.name, "metadata": {"path": str(assignment.source_notebook.parent)}}
    pipeline = [LockCells(), ClearSolutions(), ClearOutput(), CheckCellMetadata(), ComputeChecksums(),
                ClearHiddenTests(), ClearMarkScheme(), ComputeChecksums(), CheckCellMetadata()]
    for step in pipeline:
        notebook, resources = step.preprocess(notebook, resources)
    data = json.loads(nbformat.writes(notebook))
    from autograder.validate import STAMP_KEY, release_stamp  # what `autograder validate` reads

    data.setdefault("metadata", {})[STAMP_KEY] = release_stamp(data, assignment)
    check_no_leaks(json.dumps(data), assignment.source_notebook.name)
    return data


def check_no_leaks(text: str, where: str) -> None:
    """Refuse to write a release that still holds a solution or hidden-test marker."""
    for marker in LEAK_MARKERS:
        if marker in text:
            raise UnusableInput(f"{where}: the release still contains '{marker}'; "
                                "check the BEGIN/END markers in the source notebook.")


def release(assignment: Any, out_dir: Path) -> Path:
    """Write ``out_dir/<name>/<name>.ipynb`` and the support files; returns the folder."""
    target = Path(out_dir) / assignment.name
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    notebook = release_notebook(assignment)
    (staging / assignment.source_notebook.name).write_text(json.dumps(notebook, indent=1) + "\n")
    for path in assignment.support_files:
        shutil.copy2(path, staging / path.name)
    from autograder.validate import write_student_readme

    write_student_readme(staging, assignment)  # how to work, validate, submit; late days from course.yaml
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="assignment name in course.yaml, e.g. hw1")
    parser.add_argument("--out", type=Path, default=Path("release"), help="output folder (default: release/)")
    parser.add_argument("--course", type=Path, default=None, help="course.yaml (default: found from the current folder)")
    parser.add_argument("--no-wheel", action="store_true",
                        help="do not put the autograder wheel (what the README's `pip install` line installs) in the folder")


def run(args: argparse.Namespace) -> int:
    from autograder.assignment import load_assignment
    from autograder.check import require_checked

    try:
        assignment = load_assignment(args.assignment, args.course)
        require_checked(assignment, args.course)
        folder = release(assignment, args.out)
    except UnusableInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # nbgrader's metadata checks raise their own errors
        print(f"error: {assignment.source_notebook}: {exc}", file=sys.stderr)
        return 2
    if not args.no_wheel:
        from autograder.validate import build_student_wheel, wheel_name

        if build_student_wheel(folder) is None:
            print(f"warning: could not build {wheel_name()} (the README's install line needs it): run  pip wheel "
                  f"<the autograder source folder> --no-deps -w {folder}", file=sys.stderr)
    files = sorted(p.name for p in folder.iterdir())
    print(f"released {assignment.name} to {folder}/: {', '.join(files)}")
    return 0
