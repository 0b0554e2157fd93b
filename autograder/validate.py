"""``autograder validate NOTEBOOK.ipynb``: a student checks a notebook before submitting.

Runs on the student's own machine with only the released notebook beside it
(no ``course.yaml``, no ``reference/``). Everything it needs was stamped into
the notebook's metadata by ``autograder release`` (``metadata.autograder``,
see ``release_stamp``): the assignment, the file name, the grader's limits,
the support files' hashes, and for every nbgrader cell its role, the names a
solution cell defines, and the released source of locked (instructor and
visible-test) cells. None of that is hidden material: it is all in the
released notebook already.

The cells run the way the grader runs them (``notebook.plan_cells`` and the
sandbox's ``StudentSession``, at whatever isolation this machine offers
without root): in notebook order, locked cells restored, ``skip-grading``
cells skipped, magics as no-ops, a cell that raises is reported and the next
one runs, the same per-cell time limit. The notebook checks (the released test
cells, and the ungraded ``check_*`` cells that test pasted code) then run in the
same process. (The hidden suite's *visible tests*, which Gradescope shows before
the deadline, are a different thing.) Hidden tests are not available here and
their results cannot be shown.

Findings come in notebook order; the report ends with one line, ``Ready to
submit`` or the first thing to fix. Exit code 0 only when ready, 1 when
something needs fixing, 2 when the file cannot be used at all.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import re
import sys
import threading
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from autograder.errors import StudentError, UnusableInput
from autograder.notebook import defined_names, source_text
from autograder.stubs import function_at, fingerprint, stub_fingerprints
from autograder.sandbox.imports import importable, imported_names, refusal, refused_imports
from autograder.sandbox.session import CellToRun, StudentSession

STAMP_KEY = "autograder"
STAMP_VERSION = 1
UPLOAD_LIMIT_BYTES = 20 * 1024 * 1024
"""Largest notebook validate calls ready. Gradescope's documentation (searched for this
project) states no per-file limit for programming-assignment uploads; the grader itself
refuses notebooks above ``notebook.MAX_NOTEBOOK_BYTES`` (64 MB) and Gradescope's container
has 768 MB of memory. 20 MB is a conservative budget far above any honest notebook (a
solved HW1 is about 70 kB; a few plots add about 50 kB each), and well below both."""
AT_THE_END = 1e9
"""Finding.order of the last things to do before uploading (rename, clear outputs)."""
SLOW_CELL_FRACTION = 0.5
"""A cell that takes more than this share of the grader's per-cell limit here gets a
warning: Gradescope's machine (0.5 vCPU) is usually slower than a laptop."""


# ---------------------------------------------------------------- the release's stamp
def release_stamp(notebook: dict[str, Any], assignment: Any) -> dict[str, Any]:
    """What ``autograder validate`` needs, for ``notebook.metadata.autograder`` of a release.

    ``notebook``: the released notebook (nbformat 4 JSON, solutions already removed);
    ``assignment``: the ``Assignment`` (its name, limits and support files).
    """
    from dataclasses import asdict

    cells = []
    for cell in notebook.get("cells", []):
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if cell.get("cell_type") != "code" or not meta.get("grade_id"):
            continue
        source = source_text(cell.get("source", ""))
        entry: dict[str, Any] = {"grade_id": meta["grade_id"], "skip": "skip-grading" in
                                 ((cell.get("metadata") or {}).get("tags") or [])}
        if meta.get("solution"):
            entry["role"] = "solution"
            entry["defines"] = defined_names(source)
            entry["stubs"] = stub_fingerprints(source)  # "not implemented" means still this code
        elif meta.get("grade"):
            entry["role"], entry["source"] = "test", source
        elif meta.get("locked"):
            entry["role"], entry["source"] = "instructor", source
        else:
            continue
        cells.append(entry)
    return {
        "version": STAMP_VERSION,
        "assignment": assignment.name,
        "title": getattr(assignment, "title", "") or assignment.name,
        "notebook": Path(assignment.source_notebook).name,
        "limits": asdict(assignment.limits),
        "max_upload_bytes": UPLOAD_LIMIT_BYTES,
        "support_files": {p.name: hashlib.sha256(Path(p).read_bytes()).hexdigest()
                          for p in assignment.support_files},
        "optional": optional_courses(assignment),
        # the released copies themselves: validate runs them, as the grader does, whatever the student's
        # copy beside the notebook says (a few tens of kB of text)
        "support_sources": _support_sources(assignment.support_files),
        # what student code may import besides the standard library (sandbox/imports.py: the grader's
        # packages and the support files); validate refuses the rest in the student process, as grading does
        "importable": _as_list(importable(assignment.support_files)),
        "cells": cells,
    }


def optional_courses(assignment: Any, course: Any | None = None) -> dict[str, list[str]]:
    """``{task: [course names it is optional for]}`` from course.yaml's ``optional_for``
    (``{"FullyConnectedNet": ["C147"]}`` for hw3); empty without a course.yaml."""
    if course is None:
        course_file = Path(getattr(assignment, "course_root", "") or ".") / "course.yaml"
        if not course_file.is_file():
            return {}
        from autograder.course import load_course

        course = load_course(course_file)
    try:
        policy = course.assignment(assignment.name)
    except Exception:  # an assignment course.yaml does not list: nothing is optional
        return {}
    optional: dict[str, list[str]] = {}
    for track, tasks in sorted(policy.optional_for.items()):
        for task in tasks:
            optional.setdefault(task, []).append(course.track(track).course)
    return optional


def optional_note(task: str, optional: dict[str, list[str]]) -> str:
    """``optional for C147`` when ``task`` is optional for some course, else ""."""
    courses = optional.get(task) or []
    return f"optional for {' and '.join(courses)}" if courses else ""


STAMPED_SOURCE_BYTES = 256 * 1024
"""Largest support file whose text the stamp carries (code, not data: a data file stays beside the notebook)."""


def _support_sources(paths: Any) -> dict[str, str]:
    """{file name: text} of the support files that are UTF-8 text of at most ``STAMPED_SOURCE_BYTES``."""
    sources = {}
    for path in paths:
        data = Path(path).read_bytes()
        if len(data) <= STAMPED_SOURCE_BYTES:
            try:
                sources[Path(path).name] = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
    return sources


def _as_list(names: tuple[str, ...] | None) -> list[str] | None:
    return None if names is None else list(names)


def nbgrader_checksum(cell: dict[str, Any]) -> str:
    """``nbgrader.utils.compute_checksum`` for one cell (nbformat JSON), without
    importing nbgrader (about 4 s here, twice validate's whole budget).
    ``tests/test_validate.py`` checks that the two agree."""
    meta = cell["metadata"]["nbgrader"]
    grade, solution = meta.get("grade", False), meta.get("solution", False)
    locked = False if solution else (True if grade else meta.get("locked", False))
    digest = hashlib.md5()
    for part in (source_text(cell.get("source", "")), cell.get("cell_type", ""), str(grade), str(solution), str(locked),
                 meta["grade_id"]):
        digest.update(str(part).encode("utf-8"))
    if grade:
        digest.update(str(float(meta["points"])).encode("utf-8"))
    return digest.hexdigest()


# ---------------------------------------------------------------- findings
@dataclass
class Finding:
    """One thing the student should know, at one place in the notebook."""

    kind: str
    """``raises``, ``timeout``, ``slow``, ``not-implemented``, ``missing-function``, ``locked-changed``,
    ``locked-missing``, ``visible-test``, ``too-large``, ``file-name``, ``support-file``, ``import``."""
    where: str
    """How the student finds it: ``cell 8 (defines `fit_least_squares`)`` or the file name."""
    message: str
    """What is wrong and what to do."""
    order: float = 0.0
    """Position in the notebook (1-based cell number); 0 for what must be right before cells can run
    (support files), ``AT_THE_END`` for what is done last (the file's name and size)."""
    problem: bool = True
    """False for a warning that does not stop the notebook being ready."""
    subject: str = ""
    """The function or grade_id it is about, if any."""
    headline: str = ""
    """One line for the report's last line (default: the message's first line)."""
    optional: str = ""
    """``optional for C147`` when it is about a question some courses may skip (course.yaml's
    ``optional_for``): listed apart, and not the first thing to fix."""


@dataclass
class VisibleTest:
    """One notebook check (a released test cell, or an ungraded ``check_*`` cell) run after the notebook's cells."""

    grade_id: str
    passed: bool
    message: str = ""


@dataclass
class Report:
    """Everything one validation found."""

    notebook: Path
    assignment: str = ""
    title: str = ""
    findings: list[Finding] = field(default_factory=list)
    visible: list[VisibleTest] = field(default_factory=list)
    isolation: str = ""
    elapsed_s: float = 0.0
    unusable: str = ""
    """Set when the file cannot be used at all (exit code 2)."""
    scratch: list[Path] = field(default_factory=list)
    """Temporary folders validate made (the release's support files), removed when it ends."""

    @property
    def problems(self) -> list[Finding]:
        """What must be fixed whatever the student's course: required first, then optional ones."""
        return [f for f in self.ordered() if f.problem and not f.optional]

    @property
    def optional_problems(self) -> list[Finding]:
        """Problems with a question that some courses may skip (say which in ``optional``)."""
        return [f for f in self.ordered() if f.problem and f.optional]

    @property
    def ready(self) -> bool:
        return not self.unusable and not self.problems and not self.optional_problems

    @property
    def exit_code(self) -> int:
        return 2 if self.unusable else (0 if self.ready else 1)

    @property
    def checks_passed(self) -> int:
        return sum(v.passed for v in self.visible)

    def ordered(self) -> list[Finding]:
        return sorted(self.findings, key=lambda f: f.order)  # stable: same place keeps its order

    def last_line(self) -> str:
        name = self.notebook.name
        if self.unusable:
            return f"Not ready: {self.unusable.split('. ')[0].rstrip('.')}."
        if self.ready:
            return f"Ready to submit: upload {name} to Gradescope."
        if not self.problems:
            notes = sorted({f.optional for f in self.optional_problems})
            subjects = sorted({f.subject.removeprefix("test_") for f in self.optional_problems if f.subject})
            return (f"Ready to submit if your course may skip {', '.join(f'`{s}`' for s in subjects) or 'it'} "
                    f"({'; '.join(notes)}): upload {name} to Gradescope. Otherwise, first thing to fix: "
                    + self._first(self.optional_problems[0]))
        return "First thing to fix: " + self._first(self.problems[0])

    @staticmethod
    def _first(finding: Finding) -> str:
        return f"{finding.where}: {finding.headline or finding.message.splitlines()[0]}"

    def render(self) -> str:
        """The text a student reads in the terminal."""
        lines = [f"autograder validate {self.notebook.name}"
                 + (f" ({self.title})" if self.title and self.title != self.assignment else "")]
        if self.unusable:
            lines += ["", self.unusable, "", self.last_line()]
            return "\n".join(lines)
        lines.append("Ran every cell in order in a fresh process, as the autograder does "
                     f"({self.elapsed_s:.1f} s).")
        problems = self.problems
        warnings = [f for f in self.ordered() if not f.problem]
        if any(f.where.startswith("cell ") for f in problems + warnings):
            lines.append("(Cell numbers count every cell from the top of the notebook, text cells included.)")
        if problems:
            lines += ["", f"To fix ({len(problems)}), in notebook order:"]
            for number, finding in enumerate(problems, start=1):
                lines.append(_item(f"{number}. ", finding))
        optional = self.optional_problems
        if optional:
            notes = "; ".join(sorted({f.optional for f in optional}))
            lines += ["", f"Optional questions ({notes}; required for the other courses):"]
            for finding in optional:
                lines.append(_item("- ", finding))
        if warnings:
            lines += ["", "Worth knowing:"]
            for finding in warnings:
                lines.append(_item("- ", finding))
        if self.visible:
            unrun = sum(1 for f in self.findings if f.kind == "visible-test" and not f.problem)
            lines += ["", f"Notebook checks: {self.checks_passed} of {len(self.visible)} passed"
                      + (f"; {unrun} could not run here (see above)." if unrun else ".")]
        lines += ["", "Hidden tests: validate cannot show their results. The autograder grades with its own "
                  "hidden tests (more cases than the notebook checks), and your score comes from those.", "",
                  self.last_line()]
        return "\n".join(lines)


def _item(prefix: str, finding: Finding) -> str:
    body = f"{finding.where}: {finding.message}"
    pad = " " * (len(prefix) + 2)
    return "  " + prefix + body.replace("\n", "\n" + pad)


# ---------------------------------------------------------------- helpers
def _describe(source: str) -> str:
    """A few words a student can search for: what the cell defines, or its first line."""
    names = defined_names(source)
    if names:
        return "defines " + ", ".join(f"`{n}`" for n in names[:3])
    for line in source.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return f"starts `{line[:50]}{'...' if len(line) > 50 else ''}`"
    return "empty"


def _where(position: int | None, source: str) -> str:
    if position is None:
        return f"a locked cell the autograder puts back ({_describe(source)})"
    return f"cell {position} ({_describe(source)})"


_NAME_ERROR = re.compile(r"NameError: name '([A-Za-z_][A-Za-z0-9_]*)' is not defined")


def _bound_names(source: str) -> set[str]:
    """Names a cell binds at top level (def, class, assignment, import, for, with)."""
    from autograder.notebook import to_plain_python

    try:
        tree = ast.parse(to_plain_python(source))
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        else:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    names.add(sub.id)
    return names


# ---------------------------------------------------------------- reading
def _load(path: Path) -> tuple[Any, dict[str, Any]]:
    """(Notebook, raw JSON): the grader's own reader first, so its refusals are the same."""
    from autograder.notebook import read_notebook

    notebook = read_notebook(path)  # UnusableInput: nbformat 3, not JSON, a script renamed .ipynb, ...
    data = json.loads(path.read_bytes().decode("utf-8-sig"))
    return notebook, data


def _stamp_of(data: dict[str, Any], name: str) -> dict[str, Any]:
    stamp = (data.get("metadata") or {}).get(STAMP_KEY)
    if not isinstance(stamp, dict) or not isinstance(stamp.get("cells"), list) or "assignment" not in stamp:
        raise UnusableInput(
            f"{name} does not say which assignment it is (its metadata has no '{STAMP_KEY}' section written by "
            "the release). Validate the notebook you downloaded from the course release, with your work in it; "
            "a notebook made by copying cells into a new file loses this information.")
    if int(stamp.get("version", 0)) > STAMP_VERSION:
        raise UnusableInput(f"{name} was released by a newer autograder than this one: upgrade it with the "
                            "install command in the release's README.")
    return stamp


def _source_notebook(stamp: dict[str, Any], path: Path) -> Any:
    """The grader's view of the source, rebuilt from the stamp (what plan_cells needs)."""
    from autograder.notebook import Cell, Notebook

    source = Notebook(path)
    for entry in stamp["cells"]:
        role = entry.get("role")
        source.cells.append(Cell(
            kind="code", source=str(entry.get("source", "")), grade_id=str(entry.get("grade_id", "")),
            solution=role == "solution", grade=role == "test", locked=role in ("test", "instructor"),
            tags=("skip-grading",) if entry.get("skip") else (),
        ))
    return source


def _planned_positions(notebook: Any, source: Any) -> list[int | None]:
    """The notebook position (1-based, over all cells) of each cell ``plan_cells`` runs,
    None for an instructor cell it restores: the same choices, in the same order."""
    from autograder.notebook import _insertion_point

    originals = {c.grade_id: c for c in source.code_cells() if c.grade_id}
    order = {gid: i for i, gid in enumerate(originals)}
    planned: list[tuple[int | None, int | None]] = []
    seen: set[str] = set()
    for position, cell in enumerate(notebook.cells, start=1):
        if cell.kind != "code":
            continue
        original = originals.get(cell.grade_id) if cell.grade_id else None
        if original is not None:
            seen.add(cell.grade_id)
            if original.is_test or original.skipped:
                continue
            if original.is_instructor:
                planned.append((position, order[cell.grade_id]))
                continue
        if cell.source.strip():
            planned.append((position, order.get(cell.grade_id)))
    for gid, original in originals.items():
        if gid in seen or not original.is_instructor or original.skipped:
            continue
        planned.insert(_insertion_point(planned, order[gid]), (None, order[gid]))  # type: ignore[arg-type]
    return [p for p, _ in planned]


# ---------------------------------------------------------------- the checks that need no running
def _check_file(path: Path, data: dict[str, Any], stamp: dict[str, Any], report: Report) -> list[Path]:
    """File name, size and support files; returns the support files to copy into the sandbox."""
    expected = str(stamp.get("notebook") or f"{stamp['assignment']}.ipynb")
    if path.name != expected:
        report.findings.append(Finding(
            "file-name", path.name,
            f"the release calls this notebook `{expected}`. Rename it to `{expected}` before you upload it "
            "(Gradescope grades a single notebook whatever its name, but with several it must guess).", AT_THE_END))
    size = path.stat().st_size
    limit = int(stamp.get("max_upload_bytes") or UPLOAD_LIMIT_BYTES)
    if size > limit:
        sizes = []
        for position, cell in enumerate(data.get("cells", []), start=1):
            outputs = cell.get("outputs") if isinstance(cell, dict) else None
            if outputs:
                sizes.append((len(json.dumps(outputs)), position, source_text(cell.get("source", ""))))
        sizes.sort(reverse=True)
        biggest = [f"cell {p} ({_describe(s)}): {n / 2**20:.1f} MB of output" for n, p, s in sizes[:3] if n > 100_000]
        report.findings.append(Finding(
            "too-large", path.name,
            f"the file is {size / 2**20:.1f} MB; the most validate accepts is {limit / 2**20:.0f} MB "
            "(Gradescope uploads and the grader's memory). "
            + ("Its outputs are the bulk: " + "; ".join(biggest) + ". " if biggest else "")
            + "Clear them (Edit > Clear Outputs of All Cells, or Kernel > Restart & Clear Output), save, "
            "and validate again.", AT_THE_END))
    return _support_files(path, stamp, report)


def _support_files(path: Path, stamp: dict[str, Any], report: Report) -> list[Path]:
    """The support files to copy into the sandbox: the release's own copies (stamped into the
    notebook), as the grader uses, whatever the student's copies beside the notebook hold;
    the student's copies only for a release that stamped no copies. Says when the student's
    copy differs or is missing."""
    released = stamp.get("support_sources") or {}
    folder = None
    support: list[Path] = []
    for name, digest in sorted((stamp.get("support_files") or {}).items()):
        candidate = path.parent / name
        text = released.get(name)
        usable = isinstance(text, str) and hashlib.sha256(text.encode("utf-8")).hexdigest() == digest
        if usable:
            if folder is None:
                import tempfile

                folder = Path(tempfile.mkdtemp(prefix="autograder-validate-support-"))
                report.scratch.append(folder)
            (folder / name).write_bytes(text.encode("utf-8"))  # byte for byte: the stamped SHA-256 holds
            support.append(folder / name)
        if not candidate.is_file():
            report.findings.append(Finding(
                "support-file", name,
                f"`{name}` is not beside your notebook. The grader provides the release's copy"
                + (" and validate ran that copy too, but Jupyter needs the file" if usable else "")
                + f": put it back in {path.parent} (download it from the release again)"
                + (" so that validate can run the cells that import it." if not usable else "."),
                0, problem=not usable))
            continue
        if not usable:
            support.append(candidate)
        if hashlib.sha256(candidate.read_bytes()).hexdigest() != digest:
            report.findings.append(Finding(
                "support-file", name,
                f"your `{name}` differs from the release's. The grader uses the release's copy, not yours"
                + (", and validate ran the release's copy too: your edit was ignored. " if usable else
                   ", so code that relies on your changes will fail there. ")
                + "Download it again so that Jupyter runs what the grader runs.", 0, problem=not usable))
    return support


def _check_locked(notebook: Any, data: dict[str, Any], stamp: dict[str, Any], report: Report) -> None:
    """Locked cells changed (nbgrader's checksum, else the released source) or deleted."""
    released = {e["grade_id"]: e for e in stamp["cells"] if e.get("role") in ("test", "instructor")}
    present: set[str] = set()
    raw_cells = data.get("cells", [])
    for position, cell in enumerate(notebook.cells, start=1):
        entry = released.get(cell.grade_id) if cell.kind == "code" and cell.grade_id else None
        if entry is None:
            continue
        present.add(cell.grade_id)
        raw = raw_cells[position - 1]
        meta = (raw.get("metadata") or {}).get("nbgrader") or {}
        changed = cell.source.strip() != str(entry.get("source", "")).strip()
        if meta.get("checksum") and not changed:
            try:
                changed = nbgrader_checksum(raw) != meta["checksum"]
            except (KeyError, TypeError, ValueError):
                changed = True
        if not changed:
            continue
        where = f"cell {position} ({cell.grade_id})"
        if entry.get("skip"):
            report.findings.append(Finding(
                "locked-changed", where, "this locked cell was changed. The autograder does not run it (it is "
                "tagged skip-grading: plots, training), so your edit changes nothing for grading.", position,
                problem=False))
            continue
        if entry["role"] == "test":
            message = ("this locked test cell was changed. The autograder ignores your version (it runs its "
                       "own tests), and validate ran the released one. Undo your edit, or copy the cell back "
                       "from the release.")
        else:
            message = ("this locked instructor cell was changed. The autograder replaces it by the original, "
                       "so code that relies on your edit will fail there (validate ran the original too). "
                       "Undo your edit, or copy the cell back from the release.")
        report.findings.append(Finding("locked-changed", where, message, position))
    for entry in stamp["cells"]:
        gid = entry["grade_id"]
        if gid in present or entry.get("role") != "instructor" or entry.get("skip"):
            continue
        report.findings.append(Finding(
            "locked-missing", f"instructor cell `{gid}`",
            "this locked cell is missing from your notebook. The autograder puts the original back in its "
            "place (validate did too); copy it back from the release so that your notebook runs the same way.",
            _order_for_grade_id(notebook, stamp, gid)))


def _check_imports(notebook: Any, stamp: dict[str, Any], report: Report) -> None:
    """Imports the grader refuses (``sandbox/imports.py``) in the student's own cells, function
    bodies included. The student process refuses them when they run (validate reports that as the
    cell's or the visible test's error), but a graded function that no visible test calls would lose
    its points only when graded: a problem there, a warning in other code. Said once per module,
    in the grader's words."""
    from autograder.notebook import to_plain_python

    allowed = stamp.get("importable")
    if not isinstance(allowed, list):
        return  # a release from before the rule: nothing to compare with
    restored = {e["grade_id"] for e in stamp["cells"] if e.get("role") in ("test", "instructor") or e.get("skip")}
    graded = {n for e in stamp["cells"] if e.get("role") == "solution" for n in e.get("defines", [])}
    said = "\n".join(f.message for f in report.findings)
    for position, cell in enumerate(notebook.cells, start=1):
        if cell.kind != "code" or (cell.grade_id and cell.grade_id in restored):
            continue
        try:
            source = to_plain_python(cell.source)
        except Exception:  # a cell that does not even transform: its run already reported it
            continue
        for name, line, owner in refused_imports(source, allowed):
            if refusal(name) in said:
                continue
            said += "\n" + refusal(name)
            problem = not owner or owner in graded
            consequence = (f"so `{owner}` fails there and loses its points." if owner in graded else
                           "so this cell fails there." if not owner else
                           f"so `{owner}` fails there if the graded code calls it.")
            report.findings.append(Finding(
                "import", _where(position, cell.source),
                f"line {line}: {refusal(name)}. The autograder's machine has no `{name}`, {consequence}",
                position, problem=problem, subject=owner or name, headline=refusal(name)))


def _order_for_grade_id(notebook: Any, stamp: dict[str, Any], grade_id: str) -> float:
    """Where a missing cell would be: just after the cell that precedes it in the release."""
    ids = [e["grade_id"] for e in stamp["cells"]]
    positions = {c.grade_id: i for i, c in enumerate(notebook.cells, start=1) if c.grade_id}
    if grade_id in positions:
        return positions[grade_id]
    before = [positions[g] for g in ids[:ids.index(grade_id)] if g in positions] if grade_id in ids else []
    return (max(before) if before else 0) + 0.5


# ---------------------------------------------------------------- skipped cells, on the student's machine
PIP_NAMES = {"sklearn": "scikit-learn", "skimage": "scikit-image", "PIL": "pillow", "cv2": "opencv-python",
             "yaml": "pyyaml", "bs4": "beautifulsoup4"}
"""Modules whose pip package has another name (for the install hint)."""
def importable_here(module: str) -> bool:
    """Whether this Python can import top-level ``module`` (found, not imported: no side effects)."""
    import importlib.util

    if module in sys.stdlib_module_names or module in sys.modules:
        return True
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def unimportable(source: str, filename: str, folder: Path, seen: set[str],
                 importable: Any = importable_here) -> list[tuple[str, str]]:
    """Modules that ``source`` (a cell or a support file) needs and ``importable`` refuses, as
    (module, where: ``data_utils.py imports it at line 12``). A module that is a file beside the
    notebook (a support file) is not imported: its own imports are checked, once each (``seen``)."""
    if "import" not in source:
        return []
    missing: list[tuple[str, str]] = []
    # a cell that does not compile imports nothing here: running it says so, and it is the student's own edit
    for module, line, _ in imported_names(source):
        if module in seen:
            continue
        seen.add(module)
        beside = folder / f"{module}.py"
        if beside.is_file():
            try:
                text = beside.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            missing += unimportable(text, beside.name, folder, seen, importable)
            continue
        if not (folder / module).is_dir() and not importable(module):
            missing.append((module, f"{filename} imports it at line {line}"))
    return missing


def _check_skipped_cells(notebook: Any, stamp: dict[str, Any], folder: Path, report: Report) -> None:
    """Warn when a cell the grader skips (skip-grading: data loading, training, plots) would stop the
    student's own run in Jupyter because it imports, directly or through a support file, a module that
    this Python (the one validate runs in, which the README installs beside Jupyter) cannot import.
    Static: the cells are parsed, not run (they train, which is too slow)."""
    from autograder.notebook import to_plain_python

    positions = {c.grade_id: (i, c) for i, c in enumerate(notebook.cells, start=1) if c.grade_id}
    supported = set(stamp.get("support_files") or {})
    seen = {Path(name).stem for name in supported if not (folder / name).is_file()}  # reported as missing files
    for entry in stamp["cells"]:
        if not entry.get("skip"):
            continue
        position, cell = positions.get(entry["grade_id"], (None, None))
        source = cell.source if cell is not None else str(entry.get("source", ""))
        label = f"cell {position} ({entry['grade_id']})" if position else f"skipped cell `{entry['grade_id']}`"
        for module, where in unimportable(to_plain_python(source), label, folder, seen):
            via = f" ({where})" if not where.startswith(label) else f" (line {where.rsplit(' ', 1)[1]})"
            package = PIP_NAMES.get(module, module)
            report.findings.append(Finding(
                "skipped-cell-import", label,
                f"this cell needs `{module}`{via}, which this Python ({sys.executable}) cannot import. "
                "The autograder skips this cell (tagged skip-grading), so your grade does not depend on it, "
                f"but in Jupyter it stops with ModuleNotFoundError. Install it where you run Jupyter "
                f"(`pip install {package}`), and tell your course staff: the release should not need it.",
                float(position) if position else _order_for_grade_id(notebook, stamp, entry["grade_id"]),
                problem=False, subject=entry["grade_id"]))


# ---------------------------------------------------------------- running
_PROBE = """(lambda g, names: {n: (lambda o: None if o is None else [type(o).__name__, [
    [c.co_filename, c.co_firstlineno, "NotImplementedError" in c.co_names, c.co_name]
    for c in ([o.__code__] if hasattr(o, "__code__") else
              [f.__code__ for f in vars(o).values() if hasattr(f, "__code__")] if isinstance(o, type) else [])]])(
    g.get(n)) for n in names})(globals(), %r)"""


def _run(notebook: Any, stamp: dict[str, Any], support: list[Path], report: Report,
         limits: Any | None) -> None:
    from autograder.notebook import plan_cells, to_plain_python
    from autograder.sandbox.process import Limits, SandboxUnavailable, detect_isolation

    known = {f.name for f in fields(Limits)}
    limits = limits or Limits(**{k: v for k, v in (stamp.get("limits") or {}).items() if k in known})
    tests = [e for e in stamp["cells"] if _is_notebook_check(e)]
    planned: dict[str, Any] = {}

    def plan_everything() -> None:
        """Choose the cells exactly as the grader does (and turn magics into Python, which
        imports IPython): on a thread, while the student process starts."""
        source = _source_notebook(stamp, notebook.path)
        planned["plan"] = plan_cells(notebook, source)
        planned["positions"] = _planned_positions(notebook, source)
        planned["tests"] = [CellToRun(to_plain_python(str(e.get("source", ""))), f"notebook check {e['grade_id']}")
                            for e in tests]

    import logging  # noqa: F401 - imported here, not mid-fork on the thread (its at-fork lock handlers)

    planner = threading.Thread(target=plan_everything, daemon=True)
    planner.start()
    isolation = detect_isolation()
    report.isolation = f"{isolation.level} ({isolation.description})"
    importable_here = stamp.get("importable")
    session = _TimedSession([], limits, isolation=isolation, support_files=tuple(support),
                            imports=tuple(importable_here) if isinstance(importable_here, list) else None)

    def cells() -> list[CellToRun]:
        planner.join()
        if "tests" not in planned:  # the planner failed: plan here, so that its error is raised here
            plan_everything()
        return planned["plan"].cells + planned["tests"]

    try:
        try:
            session.start_with(cells)
        except SandboxUnavailable as exc:
            report.unusable = f"validate could not start a process to run your notebook in: {exc}"
            return
        plan, positions = planned["plan"], planned["positions"]
        matched = len(positions) == len(plan.cells)
        if not matched:  # plan_cells changed its choices: keep going, place by order, name cells by label
            positions = [None] * len(plan.cells)
        cell_reports = session.cell_reports[:len(plan.cells)]
        test_reports = session.cell_reports[len(plan.cells):]
        label_position: dict[str, int | None] = {}
        order_of: list[float] = []
        last = 0.0
        for index, cell in enumerate(plan.cells):
            position = positions[index]
            last = float(position) if position is not None else last + 0.01
            order_of.append(last)
            label_position[cell.label] = position
        _report_cells(notebook, stamp, plan, positions if matched else None, order_of, cell_reports, session,
                      limits, report)
        probe = _probe(session, stamp)
        sources = {cell.label: cell.source for cell in plan.cells}
        _report_functions(notebook, stamp, probe, label_position, cell_reports, positions, report, sources)
        _report_visible(notebook, stamp, tests, test_reports, report,
                        _Timing(session, len(plan.cells), limits.cell_timeout_s))
    finally:
        try:
            session.close()
        except OSError:  # cleaning up after the student process is best effort on a laptop
            pass


class _TimedSession(StudentSession):
    """The grader's StudentSession, also timing each cell (for the slow-cell warning)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.durations: dict[int, float] = {}
        self.written: dict[int, int] = {}
        """Bytes the student's code printed (stdout and stderr) while each cell ran."""

    def start_with(self, cells: Any) -> None:
        """``start()``, but the process is spawned before ``cells()`` gives the cells to run
        (they are planned meanwhile)."""
        self._spawn()
        self.cells = cells()
        for index, cell in enumerate(self.cells):
            self.cell_reports.append(self._run_cell(index, cell, report=True))

    def _run_cell(self, index: int, cell: CellToRun, *, report: bool) -> Any:
        started = time.monotonic()
        process = self.process
        before = getattr(process, "bytes_written", 0)
        result = super()._run_cell(index, cell, report=report)
        if report:
            self.durations[index] = time.monotonic() - started
            if process is not None:  # (the last chunk may still be in the pipe: near enough for megabytes)
                self.written[index] = getattr(process, "bytes_written", 0) - before
        return result


@dataclass
class _Timing:
    """How long the notebook checks took, and how much they printed."""

    session: Any
    first: int
    """Index of the first notebook check among the session's cells."""
    limit_s: float

    def of(self, number: int) -> tuple[float, int]:
        """(seconds, bytes printed) of notebook check ``number`` (0-based)."""
        index = self.first + number
        return self.session.durations.get(index, 0.0), self.session.written.get(index, 0)


LOUD_BYTES = 1_000_000
"""Output above this in one cell is worth telling: printing it takes time, and the
grader keeps only the first ``Limits.max_output_bytes`` of it."""


def output_note(written: int, seconds: float) -> str:
    """``your code printed 40.2 MB while this cell ran (it took 34.0 s)``, or "" when it printed little."""
    if written < LOUD_BYTES:
        return ""
    return (f"your code printed {written / 1e6:.1f} MB while this cell ran (it took {seconds:.1f} s): printing "
            "that much is slow. Remove the debug prints (print, display) from your functions.")


def _report_cells(notebook: Any, stamp: dict[str, Any], plan: Any, positions: list[int | None] | None,
                  order_of: list[float], cell_reports: list[Any], session: Any, limits: Any, report: Report) -> None:
    """Cells that raised, exited, crashed or timed out (problems) and slow ones (warnings).
    ``positions`` is None when they could not be matched to the notebook (then labels say where)."""
    skipped_ids = {e["grade_id"] for e in stamp["cells"] if e.get("skip")}  # what the grader skips
    bindings: dict[str, list[tuple[int, set[str]]]] = {}

    def bound(which: str) -> list[tuple[int, set[str]]]:
        """(position, names bound) of the cells that run ("later") or are skipped; parsed only if needed."""
        if not bindings:
            bindings["later"], bindings["skipped"] = [], []
            for position, cell in enumerate(notebook.cells, start=1):
                if cell.kind == "code":
                    key = "skipped" if cell.grade_id in skipped_ids else "later"
                    bindings[key].append((position, _bound_names(cell.source)))
        return bindings[which]
    out_of_time: list[Any] | None = None  # [the finding, how many later cells did not run either]
    for index, cell_report in enumerate(cell_reports):
        position = positions[index] if positions is not None else None
        cell = notebook.cells[position - 1] if position else None
        if positions is None:
            where = plan.cells[index].label
        else:
            where = _where(position, cell.source if cell else plan.cells[index].source)
        duration = session.durations.get(index, 0.0)
        if cell_report.status == "ok":
            if duration > SLOW_CELL_FRACTION * limits.cell_timeout_s:
                report.findings.append(Finding(
                    "slow", where,
                    f"took {duration:.1f} s here; the autograder stops a cell after {limits.cell_timeout_s:g} s "
                    "and its machine may be slower than yours. Make it faster (vectorize) if you can.",
                    order_of[index], problem=False))
            continue
        message = cell_report.message
        kind = "timeout" if cell_report.status == "timeout" else "raises"
        headline = ""
        stopped_after = re.search(r"still running after ([0-9.]+) s", message)
        if kind == "timeout" and "total time limit" in message:  # the whole notebook's budget ran out earlier
            if out_of_time is not None:
                out_of_time[1] += 1
                continue
            message = (f"not run: the notebook used up the autograder's total time of "
                       f"{limits.submission_timeout_s:g} s for all cells and tests before this cell.")
            out_of_time = [Finding(kind, where, message, order_of[index], headline=message), 0]
            report.findings.append(out_of_time[0])
            continue
        elif kind == "timeout" and stopped_after and float(stopped_after.group(1)) < limits.cell_timeout_s - 0.01:
            message = (f"stopped after {float(stopped_after.group(1)):.1f} s, when the notebook ran out of the "
                       f"autograder's total time ({limits.submission_timeout_s:g} s for all cells and tests). "
                       "Make the slow cells faster.")
        elif kind == "timeout":
            message = (f"still running after {limits.cell_timeout_s:g} s, the autograder's limit for one cell, "
                       "so it was stopped (an endless loop, or code much slower than a vectorized solution?). "
                       "Later cells ran without it.")
        elif cell_report.status == "error":
            traceback_text = message.split("\n", 1)[1] if "\n" in message else message
            lines = [line for line in traceback_text.strip().splitlines() if line.strip()]
            headline = "raises " + (lines[-1].strip() if lines else "an error")
            hint = _name_error_hint(message, position, bound) if _NAME_ERROR.search(message) else ""
            message = ("raises an error (the autograder reports it too, then runs the next cell):\n"
                       + traceback_text.rstrip() + ("\n" + hint if hint else ""))
            if hint:
                headline += " (" + hint.split(". ")[0] + ")"
        else:  # exit, crashed: the session's own words say what happened
            message = message.replace(plan.cells[index].label, "this cell", 1)
        report.findings.append(Finding(kind, where, message, order_of[index], headline=headline))
    if out_of_time is not None and out_of_time[1]:
        out_of_time[0].message += f" Nor did the {out_of_time[1]} cells after it, nor the notebook checks."


def _name_error_hint(message: str, position: int | None, bound: Any) -> str:
    """For ``NameError: name 'x'``: where ``x`` is defined, if the grader's order explains the error."""
    match = _NAME_ERROR.search(message)
    if not match or position is None:
        return ""
    name = match.group(1)
    later, skipped = bound("later"), bound("skipped")
    after = [p for p, names in later if p > position and name in names]
    if after:
        return (f"`{name}` is defined only later, in cell {after[0]}. It worked in Jupyter because you ran that "
                f"cell first; the autograder runs cells top to bottom. Move cell {after[0]} above cell {position} "
                "(then Kernel > Restart & Run All to check).")
    in_skipped = [p for p, names in skipped if name in names]
    if in_skipped:
        return (f"`{name}` is defined only in cell {in_skipped[0]}, which the autograder skips (tagged "
                "skip-grading: plots, training, data loading). Define what your code needs in your own cells.")
    return ""


def _probe(session: Any, stamp: dict[str, Any]) -> dict[str, Any]:
    names = sorted({n for e in stamp["cells"] if e.get("role") == "solution" for n in e.get("defines", [])})
    if not names:
        return {}
    try:
        value = session.define(_PROBE % (names,))
    except StudentError:
        return {}
    return value if isinstance(value, dict) else {}


def _still_stub(code: list[Any], sources: dict[str, str], stubs: set[str] | None) -> bool:
    """Whether one probed code object (``[filename, first line, raises NotImplementedError,
    name]``) is still a released stub. Without the stamp's fingerprints (an older
    release), any function that raises NotImplementedError counts, as it used to."""
    if not code[2]:
        return False
    if stubs is None:
        return True
    filename = str(code[0])
    source = sources.get(filename[1:-1] if filename.startswith("<") and filename.endswith(">") else filename)
    node = function_at(source, int(code[1]), str(code[3])) if source is not None else None
    return node is None or fingerprint(node) in stubs


def _report_functions(notebook: Any, stamp: dict[str, Any], probe: dict[str, Any],
                      label_position: dict[str, int | None], cell_reports: list[Any],
                      positions: list[int | None], report: Report, sources: dict[str, str] | None = None) -> None:
    solution_entries = [e for e in stamp["cells"] if e.get("role") == "solution"]
    stubs = ({f for e in solution_entries for f in e.get("stubs", [])}
             if solution_entries and all("stubs" in e for e in solution_entries) else None)
    by_grade_id = {c.grade_id: (i, c) for i, c in enumerate(notebook.cells, start=1) if c.grade_id}
    failed_positions = {positions[i] for i, r in enumerate(cell_reports) if r.status != "ok"}
    for entry in stamp["cells"]:
        if entry.get("role") != "solution":
            continue
        position, cell = by_grade_id.get(entry["grade_id"], (None, None))
        for name in entry.get("defines", []):
            info = probe.get(name, None) if probe else None
            if not probe:
                continue
            if info is None:
                where = _where(position, cell.source) if cell else f"the `{entry['grade_id']}` cell"
                if cell is None:
                    message = (f"`{name}` is not defined: its solution cell (`{entry['grade_id']}`) is missing. "
                               "The autograder looks functions up by name; put the cell back from the release.")
                elif position in failed_positions:
                    message = (f"`{name}` is not defined because its cell raised an error (above). Fix that "
                               "error first.")
                else:
                    others = [n for n in defined_names(cell.source) if n not in entry.get("defines", [])]
                    message = (f"`{name}` is not defined: the autograder calls it by this exact name"
                               + (f"; did you rename it to `{others[0]}`? Rename it back." if others else
                                  ". Define it in this cell with its original name and parameters."))
                order = position if position else _order_for_grade_id(notebook, stamp, entry["grade_id"])
                report.findings.append(Finding("missing-function", where, message, order, subject=name))
                continue
            codes = info[1] if isinstance(info, list) and len(info) > 1 and isinstance(info[1], list) else []
            stubs_left = [c for c in codes if isinstance(c, list) and len(c) == 4
                          and _still_stub(c, sources or {}, stubs)]
            if not stubs_left:
                continue
            filename = str(stubs_left[0][0])
            label = filename[1:-1] if filename.startswith("<") and filename.endswith(">") else filename
            where_position = label_position.get(label, position)
            where_cell = notebook.cells[where_position - 1] if where_position else cell
            where = _where(where_position, where_cell.source if where_cell else "")
            report.findings.append(Finding(
                "not-implemented", where,
                (f"`{name}` is not implemented yet: it still raises NotImplementedError. " if info[0] != "type" else
                 f"`{name}` is not implemented yet: its method{'s' if len(stubs_left) > 1 else ''} "
                 + ", ".join(f"`{c[3]}`" for c in stubs_left) + " still raise" + ("" if len(stubs_left) > 1 else "s")
                 + " NotImplementedError. ")
                + "Replace `raise NotImplementedError()` with your code.",
                float(where_position) if where_position else float(position or 0), subject=name))


CHECK_PREFIX = "check_"
"""An ungraded, skip-grading instructor cell whose grade_id starts with this (``check_hw3_layers``)
checks code the student pasted; validate runs it as a notebook check (the grader skips it)."""


def _is_notebook_check(entry: dict[str, Any]) -> bool:
    """A released test cell the grader does not skip, or an ungraded ``check_*`` cell."""
    if entry.get("role") == "test":
        return not entry.get("skip")
    return entry.get("role") == "instructor" and str(entry.get("grade_id", "")).startswith(CHECK_PREFIX)


def _loaded_names(source: str) -> list[str]:
    """Names ``source`` reads, in order of first use (empty when it does not parse)."""
    from autograder.notebook import to_plain_python

    try:
        tree = ast.parse(to_plain_python(source))
    except (SyntaxError, ValueError):
        return []
    names = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
    return list(dict.fromkeys(names))


def _checked_functions(entry: dict[str, Any], functions: set[str]) -> list[str]:
    """The student's functions a notebook check is the own check of: ``X`` for ``test_X``; for a
    ``check_*`` cell, the functions it calls."""
    gid = str(entry["grade_id"])
    if entry.get("role") == "test":
        return [gid.removeprefix("test_")]
    return [n for n in _loaded_names(str(entry.get("source", ""))) if n in functions]


def _at_fault(entry: dict[str, Any], message: str, functions: set[str]) -> list[str]:
    """The functions a failing notebook check blames: those of its own functions its error's
    last line names (a ``check_*`` cell's assert says which pasted layer is wrong), else all."""
    own = _checked_functions(entry, functions)
    last = message.strip().splitlines()[-1] if message.strip() else ""
    return [n for n in own if re.search(rf"\b{re.escape(n)}\b", last)] or own


def _uses(notebook: Any, entry: dict[str, Any], functions: set[str]) -> set[str]:
    """The student's functions a notebook check runs: those its source calls and, through the
    student's own code (as written in their notebook), those these call, at any depth."""
    from autograder.notebook import to_plain_python

    calls: dict[str, set[str]] = {}
    for cell in notebook.cells:
        if cell.kind != "code" or not cell.source.strip():
            continue
        try:
            tree = ast.parse(to_plain_python(cell.source))
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in functions:
                calls[node.name] = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in functions}
    todo = [n for n in _loaded_names(str(entry.get("source", ""))) if n in functions]
    used: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in used:
            used.add(name)
            todo.extend(calls.get(name, ()))
    return used


def _report_visible(notebook: Any, stamp: dict[str, Any], tests: list[dict[str, Any]], test_reports: list[Any],
                    report: Report, timing: "_Timing | None" = None) -> None:
    """The notebook checks that fail, each blamed on the function whose own check fails first."""
    stubbed = {f.subject for f in report.findings if f.kind in ("not-implemented", "missing-function")}
    positions = {c.grade_id: i for i, c in enumerate(notebook.cells, start=1) if c.grade_id}
    functions = {n for e in stamp["cells"] if e.get("role") == "solution" for n in e.get("defines", [])}
    order_of = {e["grade_id"]: float(positions.get(e["grade_id"]) or _order_for_grade_id(notebook, stamp, e["grade_id"]))
                for e in tests}
    failed: list[tuple[float, str, list[str]]] = []  # (order, where, its own functions) of every failing check
    for entry, cell_report in zip(tests, test_reports):
        if cell_report.status != "ok":
            failed.append((order_of[entry["grade_id"]], entry["grade_id"],
                           _at_fault(entry, cell_report.message, functions)))
    for number, (entry, cell_report) in enumerate(zip(tests, test_reports)):
        gid = entry["grade_id"]
        passed = cell_report.status == "ok"
        report.visible.append(VisibleTest(gid, passed, "" if passed else cell_report.message))
        seconds, written = timing.of(number) if timing is not None else (0.0, 0)
        loud = output_note(written, seconds)
        position = positions.get(gid)
        where = f"cell {position} ({gid})" if position else f"notebook check `{gid}` (deleted from your notebook)"
        if passed:
            if loud:
                report.findings.append(Finding("slow", where, loud[0].upper() + loud[1:], order_of[gid],
                                               problem=False, subject=gid))
            continue
        message = cell_report.message
        own = _checked_functions(entry, functions)
        if set(own) & stubbed and ("NotImplementedError" in message or "NameError" in message):
            continue  # already reported at the function itself
        if "total time limit" in message and any("total time" in f.message for f in report.findings):
            continue  # said once, at the first cell that did not run
        missing = _NAME_ERROR.search(message)
        called = set(re.findall(r", in ([A-Za-z_][A-Za-z0-9_]*)\n", message))
        cause = (missing.group(1) if missing and missing.group(1) in stubbed else
                 next((n for n in sorted(stubbed & called) if "NotImplementedError" in message), ""))
        if not cause and missing and any(missing.group(1) in _bound_names(str(e.get("source", "")))
                                         for e in stamp["cells"] if e.get("skip")):
            # the check needs a cell the autograder skips (the assignment's doing, not the student's)
            name = missing.group(1)
            report.findings.append(Finding(
                "visible-test", where,
                f"validate could not run this notebook check: it uses `{name}`, which only a cell the autograder "
                "skips defines (skip-grading). Run the check in Jupyter instead.",
                order_of[gid], problem=False, subject=gid))
            continue
        used = _uses(notebook, entry, functions) | called
        earlier = next(((o, g, fs) for o, g, fs in failed
                        if g != gid and o < order_of[gid] and set(fs) & (used - set(own))), None)
        to_fix = _at_fault(entry, message, functions)
        fix = ("Fix " + " or ".join(f"`{n}`" for n in to_fix)
               + (f" (cell {positions[to_fix[0]]})." if len(to_fix) == 1 and to_fix[0] in positions else ".")
               if to_fix else "")
        if cause:  # it fails only because of a function already reported above
            fix = f"It fails because `{cause}` is not written or not defined yet (above): fix that first."
        elif earlier is not None:
            blamed = [n for n in earlier[2] if n in used and n not in own]
            where_earlier = (f"cell {int(earlier[0])} ({earlier[1]})" if earlier[0] == int(earlier[0])
                             else f"`{earlier[1]}`")
            fix = (f"It may fail only because {', '.join(f'`{n}`' for n in blamed)}, which this check also runs, "
                   f"fail{'s' if len(blamed) == 1 else ''} {'its' if len(blamed) == 1 else 'their'} own check in "
                   f"{where_earlier} above: fix that first.")
        if cell_report.status == "timeout":
            stopped = f"it was stopped after {max(seconds, timing.limit_s if timing else 0):.0f} s, the autograder's " \
                      "limit for one cell"
            if loud:
                message = f"the notebook check did not finish: {stopped}. The reason: {loud}"
                headline = f"the notebook check did not finish: your code printed {written / 1e6:.1f} MB"
            else:
                message = (f"the notebook check did not finish: {stopped} (an endless loop, or code much slower "
                           f"than a vectorized solution?). {fix}").rstrip()
                headline = "the notebook check did not finish"
        else:
            traceback_text = message.split("\n", 1)[-1].rstrip()
            lines = [line.strip() for line in traceback_text.splitlines() if line.strip()]
            message = "the notebook check fails:\n" + traceback_text + (f"\n{fix}" if fix else "")
            if loud:
                message += "\nAlso, " + loud
            headline = "the notebook check fails: " + (lines[-1] if lines else "an error")
        report.findings.append(Finding("visible-test", where, message, order_of[gid], subject=gid, headline=headline))


def _mark_optional(stamp: dict[str, Any], report: Report) -> None:
    """Findings about a question some courses may skip say so (course.yaml's ``optional_for``)."""
    optional = stamp.get("optional") or {}
    for finding in report.findings:
        note = optional_note(finding.subject.removeprefix("test_"), optional)
        if note and finding.problem:
            finding.optional = note  # listed under "Optional questions (optional for C147 ...)"



# ---------------------------------------------------------------- entry points
def validate(path: Path, *, limits: Any | None = None) -> Report:
    """Check one notebook as the grader would see it. Never raises for a bad notebook:
    ``report.unusable`` says why it cannot be used (exit code 2)."""
    started = time.monotonic()
    path = Path(path)
    report = Report(path)
    try:
        notebook, data = _load(path)
        stamp = _stamp_of(data, path.name)
    except UnusableInput as exc:
        report.unusable = _unusable_message(path, str(exc))
        return report
    report.assignment = str(stamp["assignment"])
    _check_skipped_cells(notebook, stamp, path.parent, report)  # static, cheap: what Jupyter would stop at
    report.title = str(stamp.get("title", ""))
    try:
        support = _check_file(path, data, stamp, report)
        _check_locked(notebook, data, stamp, report)
        _run(notebook, stamp, support, report, limits)
        _check_imports(notebook, stamp, report)
        _mark_optional(stamp, report)
    finally:
        import shutil

        for folder in report.scratch:
            shutil.rmtree(folder, ignore_errors=True)
    report.elapsed_s = time.monotonic() - started
    return report


def _unusable_message(path: Path, message: str) -> str:
    if not path.exists():
        here = sorted(p.name for p in path.parent.glob("*.ipynb")) if path.parent.is_dir() else []
        return (f"{path.name}: no such file in {path.parent.resolve()}. "
                + (f"Notebooks there: {', '.join(here[:5])}." if here else
                   "Run validate in the folder that holds your notebook, or give its path."))
    if path.suffix.lower() == ".ipynb" and "Python script" in message:
        first = ""
        try:
            first = next((line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()), "")
        except OSError:
            pass
        return (f"{path.name} is a Python script renamed to .ipynb, not a Jupyter notebook (it is not JSON"
                + (f"; it starts `{first[:50]}`" if first else "") + "). Renaming does not convert it: in Jupyter, "
                "open your notebook and use File > Download > Notebook (.ipynb), or start again from the "
                "release's notebook.")
    return message


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (
        "Runs your notebook the way the autograder does: cells top to bottom in a fresh process, locked\n"
        "cells restored, skip-grading cells skipped, magics as no-ops, the autograder's time limit per\n"
        "cell; then the notebook checks. Reports, in notebook order: cells that raise, functions not\n"
        "implemented or renamed, locked cells changed, failing notebook checks, slow cells, a file too\n"
        "large, a file named differently from the release. Needs only the notebook (and the files the\n"
        "release put beside it); no course files, no root. It cannot show hidden-test results.\n\n"
        "example:\n  autograder validate hw1.ipynb\n\n"
        "exit codes: 0 ready to submit, 1 something to fix, 2 not a usable notebook.")
    parser.add_argument("notebook", type=Path, help="your notebook, e.g. hw1.ipynb (the released file, with your work)")


def run(args: argparse.Namespace) -> int:
    try:
        report = validate(args.notebook)
    except Exception:  # validate's own failure, not a verdict on the notebook: say so, keep the details
        import traceback

        traceback.print_exc()
        print(f"autograder validate {args.notebook}\n\nvalidate itself failed (details above); this says "
              "nothing about your notebook. Tell your course staff, with the message above.", file=sys.stdout)
        return 2
    print(report.render())
    return report.exit_code


# ---------------------------------------------------------------- what the release gives students
README_NAME = "README.md"
STUDENT_WHEEL_OMITS = ("samples.py", "integrity", "copies.py")
"""Left out of the wheel students install: the modules that build solved submissions (``samples.py``)
and the staff-only academic-integrity tools (``integrity/``, ``exam/copies.py``: a student who can
read their thresholds can aim below them)."""


def wheel_name() -> str:
    """The file name of this package's wheel (what the student README tells students to install)."""
    try:
        from importlib.metadata import version

        number = version("autograder")
    except Exception:  # not installed (a source checkout): the project's version
        number = "0.1.0"
    return f"autograder-{number}-py3-none-any.whl"


def late_rules(course: Any, assignment: str) -> str:
    """The late-day rules of ``course.yaml`` for one assignment, in words for students."""
    if course is None:
        return "See the course syllabus."
    policy = course.assignment(assignment)
    rules = course.late_days
    grace = (f" Up to {rules.grace_minutes} minutes late counts as on time." if rules.grace_minutes else "")
    if policy.late == "firm":
        return f"This deadline is firm: no late days, and a late submission earns 0.{grace}"
    if policy.late == "ignore":
        return "Late days do not apply to this assignment."
    return (f"Every student has {rules.per_student} late days for the whole quarter. Each started day (24 hours) "
            f"after the deadline uses one; at most {rules.max_per_assignment} may go to one assignment, so a "
            f"submission more than {rules.max_per_assignment} days late earns 0, as does one made after your late "
            f"days have run out.{grace} Gradescope's submission time is the one that counts.")


def student_readme(assignment: Any, course: Any | None = None) -> str:
    """The README of a release folder: how to work, validate, submit, and what late days cost."""
    from string import Template

    template = Template((Path(__file__).with_name("templates") / "README_students.md").read_text())
    notebook = Path(assignment.source_notebook).name
    limits = assignment.limits
    support = [Path(p).name for p in assignment.support_files]
    due = "see Gradescope"
    course_name, term = "", ""
    if course is not None:
        course_name, term = course.name, course.term
        try:
            when = course.assignment(assignment.name).due
            due = when.strftime("%A %d %B %Y, %H:%M ") + f"({when.tzname() or course.timezone})"
        except Exception:  # an assignment course.yaml does not list: no date to give
            pass
    return template.safe_substitute(
        title=getattr(assignment, "title", "") or assignment.name, notebook=notebook,
        course_name=course_name or "Course", term=term or "this term", due=due,
        support_sentence=(", the files it imports (" + ", ".join(f"`{s}`" for s in support) + ")") if support else "",
        wheel=wheel_name(), cell_limit=f"{limits.cell_timeout_s:g}", late_rules=late_rules(course, assignment.name),
    )


def write_student_readme(folder: Path, assignment: Any) -> Path:
    """Write ``folder/README.md`` for students, reading course.yaml from the assignment's course root."""
    course = None
    course_file = Path(assignment.course_root) / "course.yaml"
    if course_file.is_file():
        from autograder.course import load_course

        course = load_course(course_file)
    path = Path(folder) / README_NAME
    path.write_text(student_readme(assignment, course))
    return path


def build_student_wheel(folder: Path) -> Path | None:
    """Build this package's wheel into ``folder`` (what ``pip install`` in the README installs);
    None when the package is not a source checkout or pip cannot build it here.

    Built from a fresh copy of the package (``autograder/`` and ``pyproject.toml`` only), so
    nothing else of the course folder, nor a stale ``build/`` left by an earlier build, can
    end up in it, and two builds at once do not share a build folder. The sample-submission
    modules (``samples.py``: filled-in notebooks for tests, demos and benchmarks, which may
    hold answers) are left out: students never need them."""
    import shutil
    import subprocess
    import tempfile

    project = Path(__file__).resolve().parent.parent
    if not (project / "pyproject.toml").is_file():
        return None
    with tempfile.TemporaryDirectory(prefix="autograder-wheel-") as tmp:
        source = Path(tmp) / "src"
        shutil.copytree(project / "autograder", source / "autograder",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", *STUDENT_WHEEL_OMITS))
        shutil.copy2(project / "pyproject.toml", source / "pyproject.toml")
        proc = subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q",
                               "-w", str(folder)], capture_output=True, text=True)
    wheels = sorted(Path(folder).glob("autograder-*.whl"))
    return wheels[-1] if proc.returncode == 0 and wheels else None
