"""``autograder feedback hw1 [--db GRADEBOOK] [--out DIR]``: each student's feedback from a local grading.

What a Gradescope student sees, built from the gradebook with the same code as the Gradescope run
(:func:`autograder.results.to_gradescope`): the top-level Markdown (score, late days, what to fix first),
then each test with its points and output. One ``<SID>.md`` and ``<SID>.html`` per student (each member
of a group gets the group's file; a submission without an SID is named by its key).

Visibility: local feedback is handed out when the instructor publishes, so tests Gradescope shows
``visible``, ``after_due_date`` or ``after_published`` are shown; ``hidden`` tests (and the staff-only
entries: isolation level, due date used) are not, as Gradescope never shows them to a student. Outputs
are the ones stored at grading, which never hold a hidden expected value.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from pathlib import Path
from typing import Any

from autograder.batch.common import add_common, load

SHOWN = ("visible", "after_due_date", "after_published")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser)
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for <SID>.md and <SID>.html (default: ./<assignment>_feedback)")


def feedback_markdown(title: str, data: dict[str, Any]) -> str:
    """A results.json (:func:`autograder.results.to_gradescope`'s dict) as the Markdown page a student reads."""
    tests = [t for t in data["tests"] if t.get("visibility", "visible") in SHOWN]
    lines = [f"# {title}", "", data["output"], ""]
    if tests:
        lines += ["## Tests", ""]
    for t in tests:
        mark = "✓" if t["status"] == "passed" else "✗"
        lines += [f"### {mark} {t['name']} ({t['score']:g} / {t['max_score']:g})", ""]
        if t.get("output"):
            fence = "````" if "```" in t["output"] else "```"
            lines += [fence, t["output"].rstrip("\n"), fence, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def markdown_to_html(title: str, text: str) -> str:
    """A standalone HTML page of ``text`` (raw HTML in it is escaped: outputs quote student code)."""
    try:
        import mistune

        body = mistune.create_markdown(escape=True)(text)
    except ImportError:  # mistune comes with Jupyter; without it, the Markdown as preformatted text
        body = f"<pre>{html.escape(text)}</pre>"
    return ("<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;max-width:50em;margin:2em auto;"
            "padding:0 1em}h3{font-size:1em;margin:1.2em 0 .3em}pre{background:#f4f4f4;padding:.5em;overflow-x:auto;white-space:pre-wrap}</style>"
            f"</head><body>{body}</body></html>\n")


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) or "unnamed"


def write_feedback(book, assignment, out: Path) -> list[Path]:  # type: ignore[no-untyped-def]
    """Write every current grading's feedback into ``out``; returns the Markdown files written."""
    from autograder.results import to_gradescope

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for row in book.current_rows(assignment.name):
        result = book.result_of(row.grading_id, assignment.name)
        data = to_gradescope(result, stdout_visibility=assignment.stdout_visibility)
        sids = [p.get("sid", "") for p in row.submitters if p.get("sid")] or [row.key]
        for sid in sids:
            title = f"{assignment.title}: feedback for {sid}"
            text = feedback_markdown(title, data)
            (out / f"{_safe(sid)}.md").write_text(text, encoding="utf-8")
            (out / f"{_safe(sid)}.html").write_text(markdown_to_html(title, text), encoding="utf-8")
            written.append(out / f"{_safe(sid)}.md")
    return written


def run(args: argparse.Namespace) -> int:
    loaded = load(args, existing_gradebook=True)
    if loaded is None:
        return 2
    assignment, db_path = loaded
    from autograder.batch.gradebook import Gradebook

    out = args.out or Path(f"{assignment.name}_feedback")
    with Gradebook(db_path) as book:
        written = write_feedback(book, assignment, out)
    if not written:
        print(f"error: {db_path} holds no grading of {assignment.name}; run `autograder batch "
              f"{assignment.name} ...` first", file=sys.stderr)
        return 2
    print(f"{assignment.name}: feedback for {len(written)} student(s) in {out}/ (<SID>.md and <SID>.html)")
    return 0
