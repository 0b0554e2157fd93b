"""`autograder exam build` made fast (issue 23): notebooks written from text serialized once, PDFs printed in
chunks by one Chromium and split per student, and a build run again prints only the students whose pages
changed (``print/.printed.json``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from autograder.assignment import load_assignment
from autograder.course import load_course
from autograder.exam import render
from autograder.exam.build import build, chunk_size, load_spec, released_template, student_extra
from autograder.exam.variants import SECRET_ENV, Student, issue_exam

ROOT = Path(__file__).resolve().parent.parent
SECRET = "course-secret-for-build-speed-5d1f0c2e"


@pytest.fixture()
def secret(monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    return SECRET


def test_notebook_text_is_exactly_the_json_of_the_student_notebook():
    """The build writes each notebook from cells serialized once; the bytes are those of json.dumps of the
    filled notebook, for students with names, tracks and extra time of every kind."""
    assignment = load_assignment("midterm", ROOT / "course.yaml")
    course = load_course(ROOT / "course.yaml")
    spec = load_spec(assignment)
    template = released_template(assignment)
    text = render.NotebookText(template)
    students = [Student("905000001", "Ada Lovelace", "", "C147", ""), Student("905000002", "Zoë “Q” O'Neil\\", "",
                                                                               "MSOL", "1.5x"),
                Student("905000003", "", "", "C247", "")]
    for student in students:
        issued = issue_exam(spec, SECRET.encode(), student)
        values = render.values_for(spec, issued, student_extra(course, spec, issued))
        meta = {"exam": "midterm", "sid": student.sid, "space": "exam"}
        want = json.dumps(render.student_notebook(template, values, meta), indent=1, ensure_ascii=False) + "\n"
        assert text.text(values, meta) == want
        assert json.loads(want)["metadata"]["exam"] == meta


def test_chunks_are_equal_and_give_every_tab_a_document():
    assert chunk_size(500, 2) == 50 and chunk_size(7, 2) == 4 and chunk_size(1, 2) == 1
    assert chunk_size(101, 2) == 26  # 4 documents of at most 26, not 50 + 50 + 1
    for students in range(1, 400, 7):
        size = chunk_size(students, 2)
        documents = -(-students // size)
        assert size <= 50 and (documents >= 2 or students == 1)


def _roster(path: Path, names: dict[str, str]) -> Path:
    path.write_text("SID,Name,Track\n" + "".join(f"{sid},{name},C147\n" for sid, name in names.items()))
    return path


@pytest.mark.slow
def test_a_second_build_prints_only_the_students_whose_exam_changed(tmp_path, secret):
    """Every in-person student gets a PDF of their own (7 pages, their SID on each); building again with the
    same roster prints nothing, and renaming one student reprints only theirs."""
    from pypdf import PdfReader

    assignment = load_assignment("midterm", ROOT / "course.yaml")
    course = load_course(ROOT / "course.yaml")
    names = {f"90500010{i}": f"Student {i}" for i in range(5)}
    out, db = tmp_path / "out", tmp_path / "gradebook.sqlite"
    first = build(assignment, course, _roster(tmp_path / "roster.csv", names), out, db_path=db)
    assert (first.pdfs, first.pdfs_reused, first.keys) == (5, 0, 5)
    pdfs = {sid: out / "print" / f"{sid}-midterm.pdf" for sid in names}
    for sid, path in pdfs.items():
        reader = PdfReader(path, strict=True)  # cut from the chunk's PDF by split_pages: a complete PDF of its own
        assert len(reader.pages) == 7 and all(f"SID {sid}" in page.extract_text() for page in reader.pages)
        assert reader.metadata.title == f"ECE C147/C247 Midterm exam (Winter 2025): {sid}"
        assert len(path.read_bytes()) < 200_000  # the fonts it uses, not the whole chunk's objects
    stamps = {sid: path.stat().st_mtime_ns for sid, path in pdfs.items()}

    again = build(assignment, course, tmp_path / "roster.csv", out, db_path=db)
    assert (again.pdfs, again.pdfs_reused) == (5, 5) and again.chromium_cpu == 0  # Chromium not even started
    assert {sid: path.stat().st_mtime_ns for sid, path in pdfs.items()} == stamps

    renamed = dict(names, **{"905000102": "Grace Hopper"})
    third = build(assignment, course, _roster(tmp_path / "roster.csv", renamed), out, db_path=db)
    assert (third.pdfs, third.pdfs_reused) == (5, 4)
    changed = {sid for sid, path in pdfs.items() if path.stat().st_mtime_ns != stamps[sid]}
    assert changed == {"905000102"}
    assert "Grace Hopper" in PdfReader(pdfs["905000102"]).pages[0].extract_text()

    os.remove(pdfs["905000104"])  # a PDF deleted by hand is printed again
    fourth = build(assignment, course, tmp_path / "roster.csv", out, db_path=db)
    assert (fourth.pdfs, fourth.pdfs_reused) == (5, 4) and len(PdfReader(pdfs["905000104"]).pages) == 7


@pytest.mark.parametrize("text", [
    "# Title\n\nA paragraph with `code = [1, 2]` and $\\nabla_x f$.\n\n**Bold:** 3",
    "- **A.** one\n- **B.** two\n\n- **C.** a loose list: one list, not two",
    "```\ncode\n\nmore code\n```\n\nafter",
    "    indented code\n\n    still code",
    "$a\n\nb$ maths across a blank line",
    "[x][ref]\n\n[ref]: https://example.org",
    "text\n\n<div>\n\nhtml</div>",
    "1. first\n\n2. second",
])
def test_markdown_rendered_block_by_block_is_the_markdown_of_the_whole(text):
    assert render.markdown_html(text) == render._markdown_whole.__wrapped__(text)


def test_every_printed_cell_renders_as_a_whole_would_for_students_of_every_kind():
    """The cells of the printed exam, filled for students with odd names, extra time and remote sittings."""
    assignment = load_assignment("midterm", ROOT / "course.yaml")
    course = load_course(ROOT / "course.yaml")
    spec, template = load_spec(assignment), released_template(assignment)
    for i in range(12):
        student = Student(f"9050002{i:02d}", f"Ada_{i} *Love* <lace>", "", ["C147", "MSOL", "C247"][i % 3],
                          ["", "1.5x", ""][i % 3])
        issued = issue_exam(spec, SECRET.encode(), student)
        values = dict(render.values_for(spec, issued, student_extra(course, spec, issued)),
                      **{"exam.instructions": render.INSTRUCTIONS["paper"]})
        for cell in template["cells"]:
            if cell["cell_type"] == "markdown":
                text = render.fill(render.source_text(cell), values)
                assert render.markdown_html(text) == render._markdown_whole.__wrapped__(text)


def test_a_page_count_that_does_not_match_stops_the_split_naming_the_document(tmp_path):
    """A question that overflowed its page would shift every later student: refused, whichever splitter runs."""
    from pypdf import PdfWriter

    from autograder.exam.build import split_pdf
    from autograder.exam.pdf import UnsupportedPdf, split_pages

    writer = PdfWriter()
    for _ in range(5):
        writer.add_blank_page(612, 792)
    with open(tmp_path / "exam-3.pdf", "wb") as handle:
        writer.write(handle)
    with pytest.raises(UnsupportedPdf, match="5 pages for 2 documents of 3"):
        split_pages((tmp_path / "exam-3.pdf").read_bytes(), [(tmp_path / "a.pdf", "a"), (tmp_path / "b.pdf", "b")], 3)
    with pytest.raises(RuntimeError, match="exam-3.pdf: 5 pages for 2 students, expected 3 each"):
        split_pdf(tmp_path / "exam-3.pdf", [(tmp_path / "a.pdf", "a"), (tmp_path / "b.pdf", "b")], 3)
    assert split_pdf(tmp_path / "exam-3.pdf", [(tmp_path / "a.pdf", "a")], 5) == 1
    assert len(__import__("pypdf").PdfReader(tmp_path / "a.pdf").pages) == 5
