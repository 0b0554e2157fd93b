"""A practice exam from the real generators under the seed space ``practice`` (so it reveals nothing of a
real variant), released with its solutions: ``DIR/practice-N.ipynb`` (as students get it: it says it is
not submitted), ``DIR/practice-N-solutions.ipynb`` (answer cells filled in, the coding question's cell
holding the source notebook's solution) and ``DIR/practice-N-solutions.html`` (titled as the practice
solutions, with that code). The coding question's solution is the real exam's too: hand the solutions
out after the exam, or give the real exam another coding question."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from autograder.exam import render
from autograder.exam.checking import ExamCheck
from autograder.exam.questions import Function
from autograder.exam.render import key_shown
from autograder.exam.variants import Student, issue_exam, load_secret


def build_practice(assignment: Any, course: Any, out: Path, *, versions: int = 1,
                   secret: bytes | None = None) -> list[Path]:
    from autograder.exam.build import load_spec, released_template

    spec = load_spec(assignment)
    template = released_template(assignment)
    code = coding_solutions(assignment, spec)
    secret = secret if secret is not None else load_secret(assignment.course_root)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for n in range(1, versions + 1):
        issued = issue_exam(spec, secret, Student(f"PRACTICE-{n}", "Practice"), space="practice")
        extra = {"title": f"{spec.title}: practice exam {n}", "name": "(your name)", "sid": f"practice {n}",
                 "sitting": "practice: take it in 110 minutes, closed book",
                 "instructions": render.INSTRUCTIONS["practice"].replace(
                     "the practice solutions", f"the practice solutions (practice-{n}-solutions.ipynb)")}
        values = render.values_for(spec, issued, extra)
        notebook = render.student_notebook(template, values, {"exam": spec.name, "sid": f"PRACTICE-{n}",
                                                               "space": "practice"})
        path = out / f"practice-{n}.ipynb"
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
        answers = ExamCheck(spec, issued).answers_as_student()
        solved = json.loads(json.dumps(notebook))
        for cell in solved["cells"]:
            meta = (cell.get("metadata") or {}).get("exam") or {}
            q = meta.get("question")
            if cell.get("cell_type") != "code" or meta.get("given") or not q:
                continue
            question = spec.question(q)
            if any(isinstance(p.judge, Function) for p in question.parts.values()):
                if q in code:
                    cell["source"] = code[q]
                continue
            cell["source"] = "\n".join(f"{part} = {key_shown(answers[part]) if not isinstance(answers[part], str) else repr(answers[part])}"
                                       for part in question.parts)
        path = out / f"practice-{n}-solutions.ipynb"
        path.write_text(json.dumps(solved, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
        page = render.key_page(spec, issued, f"Practice exam {n}: solutions", heading=f"Practice exam {n}: solutions",
                               code=code)
        path = out / f"practice-{n}-solutions.html"
        path.write_text(render.html_document([page], f"{spec.title}: practice {n} solutions"), encoding="utf-8")
        written.append(path)
    return written


def coding_solutions(assignment: Any, spec: Any) -> dict[str, str]:
    """``{question: its solution code}`` of the questions answered by code, from the source notebook's
    solution cell (grade_id = the question's name) with the BEGIN/END SOLUTION markers removed."""
    from autograder.exam.build import solution_code

    coding = {q.name for q in spec.questions if any(isinstance(p.judge, Function) for p in q.parts.values())}
    source = json.loads(Path(assignment.source_notebook).read_text(encoding="utf-8"))
    out = {}
    for cell in source["cells"]:
        meta = cell.get("metadata") or {}
        question = (meta.get("exam") or {}).get("question")
        if cell.get("cell_type") == "code" and question in coding and (meta.get("nbgrader") or {}).get("solution"):
            out[question] = solution_code(render.source_text(cell))
    return out
