"""Turning the exam template into one student's notebook, printable HTML and answer key.

The template is the released ``assignments/<exam>/<exam>.ipynb`` (nbgrader has removed the coding
question's solution). Its cells carry ``metadata.exam``: ``cell`` (an id), ``question``, ``check``
(the grader compares this cell with what was issued: header, question texts, given parameters) and
``given`` (a code cell that sets the student's parameters for convenience). ``{{Q1.A}}`` is param ``A``
of Q1 as shown; ``{{exam.sid}}``, ``{{exam.name}}``, ``{{exam.title}}``, ``{{exam.sitting}}`` describe the student;
``{{exam.instructions}}`` is :data:`INSTRUCTIONS` of the medium: the notebook submitted to Gradescope, the
printed paper exam, or the practice exam (which is not submitted).
"""

from __future__ import annotations

import copy
import functools
import html
import json
import re
from typing import Any

from autograder.exam.questions import PLACEHOLDER, ExamSpec, Function, shown
from autograder.exam.variants import IssuedExam


INSTRUCTIONS = {
    "notebook": (
        "This exam was generated for you: your numbers differ from your neighbours', and it is graded against the "
        "numbers issued to the SID above, whatever is typed in the notebook. Submit this notebook to Gradescope from "
        "your own account.\n\n"
        "* Answer each question by assigning the named variable in its answer cell (`q2_loss = 1.23`); numbers may be "
        "Python numbers, lists or numpy arrays. Multiple choice: assign the letter as a string (`q1_choice = \"C\"`).\n"
        "* You may compute with numpy in the answer cells. Tolerances are stated with each question.\n"
        "* Do not edit the cells that give your parameters; an edited notebook is still graded on the numbers issued "
        "to you."),
    "paper": (
        "This exam was printed for you: your numbers differ from your neighbours', and it is graded against the "
        "numbers printed for the SID above.\n\n"
        "* Write each answer in its box on the question's page and show your work beside it; a vector or matrix "
        "as its entries in brackets, e.g. [1.5, -2].\n"
        "* Multiple choice: write the letter of your choice in the box.\n"
        "* Give numbers to the precision each question states (its tolerance).\n"
        "* Hand in every page; your name and SID are at the top of each."),
    "practice": (
        "A practice exam from the same question generators as the real one, with its own numbers (no student's "
        "real exam). It is not submitted or graded: when you are done, compare your answers with the practice "
        "solutions.\n\n"
        "* Answer each question by assigning the named variable in its answer cell (`q2_loss = 1.23`); numbers may be "
        "Python numbers, lists or numpy arrays. Multiple choice: assign the letter as a string (`q1_choice = \"C\"`).\n"
        "* You may compute with numpy in the answer cells. Tolerances are stated with each question.\n"
        "* In the real exam you get a notebook made for your SID, and submit it to Gradescope from your own account."),
}
"""``{{exam.instructions}}`` per medium: ``notebook`` (submitted to Gradescope), ``paper`` (the printed
exam's cover), ``practice`` (not submitted)."""


def source_text(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def values_for(spec: ExamSpec, issued: IssuedExam, extra: dict[str, str]) -> dict[str, str]:
    """``{"Q1.A": "[[1, 2], [3, 4]]", ..., "exam.sid": ...}`` for every placeholder."""
    values = {f"exam.{k}": v for k, v in extra.items()}
    for q in spec.questions:
        iq = issued.questions[q.name]
        for key, text in q.displayed(iq.params, iq.order).items():
            values[f"{q.name}.{key}"] = text
    return values


def fill(text: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(f"{m.group(1)}.{m.group(2)}", m.group(0)), text)


def student_notebook(template: dict[str, Any], values: dict[str, str], meta: dict[str, Any]) -> dict[str, Any]:
    """The template with every placeholder filled; ``metadata.exam`` records exam, space and SID."""
    notebook = copy.deepcopy(template)
    for cell in notebook["cells"]:
        text = source_text(cell)
        if "{{" in text:
            cell["source"] = fill(text, values)
    notebook.setdefault("metadata", {})["exam"] = meta
    return notebook


_CELLS_MARK = "\x00cells\x00"


def _cell_json(cell: dict[str, Any]) -> str:
    """One cell as ``json.dumps(notebook, indent=1)`` writes it inside the notebook's ``cells`` list."""
    return json.dumps(cell, indent=1, ensure_ascii=False).replace("\n", "\n  ")


class NotebookText:
    """Students' notebooks as JSON text, exactly ``json.dumps(student_notebook(...), indent=1,
    ensure_ascii=False) + "\n"``, with the template's cells that hold no placeholder serialized once
    (a build writes hundreds of notebooks that differ in a few cells)."""

    def __init__(self, template: dict[str, Any]):
        self.template = template
        self.cells: list[tuple[str, str | None]] = []
        """Per cell: its JSON, and its source when it holds placeholders (then the JSON holds a mark instead)."""
        for cell in template["cells"]:
            source = source_text(cell)
            if "{{" in source:
                self.cells.append((_cell_json({**cell, "source": _CELLS_MARK}), source))
            else:
                self.cells.append((_cell_json(cell), None))

    def text(self, values: dict[str, str], meta: dict[str, Any]) -> str:
        """The notebook of the student whose placeholders are ``values``; ``metadata.exam`` is ``meta``."""
        metadata = {**(self.template.get("metadata") or {}), "exam": meta}
        if not self.cells:
            return json.dumps({**self.template, "metadata": metadata}, indent=1, ensure_ascii=False) + "\n"
        mark = json.dumps(_CELLS_MARK)
        cells = [text if source is None else text.replace(mark, json.dumps(fill(source, values), ensure_ascii=False), 1)
                 for text, source in self.cells]
        skeleton = json.dumps({**self.template, "cells": [_CELLS_MARK], "metadata": metadata}, indent=1,
                              ensure_ascii=False)
        return skeleton.replace(json.dumps(_CELLS_MARK), ",\n  ".join(cells), 1) + "\n"


def checked_cells(notebook: dict[str, Any]) -> dict[str, str]:
    """``{exam cell id: source}`` of the cells the grader compares with what was issued."""
    out = {}
    for cell in notebook.get("cells", []):
        if not isinstance(cell, dict):
            continue
        meta = (cell.get("metadata") or {}).get("exam") if isinstance(cell.get("metadata"), dict) else None
        if isinstance(meta, dict) and meta.get("check") and meta.get("cell"):
            out[str(meta["cell"])] = source_text(cell)
    return out


# ------------------------------------------------------------------ LaTeX for print
_SYMBOLS = {r"\nabla": "∇", r"\top": "ᵀ", r"\partial": "∂", r"\leftarrow": "←", r"\sigma": "σ", r"\epsilon": "ε",
            r"\gamma": "γ", r"\beta": "β", r"\mu": "μ", r"\rho": "ρ", r"\alpha": "α", r"\log": "log ", r"\max": "max",
            r"\sum": "Σ", r"\cdot": "·", r"\times": "×", r"\,": " ", r"\;": " ", r"\quad": "  "}


@functools.lru_cache(maxsize=4096)
def latex_to_html(tex: str) -> str:
    """The small LaTeX subset the exam uses (Greek, ∇, ᵀ, fractions, sub/superscripts, hats, sqrt)
    as HTML, for printing without MathJax."""
    t = tex
    t = re.sub(r"\\text\{([^{}]*)\}", r"\1", t)
    t = re.sub(r"\\tfrac12|\\frac12", "½", t)
    t = re.sub(r"\\hat\s*\{?([A-Za-z])\}?", "\\1\u0302", t)
    for name, symbol in sorted(_SYMBOLS.items(), key=lambda kv: -len(kv[0])):
        t = t.replace(name, symbol)
    t = t.replace("^ᵀ", "ᵀ")
    for _ in range(4):  # innermost groups first
        t = re.sub(r"\^\{([^{}]*)\}", "\x01\\1\x02", t)
        t = re.sub(r"_\{([^{}]*)\}", "\x03\\1\x04", t)
        t = re.sub(r"\^([A-Za-z0-9])", "\x01\\1\x02", t)
        t = re.sub(r"_([A-Za-z0-9])", "\x03\\1\x04", t)
        t = re.sub(r"\\d?frac\{([^{}]*)\}\{([^{}]*)\}", r"(\1) / (\2)", t)
        t = re.sub(r"\\sqrt\{([^{}]*)\}", r"√(\1)", t)
    t = html.escape(t.replace("{", "").replace("}", "").replace("\\", ""), quote=False)
    t = t.replace("\x01", "<sup>").replace("\x02", "</sup>").replace("\x03", "<sub>").replace("\x04", "</sub>")
    return f"<i class='m'>{t}</i>"


def markdown_html(text: str) -> str:
    """Markdown (with $...$ maths) to HTML via mistune, maths through :func:`latex_to_html`. Rendered block
    by block (paragraphs, headings, lists between blank lines) where that gives the same HTML as the whole,
    each block remembered: most blocks are the same for every student of a build, and a question's
    statement costs only the blocks that show the student's numbers."""
    blocks = _independent_blocks(text)
    if blocks is None:
        return _markdown_whole(text)
    return "".join(_markdown_whole(block) for block in blocks)


_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_LIST_ITEM = re.compile(r"([-*+]|\d+[.)])(\s|$)")
_LINK_DEFINITION = re.compile(r"\[[^\]]*\]:")


def _independent_blocks(text: str) -> list[str] | None:
    """``text``'s blank-line-separated blocks when each renders alone as it does inside the whole; None when a
    construct may span a blank line (indented or fenced code, HTML, list items on both sides of one, link
    definitions, maths across a blank line)."""
    for line in text.split("\n"):
        if line.strip() and (line[0] in " \t<" or line.startswith(("```", "~~~")) or _LINK_DEFINITION.match(line)):
            return None
    blocks = [block for block in _BLANK_LINE.split(text) if block.strip()]
    if any(block.count("$") % 2 for block in blocks):
        return None
    for before, after in zip(blocks, blocks[1:]):
        if any(_LIST_ITEM.match(line) for line in before.split("\n")) and _LIST_ITEM.match(after):
            return None  # one loose list, not two
    return blocks


@functools.lru_cache(maxsize=8192)
def _markdown_whole(text: str) -> str:
    import mistune

    maths: list[str] = []

    def hold(match: re.Match[str]) -> str:
        maths.append(latex_to_html(match.group(1)))
        return f"@@M{len(maths) - 1}@@"

    body = re.sub(r"\$\$?(.+?)\$?\$", hold, text, flags=re.S)
    rendered = mistune.html(body)
    return re.sub(r"@@M(\d+)@@", lambda m: maths[int(m.group(1))], rendered)


PRINT_CSS = """
@page { size: letter; margin: 0.45in 0.5in; }
body { font-family: 'DejaVu Serif', serif; font-size: 11pt; margin: 0; color: #111; }
.page { height: 9.95in; break-after: page; position: relative; }
.page:last-child { break-after: auto; }
.top { font-size: 9pt; display: flex; justify-content: space-between;
       border-bottom: 1px solid #888; padding-bottom: 2px; margin-bottom: 8px; }
code { font-family: 'DejaVu Sans Mono', monospace; font-size: 9.5pt; }
.box { border: 1px solid #555; margin-top: 8px; padding: 4px 6px; font-size: 9pt; color: #444; }
h1 { font-size: 16pt; } h2 { font-size: 13pt; margin: 4px 0; }
.key td, .key th { border: 1px solid #999; padding: 3px 6px; text-align: left; vertical-align: top; font-size: 9.5pt; }
.key { border-collapse: collapse; width: 100%; }
i.m { font-style: italic; }
"""


def _page(student_line: str, number: int, total: int, body: str) -> str:
    return (f"<section class='page'><div class='top'><span>{html.escape(student_line)}</span>"
            f"<span>page {number} of {total}</span></div>{body}</section>")


def printable_pages(spec: ExamSpec, template: dict[str, Any], values: dict[str, str], student_line: str) -> list[str]:
    """One student's printable exam as page sections: the cover, then one page per question with
    answer boxes; the student's name and SID head every page."""
    cover: list[str] = []
    per_question: dict[str, list[str]] = {q.name: [] for q in spec.questions}
    values = {**values, "exam.instructions": INSTRUCTIONS["paper"]}
    for cell in template["cells"]:
        meta = (cell.get("metadata") or {}).get("exam") or {}
        if cell.get("cell_type") != "markdown":
            continue
        text = fill(source_text(cell), values)
        (per_question[meta["question"]] if meta.get("question") in per_question else cover).append(markdown_html(text))
    total = 1 + len(spec.questions)
    pages = [_page(student_line, 1, total, "".join(cover))]
    for n, q in enumerate(spec.questions, start=2):
        boxes = []
        for part, p in q.parts.items():
            height = "5.5in" if isinstance(p.judge, Function) else "1.5in"  # room to work on paper
            boxes.append(f"<div class='box' style='height:{height}'>{html.escape(p.what or part)} "
                         f"({p.points:g} points)</div>")
        pages.append(_page(student_line, n, total, "".join(per_question[q.name]) + "".join(boxes)))
    return pages


def key_page(spec: ExamSpec, issued: IssuedExam, student_line: str, heading: str = "Answer key (TAs only)",
             code: dict[str, str] | None = None) -> str:
    """One page for the TAs: every question's parameters and correct answers, and how each is judged.
    ``heading``: the page's title (the practice exam's solutions have their own); ``code``: ``{question:
    source}`` shown for the questions answered by code (the practice solutions), instead of "graded by the
    hidden tests"."""
    rows = []
    for q in spec.questions:
        iq = issued.questions[q.name]
        params = ", ".join(f"{k} = {shown(v)}" for k, v in iq.params.items() if k != "options") or "(same for everyone)"
        for part, p in q.parts.items():
            if isinstance(p.judge, Function) and code and q.name in code:
                rows.append(f"<tr><td>{q.name}</td><td>{html.escape(params)}</td><td><code>{part}</code></td>"
                            f"<td colspan='2'><pre><code>{html.escape(code[q.name])}</code></pre>{p.points:g} pts, "
                            f"{html.escape(p.judge.describe())}</td></tr>")
                params = ""
                continue
            if isinstance(p.judge, Function):
                answer = "code: graded by the hidden tests"
            elif part == q.choice_part():
                letter = "ABCDEFGH"[iq.order.index(int(iq.answers[part]))]
                answer = f"{letter} ({iq.params['options'][int(iq.answers[part])]})"
            else:
                answer = key_shown(iq.answers[part])
            rows.append(f"<tr><td>{q.name}</td><td>{html.escape(params)}</td><td><code>{part}</code></td>"
                        f"<td><b>{html.escape(answer)}</b></td><td>{p.points:g} pts, {html.escape(p.judge.describe())}</td></tr>")
            params = ""
    table = ("<table class='key'><tr><th>Q</th><th>parameters issued</th><th>answer</th><th>correct</th><th>judged</th></tr>"
             + "".join(rows) + "</table>")
    return _page(student_line, 1, 1, f"<h2>{html.escape(heading)}: {html.escape(spec.title)}</h2>{table}")


def key_shown(value: Any) -> str:
    """An answer for a human key: numbers to 6 significant figures (``0.103``, not ``0.10300000000000001``),
    never ``-0`` (a negative zero prints as ``0``)."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(key_shown(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value + 0.0:.6g}"  # -0.0 + 0.0 is 0.0 (``shown`` prints params' -0.0 as 0.0 already)
    return shown(value)


def html_document(pages: list[str], title: str, *, print_only: bool = False) -> str:
    """The pages as one HTML document with :data:`PRINT_CSS`. ``print_only``: for a document only printed
    (never shown), laid out for print only: on screen its body is not displayed, which saves Chromium a
    layout of every page (about a tenth of its time) and changes no printed pixel."""
    hide = "@media screen { body { display: none } }" if print_only else ""
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{PRINT_CSS}{hide}</style></head><body>{''.join(pages)}</body></html>")
