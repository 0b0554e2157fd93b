"""No visible check may fail correct code: the part of ``autograder check`` that runs
the notebook's visible test cells on correct notebooks, under several seeds.

Correct code comes from the source notebook's own solutions and from the correct
alternatives an instructor lists beside the hidden suite, in
``reference/hwN/alternatives.py``::

    CORRECT = {"momentum_in_place": ("sgd_momentum", "def sgd_momentum(w, dw, config=None):\\n ...")}

each a complete replacement for the solution cell ``grade_id`` (hidden material like the
suite; the Gradescope zip leaves the file out). For every correct notebook, check

* runs ``autograder validate`` on the release with that code typed in: it must say
  "Ready to submit" (so every visible test passes at the released seeds);
* grades it in the sandbox: it must earn full marks (the source's own grade is already
  part of ``check``);
* runs every visible test cell again in ``SWEEPS - 1`` *seed sweeps*, each of which must
  pass too.

**Seed sweeps.** A visible cell is run exactly as written; what changes is the random
stream each seed names. In sweep k (k >= 1), before the visible cells run again in the
graded process, ``np.random.default_rng(s)``, ``np.random.seed(s)`` and
``np.random.RandomState(s)`` are given the seed ``SeedSequence([k, TAG, s])`` derives,
unseeded ones a seed derived from k and a counter, and the global generator is reseeded
the same way. One seed still names one stream within a sweep (so "the same seed gives the
same mask" holds, and a value the cell recomputes from the same seed agrees), and the
same sweep always gives the same streams (check's verdict is reproducible and can be
remembered). What a sweep does change is every random input and every seeded
initialisation, in the cell and in the code it calls: a check that passes correct code
only at the released seed (a gradient check measuring rounding noise, a tolerance a few
standard deviations wide, a constant computed from the released seed's draws) fails in
some sweep, and check refuses it. Generators built another way
(``np.random.Generator(np.random.PCG64(s))``, Python's ``random``) keep their streams.
Between sweeps the notebook's global names are put back as they were after its cells
ran, so a visible cell sees the same names in every sweep.

**Packing.** Alternatives are graded together where they can be: each notebook takes at
most one alternative per solution cell, and none whose names another of its alternatives
defines (the later cell would hide the earlier). An alternative that changes a cache's
layout replaces the forward and the backward pass together, in the family's last cell (as
``tests/variants`` explains), so alternatives packed together agree on every cache. When a
packed notebook fails anyway, each of its alternatives is tried alone: a problem names the
alternative that fails alone, and a combination that fails only together is not a problem.
"""

from __future__ import annotations

import dataclasses
import importlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.assignment import Assignment
SWEEPS = 4
"""Seed sweeps check runs on every correct notebook: the released seeds plus 3 others."""
SWEEP_TAG = 0x5EED
"""Mixed into every swept seed (so sweep k's seeds are not simply other small integers)."""

SWEEP_SETUP = '''\
def _autograder_seed_sweep(sweep, tag=%(tag)d):
    """autograder check, seed sweep `sweep`: every seed names another random stream."""
    import numpy as np
    random = np.random
    g = globals()
    if not hasattr(random, "_autograder_released"):
        random._autograder_released = (random.default_rng, random.seed, random.RandomState)
        random._autograder_names = dict(g)
    default_rng, reseed, RandomState = random._autograder_released
    saved = random._autograder_names
    for name in [n for n in g if n not in saved]:
        del g[name]
    g.update(saved)
    unseeded = [0]

    def moved(value):
        if isinstance(value, (random.Generator, random.BitGenerator, random.SeedSequence, RandomState)):
            return value
        if value is None:
            unseeded[0] += 1
            entropy = [0, unseeded[0]]
        else:
            entropy = [1] + [int(v) for v in np.ravel(value)]
        return int(random.SeedSequence([sweep, tag] + entropy).generate_state(1)[0])

    class SweptRandomState(RandomState):
        def __init__(self, seed=None):
            super().__init__(moved(seed))

        def seed(self, seed=None):
            super().seed(moved(seed))

    random.default_rng = lambda seed=None: default_rng(moved(seed))
    random.seed = lambda seed=None: reseed(moved(seed))
    random.RandomState = SweptRandomState
    reseed(moved(None))
''' % {"tag": SWEEP_TAG}


@dataclass
class CorrectNotebook:
    """One correct notebook: the source's solutions with some cells replaced."""

    name: str
    """``the source's solutions`` or the alternatives' names, e.g. ``momentum_in_place + adam_folded``."""
    replacements: dict[str, str] = field(default_factory=dict)
    """{grade_id: cell source} put in place of the source's solution cells."""
    graded: bool = True
    """Whether to grade it (the source's own grade is part of check already)."""


# ---------------------------------------------------------------- the alternatives
def correct_alternatives(assignment: Assignment) -> dict[str, tuple[str, str]]:
    """``CORRECT`` of ``reference/<name>/alternatives.py``, {} when the file does not exist.

    Each value is (grade_id, cell source). Raises UnusableInput when the module cannot
    be imported or ``CORRECT`` is not of that form."""
    from autograder.errors import UnusableInput
    from autograder.rules import reference_module_for

    path = assignment.alternatives
    if not path.is_file():
        return {}
    package = reference_module_for(assignment.suite).__name__
    where = path.relative_to(assignment.course_root)
    try:
        module = importlib.import_module(f"{package}.{path.stem}")
    except Exception as exc:  # the instructor's file: say where, and what
        raise UnusableInput(f"{where} cannot be imported: {type(exc).__name__}: {exc}") from None
    correct = getattr(module, "CORRECT", None)
    if not isinstance(correct, dict) or not all(
            isinstance(v, tuple) and len(v) == 2 and all(isinstance(s, str) for s in v) for v in correct.values()):
        raise UnusableInput(f"{where}: CORRECT must be a dict {{name: (grade_id, cell_source)}}")
    return dict(correct)


def pack(alternatives: dict[str, tuple[str, str]]) -> list[dict[str, tuple[str, str]]]:
    """Alternatives in as few groups as possible: in one group, at most one per grade_id, and
    no two that define a same name (the later cell would hide the earlier). Order kept (first fit)."""
    from autograder.notebook import defined_names

    groups: list[dict[str, tuple[str, str]]] = []
    names: list[set[str]] = []
    for key, (grade_id, source) in alternatives.items():
        defines = set(defined_names(source)) | {grade_id}
        for group, taken in zip(groups, names):
            if not defines & taken:
                group[key] = (grade_id, source)
                taken |= defines
                break
        else:
            groups.append({key: (grade_id, source)})
            names.append(defines)
    return groups


def correct_notebooks(assignment: Assignment) -> list[CorrectNotebook]:
    """The source's solutions, then the packed alternatives (see ``pack``)."""
    notebooks = [CorrectNotebook("the source's solutions", graded=False)]
    for group in pack(correct_alternatives(assignment)):
        notebooks.append(CorrectNotebook(" + ".join(group), {gid: src for gid, src in group.values()}))
    return notebooks


# ---------------------------------------------------------------- running one notebook
def _write_student_folder(assignment: Assignment, notebook: dict[str, Any], folder: Path) -> Path:
    """The notebook and the release's support files in ``folder``, as on a student's laptop."""
    import shutil

    from autograder.samples import write_notebook

    path = write_notebook(notebook, folder / Path(assignment.source_notebook).name)
    for support in assignment.support_files:
        shutil.copy(support, folder / support.name)
    return path


def _sweep_cells(assignment: Assignment, path: Path, sweeps: range) -> tuple[list[Any], list[tuple[int, str]]]:
    """(cells to run, [(sweep, grade_id)] of the cells after the notebook's own ones)."""
    from autograder.grading import source_notebook
    from autograder.notebook import plan_cells, read_notebook, to_plain_python
    from autograder.sandbox.session import CellToRun

    source = source_notebook(assignment)
    cells = list(plan_cells(read_notebook(path), source).cells) + [CellToRun(SWEEP_SETUP, "seed sweep set-up")]
    tests = [c for c in source.code_cells() if c.is_test and not c.skipped]
    labels: list[tuple[int, str]] = [(-1, "")]
    for sweep in sweeps:
        cells.append(CellToRun(f"_autograder_seed_sweep({sweep})", f"seed sweep {sweep}"))
        labels.append((sweep, ""))
        for cell in tests:
            cells.append(CellToRun(to_plain_python(cell.source), f"visible test {cell.grade_id} (seed sweep {sweep})"))
            labels.append((sweep, cell.grade_id))
    return cells, labels


def sweep_failures(assignment: Assignment, path: Path, sweeps: range) -> list[tuple[int, str, str]]:
    """Run the notebook at ``path`` in the sandbox, then every visible test cell once per
    sweep in ``sweeps``: [(sweep, grade_id, first line of what went wrong)] for each that
    did not pass ("" for the grade_id when the notebook's own cells or a sweep set-up failed)."""
    from autograder.sandbox.session import StudentSession

    cells, labels = _sweep_cells(assignment, path, sweeps)
    own = len(cells) - len(labels)
    limits = dataclasses.replace(assignment.limits,
                                 submission_timeout_s=assignment.limits.submission_timeout_s * (1 + len(sweeps)))
    session = StudentSession(cells, limits, strip_paths=(str(assignment.course_root),),
                             support_files=assignment.support_files)
    try:
        session.start()
    finally:
        session.close()
    failures = []
    for index, report in enumerate(session.cell_reports):
        if report.status == "ok":
            continue
        sweep, grade_id = labels[index - own] if index >= own else (-1, "")
        failures.append((sweep, grade_id, _summary(report.message or report.status)))
    return failures


def _summary(message: str) -> str:
    """The error's last line, with the failing line of the cell when the error says little
    (``AssertionError``): ``assert grad_error(dx_num, dx) < 1e-7 -> AssertionError``."""
    lines = [line for line in message.strip().splitlines() if line.strip()]
    if not lines:
        return "failed"
    error = lines[-1].strip()
    code = [lines[i + 1].strip() for i in range(len(lines) - 1)
            if lines[i].lstrip().startswith("File ") and not lines[i + 1].lstrip().startswith(("File ", "^", "~"))]
    return (f"`{code[-1]}` -> {error}" if code and len(error) < 40 else error)[:400]


def notebook_problems(assignment: Assignment, correct: CorrectNotebook, sweeps: int = SWEEPS,
                      perfect: dict[str, Any] | None = None) -> list[str]:
    """Validate, grade and sweep one correct notebook: a sentence per thing that went wrong.

    ``perfect``: the release with the source's solutions typed in (made here if not given)."""
    from autograder.grading import grade_submission
    from autograder.samples import perfect_submission, with_cells
    from autograder.validate import validate

    where = assignment.source_notebook.relative_to(assignment.course_root)
    what = f"with {correct.name}" if correct.replacements else "with the source's solutions"
    problems = []
    with tempfile.TemporaryDirectory(prefix="autograder-check-visible-") as scratch:
        notebook = with_cells(perfect if perfect is not None else perfect_submission(assignment), correct.replacements)
        path = _write_student_folder(assignment, notebook, Path(scratch))
        report = validate(path)
        if not report.ready:
            first = report.problems[0] if report.problems else None
            detail = f"{first.where}: {first.headline or first.message.splitlines()[0]}" if first else report.unusable
            problems.append(f"{where}: validate is not ready {what}: {detail}")
        if correct.graded:
            result = grade_submission(assignment, path)
            failing = [f"{t.name} ({t.output.splitlines()[0] if t.output else t.status})"
                       for t in result.tests if t.status != "passed"]
            if failing or result.grader_errors or result.score != result.max_score:
                problems.append(f"{where}: the grade {what} is {result.score:g} of {result.max_score:g}, not full: "
                                + "; ".join(failing[:3] or result.grader_errors[:1]))
        for sweep, grade_id, message in (sweep_failures(assignment, path, range(1, sweeps)) if sweeps > 1 else []):
            if grade_id:
                problems.append(f"{where}: visible test cell `{grade_id}` fails correct code ({what}) in seed sweep "
                                f"{sweep} (every seed names another random stream): {message}. Make it pass for any "
                                "seed: compare gradients with grad_error, give tolerances a margin, use no constant "
                                "computed from the released seed's draws (docs/authoring.md)")
            else:
                problems.append(f"{where}: {what}, the notebook's cells failed before the seed sweeps: {message}")
    return problems


def visible_problems(assignment: Assignment, sweeps: int = SWEEPS) -> list[str]:
    """Every correct notebook (the source's, then the packed alternatives) is ready in
    validate, earns full marks, and passes its visible tests in every seed sweep."""
    from autograder.samples import perfect_submission

    problems: list[str] = []
    alternatives = correct_alternatives(assignment)
    perfect = perfect_submission(assignment)
    for correct in correct_notebooks(assignment):
        found = notebook_problems(assignment, correct, sweeps, perfect)
        if found and len(correct.replacements) > 1:  # name the alternative that fails
            keys = correct.name.split(" + ")
            alone = [notebook_problems(assignment, CorrectNotebook(key, {alternatives[key][0]: alternatives[key][1]}),
                                       sweeps, perfect) for key in keys]
            found = [p for each in alone for p in each]  # [] when only the combination fails: not the checks' fault
        problems += found
    return problems
