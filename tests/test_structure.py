"""The package's modules import one way: no import cycle, counting imports inside functions.

A cycle means one module holds what belongs in a lower one (issue 22: ``check`` <->
``release`` <-> ``samples`` and ``exam/gradescope`` <-> ``gradescope/run`` were two)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "autograder"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """{module: the package's modules it imports anywhere in its text}."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            graph[name].update(t for t in targets if t in modules and t != name and t != "autograder")
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    assert "autograder.release" in graph["autograder.samples"]  # the graph sees imports (sanity)
    assert cycles(graph) == []


def test_one_process_grades_two_copies_of_a_course_each_with_its_own_reference(tmp_path):
    """A copy holding only reference/hw1 imported first must not hide the checkout's reference/hw2,
    nor lend its reference.hw1 to the checkout (both happened when the package was cached)."""
    import shutil

    from autograder.pytest_plugin import reference_module_for

    root = PACKAGE.parent
    (tmp_path / "reference").mkdir()
    shutil.copy2(root / "reference" / "__init__.py", tmp_path / "reference" / "__init__.py")
    shutil.copytree(root / "reference" / "hw1", tmp_path / "reference" / "hw1")
    copy = reference_module_for(tmp_path / "reference" / "hw1" / "test_hw1.py")
    assert Path(copy.__file__).resolve().is_relative_to(tmp_path.resolve())
    hw2 = reference_module_for(root / "reference" / "hw2" / "test_hw2.py")
    hw1 = reference_module_for(root / "reference" / "hw1" / "test_hw1.py")
    assert Path(hw2.__file__).resolve().is_relative_to(root) and Path(hw1.__file__).resolve().is_relative_to(root)
