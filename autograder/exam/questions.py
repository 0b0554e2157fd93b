"""How an exam question is written and how each answer is judged.

A question module (``reference/<exam>/questions.py``) lists :class:`Question` objects::

    Question(
        name="Q2", title="Softmax loss and its gradient", lectures="4",
        generate=gen_q2,        # (rng: numpy Generator) -> params: dict of plain, *already rounded* values
        answer=answer_q2,       # (params) -> {part: correct value}, computed from the params as shown
        text=TEXT_Q2,           # markdown with {{Q2.name}} placeholders, filled from ``shown(params)``
        parts={"q2_loss": Part(Numeric(sig_figs=3), points=8, what="the loss"), ...},
    )

The student answers part ``q2_loss`` by assigning the variable ``q2_loss`` in the question's answer
cell. Judges:

* :class:`Numeric` — a number or array; ``rtol`` (``|got - key| <= rtol·|key|`` elementwise) or
  ``sig_figs`` (within half a unit of the n-th significant figure of the key);
* :class:`Exact` — an integer, or a shape (tuple of integers), exactly; ``3.0`` counts as ``3``;
* :class:`Choice` — multiple choice: the options are shuffled per student and shown with letters;
  the student's letter is mapped back to the option before comparing;
* :class:`Function` — a function the student writes, graded by the hidden pytest suite's tests of
  that task (the HW harness).

Generators draw from the numpy ``Generator`` they are given and nothing else, and return values
rounded the way they are displayed, so the answer computed from them is the answer to the numbers
the student read.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w]*)\.([A-Za-z_][\w]*)\s*\}\}")
LETTERS = "ABCDEFGH"


class Verdict:
    """Outcome of judging one answer: ``ok`` and a message safe to show the student."""

    __slots__ = ("ok", "message")

    def __init__(self, ok: bool, message: str = ""):
        self.ok, self.message = ok, message

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return f"Verdict({self.ok}, {self.message!r})"


def _as_numbers(value: Any) -> np.ndarray | None:
    """A float array from a number, list or array; None if it is not numeric."""
    if value is None or isinstance(value, (str, bytes, dict)):
        return None
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return arr


def _shape_words(shape: tuple[int, ...]) -> str:
    return "a single number" if shape == () else f"shape {shape}"


@dataclass(frozen=True)
class Numeric:
    """A number or array of numbers judged with a relative tolerance or significant figures.

    rtol: accepted when ``|got - key| <= rtol * |key|`` for every entry (a key of 0 needs
    ``|got| <= atol``). sig_figs: accepted when ``|got - key|`` is at most half a unit in the
    ``sig_figs``-th significant figure of the key (so the key rounded to ``sig_figs`` figures,
    and any more precise value, is right). Give exactly one of the two.
    """

    rtol: float | None = None
    sig_figs: int | None = None
    atol: float = 1e-9

    def __post_init__(self) -> None:
        if (self.rtol is None) == (self.sig_figs is None):
            raise ValueError("Numeric: give exactly one of rtol= or sig_figs=")

    def describe(self) -> str:
        return (f"relative tolerance {self.rtol:g}" if self.rtol is not None
                else f"{self.sig_figs} significant figures")

    def allowed(self, key: np.ndarray) -> np.ndarray:
        """Largest accepted |got - key|, elementwise."""
        key = np.abs(np.asarray(key, dtype=np.float64))
        if self.rtol is not None:
            return np.where(key > 0, self.rtol * key, self.atol)
        with np.errstate(divide="ignore"):
            exponent = np.floor(np.log10(np.where(key > 0, key, 1.0)))
        half_unit = 0.5 * 10.0 ** (exponent - (self.sig_figs - 1))
        return np.where(key > 0, half_unit, self.atol)

    def judge(self, got: Any, key: Any, what: str) -> Verdict:
        arr = _as_numbers(got)
        key_arr = np.asarray(key, dtype=np.float64)
        if arr is None:
            return Verdict(False, f"{what}: expected {_shape_words(key_arr.shape)}, got {type(got).__name__} "
                                  f"({'no answer' if got is None else 'not a number'}).")
        if arr.size == key_arr.size and arr.shape != key_arr.shape and arr.ndim <= 2 and key_arr.ndim <= 1:
            arr = arr.reshape(key_arr.shape)  # a column or row vector where a vector is asked
        if arr.shape != key_arr.shape:
            return Verdict(False, f"{what}: wrong shape: got {arr.shape}, expected {key_arr.shape}.")
        if not np.all(np.isfinite(arr)):
            return Verdict(False, f"{what}: contains NaN or infinity.")
        error = np.abs(arr - key_arr)
        slack = self.allowed(key_arr) * (1 + 1e-9) + 1e-15  # a value written exactly at the boundary passes
        wrong = int(np.count_nonzero(error > slack))
        if wrong:
            entries = "" if key_arr.ndim == 0 else f" ({wrong} of {key_arr.size} entries)"
            return Verdict(False, f"{what}: not correct to {self.describe()}{entries}.")
        return Verdict(True)


@dataclass(frozen=True)
class Exact:
    """An integer (``7``; ``7.0`` accepted) or a shape (``(16, 30, 30)``; a list accepted), exactly."""

    def describe(self) -> str:
        return "exact"

    def judge(self, got: Any, key: Any, what: str) -> Verdict:
        if isinstance(key, (list, tuple)):
            if not isinstance(got, (list, tuple, np.ndarray)):
                return Verdict(False, f"{what}: expected a tuple of {len(key)} integers, got "
                                      f"{'no answer' if got is None else type(got).__name__}.")
            values = [_integer(v) for v in list(np.asarray(got, dtype=object).ravel())] \
                if isinstance(got, np.ndarray) else [_integer(v) for v in got]
            if len(values) != len(key):
                return Verdict(False, f"{what}: expected {len(key)} integers, got {len(values)}.")
            if any(v is None for v in values):
                return Verdict(False, f"{what}: every entry must be an integer.")
            return Verdict(True) if values == [int(k) for k in key] else Verdict(False, f"{what}: not correct.")
        value = _integer(got)
        if value is None:
            return Verdict(False, f"{what}: expected an integer, got "
                                  f"{'no answer' if got is None else type(got).__name__}.")
        return Verdict(True) if value == int(key) else Verdict(False, f"{what}: not correct.")


def _integer(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    return None


@dataclass(frozen=True)
class Choice:
    """Multiple choice. The question's params hold ``options`` (a list of strings) and the answer
    function returns the index of the right option in that list. Each student sees the options in
    their own order (``order``, drawn with their variant) labelled A, B, C, ...; they answer a letter."""

    def describe(self) -> str:
        return "one letter"

    def judge(self, got: Any, key: Any, what: str, order: list[int] | None = None) -> Verdict:
        order = list(order or [])
        if not isinstance(got, str) or got.strip().upper()[:1] not in LETTERS[: len(order)] or len(got.strip()) > 3:
            letters = ", ".join(LETTERS[: len(order)])
            return Verdict(False, f"{what}: answer one of the letters {letters} as a string, e.g. \"B\".")
        shown_position = LETTERS.index(got.strip().upper()[0])
        chosen_option = order[shown_position]  # mapped back to the option's index in the generator's list
        return Verdict(True) if chosen_option == int(key) else Verdict(False, f"{what}: not the right choice.")


@dataclass(frozen=True)
class Function:
    """A function the student writes, graded by the hidden suite's tests of ``task`` (the HW harness)."""

    task: str

    def describe(self) -> str:
        return "graded by hidden tests"


Judge = Any  # Numeric | Exact | Choice | Function


@dataclass(frozen=True)
class Part:
    """One answer of a question: the variable the student assigns, how it is judged, its points."""

    judge: Judge
    points: float
    what: str = ""
    """How feedback names it, e.g. ``"the loss L"``."""


@functools.lru_cache(maxsize=None)
def _source_hash(*funcs: Callable[..., Any]) -> str:
    digest = hashlib.sha256()
    for func in funcs:
        try:
            digest.update(inspect.getsource(func).encode())
        except (OSError, TypeError):
            digest.update(repr(func).encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Question:
    """One exam question: generator, answer function, text, parts (see the module docstring)."""

    name: str
    title: str
    generate: Callable[[np.random.Generator], dict[str, Any]]
    answer: Callable[[dict[str, Any]], dict[str, Any]]
    text: str
    parts: dict[str, Part]
    lectures: str = ""
    show: Callable[[dict[str, Any]], dict[str, str]] | None = None
    """params -> {placeholder: text}; default: ``shown()`` of every param."""
    key_text: Callable[[dict[str, Any], dict[str, Any]], str] | None = None
    """(params, answers) -> markdown worked solution for the answer key (optional)."""

    @property
    def points(self) -> float:
        return sum(p.points for p in self.parts.values())

    def choice_part(self) -> str | None:
        return next((n for n, p in self.parts.items() if isinstance(p.judge, Choice)), None)

    def source_hash(self) -> str:
        """SHA-256 (16 hex) of the generator's and the answer function's source code."""
        return _source_hash(self.generate, self.answer)


    def displayed(self, params: dict[str, Any], order: list[int] | None = None) -> dict[str, str]:
        """``{placeholder: text}`` for this question's text; ``options`` lettered in the student's order."""
        values = self.show(params) if self.show else {k: shown(v) for k, v in params.items() if k != "options"}
        if "options" in params:
            order = list(order if order is not None else range(len(params["options"])))
            values["options"] = "\n".join(f"- **{LETTERS[i]}.** {params['options'][j]}" for i, j in enumerate(order))
        return values

    def render(self, text: str, params: dict[str, Any], order: list[int] | None = None,
               extra: dict[str, str] | None = None) -> str:
        """``text`` with ``{{Qn.x}}`` (this question) and ``{{exam.x}}`` (``extra``) filled in."""
        values = self.displayed(params, order)

        def fill(match: re.Match[str]) -> str:
            scope, key = match.group(1), match.group(2)
            if scope == self.name and key in values:
                return values[key]
            if scope == "exam" and extra and key in extra:
                return extra[key]
            return match.group(0)

        return PLACEHOLDER.sub(fill, text)


def shown(value: Any) -> str:
    """A parameter as the student sees it, as a Python literal they can paste:
    ``3``, ``-0.25``, ``[1, 2]``, ``[[1, -2], [0, 3]]``. Floats print with repr (shortest round trip),
    so the number shown is exactly the number the answer is computed from."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        inner = ", ".join(shown(v) for v in value)
        return f"[{inner}]"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return str(int(value)) + ".0" if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def plain(value: Any) -> Any:
    """JSON-ready: numpy arrays and scalars to lists and Python numbers (recursively)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True)
class ExamSpec:
    """An exam's questions, in order, as the reference package lists them."""

    name: str
    title: str
    questions: tuple[Question, ...]
    instructions: str = ""
    practice_title: str = ""
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def points(self) -> float:
        return sum(q.points for q in self.questions)

    def question(self, name: str) -> Question:
        for q in self.questions:
            if q.name.lower() == name.lower():
                return q
        known = ", ".join(q.name for q in self.questions)
        raise KeyError(f"{self.name} has no question {name!r}; its questions are {known}")

    def part_owner(self, part: str) -> Question:
        for q in self.questions:
            if part in q.parts:
                return q
        raise KeyError(part)
