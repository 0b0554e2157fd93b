"""Copied exam answers: a wrong answer that is right for another student's variant.

Every student's numbers differ, so an answer that fails the student's own key but passes another
student's key (judged with the same judge and tolerance as grading) is evidence of copying. It is
evidence for a person to weigh, never a penalty: it goes to staff-only places (a hidden results.json
entry on Gradescope, the gradebook's notes, ``autograder exam integrity``'s CSV).

Design:

* :class:`KeyIndex` computes nothing again: each issued variant's key is already in the gradebook (or
  the Gradescope zip's copy). Keys are indexed per part: exact answers and letters by value; numbers by
  shape and first entry, sorted, so a lookup bisects to the keys whose first entry is within the judge's
  tolerance and verifies only those with the judge itself (no rounding can split a match in two).
* A part is **distinctive** when keys of different variants rarely coincide: in the sample (the issued
  variants, topped up to :data:`MIN_SAMPLE` with public authoring-space variants for a small class), at
  most :data:`DISTINCTIVE_MAX_SHARE` of the keys are accepted by another variant's key. On the midterm,
  q2_grad, q5_v and q5_w are; small integers (q3_f, q4_value, shapes), letters and q1_grad are not: an
  ordinary mistake lands on somebody's key there by chance.
* A case needs a wrong answer to a distinctive part that another student's key accepts, or wrong answers
  to several parts that all match *the same* student's key when fewer than :data:`CHANCE_MAX` classmates
  would be expected to match them all by chance (the product of each answer's share of matching keys).
  Other wrong answers matching that student are listed with it. Answers that are trivial (None, 0, all
  zeros) or the key of many students (more than :func:`common_limit`) never count.
* Matching students of the same sitting come first (they sat together); others follow.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from autograder.exam.questions import LETTERS, Choice, ExamSpec, Function, Numeric, _as_numbers, _integer
from autograder.exam.variants import IssuedExam, IssuedQuestion, normalize_sid

MIN_SAMPLE = 200
"""Variants used to decide which parts are distinctive (synthetic ones top up a small class)."""
DISTINCTIVE_MAX_SHARE = 0.10
"""A part is distinctive when at most this share of the sample's keys is accepted by another key."""
COMMON_SHARE = 0.01
"""A value that is the key of more than this share of the class (and of more than 2 students) is common."""
CHANCE_MAX = 0.003
"""Several non-distinctive parts matching one student count when fewer classmates than this would match them all by chance."""
FLAG_PREFIX = "exam copy: "
"""Gradebook notes of this check start with it (a regrade replaces them)."""
CSV_COLUMNS = ["sid", "question", "part", "matching_sids", "sitting", "same_sitting", "evidence", "answer", "name"]


def common_limit(students: int) -> int:
    """Most students a value may be the key of and still count (``max(2, 1 % of the class)``)."""
    return max(2, math.ceil(COMMON_SHARE * students))


def trivial(value: Any) -> bool:
    """None, empty, or every number 0: says nothing about whose key was copied."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, str):
        return not value.strip()
    arr = _as_numbers(value)
    if arr is None:
        return False
    return arr.size == 0 or (bool(np.all(np.isfinite(arr))) and not np.any(arr))


class _NumericKeys:
    """Keys of one numeric part: per shape, a (n, size) array sorted by first entry."""

    def __init__(self, judge: Numeric):
        self.judge = judge
        self.pending: dict[tuple[int, ...], list[tuple[str, np.ndarray]]] = {}
        self.by_shape: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray, list[str]]] = {}
        r = judge.rtol if judge.rtol is not None else 0.5 * 10.0 ** (1 - (judge.sig_figs or 1))
        self.relative = r / (1 - r) if r < 1 else math.inf

    def add(self, sid: str, key: Any) -> None:
        arr = np.asarray(key, dtype=np.float64)
        if arr.size:
            self.pending.setdefault(arr.shape, []).append((sid, arr.ravel()))

    def freeze(self) -> None:
        for shape, items in self.pending.items():
            items.sort(key=lambda item: item[1][0])
            keys = np.stack([k for _, k in items])
            self.by_shape[shape] = (keys[:, 0].copy(), keys, [sid for sid, _ in items])
        self.pending = {}

    def accepting(self, value: Any) -> list[str]:
        """SIDs whose key the judge would accept ``value`` for (its ``allowed`` and boundary slack, vectorized)."""
        arr = _as_numbers(value)
        if arr is None or arr.size == 0 or not np.all(np.isfinite(arr)):
            return []
        flat = arr.ravel()
        out: list[str] = []
        for shape, (firsts, keys, sids) in self.by_shape.items():
            if flat.size != keys.shape[1] or (arr.shape != shape and not (arr.ndim <= 2 and len(shape) <= 1)):
                continue
            window = self.relative * abs(flat[0]) + 2 * self.judge.atol + 1e-12
            lo, hi = np.searchsorted(firsts, flat[0] - window, "left"), np.searchsorted(firsts, flat[0] + window, "right")
            if hi <= lo:
                continue
            near = keys[lo:hi]
            slack = self.judge.allowed(near) * (1 + 1e-9) + 1e-15
            ok = np.all(np.abs(near - flat) <= slack, axis=1)
            out += [sids[lo + i] for i in np.flatnonzero(ok)]
        return out


class _ExactKeys:
    """Keys of one exact or multiple-choice part: by canonical value (an int, a tuple of ints, a letter)."""

    def __init__(self) -> None:
        self.by_value: dict[Any, list[str]] = {}

    def add(self, sid: str, canonical: Any) -> None:
        if canonical is not None:
            self.by_value.setdefault(canonical, []).append(sid)

    def freeze(self) -> None:
        pass

    def accepting_canonical(self, canonical: Any) -> list[str]:
        return list(self.by_value.get(canonical, [])) if canonical is not None else []


def _exact_canonical(value: Any) -> Any:
    """``7`` / ``7.0`` -> 7; ``[16, 30, 30]`` -> (16, 30, 30); anything else None (as :class:`Exact` reads it)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        items = [_integer(v) for v in (np.asarray(value, dtype=object).ravel() if isinstance(value, np.ndarray) else value)]
        return None if any(v is None for v in items) else tuple(items)
    return _integer(value)


def _shown_letter(issued: Any, key: Any) -> str | None:
    """The letter under which ``issued``'s student saw option ``key`` (their own option order)."""
    try:
        return LETTERS[issued.order.index(int(key))]
    except (TypeError, ValueError, IndexError):
        return None


def _letter(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > 3:
        return None
    letter = value.strip().upper()[0]
    return letter if letter in LETTERS else None


class KeyIndex:
    """Every issued variant's key of every judged part, for looking up which students' keys accept an answer.

    ``issued``: ``{sid: issued exam}`` (the class), or a function returning it, called only when a lookup
    needs the class; ``sittings``: ``{sid: sitting label}``, or a function of the class returning it;
    ``sample``: extra variants (``{id: issued exam}``) used only to decide which parts are distinctive;
    ``min_sample``: top the class up to this many variants with public authoring-space ones, drawn per
    question when its distinctiveness is first needed; ``cache``: a :class:`DistinctiveCache` remembering
    which parts are distinctive for these keys. Nothing is indexed before it is asked for: grading a
    submission whose answers are right on its own variant reads no other student's key."""

    def __init__(self, spec: ExamSpec, issued: dict[str, IssuedExam] | Callable[[], dict[str, IssuedExam]],
                 sittings: dict[str, str] | Callable[[dict[str, IssuedExam]], dict[str, str]] | None = None,
                 sample: dict[str, IssuedExam] | None = None, *, min_sample: int = 0,
                 cache: "DistinctiveCache | DistinctiveMemo | None" = None):
        self.spec = spec
        self._issued, self._sittings_of = issued, sittings
        self._students: dict[str, IssuedExam] | None = None
        self._sittings: dict[str, str] | None = None
        self._sample, self._min_sample, self._cache = dict(sample or {}), min_sample, cache
        self.parts: dict[str, str] = {}
        """``{part: question}`` of every part judged by value (not a coding part)."""
        self.judges: dict[str, Any] = {}
        for q in spec.questions:
            for part, spec_part in q.parts.items():
                if not isinstance(spec_part.judge, Function):
                    self.judges[part] = spec_part.judge
                    self.parts[part] = q.name
        self._keys: dict[str, Any] = {}
        self._distinctive: dict[str, bool] = {}

    @property
    def students(self) -> dict[str, IssuedExam]:
        """``{sid: issued exam}`` of the class (read on first use)."""
        if self._students is None:
            issued = self._issued() if callable(self._issued) else self._issued
            self._students = {normalize_sid(s): e for s, e in issued.items()}
        return self._students

    @property
    def limit(self) -> int:
        return common_limit(len(self.students))

    def sitting(self, sid: str) -> str:
        if self._sittings is None:
            given = self._sittings_of(self.students) if callable(self._sittings_of) else self._sittings_of
            self._sittings = {normalize_sid(s): v for s, v in (given or {}).items()}
        return self._sittings.get(normalize_sid(sid), "")

    def _index(self, part: str, question: str, exams: dict[str, IssuedQuestion]) -> Any:
        """The keys of ``part`` in ``exams`` (``{sid: the issued question}``)."""
        judge = self.judges[part]
        keys: Any = _NumericKeys(judge) if isinstance(judge, Numeric) else _ExactKeys()
        for sid, issued in exams.items():
            if part not in issued.answers:
                continue
            key = issued.answers[part]
            if isinstance(judge, Numeric):
                keys.add(sid, key)
            elif isinstance(judge, Choice):
                keys.add(sid, _shown_letter(issued, key))
            else:
                keys.add(sid, _exact_canonical(key))
        keys.freeze()
        return keys

    def _class_questions(self, question: str) -> dict[str, IssuedQuestion]:
        return {sid: e.questions[question] for sid, e in self.students.items() if question in e.questions}

    def keys(self, part: str) -> Any:
        """The class's keys of ``part``, indexed on first use."""
        if part not in self._keys:
            self._keys[part] = self._index(part, self.parts[part], self._class_questions(self.parts[part]))
        return self._keys[part]

    def _lookup(self, keys: Any, part: str, value: Any) -> list[str]:
        judge = self.judges[part]
        if isinstance(judge, Numeric):
            return keys.accepting(value)
        if isinstance(judge, Choice):
            return keys.accepting_canonical(_letter(value))
        return keys.accepting_canonical(_exact_canonical(value))

    @property
    def distinctive(self) -> set[str]:
        """Parts whose keys rarely coincide across variants (see the module docstring)."""
        return {part for part in self.parts if self.is_distinctive(part)}

    def is_distinctive(self, part: str) -> bool:
        """Whether ``part`` is distinctive; decided for all parts of its question at once, from the cache
        when it holds the answer for these keys."""
        if part not in self._distinctive:
            question = self.parts[part]
            digest = ""
            if self._cache is not None:
                digest = self._digest(question)
                self._distinctive.update(self._cache.get(digest))
            if part not in self._distinctive:
                decided = self._decide(question)
                self._distinctive.update(decided)
                if self._cache is not None:
                    self._cache.put(digest, decided)
        return self._distinctive[part]

    def _extra(self, question: str) -> dict[str, IssuedQuestion]:
        """``question`` of the sample beside the class: the given sample, topped up to ``min_sample``."""
        extra = {f"sample:{k}": e.questions[question] for k, e in self._sample.items() if question in e.questions}
        wanted = self._min_sample - len(self.students) - len(extra)
        if wanted > 0:
            extra.update({f"sample:{k}": q for k, q in authoring_questions(self.spec, question, wanted).items()})
        return extra

    def _decide(self, question: str) -> dict[str, bool]:
        """``{part: distinctive?}`` for the judged parts of ``question``, over the class and the sample."""
        extra = self._extra(question)
        sample = {**self._class_questions(question), **extra}
        out = {}
        for part in [p for p, q in self.parts.items() if q == question]:
            keys = self._index(part, question, sample) if extra else self.keys(part)
            shared = 0
            for sid, issued in sample.items():
                key = issued.answers.get(part)
                if isinstance(self.judges[part], Choice):
                    key = _shown_letter(issued, key)
                if key is None or trivial(key) or len([s for s in self._lookup(keys, part, key) if s != sid]) > 0:
                    shared += 1
            out[part] = bool(sample) and shared <= DISTINCTIVE_MAX_SHARE * len(sample)
        return out

    def _digest(self, question: str) -> str:
        """What decides ``question``'s distinctive parts: its judges, its generator's code (the authoring
        sample), the sample's size and the class's keys (which the secret and the roster decide)."""
        q = self.spec.question(question)
        extra = {k: (e.questions[question].answers, e.questions[question].order)
                 for k, e in self._sample.items() if question in e.questions}
        keys = sorted((sid, e.questions[question].answers, e.questions[question].order)
                      for sid, e in self.students.items() if question in e.questions)
        text = json.dumps([CACHE_FORMAT, self.spec.name, question, q.source_hash(),
                           [(p, repr(q.parts[p].judge)) for p in q.parts if p in self.parts],
                           self._min_sample, DISTINCTIVE_MAX_SHARE, sorted(extra.items()), keys],
                          sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def accepting(self, part: str, value: Any, *, exclude: str = "") -> list[str]:
        """SIDs of the class whose key of ``part`` accepts ``value`` (``exclude``: the student's own)."""
        if part not in self.parts or trivial(value):
            return []
        own = normalize_sid(exclude) if exclude else ""
        return [sid for sid in self._lookup(self.keys(part), part, value) if sid != own]


class DistinctiveMemo:
    """A :class:`DistinctiveCache` in memory: ``decided`` is ``{digest: {part: distinctive?}}``."""

    def __init__(self, decided: dict[str, dict[str, bool]] | None = None):
        self.decided = dict(decided or {})

    def get(self, digest: str) -> dict[str, bool]:
        return dict(self.decided.get(digest, {}))

    def put(self, digest: str, decided: dict[str, bool]) -> None:
        self.decided[digest] = dict(decided)


CACHE_FORMAT = 1
"""Part of every :class:`DistinctiveCache` digest: change it when how distinctiveness is decided changes."""


class DistinctiveCache:
    """Which parts are distinctive, remembered per digest of what decides it (:meth:`KeyIndex._digest`), in
    the gradebook's ``exam_distinctive`` table: ``autograder exam grade`` then decides it once per class,
    not once per submission."""

    def __init__(self, db_path: Path, exam: str):
        self.db_path, self.exam = Path(db_path), exam

    def get(self, digest: str) -> dict[str, bool]:
        from autograder.exam import store

        try:
            db = store.connect(self.db_path)
            try:
                return store.load_distinctive(db, self.exam, digest)
            finally:
                db.close()
        except (OSError, sqlite3.Error):
            return {}

    def put(self, digest: str, decided: dict[str, bool]) -> None:
        from autograder.exam import store

        try:
            db = store.connect(self.db_path)
            try:
                store.save_distinctive(db, self.exam, digest, decided)
            finally:
                db.close()
        except (OSError, sqlite3.Error):
            pass  # a read-only gradebook: decided again next time


@dataclass
class CopyCase:
    """One wrong answer of ``sid`` that other students' keys accept: one CSV row."""

    sid: str
    question: str
    part: str
    answer: Any
    matching: list[str]
    """Students whose key accepts the answer, the same sitting first."""
    sitting: str = ""
    same_sitting: bool = False
    distinctive: bool = True
    """False: a part whose keys often coincide, listed because other parts match the same student too."""
    name: str = ""


def find_copies(index: KeyIndex, sid: str, answers: dict[str, tuple[Any, bool]]) -> list[CopyCase]:
    """The cases of one student, from ``{part: (answer, right?)}`` as graded on their own variant.

    Another student is named when a distinctive part matches their key, or when several parts do and
    fewer than :data:`CHANCE_MAX` classmates would be expected to match all of them by chance
    (``(N - 1) * prod(share of the class whose key accepts each answer)``)."""
    sid = normalize_sid(sid)
    found: dict[str, list[str]] = {}
    for part, (value, right) in answers.items():
        if not right and part in index.parts:  # a right answer reads no other key (the class is read lazily)
            sids = index.accepting(part, value, exclude=sid)
            if sids:
                found[part] = sids
    if not found:
        return []
    own_sitting = index.sitting(sid)
    others = max(1, len(index.students) - 1)
    parts_of: dict[str, list[str]] = {}
    for part, sids in found.items():
        for s in sids:
            parts_of.setdefault(s, []).append(part)

    def suspect(parts: list[str]) -> bool:
        if any(len(found[p]) <= index.limit and index.is_distinctive(p) for p in parts):
            return True
        return len(parts) >= 2 and others * math.prod(len(found[p]) / others for p in parts) <= CHANCE_MAX

    suspects = {s for s, parts in parts_of.items() if suspect(parts)}
    if not suspects:
        return []
    student = index.students.get(sid)
    cases = []
    for q in index.spec.questions:
        for part in q.parts:
            sids = [s for s in found.get(part, []) if s in suspects]
            if not sids:
                continue
            sids.sort(key=lambda s: (index.sitting(s) != own_sitting or not own_sitting, -len(parts_of[s]), s))
            same = bool(own_sitting) and index.sitting(sids[0]) == own_sitting
            cases.append(CopyCase(sid, q.name, part, answers[part][0], sids, own_sitting, same,
                                  index.is_distinctive(part), student.student.name if student else ""))
    return cases


def copy_flags(cases: Iterable[CopyCase]) -> list[str]:
    """One staff-only sentence per matching student: which wrong answers are right for their variant."""
    cases = list(cases)
    by_sid: dict[str, list[CopyCase]] = {}
    for case in cases:
        for other in case.matching:
            by_sid.setdefault(other, []).append(case)
    order = sorted(by_sid, key=lambda s: (-sum(c.distinctive for c in by_sid[s]), -len(by_sid[s]), s))
    flags = []
    for other in order:
        hits = by_sid[other]
        strong = [c.part for c in hits if c.distinctive] or [c.part for c in hits]
        also = [c.part for c in hits if c.part not in strong]
        where = "the same sitting" if hits[0].same_sitting and other == hits[0].matching[0] else "another sitting"
        if not hits[0].sitting:
            where = "sitting unknown"
        flags.append(f"possible copied answers: {', '.join(strong)}"
                     + (f" (also {', '.join(also)})" if also else "")
                     + f" are wrong for the submitter's variant but right for SID {other}'s ({where})")
    return flags


def sittings_of(course: Any, exam: str, issued: dict[str, IssuedExam]) -> dict[str, str]:
    """``{sid: sitting label}``: tracks sitting together (same date, times, place) share a label."""
    policy = getattr(course, "exams", {}).get(exam) if course is not None else None
    out = {}
    for sid, e in issued.items():
        label = ""
        if policy is not None:
            try:
                track = course.track(e.student.track).name if e.student.track else course.default_track
            except Exception:
                track = e.student.track
            s = policy.sittings.get(track)
            if s is not None:
                times = f" {s.start}-{s.end}" if s.start and s.end else ""
                label = f"{s.date}{times} {s.where}".strip()
        out[sid] = label
    return out


def authoring_sample(spec: ExamSpec, wanted: int) -> dict[str, IssuedExam]:
    """``wanted`` public authoring-space variants (never a student's), to judge distinctiveness of a small class."""
    from autograder.exam.checking import AUTHORING_KEY
    from autograder.exam.variants import Student, issue_exam

    return {f"A{i}": issue_exam(spec, AUTHORING_KEY, Student(f"A{i}"), space="authoring") for i in range(max(0, wanted))}


def authoring_questions(spec: ExamSpec, question: str, wanted: int) -> dict[str, IssuedQuestion]:
    """``question`` of the first ``wanted`` :func:`authoring_sample` variants (the same draws, one question)."""
    from autograder.exam.checking import AUTHORING_KEY
    from autograder.exam.variants import issue_question

    q = spec.question(question)
    return {f"A{i}": issue_question(q, AUTHORING_KEY, spec.name, f"A{i}", "authoring") for i in range(max(0, wanted))}


def class_index(spec: ExamSpec, issued: dict[str, IssuedExam] | Callable[[], dict[str, IssuedExam]],
                course: Any = None, *, cache: "Path | DistinctiveCache | DistinctiveMemo | None" = None) -> KeyIndex:
    """The index of a class's issued variants (a class smaller than :data:`MIN_SAMPLE` is topped up with
    authoring-space variants to judge which parts are distinctive). ``issued`` may be a function that reads
    the class, called only if a lookup needs it; ``cache``: the gradebook remembering distinctive parts (a
    path), or a cache object."""
    if isinstance(cache, (str, Path)):
        cache = DistinctiveCache(Path(cache), spec.name)
    return KeyIndex(spec, issued, lambda students: sittings_of(course, spec.name, students), min_sample=MIN_SAMPLE,
                    cache=cache)


def decided_parts(spec: ExamSpec, issued: dict[str, IssuedExam]) -> dict[str, dict[str, bool]]:
    """``{digest: {part: distinctive?}}`` for every question of ``issued``'s class: what the Gradescope zip
    carries, so that a run there decides nothing (see :class:`DistinctiveMemo`)."""
    memo = DistinctiveMemo()
    index = class_index(spec, issued, cache=memo)
    for part in index.parts:
        index.is_distinctive(part)
    return memo.decided


def cases_csv(cases: Iterable[CopyCase]) -> str:
    """The CSV of ``autograder exam integrity`` (columns :data:`CSV_COLUMNS`)."""
    import json

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for c in cases:
        writer.writerow([c.sid, c.question, c.part, " ".join(c.matching), c.sitting,
                         "yes" if c.same_sitting else "no", "distinctive part" if c.distinctive else "with other parts",
                         json.dumps(c.answer), c.name])
    return buf.getvalue()
