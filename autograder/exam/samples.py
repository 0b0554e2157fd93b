"""Filled-in exam notebooks for tests, benchmarks and trying a build (``answered``)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from autograder.exam.questions import shown

BATCHNORM = '''def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=0)
    var = x.var(axis=0)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta
'''


def answered(notebook: dict[str, Any], answers: dict[str, Any], *, code: str | None = BATCHNORM) -> dict[str, Any]:
    """A copy of a student's exam notebook whose answer cells assign ``answers`` (``{variable: value}``;
    a string value is written as a string, anything else as a Python literal) and, if ``code`` is given,
    whose coding cell holds it. Variables of a cell not in ``answers`` stay ``None``."""
    result = copy.deepcopy(notebook)
    for cell in result["cells"]:
        meta = (cell.get("metadata") or {}).get("exam") or {}
        if cell.get("cell_type") != "code" or meta.get("given") or not meta.get("question"):
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if "def " in source:
            if code is not None:
                cell["source"] = code
            continue
        lines = []
        for line in source.splitlines():
            name = line.split("=", 1)[0].strip()
            if name in answers:
                value = answers[name]
                lines.append(f"{name} = {value!r}" if isinstance(value, str) else f"{name} = {shown(value)}")
            else:
                lines.append(line)
        cell["source"] = "\n".join(lines)
    return result


def read(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write(notebook: dict[str, Any], path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False), encoding="utf-8")
    return path
