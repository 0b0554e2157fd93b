"""The student version of an assignment (the verb ``autograder release`` is ``release_cli``).

Uses nbgrader's own preprocessors, in the order ``nbgrader
generate_assignment`` applies them: lock cells, replace solutions by stubs,
clear outputs, check metadata, compute checksums, remove hidden tests and
mark schemes. Support files (data helpers) are copied beside the notebook.
"""

from __future__ import annotations

import json
import shutil
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
