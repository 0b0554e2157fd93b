"""Per-student variants: the course secret, HMAC seeds, and issuing a variant.

``seed = HMAC-SHA256(secret, "<space>|<exam>|<question>|<sid>")`` (first 8 bytes), so a variant is
reproducible by whoever holds the secret and unpredictable to everyone else; the practice exam uses
its own seed space (``practice``), so a practice variant says nothing about a real one.

The secret lives outside the repository and every release:

1. ``$AUTOGRADER_EXAM_SECRET`` (the secret itself), else
2. the file named by ``$AUTOGRADER_EXAM_SECRET_FILE``, else
3. ``reference/.exam-secret`` under the course root *only inside a Gradescope zip*
   (``autograder exam gradescope`` puts it there; setup.sh makes ``reference/`` root-only), else
4. ``~/.config/autograder/exam-secret``.

A secret file must not be readable by group or others (refused otherwise). ``autograder exam secret``
creates one (mode 600) outside the repository.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets as _secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from autograder.exam.questions import ExamSpec, Question, plain

SECRET_ENV = "AUTOGRADER_EXAM_SECRET"
SECRET_FILE_ENV = "AUTOGRADER_EXAM_SECRET_FILE"
ZIP_SECRET = Path("reference") / ".exam-secret"
DEFAULT_SECRET_FILE = Path("~/.config/autograder/exam-secret")
MIN_SECRET_BYTES = 16


class SecretUnavailable(RuntimeError):
    """No usable course secret; the message says where it was looked for and how to make one."""


def _read_secret_file(path: Path) -> bytes:
    info = path.stat()
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretUnavailable(f"{path} is readable by group or others (mode {stat.S_IMODE(info.st_mode):o}); "
                                f"run `chmod 600 {path}`")
    data = path.read_bytes().strip()
    if len(data) < MIN_SECRET_BYTES:
        raise SecretUnavailable(f"{path} holds {len(data)} bytes; a course secret needs at least {MIN_SECRET_BYTES}")
    return data


def load_secret(course_root: Path | None = None, *, inside_zip: bool = False) -> bytes:
    """The course secret as bytes (see the module docstring for where it is looked for)."""
    value = os.environ.get(SECRET_ENV, "")
    if value:
        if len(value.encode()) < MIN_SECRET_BYTES:
            raise SecretUnavailable(f"${SECRET_ENV} is shorter than {MIN_SECRET_BYTES} bytes")
        return value.encode()
    candidates: list[Path] = []
    if os.environ.get(SECRET_FILE_ENV):
        candidates.append(Path(os.environ[SECRET_FILE_ENV]).expanduser())
    if inside_zip and course_root is not None:
        candidates.append(Path(course_root) / ZIP_SECRET)
    candidates.append(DEFAULT_SECRET_FILE.expanduser())
    for path in candidates:
        if path.is_file():
            return _read_secret_file(path)
    looked = ", ".join(str(p) for p in candidates)
    raise SecretUnavailable(f"no course secret: set ${SECRET_ENV}, or ${SECRET_FILE_ENV} to a file, or create "
                            f"one with `autograder exam secret` (looked in: {looked})")


def create_secret_file(path: Path | None = None) -> Path:
    """Write a new random secret (mode 600) unless one exists; returns its path."""
    path = Path(path or DEFAULT_SECRET_FILE).expanduser()
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(_secrets.token_hex(32) + "\n")
    return path


def seed_for(secret: bytes, exam: str, question: str, sid: str, space: str = "exam") -> int:
    """The 64-bit seed of one student's variant of one question."""
    message = f"{space}|{exam}|{question}|{normalize_sid(sid)}".encode()
    return int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest()[:8], "big")


def normalize_sid(sid: str) -> str:
    """SIDs compare without spaces or dashes, case-insensitively (``905-123-456`` = ``905123456``)."""
    return "".join(ch for ch in str(sid) if ch.isalnum()).upper()


@dataclass
class IssuedQuestion:
    """One question as issued to one student: what they were shown and what is right."""

    question: str
    params: dict[str, Any]
    answers: dict[str, Any]
    """``{part: correct value}`` computed from ``params`` as shown."""
    order: list[int] = field(default_factory=list)
    """Multiple choice: ``order[i]`` is the option shown with letter i (empty otherwise)."""
    generator_hash: str = ""
    """Hash of the generator and answer code that made it (traces which code issued it)."""


@dataclass
class Student:
    """A roster line: who sits the exam, on which track, with what extra time."""

    sid: str
    name: str = ""
    email: str = ""
    track: str = ""
    extra_time: str = ""
    """Accommodation as written in the roster: ``1.5x`` (factor) or ``30m`` (minutes); empty if none."""


@dataclass
class IssuedExam:
    """Every question of one student's exam."""

    exam: str
    space: str
    student: Student
    questions: dict[str, IssuedQuestion]
    issued_at: str = ""

    def answers(self) -> dict[str, Any]:
        """``{part: correct value}`` over all questions."""
        return {part: value for q in self.questions.values() for part, value in q.answers.items()}


def issue_question(question: Question, secret: bytes, exam: str, sid: str, space: str = "exam") -> IssuedQuestion:
    """Draw one question's variant for ``sid``: params from the seeded generator, answers from the params."""
    rng = np.random.default_rng(seed_for(secret, exam, question.name, sid, space))
    params = plain(question.generate(rng))
    order: list[int] = []
    if "options" in params:
        order = [int(i) for i in rng.permutation(len(params["options"]))]
    answers = plain(question.answer(params))
    return IssuedQuestion(question.name, params, answers, order, question.source_hash())


def issue_exam(spec: ExamSpec, secret: bytes, student: Student, space: str = "exam") -> IssuedExam:
    """Draw a whole exam for one student (nothing is stored: see :mod:`autograder.exam.store`)."""
    questions = {q.name: issue_question(q, secret, spec.name, student.sid, space) for q in spec.questions}
    return IssuedExam(spec.name, space, student, questions,
                      dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
