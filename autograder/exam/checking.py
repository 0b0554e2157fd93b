"""What the ``exam`` fixture of exam suites gives a test (``autograder.exam.fixtures`` defines the
pytest fixture; the grader's plain runner calls :func:`exam_check` without importing pytest).

The grader sets the submitter's issued variant with :func:`grading_variant` around
``grade_submission``; a test then judges one answer part against that variant::

    @pytest.mark.points(POINTS["q2_loss"])
    @pytest.mark.task("Q2")
    def test_q2_loss(student, exam):
        exam.check(student, "q2_loss")

Without a grading variant (an author running ``pytest reference/midterm/``), the fixture uses the
*authoring* variant: seeds from a fixed, public key under the seed space ``authoring`` (never a real
student's variant), whose key the reference module defines, so the reference earns full marks.
``grading_variant(..., only_question="Q3")`` skips every other question's tests (regrade of one question).
The block yields ``{part: (the student's value, right?)}``, filled by :meth:`ExamCheck.check` as the tests
run (in the grader process: the value is the plain data the student's variable held), which the copied-answer
check (:mod:`autograder.exam.copies`) reads.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Iterator

from _pytest.outcomes import skip  # pytest's skip, without importing pytest

from autograder.exam.questions import LETTERS, Choice, ExamSpec, Function
from autograder.exam.variants import IssuedExam, Student, issue_exam

AUTHORING_KEY = b"authoring-variant: public, never used for a student"
AUTHORING_SID = "000000000"


@dataclass
class _Context:
    issued: IssuedExam | None = None
    only_question: str | None = None
    answers: dict[str, tuple[Any, bool]] | None = None


_context = _Context()


@contextlib.contextmanager
def grading_variant(issued: IssuedExam, only_question: str | None = None) -> Iterator[dict[str, tuple[Any, bool]]]:
    """Grade against ``issued`` (and only ``only_question``'s tests, if given) inside the block; yields the
    answers the tests judged, ``{part: (value, right?)}``."""
    previous = (_context.issued, _context.only_question, _context.answers)
    answers: dict[str, tuple[Any, bool]] = {}
    _context.issued, _context.only_question, _context.answers = issued, only_question, answers
    try:
        yield answers
    finally:
        _context.issued, _context.only_question, _context.answers = previous


class ExamCheck:
    """What a test of an exam suite uses: the spec and the submitter's issued variant."""

    def __init__(self, spec: ExamSpec, issued: IssuedExam):
        self.spec, self.issued = spec, issued

    def key(self, part: str) -> Any:
        question = self.spec.part_owner(part)
        return self.issued.questions[question.name].answers[part]

    def answers_as_student(self) -> dict[str, Any]:
        """``{variable: value}`` a perfect student would write (multiple choice as its letter)."""
        out = {}
        for q in self.spec.questions:
            issued = self.issued.questions[q.name]
            for part, spec in q.parts.items():
                if isinstance(spec.judge, Function):
                    continue
                value = issued.answers[part]
                if isinstance(spec.judge, Choice):
                    value = LETTERS[issued.order.index(int(value))]
                out[part] = value
        return out

    def check(self, student: Any, part: str) -> None:
        """Judge the student's variable ``part`` against this variant's key; fail with safe feedback."""
        from autograder.testing import assert_true

        question = self.spec.part_owner(part)
        spec = question.parts[part]
        issued = self.issued.questions[question.name]
        got = getattr(student, part)
        if isinstance(spec.judge, Choice):
            verdict = spec.judge.judge(got, issued.answers[part], spec.what or part, issued.order)
        else:
            verdict = spec.judge.judge(got, issued.answers[part], spec.what or part)
        if _context.answers is not None:
            _context.answers[part] = (got, verdict.ok)
        assert_true(verdict.ok, verdict.message)


def authoring_variant(spec: ExamSpec) -> ExamCheck:
    """The public authoring variant of ``spec`` (see the module docstring)."""
    issued = issue_exam(spec, AUTHORING_KEY, Student(AUTHORING_SID, "Authoring Variant"), space="authoring")
    return ExamCheck(spec, issued)


def exam_check(reference: Any, student: Any, task: str) -> ExamCheck:
    """The ``exam`` fixture's value for a test of ``task`` (its ``task`` marker, "" if none): the same
    for pytest and for the grader's plain run of a collected test (``autograder.suite``)."""
    spec: ExamSpec = reference.EXAM
    if _context.only_question is not None and task and task.lower() != _context.only_question.lower():
        skip(f"regrade of {_context.only_question} only")
    if _context.issued is None:
        from autograder.local_namespace import LocalNamespace

        if not isinstance(student, LocalNamespace):  # a sandboxed submission graded outside the exam path
            raise RuntimeError(f"{spec.name} is an exam: grade it with `autograder exam grade/batch` or on Gradescope, "
                               "where each submission is graded on its submitter's own variant")
        return authoring_variant(spec)
    return ExamCheck(spec, _context.issued)
