"""Grading one exam submission against the submitter's own issued variant.

The variant comes from the gradebook (or the Gradescope zip's copy of it), found by the submitter's SID
from Gradescope's metadata (``users[].sid``; if Gradescope left it empty, their email matched against
the roster the exam was issued to). Numbers typed in the notebook are never used. The notebook's own
header SID and the cells that show the parameters are compared with what was issued to the submitter;
a mismatch (someone else's notebook, edited parameters) is graded all the same, on the submitter's
variant, and flagged for the instructor. Given the class's :class:`~autograder.exam.copies.KeyIndex`, wrong
answers that are right for another student's variant are flagged too (:mod:`autograder.exam.copies`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.exam import render
from autograder.exam.checking import grading_variant
from autograder.exam.questions import ExamSpec
from autograder.exam.variants import IssuedExam, normalize_sid
from autograder.results import GradingResult

INTEGRITY_TEST_NAME = "Exam integrity (instructors only)"
WINDOW_TEST_NAME = "Exam window"


@dataclass
class ExamGrading:
    """One graded exam submission."""

    result: GradingResult
    sid: str
    flags: list[str] = field(default_factory=list)
    """For the instructor: the notebook carries another SID, edited parameters, copied answers, ..."""
    answers: dict[str, tuple[Any, bool]] = field(default_factory=dict)
    """``{part: (the student's value, right on their own variant?)}`` for every part the tests judged."""
    copies: list[Any] = field(default_factory=list)
    """:class:`~autograder.exam.copies.CopyCase` of the wrong answers right for another variant."""
    copy_flags: list[str] = field(default_factory=list)
    """The flags (also in ``flags``) that ``copies`` gave."""


def find_submitter(issued: dict[str, IssuedExam], sids: list[str], emails: list[str]) -> IssuedExam | None:
    """The issued exam of the first submitter found by SID, else by email (case-insensitive)."""
    for sid in sids:
        exam = issued.get(normalize_sid(sid)) if sid else None
        if exam is not None:
            return exam
    wanted = {e.strip().lower() for e in emails if e and e.strip()}
    for exam in issued.values():
        if exam.student.email and exam.student.email.strip().lower() in wanted:
            return exam
    return None


def integrity_flags(spec: ExamSpec, issued: IssuedExam, notebook_path: Path, template: dict[str, Any],
                    extra: dict[str, str]) -> list[str]:
    """What in the submitted notebook disagrees with the exam issued to the submitter."""
    try:
        data = json.loads(Path(notebook_path).read_bytes().decode("utf-8-sig"))
    except Exception:
        return []
    flags = []
    meta = (data.get("metadata") or {}).get("exam") if isinstance(data, dict) else None
    own = normalize_sid(issued.student.sid)
    if isinstance(meta, dict) and meta.get("sid") and normalize_sid(str(meta["sid"])) != own:
        flags.append(f"the notebook was issued to SID {meta['sid']}, not to the submitter {own}")
    expected = render.checked_cells(render.student_notebook(template, render.values_for(spec, issued, extra), {}))
    got = render.checked_cells(data) if isinstance(data, dict) else {}
    header = got.get("exam_header", "")
    shown_sid = re.search(r"SID:\**\s*([A-Za-z0-9-]+)", header)
    if shown_sid and normalize_sid(shown_sid.group(1)) != own and not any("issued to SID" in f for f in flags):
        flags.append(f"the notebook's header shows SID {shown_sid.group(1)}, not the submitter's {own}")

    def norm(text: str) -> str:
        return re.sub(r"\s+", " ", text).strip()

    edited = [cell for cell, text in expected.items()
              if cell != "exam_header" and cell in got and norm(got[cell]) != norm(text)]
    if edited:
        flags.append("cells showing parameters differ from those issued to the submitter: " + ", ".join(edited))
    missing = [cell for cell in expected if cell not in got]
    if missing and len(missing) == len(expected):
        flags.append("none of the exam's own cells are in the notebook (copied into a fresh notebook?); "
                     "the parameters could not be compared")
    return flags


def grade_exam(assignment: Any, spec: ExamSpec, issued: IssuedExam, notebook: Path, *, template: dict[str, Any],
               extra: dict[str, str], slot: int = 0, only_question: str | None = None,
               index: Any = None) -> ExamGrading:
    """Grade ``notebook`` on ``issued`` (the submitter's variant): the HW harness runs the exam's hidden suite
    with the ``exam`` fixture set to that variant. ``only_question``: run only that question's tests.
    ``index`` (the class's :class:`~autograder.exam.copies.KeyIndex`): flag wrong answers right for another
    student's variant."""
    from autograder.grading import grade_submission

    with grading_variant(issued, only_question) as answers:
        result = grade_submission(assignment, Path(notebook), slot=slot)
    if only_question is not None:
        result.tests = [t for t in result.tests if t.task.lower() == only_question.lower()]
    flags = integrity_flags(spec, issued, notebook, template, extra)
    graded = ExamGrading(result, issued.student.sid, flags, dict(answers))
    if index is not None:
        from autograder.exam.copies import copy_flags, find_copies

        try:
            graded.copies = find_copies(index, issued.student.sid, graded.answers)
            graded.copy_flags = copy_flags(graded.copies)
        except Exception as exc:  # an odd answer value must not stop grading; say so to staff
            graded.copy_flags = [f"the copied-answer check could not run: {type(exc).__name__}: {exc}"]
        graded.flags += graded.copy_flags
    return graded


def integrity_test(flags: list[str], number: int) -> dict[str, Any]:
    """A staff-only results.json entry listing the flags (Gradescope shows ``hidden`` tests to staff only)."""
    return {
        "name": INTEGRITY_TEST_NAME, "number": str(number), "score": 0.0, "max_score": 0.0,
        "status": "failed" if flags else "passed",
        "output": ("Graded on the submitter's own variant, but: " + "; ".join(flags)) if flags
        else "The notebook is the one issued to the submitter, parameters unchanged.",
        "output_format": "text", "visibility": "hidden", "tags": ["exam-integrity"],
    }
