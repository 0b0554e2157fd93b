"""Sample submissions made from an assignment's source: a perfect one (the
released notebook with the instructor's solutions typed in, as a student
would), the blank release, and variants with chosen cells replaced.

Used by ``make demo``, the tests and the benchmarks.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from autograder.release import release_notebook

_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def solution_sources(assignment: Any) -> dict[str, str]:
    """{grade_id: the solution cell's code without the BEGIN/END markers}."""
    data = json.loads(Path(assignment.source_notebook).read_text())
    out = {}
    for cell in data["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("solution"):
            out[meta["grade_id"]] = _MARKER.sub("", _source(cell))
    return out


def blank_submission(assignment: Any) -> dict[str, Any]:
    """The released notebook, untouched."""
    return release_notebook(assignment)


def with_cells(notebook: dict[str, Any], replacements: dict[str, str]) -> dict[str, Any]:
    """A copy of ``notebook`` whose cells with these grade_ids get new sources."""
    result = copy.deepcopy(notebook)
    for cell in result["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in replacements:
            cell["source"] = replacements[grade_id]
    return result


def perfect_submission(assignment: Any) -> dict[str, Any]:
    """The release with every solution cell filled in from the source."""
    return with_cells(blank_submission(assignment), solution_sources(assignment))


def write_notebook(notebook: dict[str, Any], path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


DO_NOTHING = {
    "none": "every function returns None",
    "zeros": "every function returns np.zeros(1)",
    "first_argument": "every function returns its first argument unchanged",
}


def _do_nothing_body(function: Any, kind: str) -> list[Any]:
    """The statements of a function that computes nothing, in one of the DO_NOTHING ways."""
    import ast

    params = [a.arg for a in function.args.posonlyargs + function.args.args]
    if params and params[0] in ("self", "cls"):
        params = params[1:]
    if function.name == "__init__" or kind == "none":
        value = "None"
    elif kind == "zeros":
        value = "__import__('numpy').zeros(1)"
    else:
        value = params[0] if params else "None"
    return ast.parse(f"return {value}").body


def do_nothing_source(source: str, kind: str) -> str:
    """``source`` with the body of every function and method replaced by a ``kind`` of nothing."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.body = _do_nothing_body(node, kind)
    return ast.unparse(tree) + "\n"


def do_nothing_submission(assignment: Any, kind: str) -> dict[str, Any]:
    """The release with every solution cell's functions computing nothing (see DO_NOTHING)."""
    return with_cells(blank_submission(assignment),
                      {gid: do_nothing_source(src, kind) for gid, src in solution_sources(assignment).items()})
