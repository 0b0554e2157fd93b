"""What each student wrote, normalized and fingerprinted, and the pairs that share it.

The pipeline, one function each:

1. ``load_template``: from the source notebook, which cells are the student's
   (solution cells) and which are the course's (locked instructor and test
   cells); from the release step, what the release gives inside each graded
   function (signature, docstring, stub and given lines).
2. ``extract``: a notebook or .py file becomes a ``Source``: one ``Unit`` per
   graded function (``Class.method`` for methods), the release's given lines
   removed, normalized to a token sequence: identifiers the function binds
   become one token, comments, docstrings and whitespace vanish (the AST has
   none), operands of commutative operators and comparisons are put in a
   canonical order, and independent statements of a block are sorted into a
   canonical topological order (a statement stays after any statement it
   reads, writes or overwrites).
3. Winnowing (Schleimer, Wilkerson and Aiken 2003): hashes of every K-token
   window, the minimum of every W consecutive hashes kept; any shared run of
   K + W - 1 tokens shares at least one fingerprint.
4. ``compare``: an inverted index from fingerprint to the students holding it
   gives the candidate pairs directly (no all-pairs loop); fingerprints held
   by more than ``common`` students (code many write identically, MOSS's
   ``-m``) and the release's own code do not count. Earlier terms and public
   sources are looked up in the class's index only, never against each other.
"""

from __future__ import annotations

import ast
import heapq
import math
import os
import re
import tempfile
import textwrap
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

K = 20
"""Tokens per k-gram (normalized AST tokens: about four or five source tokens' worth each three)."""
W = 5
"""Winnowing window: a shared run of K + W - 1 = 15 tokens always shares a fingerprint."""
MIN_SHARED_FINGERPRINTS = 3
"""A pair is scored only when it shares at least this many counted fingerprints."""
ARCHIVE_MARKER = "AUTOGRADER-SIMILARITY-ARCHIVE.txt"
PSEUDO_PREFIX = "cell "
"""Top-level statements of a solution cell (not in a function) form a unit named ``cell <grade_id>``."""

# ----------------------------------------------------------------- tokens
_TOKENS: dict[str, int] = {}


def tok(text: str) -> int:
    """A stable 32-bit id for a token's text (the same in every process)."""
    value = _TOKENS.get(text)
    if value is None:
        value = _TOKENS[text] = zlib.crc32(text.encode("utf-8", "surrogatepass"))
    return value


VAR = tok("<var>")
_COMMUTATIVE = (ast.Add, ast.Mult, ast.BitAnd, ast.BitOr, ast.BitXor)
_SYMMETRIC = (ast.Eq, ast.NotEq, ast.Is, ast.IsNot)
_FLIPPED = {ast.Gt: ast.Lt, ast.GtE: ast.LtE}
_MUTATORS = frozenset({"append", "extend", "insert", "pop", "update", "fill", "sort", "setdefault", "clear",
                       "remove", "add", "discard", "popitem", "resize", "put", "itemset", "setflags"})
_RNG = frozenset({"random", "rand", "randn", "randint", "shuffle", "permutation", "choice", "normal", "uniform",
                  "integers", "standard_normal", "seed", "default_rng", "binomial", "random_sample"})
_BARRIERS = (ast.Return, ast.Raise, ast.Break, ast.Continue, ast.Yield, ast.YieldFrom, ast.Await,
             ast.Global, ast.Nonlocal)
_SIMPLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Return, ast.Delete, ast.Assert,
           ast.Raise, ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, ast.Break, ast.Continue)


def _const(value: Any) -> str:
    if isinstance(value, str):
        return "str" if len(value) > 24 else "s:" + value
    return type(value).__name__ + ":" + repr(value)


# ----------------------------------------------------------------- data types
@dataclass
class Unit:
    """One graded function (or method, or a solution cell's top-level code) as a student wrote it."""

    name: str
    """``fit_least_squares``, ``TwoLayerNet.loss``, or ``cell <grade_id>``."""
    text: str
    """The code as written (dedented), for the side-by-side view and the archive."""
    tokens: list[int]
    """Normalized tokens, in canonical order, the release's given lines removed."""
    starts: list[int]
    """For each token, the first line (1-based, in ``text``) of the statement it came from."""
    ends: list[int]
    """For each token, the last line of that statement."""


@dataclass
class Source:
    """A student's notebook, or an earlier term's or a public file, fingerprinted."""

    name: str
    """The SID (students) or the file's path under the --against folder, without extension."""
    kind: str
    """``student`` or ``against``."""
    units: list[Unit]
    unit_of: np.ndarray
    """(T,) int32: the unit index of each token of the concatenated units."""
    starts: np.ndarray
    """(T,) int32: the first line, within its unit's text, of each token's statement."""
    ends: np.ndarray
    """(T,) int32: the last line of each token's statement."""
    hashes: np.ndarray
    """(F,) uint64: the winnowed fingerprints, the release's code removed."""
    positions: np.ndarray
    """(F,) int32: the token index where each fingerprint's K-gram starts."""
    notes: list[str] = field(default_factory=list)
    """What could not be read (a cell with a syntax error, ...)."""

    @property
    def token_count(self) -> int:
        return int(self.unit_of.shape[0])


@dataclass
class Template:
    """What the course gives: which cells are the student's, and the release's code per function."""

    solution_ids: frozenset[str]
    """grade_ids of solution cells: their code is the student's."""
    course_ids: frozenset[str]
    """grade_ids of locked instructor and test cells: their code is the course's, never the student's."""
    graded: frozenset[str]
    """Names the solution cells define (functions, ``Class.method``, ``cell <grade_id>``)."""
    given: dict[str, Counter]
    """Unit name -> the release's statements in it (normalized keys), removed from the student's."""
    given_hashes: np.ndarray
    """(G,) uint64, sorted: every K-gram hash of the release's and the course cells' code (boilerplate)."""


# ----------------------------------------------------------------- normalization
_KNOWN = frozenset(dir(__import__("builtins"))) | {"np", "numpy", "math", "scipy", "random"}
"""Names kept as themselves where they are called or their attributes used (``len(x)``,
``np.sum``); every other name is a variable, abstracted to one token."""


def _base_name(node: ast.AST) -> str:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


class _Effects:
    """What a statement reads and writes, and whether it is a barrier: decides whether two
    statements may swap. Writing ``x[i]``, ``x.attr`` or calling ``x.append`` writes ``x``;
    random draws share one pseudo-name (their order matters); a bare expression statement
    may do anything; return, raise, break and continue keep every statement on their side."""

    __slots__ = ("reads", "writes", "barrier")

    def __init__(self) -> None:
        self.reads: set[str] = set()
        self.writes: set[str] = set()
        self.barrier = False

    def merge(self, other: "_Effects") -> None:
        self.reads |= other.reads
        self.writes |= other.writes
        self.barrier = self.barrier or other.barrier


def _conflict(a: _Effects, b: _Effects) -> bool:
    """Must statement b stay after statement a?"""
    return a.barrier or b.barrier or not a.writes.isdisjoint(b.reads) or not a.writes.isdisjoint(b.writes) \
        or not a.reads.isdisjoint(b.writes)


def _canonical_order(items: list[tuple]) -> list[tuple]:
    """Items (key, ..., effects) in the topological order that always takes the smallest key
    among the statements whose predecessors are placed: the same for any reordering of
    independent statements."""
    n = len(items)
    if n < 2:
        return items
    waiting = [0] * n
    after: list[list[int]] = [[] for _ in range(n)]
    for j in range(n):
        for i in range(j):
            if _conflict(items[i][-1], items[j][-1]):
                waiting[j] += 1
                after[i].append(j)
    heap = [(items[i][0], i) for i in range(n) if waiting[i] == 0]
    heapq.heapify(heap)
    ordered = []
    while heap:
        _, i = heapq.heappop(heap)
        ordered.append(items[i])
        for j in after[i]:
            waiting[j] -= 1
            if waiting[j] == 0:
                heapq.heappush(heap, (items[j][0], j))
    return ordered


def _ignorable(stmt: ast.stmt) -> bool:
    """``pass``, stray strings and docstrings, ``raise NotImplementedError``: never the student's work."""
    t = type(stmt)
    if t is ast.Pass:
        return True
    if t is ast.Expr and isinstance(stmt.value, ast.Constant):
        return True
    if t is ast.Raise and stmt.exc is not None:
        exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    return False


class _Normalizer:
    """Turns one function's (or cell's) AST into canonical tokens with their source lines."""

    def __init__(self, given: Counter | None, first_line: int):
        self.given = Counter(given) if given else Counter()
        self.keys: list[tuple] = []
        self.offset = first_line - 1
        self.effects = _Effects()

    # expressions --------------------------------------------------------
    def _name(self, node: ast.Name, known: bool) -> list[int]:
        if isinstance(node.ctx, ast.Load):
            self.effects.reads.add(node.id)
        else:
            self.effects.writes.add(node.id)
        return [tok("n:" + node.id)] if known and node.id in _KNOWN else [VAR]

    def ex(self, node: ast.AST) -> list[int]:
        t = type(node)
        if t is ast.Name:
            return self._name(node, False)
        if t is ast.Constant:
            return [tok("c:" + _const(node.value))]
        if t is ast.Attribute or t is ast.Subscript:
            if not isinstance(node.ctx, ast.Load):
                base = _base_name(node)
                self.effects.writes.add(base)
                self.effects.reads.add(base)
            if t is ast.Subscript:
                return [tok("[]")] + self.ex(node.value) + self.ex(node.slice)
            if node.attr in _RNG:
                self.effects.reads.add("<rng>")
                self.effects.writes.add("<rng>")
            value = self._name(node.value, True) if type(node.value) is ast.Name else self.ex(node.value)
            return value + [tok("." + node.attr)]
        if t is ast.BinOp:
            op = type(node.op)
            if op in _COMMUTATIVE:
                parts = sorted(self.ex(o) for o in _flatten(node, op))
                out = [tok(f"op:{op.__name__}:{len(parts)}")]
                for p in parts:
                    out += p
                return out
            return [tok("op:" + op.__name__)] + self.ex(node.left) + self.ex(node.right)
        if t is ast.Compare and len(node.ops) == 1:
            op, left, right = type(node.ops[0]), node.left, node.comparators[0]
            if op in _FLIPPED:
                op, left, right = _FLIPPED[op], right, left
            parts = [self.ex(left), self.ex(right)]
            if op in _SYMMETRIC:
                parts.sort()
            return [tok("cmp:" + op.__name__)] + parts[0] + parts[1]
        if t is ast.BoolOp:
            parts = sorted(self.ex(v) for v in node.values)
            out = [tok(f"bool:{type(node.op).__name__}:{len(parts)}")]
            for p in parts:
                out += p
            return out
        if t is ast.Call:
            func = node.func
            if type(func) is ast.Attribute and func.attr in _MUTATORS:
                self.effects.writes.add(_base_name(func.value))
            out = [tok(f"call:{len(node.args)}")] + (self._name(func, True) if type(func) is ast.Name else self.ex(func))
            for a in node.args:
                out += self.ex(a)
            for kw in sorted((self.ex(k) for k in node.keywords)):
                out += kw
            return out
        if t is ast.keyword:
            return [tok(f"kw:{node.arg}")] + self.ex(node.value)
        if t is ast.arg:
            self.effects.writes.add(node.arg)
            return [VAR]
        if t in (ast.Yield, ast.YieldFrom, ast.Await):
            self.effects.barrier = True
        out = [tok(t.__name__)]
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                if not isinstance(value, (ast.expr_context, ast.type_ignore)):
                    out += self.ex(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        out += self.ex(item)
            elif value is not None and name not in ("type_comment", "kind", "lineno", "col_offset"):
                out.append(tok(f"{name}={value!r}"))
        return out

    # statements ---------------------------------------------------------
    def block(self, stmts: list[ast.stmt]) -> tuple[list[int], list[int], list[int]]:
        """A block's statements, given ones removed, in canonical order: (tokens, starts, ends)."""
        items = []
        for stmt in stmts:
            if _ignorable(stmt):
                continue
            if not isinstance(stmt, _SIMPLE) and +self.given and self._take_given(self._raw(stmt)):
                continue  # a whole loop or branch the release gives
            tokens: list[int] = []
            starts: list[int] = []
            ends: list[int] = []
            outer, self.effects = self.effects, _Effects()
            self.stmt(stmt, tokens, starts, ends)
            effects, self.effects = self.effects, outer
            if not tokens:
                continue
            key = tuple(tokens)
            self.keys.append(key)
            if isinstance(stmt, _SIMPLE) and self._take_given(key):
                continue
            outer.merge(effects)
            items.append((key, tokens, starts, ends, effects))
        out: tuple[list[int], list[int], list[int]] = ([], [], [])
        for _, tokens, starts, ends, _ in _canonical_order(items):
            out[0].extend(tokens)
            out[1].extend(starts)
            out[2].extend(ends)
        return out

    def _take_given(self, key: tuple) -> bool:
        """Remove one occurrence of ``key`` from the release's statements; True if it was there."""
        if self.given[key] > 0:
            self.given[key] -= 1
            return True
        return False

    def _raw(self, stmt: ast.stmt) -> tuple:
        """A compound statement's key with nothing removed (as the release's is collected)."""
        given, self.given = self.given, Counter()
        keys, self.keys = self.keys, []
        effects, self.effects = self.effects, _Effects()
        tokens: list[int] = []
        self.stmt(stmt, tokens, [], [])
        self.given, self.keys, self.effects = given, keys, effects
        return tuple(tokens)

    def _add(self, out: tuple, tokens: list[int], first: int, last: int) -> None:
        tokens_, starts, ends = out
        tokens_.extend(tokens)
        starts.extend([first - self.offset] * len(tokens))
        ends.extend([last - self.offset] * len(tokens))

    def _body(self, stmts: list[ast.stmt], out: tuple) -> None:
        tokens, starts, ends = self.block(stmts)
        out[0].extend(tokens)
        out[1].extend(starts)
        out[2].extend(ends)

    def stmt(self, s: ast.stmt, tokens: list[int], starts: list[int], ends: list[int]) -> None:
        out = (tokens, starts, ends)
        t = type(s)
        line, last = s.lineno, getattr(s, "end_lineno", None) or s.lineno
        if t is ast.Assign:
            head = [tok(f"=:{len(s.targets)}")]
            for target in s.targets:
                head += self.ex(target)
            self._add(out, head + self.ex(s.value), line, last)
        elif t is ast.AugAssign:  # x += y is x = x + y
            self.effects.reads.add(_base_name(s.target))
            value = ast.BinOp(left=s.target, op=s.op, right=s.value)
            self._add(out, [tok("=:1")] + self.ex(s.target) + self.ex(value), line, last)
        elif t is ast.AnnAssign:
            if s.value is not None:
                self._add(out, [tok("=:1")] + self.ex(s.target) + self.ex(s.value), line, last)
        elif t in (ast.For, ast.AsyncFor):
            self._add(out, [tok("for")] + self.ex(s.target) + self.ex(s.iter), line, s.iter.end_lineno or line)
            self._body(s.body, out)
            if s.orelse:
                self._add(out, [tok("for-else")], line, line)
                self._body(s.orelse, out)
        elif t is ast.While:
            self._add(out, [tok("while")] + self.ex(s.test), line, s.test.end_lineno or line)
            self._body(s.body, out)
            if s.orelse:
                self._add(out, [tok("while-else")], line, line)
                self._body(s.orelse, out)
        elif t is ast.If:
            self._add(out, [tok("if")] + self.ex(s.test), line, s.test.end_lineno or line)
            self._body(s.body, out)
            if s.orelse:
                self._add(out, [tok("else")], line, line)
                self._body(s.orelse, out)
        elif t in (ast.With, ast.AsyncWith):
            head = [tok("with")]
            for item in s.items:
                head += self.ex(item)
            self._add(out, head, line, line)
            self._body(s.body, out)
        elif t is ast.Try or t.__name__ == "TryStar":
            self._add(out, [tok("try")], line, line)
            self._body(s.body, out)
            for handler in s.handlers:
                head = [tok("except")] + (self.ex(handler.type) if handler.type is not None else [])
                self._add(out, head, handler.lineno, handler.lineno)
                self._body(handler.body, out)
            for part, name in ((s.orelse, "try-else"), (s.finalbody, "finally")):
                if part:
                    self._add(out, [tok(name)], line, line)
                    self._body(part, out)
        elif t in (ast.FunctionDef, ast.AsyncFunctionDef):
            self.effects.writes.add(s.name)
            self._add(out, self.header(s), line, line)
            self._body(_without_docstring(s.body), out)
        elif t is ast.ClassDef:
            self.effects.writes.add(s.name)
            self._add(out, [tok("class")] + [x for b in s.bases for x in self.ex(b)], line, line)
            self._body(_without_docstring(s.body), out)
        else:
            if t in _BARRIERS or t is ast.Expr:
                self.effects.barrier = True
            if t in (ast.Import, ast.ImportFrom):
                self.effects.writes.update((a.asname or a.name).split(".")[0] for a in s.names)
            self._add(out, self.ex(s), line, last)

    def header(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[int]:
        a = node.args
        count = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs)
        for arg in a.posonlyargs + a.args + a.kwonlyargs:
            self.effects.writes.add(arg.arg)
        return [tok(f"def:{count}:{a.vararg is not None}:{a.kwarg is not None}")]  # defaults are the release's

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[list[int], list[int], list[int]]:
        out: tuple[list[int], list[int], list[int]] = ([], [], [])
        self._add(out, self.header(node), node.lineno, node.lineno)
        self._body(_without_docstring(node.body), out)
        return out


def _flatten(node: ast.BinOp, op: type) -> list[ast.AST]:
    """Operands of a chain of one associative operator: ``a + b + c`` -> [a, b, c]."""
    out: list[ast.AST] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.BinOp) and type(n.op) is op:
            stack.append(n.right)
            stack.append(n.left)
        else:
            out.append(n)
    return out


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[1:]
    return body


# ----------------------------------------------------------------- units
_HEADER = re.compile(r"^# function: (.+)$")


def _lines(text: str, first: int, last: int) -> str:
    return "".join(text.splitlines(keepends=True)[first - 1:last])


def _parse(code: str) -> tuple[str, ast.Module]:
    """The code (IPython magics made plain Python only when it does not parse as is) and its AST."""
    try:
        return code, ast.parse(code)
    except SyntaxError:
        from autograder.notebook import to_plain_python

        plain = to_plain_python(code)
        if plain == code:
            raise
        return plain, ast.parse(plain)


def code_units(code: str, *, given: dict[str, Counter] | None = None, cell_id: str = "",
               header_names: bool = False) -> list[Unit]:
    """The units of one cell or file: each top-level function, each method of a class
    (``Class.method``) and, when ``cell_id`` is given (a solution cell), the cell's other
    top-level statements as ``cell <grade_id>``. SyntaxError propagates."""
    code, tree = _parse(code)
    given = given or {}
    names: dict[int, str] = {}
    if header_names:  # an archive file names each function in a comment line above it
        for number, line in enumerate(code.splitlines(), start=1):
            match = _HEADER.match(line)
            if match:
                names[number + 1] = match.group(1).strip()
    units: list[Unit] = []
    loose: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            name = names.get(node.lineno, node.name)
            units.append(_function_unit(name, node, code, given.get(name)))
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    name = f"{node.name}.{item.name}"
                    units.append(_function_unit(name, item, code, given.get(name)))
        elif not (isinstance(node, (ast.Import, ast.ImportFrom)) or _ignorable(node)):
            loose.append(node)
    if loose and (cell_id or header_names):
        name = PSEUDO_PREFIX + cell_id if cell_id else "(module)"
        text = "".join(_lines(code, s.lineno, s.end_lineno or s.lineno) for s in loose)
        module = ast.parse(text)
        normalizer = _Normalizer(given.get(name), 1)
        tokens, starts, ends = normalizer.block(module.body)
        units.append(Unit(name, text, tokens, starts, ends))
    return units


def _function_unit(name: str, node: ast.FunctionDef | ast.AsyncFunctionDef, code: str,
                   given: Counter | None) -> Unit:
    first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
    text = textwrap.dedent(_lines(code, first, node.end_lineno or node.lineno))
    normalizer = _Normalizer(given, first)
    tokens, starts, ends = normalizer.function(node)
    return Unit(name, text, tokens, starts, ends)


def given_keys(code: str) -> dict[str, Counter]:
    """For the release's version of a cell: unit name -> its statements' normalized keys."""
    _, tree = _parse(code)
    out: dict[str, Counter] = {}

    def collect(name: str, node: ast.AST, body_of: Any) -> None:
        normalizer = _Normalizer(None, 1)
        body_of(normalizer)
        out[name] = Counter(normalizer.keys)

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            collect(node.name, node, lambda n, node=node: n.function(node))
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    collect(f"{node.name}.{item.name}", item, lambda n, item=item: n.function(item))
    return out


# ----------------------------------------------------------------- fingerprints
_P = np.uint64(1_000_003)


def kgram_hashes(tokens: np.ndarray, unit_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hashes (M,) uint64 of every K-token window of ``tokens`` (T,), M = T - K + 1, and a
    mask (M,) of the windows that stay inside one unit."""
    m = tokens.shape[0] - K + 1
    if m <= 0:
        return np.zeros(0, np.uint64), np.zeros(0, bool)
    with np.errstate(over="ignore"):
        h = np.zeros(m, np.uint64)
        for j in range(K):
            h = h * _P + tokens[j:j + m]
        h ^= h >> np.uint64(31)
        h *= np.uint64(0x9E3779B97F4A7C15)
        h ^= h >> np.uint64(29)
    return h, unit_of[:m] == unit_of[K - 1:]


def winnow(h: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Indices (F,) of the fingerprints winnowing keeps: the minimum of every W consecutive
    valid hashes."""
    m = h.shape[0]
    if m == 0 or not valid.any():
        return np.zeros(0, np.int64)
    masked = np.where(valid, h, np.uint64(np.iinfo(np.uint64).max))
    if m <= W:
        picked = np.array([int(np.argmin(masked))])
    else:
        windows = np.lib.stride_tricks.sliding_window_view(masked, W)
        picked = np.unique(windows.argmin(axis=1) + np.arange(m - W + 1))
    return picked[valid[picked]]


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """(len(values),) bool: which values are in ``sorted_set`` (sorted, unique; faster than np.isin)."""
    if sorted_set.size == 0:
        return np.zeros(values.shape, bool)
    index = np.minimum(np.searchsorted(sorted_set, values), sorted_set.size - 1)
    return sorted_set[index] == values


def make_source(name: str, kind: str, units: list[Unit], template: Template | None,
                notes: list[str] | None = None) -> Source:
    """Concatenate the units (sorted by name), fingerprint, drop the release's fingerprints."""
    units = sorted((u for u in units if u.tokens), key=lambda u: u.name)
    counts = [len(u.tokens) for u in units]
    unit_of = np.repeat(np.arange(len(units), dtype=np.int32), counts)
    tokens = np.fromiter((t for u in units for t in u.tokens), np.uint64, sum(counts))
    starts = np.fromiter((s for u in units for s in u.starts), np.int32, sum(counts))
    ends = np.fromiter((e for u in units for e in u.ends), np.int32, sum(counts))
    h, valid = kgram_hashes(tokens, unit_of)
    picked = winnow(h, valid)
    hashes, positions = h[picked], picked.astype(np.int32)
    if template is not None and template.given_hashes.size and hashes.size:
        keep = ~_member(hashes, template.given_hashes)
        hashes, positions = hashes[keep], positions[keep]
    return Source(name, kind, units, unit_of, starts, ends, hashes, positions, list(notes or []))


# ----------------------------------------------------------------- the template
def load_template(assignment: Any) -> Template:
    """Cells and given code of ``assignment``: the source notebook says which cells are
    whose; the release step says what the release gives inside each solution cell."""
    from autograder.notebook import read_notebook

    source = read_notebook(assignment.source_notebook)
    solution_ids = frozenset(c.grade_id for c in source.code_cells() if c.solution and c.grade_id)
    course_ids = frozenset(c.grade_id for c in source.code_cells() if c.grade_id and not c.solution)
    released = released_solution_cells(assignment)
    graded: set[str] = set()
    given: dict[str, Counter] = {}
    boiler: list[np.ndarray] = []
    for cell in source.code_cells():
        if cell.grade_id in solution_ids:
            try:
                graded.update(u.name for u in code_units(cell.source, cell_id=cell.grade_id))
            except SyntaxError:
                continue
            code = released.get(cell.grade_id, "")
            try:
                given.update(given_keys(code))
                units = code_units(code, cell_id=cell.grade_id)
            except SyntaxError:
                continue
            boiler.append(_all_hashes(units))
        elif cell.grade_id in course_ids:
            try:
                boiler.append(_all_hashes(code_units(cell.source, cell_id=cell.grade_id)))
            except SyntaxError:
                continue
    hashes = np.unique(np.concatenate(boiler)) if boiler else np.zeros(0, np.uint64)
    return Template(solution_ids, course_ids, frozenset(graded), given, hashes)


def _all_hashes(units: list[Unit]) -> np.ndarray:
    """Every K-gram hash (not only the winnowed ones) of these units."""
    out = [np.zeros(0, np.uint64)]
    for u in units:
        h, valid = kgram_hashes(np.asarray(u.tokens, np.uint64), np.zeros(len(u.tokens), np.int32))
        out.append(h[valid])
    return np.concatenate(out)


def released_solution_cells(assignment: Any) -> dict[str, str]:
    """{grade_id: the released (stubbed) code of each solution cell}, from the release step,
    remembered in the platform's cache folder per source notebook (nbgrader costs seconds)."""
    import hashlib
    import json

    from autograder.course import cache_dir

    digest = hashlib.sha256(Path(assignment.source_notebook).read_bytes()).hexdigest()[:24]
    cached = cache_dir() / f"similarity-release-{assignment.name}-{digest}.json"
    try:
        return json.loads(cached.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    from autograder.notebook import source_text
    from autograder.release import release_notebook

    notebook = release_notebook(assignment)
    cells = {}
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("solution") and meta.get("grade_id"):
            cells[meta["grade_id"]] = source_text(cell.get("source", ""))
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.partial")
        partial.write_text(json.dumps(cells), encoding="utf-8")
        partial.replace(cached)
    except OSError:
        pass
    return cells


# ----------------------------------------------------------------- extraction
def notebook_units(cells: Iterable[Any], template: Template, kind: str, notes: list[str]) -> list[Unit]:
    """The student's units of a notebook: every definition in a solution cell, and
    definitions of graded names in cells the student added; the last definition of a name
    wins, as in Jupyter. Course cells (instructor, tests) are skipped. For ``against``
    notebooks (public ones carry no grade_ids) every definition counts."""
    chosen: dict[str, Unit] = {}
    for number, cell in enumerate(cells, start=1):
        if cell.kind != "code" or not cell.source.strip():
            continue
        gid = cell.grade_id
        if gid and gid in template.course_ids:
            continue
        solution = gid in template.solution_ids
        try:
            units = _cached_units(cell.source, template, gid if solution else "")
        except (SyntaxError, ValueError) as exc:
            if solution:
                notes.append(f"cell {number} ({gid}) does not parse ({getattr(exc, 'msg', exc)}); its code is left out.")
            continue
        for unit in units:
            if solution or kind == "against" or unit.name in template.graded:
                chosen[unit.name] = unit
    return list(chosen.values())


_UNITS: dict[tuple[str, str, int], list[Unit]] = {}


def _cached_units(code: str, template: Template, cell_id: str) -> list[Unit]:
    """code_units, remembered per cell text in this process: untouched stubs and identical
    cells (common in a class) are parsed once."""
    key = (code, cell_id, id(template))
    units = _UNITS.get(key)
    if units is None:
        units = code_units(code, given=template.given, cell_id=cell_id)
        if len(_UNITS) > 20_000:
            _UNITS.clear()
        _UNITS[key] = units
    return units


def extract(path: Path, name: str, kind: str, template: Template) -> Source:
    """A notebook or .py file as a fingerprinted Source; UnusableInput or SyntaxError when unreadable."""
    from autograder.errors import UnusableInput
    from autograder.notebook import read_notebook

    path = Path(path)
    notes: list[str] = []
    if path.suffix == ".py":
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UnusableInput(f"{path.name}: not readable as UTF-8 Python ({exc}).") from None
        try:
            units = code_units(text, given=template.given, header_names=True)
        except (SyntaxError, ValueError) as exc:
            raise UnusableInput(f"{path.name}: not valid Python ({getattr(exc, 'msg', exc)}, "
                                f"line {getattr(exc, 'lineno', '?')}).") from None
    else:
        units = notebook_units(read_notebook(path).cells, template, kind, notes)
    return make_source(name, kind, units, template, notes)


# a worker process's template (set once per worker, inherited or passed at start)
_WORKER_TEMPLATE: Template | None = None


def _init_worker(template: Template) -> None:
    global _WORKER_TEMPLATE
    _WORKER_TEMPLATE = template


def _extract_job(job: tuple[str, str, str]) -> Source | str:
    path, name, kind = job
    from autograder.errors import UnusableInput

    try:
        assert _WORKER_TEMPLATE is not None
        return extract(Path(path), name, kind, _WORKER_TEMPLATE)
    except (UnusableInput, SyntaxError, ValueError, OSError, RecursionError, MemoryError) as exc:
        return f"{name}: {exc}"


def extract_all(jobs: list[tuple[Path, str, str]], template: Template, workers: int = 1
                ) -> tuple[list[Source], list[str]]:
    """Extract (path, name, kind) jobs on ``workers`` processes; returns the sources (in job
    order) and a message for each file that could not be read (skipped, never fatal)."""
    tasks = [(str(p), n, k) for p, n, k in jobs]
    if workers > 1 and len(tasks) > 50:
        import multiprocessing

        context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        with context.Pool(workers, initializer=_init_worker, initargs=(template,)) as pool:
            results = pool.map(_extract_job, tasks, chunksize=max(1, len(tasks) // (workers * 8)))
    else:
        _init_worker(template)
        results = [_extract_job(t) for t in tasks]
    sources = [r for r in results if isinstance(r, Source)]
    problems = [r for r in results if isinstance(r, str)]
    return sources, problems


def against_files(folder: Path, assignment: str, term: str = "") -> list[tuple[Path, str]]:
    """(path, name) of every .ipynb and .py file under an --against folder; the name is the
    path under the folder without the extension (just the file name for a flat folder). An
    archive folder written by ``--archive`` gives only this assignment's files, and not the
    current ``term``'s (this term's students are compared with each other already)."""
    folder = Path(folder)
    skip = ""
    if (folder / ARCHIVE_MARKER).is_file():
        folder = folder / assignment
        skip = _slug(term) if term else ""
        if not folder.is_dir():
            return []
    files = sorted(p for p in folder.rglob("*") if p.suffix in (".ipynb", ".py") and p.is_file()
                   and ".ipynb_checkpoints" not in p.parts and not any(part.startswith(".") for part in
                                                                        p.relative_to(folder).parts))
    return [(p, p.relative_to(folder).with_suffix("").as_posix()) for p in files
            if not (skip and p.relative_to(folder).parts[0] == skip)]


# ----------------------------------------------------------------- comparison
@dataclass
class Settings:
    threshold: float = 0.6
    """A pair is flagged at or above this similarity (with at least ``min_tokens`` shared)."""
    min_tokens: int = 80
    """Shared normalized tokens below which nothing is flagged (short code is written alike by chance)."""
    common: int | None = None
    """Fingerprints held by more than this many students do not count (default: max(10, 2 % of the class))."""

    def common_for(self, class_size: int) -> int:
        return self.common if self.common is not None else max(10, math.ceil(0.02 * class_size))


@dataclass
class Pair:
    """Two sources worth a look, ``a`` always a student of this term."""

    a: Source
    b: Source
    similarity: float
    """Share of the smaller side's counted fingerprints that the other side holds too (0-1)."""
    shared_tokens: int
    """Normalized tokens covered by the shared fingerprints (the smaller of the two sides)."""
    functions: list[str]
    """Graded functions whose counted code is at least half shared."""
    flagged: bool
    shared: np.ndarray
    """(S,) uint64, the shared counted fingerprints."""


@dataclass
class Comparison:
    pairs: list[Pair]
    """Sorted by similarity (highest first), then shared tokens."""
    clusters: list[list[str]]
    """Groups of 3 or more sources connected by flagged pairs, largest first."""
    common: int
    class_size: int
    against_size: int


def _unique_ids(sources: list[Source]) -> tuple[np.ndarray, np.ndarray]:
    """(hashes, owner index) with each source's hashes once, sorted by hash."""
    if not sources:
        return np.zeros(0, np.uint64), np.zeros(0, np.int32)
    uniques = [np.unique(s.hashes) for s in sources]
    hashes = np.concatenate(uniques)
    owners = np.repeat(np.arange(len(sources), dtype=np.int32), [u.size for u in uniques])
    order = np.argsort(hashes, kind="stable")
    return hashes[order], owners[order]


def _groups(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For sorted ``hashes``: the distinct values, where each run starts, and its length."""
    if hashes.size == 0:
        empty = np.zeros(0, np.int64)
        return hashes, empty, empty
    starts = np.flatnonzero(np.concatenate(([True], hashes[1:] != hashes[:-1])))
    lengths = np.diff(np.append(starts, hashes.size))
    return hashes[starts], starts, lengths


def compare(students: list[Source], against: list[Source], settings: Settings) -> Comparison:
    """Candidate pairs from the inverted index (fingerprint -> holders), then a score for each."""
    n = len(students)
    common = settings.common_for(n)
    values, starts, lengths = _groups(_unique_ids(students)[0])
    rare = values[lengths <= common]  # the fingerprints that count, sorted
    # earlier terms and public sources: a fingerprint must be rare among them too (held by at most
    # `common` of them, or 1 % of a large archive; measured: 2 % flags many coincidences, a fixed
    # 10 of 2,000 misses most copies from the archive)
    a_values, _, a_lengths = _groups(_unique_ids(against)[0])
    a_common = max(common, math.ceil(0.01 * len(against)))
    against_rare = a_values[(a_lengths <= a_common) & _member(a_values, rare)]
    prepared = [_Prepared(s, _member(s.hashes, rare)) for s in students] + \
               [_Prepared(s, _member(s.hashes, against_rare)) for s in against]
    pairs = []
    for i, j in _candidates(prepared, n):
        pair = score_pair(prepared[i], prepared[j], settings)
        if pair.flagged or pair.shared_tokens >= settings.min_tokens:
            pairs.append(pair)
    pairs.sort(key=lambda p: (-p.similarity, -p.shared_tokens, p.a.name, p.b.name))
    return Comparison(pairs, clusters_of(pairs), common, n, len(against))


class _Prepared:
    """A source's counted fingerprints, ready for scoring pairs."""

    def __init__(self, source: Source, counted: np.ndarray):
        self.source = source
        self.hashes = source.hashes[counted]
        self.positions = source.positions[counted]
        self.units = source.unit_of[self.positions] if self.positions.size else np.zeros(0, np.int32)
        self.unique = np.unique(self.hashes)
        self.unit_count = np.bincount(self.units, minlength=len(source.units))


def _candidates(prepared: list[_Prepared], n: int) -> list[tuple[int, int]]:
    """(i, j) pairs sharing at least MIN_SHARED_FINGERPRINTS counted fingerprints, i a student
    (index < n); two --against sources (index >= n) are never paired. One pass over the
    inverted index, grouped by how many hold each fingerprint."""
    if not prepared:
        return []
    hashes = np.concatenate([p.unique for p in prepared])
    owners = np.repeat(np.arange(len(prepared), dtype=np.int64), [p.unique.size for p in prepared])
    order = np.argsort(hashes, kind="stable")  # students come first within a fingerprint's holders
    hashes, owners = hashes[order], owners[order]
    _, starts, lengths = _groups(hashes)
    codes = []
    total = len(prepared)
    for size in np.unique(lengths[lengths >= 2]).tolist():
        first = starts[lengths == size]
        holders = owners[first[:, None] + np.arange(size)]
        xs, ys = np.triu_indices(size, 1)
        a, b = holders[:, xs].ravel(), holders[:, ys].ravel()
        keep = a < n  # a student on one side at least (students sort first)
        codes.append(a[keep] * total + b[keep])
    if not codes:
        return []
    pair_codes, counts = np.unique(np.concatenate(codes), return_counts=True)
    chosen = pair_codes[counts >= MIN_SHARED_FINGERPRINTS]
    return list(zip((chosen // total).tolist(), (chosen % total).tolist()))


def coverage(source: Source, positions: np.ndarray) -> np.ndarray:
    """(T,) bool: the tokens of ``source`` inside a K-gram starting at one of ``positions``."""
    edges = np.zeros(source.token_count + K + 1, np.int32)
    np.add.at(edges, positions, 1)
    np.add.at(edges, positions + K, -1)
    return np.cumsum(edges)[:source.token_count] > 0


def score_pair(a: _Prepared, b: _Prepared, settings: Settings) -> Pair:
    """Similarity, shared tokens, matching functions and the flag of one candidate pair."""
    shared = np.intersect1d(a.unique, b.unique, assume_unique=True)
    smaller = min(a.unique.size, b.unique.size)
    similarity = shared.size / smaller if smaller else 0.0
    functions: list[str] = []
    strong = False
    covered_tokens = []
    for side in (a, b):
        is_shared = _member(side.hashes, shared)
        covered = coverage(side.source, side.positions[is_shared])
        covered_tokens.append(int(covered.sum()))
        share = np.bincount(side.units[is_shared], minlength=side.unit_count.size) / np.maximum(side.unit_count, 1)
        tokens = np.bincount(side.source.unit_of[covered], minlength=side.unit_count.size)
        for index in np.flatnonzero((share >= 0.5) & (tokens >= K)).tolist():
            name = side.source.units[index].name  # graded functions: named by students' notebooks only
            if name not in functions and side.source.kind == "student":
                functions.append(name)
        strong = strong or int(tokens[share >= 0.8].sum()) >= settings.min_tokens  # whole functions copied
    shared_tokens = min(covered_tokens)
    flagged = shared_tokens >= settings.min_tokens and (similarity >= settings.threshold or strong)
    return Pair(a.source, b.source, round(similarity, 4), shared_tokens, functions, flagged, shared)


def clusters_of(pairs: list[Pair]) -> list[list[str]]:
    """Connected groups of 3 or more sources joined by flagged pairs."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        if p.flagged:
            parent[find(p.a.name)] = find(p.b.name)
    groups: dict[str, list[str]] = {}
    for name in list(parent):
        groups.setdefault(find(name), []).append(name)
    found = [sorted(g) for g in groups.values() if len(g) >= 3]
    return sorted(found, key=lambda g: (-len(g), g))


# ----------------------------------------------------------------- archive
def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip()).strip("-").lower() or "term"


def write_archive(root: Path, assignment: str, term: str, students: list[Source]) -> Path:
    """Store each student's code, per function, as ``ROOT/<assignment>/<term>/<SID>.py``;
    a later term passes ROOT to ``--against``. Returns the term's folder."""
    root = Path(root)
    folder = root / assignment / _slug(term)
    folder.mkdir(parents=True, exist_ok=True)
    (root / ARCHIVE_MARKER).write_text(
        "Code archived by `autograder similarity --archive`: <assignment>/<term>/<SID>.py, one\n"
        "function per block. Pass this folder to `autograder similarity --against` in a later term.\n"
        "Staff only: it holds students' work.\n", encoding="utf-8")
    for source in students:
        parts = [f"# autograder similarity archive: assignment {assignment}, term {term}, SID {source.name}\n"]
        for unit in source.units:
            parts.append(f"\n# function: {unit.name}\n{unit.text.rstrip()}\n")
        target = folder / (re.sub(r"[^A-Za-z0-9._@+-]+", "_", source.name) + ".py")
        with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".partial", encoding="utf-8") as f:
            f.write("".join(parts))
        Path(f.name).replace(target)
    return folder
