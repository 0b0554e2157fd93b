"""Is a function still the released stub? ("not implemented" means exactly that.)

A released solution cell holds stubs: each function keeps its signature, its
docstring and any code outside ``### BEGIN SOLUTION``/``### END SOLUTION``,
and the solution region becomes ``raise NotImplementedError()`` (nbgrader's
ClearSolutions). A student's function is "not implemented" only while its
code is that stub, whatever its comments and layout; a finished function that
raises NotImplementedError on purpose (``else: raise NotImplementedError(f"unknown
mode {mode!r}")``) is an ordinary function and its errors are ordinary errors.

A *fingerprint* is a short hash of a function's code with its docstring,
comments and layout removed (``ast.unparse``). The release stamp carries the
fingerprints of every stub (``validate.release_stamp``); the grader computes
them from the source notebook (``released_source`` mimics ClearSolutions,
and leaves an already released cell as it is).
"""

from __future__ import annotations

import ast
import copy
import functools
import hashlib
import re

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB_LINES = ("# YOUR CODE HERE", "raise NotImplementedError()")
"""nbgrader's default code stub for Python (ClearSolutions.code_stub)."""

_FRAME = re.compile(r'File "<(?P<label>.*)>", line (?P<line>\d+), in (?P<name>[A-Za-z_][A-Za-z0-9_]*)')


def released_source(source: str) -> str:
    """``source`` with each solution region replaced by the stub, as ClearSolutions does."""
    if BEGIN not in source:
        return source
    out: list[str] = []
    inside = False
    for line in source.splitlines():
        if line.strip() == BEGIN:
            inside = True
            indent = line[:len(line) - len(line.lstrip())]
            out += [indent + stub for stub in STUB_LINES]
        elif line.strip() == END:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def fingerprint(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """16 hex digits naming the function's code, docstrings, comments and layout aside."""
    node = copy.deepcopy(node)
    for sub in ast.walk(node):
        body = getattr(sub, "body", None)
        if (isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            sub.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.unparse(node).encode("utf-8")).hexdigest()[:16]


def _functions(source: str) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every function and method defined in ``source`` (any depth)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _raises_not_implemented(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Raise) and sub.exc is not None:
            target = sub.exc.func if isinstance(sub.exc, ast.Call) else sub.exc
            if isinstance(target, ast.Name) and target.id == "NotImplementedError":
                return True
    return False


def stub_fingerprints(released: str) -> list[str]:
    """The fingerprints of the stubs in one released solution cell's source
    (the functions and methods that raise NotImplementedError), sorted."""
    return sorted({fingerprint(f) for f in _functions(released) if _raises_not_implemented(f)})


def function_at(source: str, line: int, name: str = "") -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The innermost function of ``source`` whose lines hold ``line`` (1-based), or
    that starts there (its ``def`` or first decorator); ``name`` must match if given."""
    best = None
    for node in _functions(source):
        start = min([node.lineno] + [d.lineno for d in node.decorator_list])
        end = getattr(node, "end_lineno", None) or node.lineno
        if start <= line <= end and (not name or node.name == name):
            if best is None or start >= min([best.lineno] + [d.lineno for d in best.decorator_list]):
                best = node
    return best


def raised_by_stub(traceback_text: str, sources: dict[str, str], stubs: set[str]) -> bool:
    """Whether the NotImplementedError in ``traceback_text`` (the student process's trimmed
    traceback) came from a function that is still its released stub.

    ``sources``: ``{cell label: the source that ran}``; ``stubs``: the released stubs'
    fingerprints. When the raising frame cannot be found (no traceback), it says True:
    the old, conservative "not implemented yet"."""
    frames = list(_FRAME.finditer(traceback_text))
    if not frames:
        return True
    last = frames[-1]
    source = sources.get(last.group("label"))
    if source is None:
        return True
    found = _fingerprint_at(source, int(last.group("line")), last.group("name"))
    return found is None or found in stubs


@functools.lru_cache(maxsize=1024)
def _fingerprint_at(source: str, line: int, name: str) -> str | None:
    """The fingerprint of ``function_at(source, line, name)`` (None: no such function),
    remembered: a blank submission raises from the same stubs in every test."""
    node = function_at(source, line, name)
    return None if node is None else fingerprint(node)
