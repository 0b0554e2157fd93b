"""The one rule for what student code may import: what the grader has.

A student's laptop always has more packages than Gradescope's container
(scikit-learn brings scipy), so ``from scipy.special import logsumexp`` would
work in Jupyter and in ``autograder validate`` yet fail when graded. Both
therefore refuse, in the student process, every top-level module outside

* the standard library of the interpreter running the student's code,
* the packages the grader installs: this platform's ``dependencies`` in
  ``pyproject.toml`` and theirs, walked through the installed metadata
  (``grader_modules``; the same list Gradescope's ``setup.sh`` installs from the
  zip's ``requirements.txt``), and
* the assignment's support files (``data_utils``, ``solver``...),

with the same words (``refusal``). Grading computes the set from its own
environment; a release stamps it into the notebook for validate.

Only imports made by the student's code are judged (a notebook cell, a
support file, ``exec``'d text): a library of the installation importing
its own submodules or optional extras is left alone. ``importlib.import_module``
and ``__import__`` are judged like ``import``.

This file runs inside the student process (loaded by path from
``student_main.py``, standard library only) and in the grader.
"""

from __future__ import annotations

import os
import sys

PLATFORM_DISTRIBUTION = "autograder"
"""The distribution whose (non-extra) requirements are what the grader installs."""


def refusal(name: str) -> str:
    """What a refused import says, in validate and in the grade alike."""
    return f"`{name}` is not available when grading: use numpy (or Python's standard library)"


def module_name_of_file(filename: str) -> str | None:
    """``solver.py`` -> ``solver``; None for what is not an importable module."""
    stem, dot, ext = filename.partition(".")
    if not stem.isidentifier():
        return None
    if ext == "py" or (dot and ext.split(".")[-1] in ("so", "pyd")) or not dot:
        return stem
    return None


class ImportRule:
    """A ``sys.meta_path`` finder that refuses top-level modules outside ``allowed``
    when the student's code imports them (raising ModuleNotFoundError, so
    ``except ImportError`` works as it would on the grader)."""

    def __init__(self, allowed, library_dirs=None):
        self.allowed = frozenset(allowed) | frozenset(sys.stdlib_module_names) | frozenset(sys.builtin_module_names)
        self.library_dirs = tuple(os.path.join(os.path.abspath(d), "") for d in (library_dirs or installation_dirs()))
        import importlib
        import importlib.util  # noqa: F401 - loaded now: judging it later would be circular

        self.importlib_dir = os.path.join(os.path.dirname(os.path.abspath(importlib.__file__)), "")
        self.own_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "")
        self.refused: list[str] = []
        """Names refused so far (for tests and validate)."""

    def find_spec(self, fullname, path=None, target=None):
        if path is not None or "." in fullname or fullname in self.allowed:
            return None
        if not self._from_student(sys._getframe(1)):
            return None
        self.refused.append(fullname)
        raise ModuleNotFoundError(refusal(fullname), name=fullname)

    def _from_student(self, frame) -> bool:
        """Whether the first frame outside the import machinery is the student's code."""
        while frame is not None:
            filename = frame.f_code.co_filename
            if filename.startswith("<frozen importlib") or filename.startswith(self.importlib_dir):
                frame = frame.f_back
                continue
            if filename.startswith("<"):
                return True  # a notebook cell (`<cell 7>`), exec'd text (`<string>`)
            filename = os.path.abspath(filename)
            if filename.startswith(self.own_dir):
                return False  # the sandbox itself
            return not filename.startswith(self.library_dirs)
        return False

    def invalidate_caches(self):
        pass


def installation_dirs() -> list[str]:
    """Where this interpreter's standard library and installed packages live."""
    import sysconfig

    found = {os.path.dirname(os.__file__)}
    found |= {value for key, value in sysconfig.get_paths().items()
              if key in ("stdlib", "platstdlib", "purelib", "platlib") and value}
    found |= {entry for entry in sys.path if os.path.basename(entry) in ("site-packages", "dist-packages")}
    return sorted(found)


def install(allowed) -> ImportRule:
    """Put the rule first on ``sys.meta_path`` (before any student code runs)."""
    rule = ImportRule(allowed)
    sys.meta_path.insert(0, rule)
    return rule


# ---------------------------------------------------------------- the grader's side
def _top_level_names(dist) -> set[str]:
    """The top-level module names a distribution installs (``top_level.txt``, else its RECORD)."""
    text = dist.read_text("top_level.txt")
    if text:
        return {line.strip().replace("/", ".").split(".")[0] for line in text.splitlines() if line.strip()}
    names = set()
    for row in (dist.read_text("RECORD") or "").splitlines():
        parts = row.split(",", 1)[0].split("/")
        if not parts[0] or parts[0] in ("..", "__pycache__") or parts[0].endswith((".dist-info", ".data", ".egg-info")):
            continue
        name = parts[0] if len(parts) > 1 else module_name_of_file(parts[0])
        if name and name.isidentifier():
            names.add(name)
    return names


def _requires(dist) -> list[str]:
    """Its ``Requires-Dist`` lines, read from METADATA's header without the email parser
    (which costs most of the walk)."""
    found = []
    for line in (dist.read_text("METADATA") or dist.read_text("PKG-INFO") or "").splitlines():
        if not line:
            break  # the header ends at the first empty line (a folded field's lines start with spaces)
        if line.startswith("Requires-Dist:"):
            found.append(line.split(":", 1)[1].strip())
    return found


def _requirements(dist_requires) -> list:
    """The requirements in force without extras (``numpy>=1.24``, not ``x; extra == 'dev'``)."""
    from packaging.requirements import InvalidRequirement, Requirement

    wanted = []
    for text in dist_requires or ():
        if "extra" in text.partition(";")[2]:
            continue  # only for an extra (`; extra == "dev"`): the grader installs none
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            wanted.append(requirement)
    return wanted


def grader_modules(root: str = PLATFORM_DISTRIBUTION) -> tuple[str, ...] | None:
    """The top-level modules of every package the grader installs: ``root``'s
    requirements (pyproject's ``dependencies``, not the ``author``/``dev`` extras)
    and theirs, as installed here. ``root`` itself is left out (student code has
    no business with the grader). None when ``root`` is not installed."""
    if root not in _WALKED:
        _WALKED[root] = _cached_walk(root)
    return _WALKED[root]


_WALKED: dict = {}
CACHE_NAME = ".autograder-import-rule.json"
"""Kept in the environment's folder (``sys.prefix``) beside what it describes: the walk
costs a tenth of a second of every cold grade, the stamp a few ``stat`` calls.
Gradescope's ``setup.sh`` writes it once, when it builds the image."""


def _path_stamp(root: str) -> list:
    """What changes when a package is installed, upgraded or removed anywhere the
    metadata walk looks: the modification time of every folder on ``sys.path``."""
    stamp: list = [sys.version, root]
    for entry in sys.path:
        try:
            stamp.append([entry, os.stat(entry or ".").st_mtime_ns])
        except OSError:
            stamp.append([entry, None])
    return stamp


def _cached_walk(root: str, folder: str | None = None) -> tuple[str, ...] | None:
    """``_walk(root)``, read from the cache file in ``folder`` (default ``sys.prefix``) when
    ``sys.path`` is one the cache has seen unchanged; walked and added otherwise (best effort:
    a read-only environment just walks). The file keeps the last :data:`CACHE_ENTRIES` paths:
    ``autograder`` (``.venv/bin`` first on ``sys.path``), ``python -m`` (the working folder
    first) and the test runner each have their own, so that they do not walk in turns."""
    import hashlib
    import json
    import tempfile

    folder = sys.prefix if folder is None else folder
    path = os.path.join(folder, CACHE_NAME)
    key = hashlib.sha256(json.dumps(_path_stamp(root)).encode()).hexdigest()
    entries: dict = {}
    try:
        with open(path, encoding="utf-8") as handle:
            entries = dict(json.load(handle)["entries"])
        modules = entries[key]
        return None if modules is None else tuple(str(m) for m in modules)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    modules = _walk(root)
    entries.pop(key, None)
    entries[key] = modules
    try:
        fd, temporary = tempfile.mkstemp(prefix=CACHE_NAME, dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"entries": list(entries.items())[-CACHE_ENTRIES:]}, handle)
        os.replace(temporary, path)
    except OSError:
        pass
    return modules


CACHE_ENTRIES = 8


def _walk(root: str) -> tuple[str, ...] | None:
    from importlib import metadata

    try:
        todo = _requirements(_requires(metadata.distribution(root)))
    except metadata.PackageNotFoundError:
        return None
    seen: set[str] = set()
    names: set[str] = set()
    while todo:
        requirement = todo.pop()
        key = requirement.name.lower().replace("_", "-").replace(".", "-")
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            continue
        names |= _top_level_names(dist)
        todo += _requirements(_requires(dist))
    names.discard(root)
    return tuple(sorted(n for n in names if n.isidentifier()))


def importable(support_files=()) -> tuple[str, ...] | None:
    """What student code may import besides the standard library: the grader's
    packages and the assignment's support files (paths or names). None: no rule
    (the platform is not installed, so its dependencies are unknown)."""
    modules = grader_modules()
    if modules is None:
        return None
    own = {module_name_of_file(os.path.basename(str(p))) for p in support_files}
    return tuple(sorted(set(modules) | {n for n in own if n}))


def imported_names(source: str) -> list[tuple[str, int, str]]:
    """(top-level module, line, owner) for each import ``source`` makes at any depth
    (function bodies too, ``importlib.import_module("x")`` and ``__import__("x")`` with a
    literal name), except inside a ``try`` that catches ImportError (the code plans for
    its absence) or under ``if TYPE_CHECKING``. ``owner``: the top-level function or class it
    is in, "" at top level.
    Python source only (magics already turned into Python); [] if it does not parse."""
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    guarded: set[int] = set()
    for node in ast.walk(tree):
        optional = ((isinstance(node, ast.Try) or type(node).__name__ == "TryStar")
                    and any(_catches_import_error(h) for h in node.handlers)) or (
            isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test))
        if optional:
            guarded |= {id(inner) for stmt in node.body for inner in ast.walk(stmt)}
    found = set()
    for statement in tree.body:
        owner = statement.name if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else ""
        for node in ast.walk(statement):
            if id(node) in guarded:
                continue
            if isinstance(node, ast.Import):
                found |= {(alias.name.split(".")[0], node.lineno, owner) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                found.add((node.module.split(".")[0], node.lineno, owner))
            elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
                  and isinstance(node.args[0].value, str)
                  and ((isinstance(node.func, ast.Name) and node.func.id in ("__import__", "import_module"))
                       or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module"))):
                found.add((node.args[0].value.split(".")[0], node.lineno, owner))
    return sorted(found, key=lambda item: (item[1], item[0]))


_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


def _catches_import_error(handler) -> bool:  # type: ignore[no-untyped-def]
    """Whether ``except ...:`` catches an ImportError (bare except, ImportError, Exception, a tuple of them)."""
    import ast

    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any((t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else "")
               in _IMPORT_ERRORS for t in types)


def refused_imports(source: str, allowed) -> list[tuple[str, int, str]]:
    """The imports of ``source`` (``imported_names``: module, line, owner) that the rule refuses."""
    everything = frozenset(allowed) | frozenset(sys.stdlib_module_names) | frozenset(sys.builtin_module_names)
    return [found for found in imported_names(source) if found[0] not in everything]


if __name__ == "__main__":  # Gradescope's setup.sh: write the cache once, from the folder grading runs in
    print(f"student code may import {len(grader_modules() or ())} installed top-level modules")
