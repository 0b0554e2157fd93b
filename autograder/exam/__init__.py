"""Exams: a different variant of every question for every student.

* :mod:`autograder.exam.questions` — how an exam is written: :class:`Question` (a generator of
  parameters, an answer function computed from the parameters as shown, the answer parts and
  how each is judged: :class:`Numeric`, :class:`Exact`, :class:`Choice`, :class:`Function`).
* :mod:`autograder.exam.variants` — variant = f(course secret, SID, question) by HMAC; the secret
  is read from ``$AUTOGRADER_EXAM_SECRET`` or a root-only file, never from the repository.
* :mod:`autograder.exam.store` — issued variants in the SQLite gradebook (an issued exam never changes).
* :mod:`autograder.exam.build` — ``autograder exam build``: one notebook, printable PDF and TA key per SID.
* :mod:`autograder.exam.windows` — sittings per track, accommodations, grace, late submissions.
* :mod:`autograder.exam.grade` — grading a submission against the submitter's own variant.
* :mod:`autograder.exam.regrade` — ``autograder regrade midterm --question Q3``.

Guide: ``docs/exams.md``.
"""
