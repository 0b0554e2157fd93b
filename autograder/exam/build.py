"""``autograder exam build midterm --roster ROSTER.csv --out DIR``: every student's exam.

For each roster SID (issued once, recorded in the gradebook, reused on every later build):

    DIR/notebooks/<sid>/midterm.ipynb   the student's notebook: name and SID at the top, their numbers
    DIR/print/<sid>-midterm.pdf         printable exam (in-person tracks), name and SID on every page
    DIR/keys/<sid>-key.html             one-page answer key for the TAs (in-person tracks; prints on one page)
    DIR/keys/keys.csv                   every student's parameters and answers (for the TAs)

The roster is a CSV with columns ``SID`` (required), ``name``, ``email``, ``track`` (name or alias from
course.yaml; default the course's default track) and ``extra time`` (``1.5x`` or ``30m``; also read
from a column named ``accommodation``). Nothing written contains the course secret.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from autograder.errors import UnusableInput
from autograder.exam import render, store
from autograder.exam.questions import ExamSpec
from autograder.exam.variants import IssuedExam, Student, issue_exam, load_secret, normalize_sid
from autograder.exam.windows import (AccommodationError, SittingTimesMissing, parse_accommodation, timed_example,
                                     window_for)

PAGES_PER_CHUNK = 50  # students per printed document

_COLUMNS = {
    "sid": ("sid", "student id", "studentid", "student_id", "uid", "id"),
    "name": ("name", "full name", "student name", "student"),
    "email": ("email", "e-mail", "email address"),
    "track": ("track", "section", "course"),
    "extra_time": ("extra time", "extra_time", "extratime", "accommodation", "accommodations", "time"),
}


def read_roster(path: Path, course: Any, exam: str) -> list[Student]:
    """Students of a roster CSV; UnusableInput names the line and column of a bad value."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UnusableInput(f"{path}: cannot read the roster: {exc.strerror or exc}") from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise UnusableInput(f"{path}: the roster is empty; it needs a header line with at least SID") from None
    names = [h.strip().lower() for h in header]
    where: dict[str, int] = {}
    for key, aliases in _COLUMNS.items():
        for i, name in enumerate(names):
            if name in aliases and key not in where:
                where[key] = i
    if "sid" not in where:
        raise UnusableInput(f"{path}: line 1: no SID column (found: {', '.join(header)}); name it `SID`")
    students, seen = [], {}
    untimed: list[tuple[int, str, str]] = []  # (line, SID, track): extra time on a sitting without times
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue

        def get(key: str) -> str:
            i = where.get(key)
            return row[i].strip() if i is not None and i < len(row) else ""

        sid = normalize_sid(get("sid"))
        if not sid:
            raise UnusableInput(f"{path}: line {line}, column {header[where['sid']]}: empty SID")
        if sid in seen:
            raise UnusableInput(f"{path}: line {line}: SID {sid} already on line {seen[sid]}; remove the duplicate")
        seen[sid] = line
        track = get("track")
        try:
            track = course.track(track).name if track else course.default_track
            window_for(course, exam, track, parse_accommodation(get("extra_time")))
        except AccommodationError as exc:
            raise UnusableInput(f"{path}: line {line}, column {header[where['extra_time']]}: {exc}") from None
        except SittingTimesMissing:
            untimed.append((line, sid, track))
        except (KeyError, ValueError) as exc:
            column = header[where["track"]] if "track" in where else "track"
            raise UnusableInput(f"{path}: line {line}, column {column}: {exc}") from None
        students.append(Student(sid, get("name"), get("email"), track, get("extra_time")))
    if untimed:
        raise UnusableInput(untimed_message(path, header[where["extra_time"]], course, exam, untimed))
    if not students:
        raise UnusableInput(f"{path}: no students below the header")
    return students


def untimed_message(path: Path, column: str, course: Any, exam: str, untimed: list[tuple[int, str, str]]) -> str:
    """The refusal of a roster whose students have extra time on sittings without start and end times
    (``untimed``: line, SID, track): who, and what to add to course.yaml."""
    who = "; ".join(f"line {line}: SID {sid} ({track})" for line, sid, track in untimed[:5])
    more = f" and {len(untimed) - 5} more" if len(untimed) > 5 else ""
    tracks = list(dict.fromkeys(track for _, _, track in untimed))
    sittings = course.exams[exam].sittings
    keys = ", ".join(f"exams.{exam}.sittings.{t}" for t in tracks)
    examples = "; ".join(f"`{timed_example(t, sittings[t])}`" for t in tracks)
    return (f"{path}: column {column}: {len(untimed)} student(s) have extra time on a sitting with a date but no "
            f"start and end times, so their extra time cannot be applied ({who}{more}). Add the sitting's times "
            f"(local, HH:MM) to course.yaml's {keys}, e.g. {examples}; or remove the extra time from the roster for "
            "students who sit elsewhere (e.g. with the CAE).")


def load_spec(assignment: Any) -> ExamSpec:
    """``EXAM`` of the exam's hidden reference package (``reference/<exam>/``)."""
    from autograder.pytest_plugin import reference_module_for

    module = reference_module_for(assignment.suite)
    spec = getattr(module, "EXAM", None)
    if not isinstance(spec, ExamSpec):
        raise UnusableInput(f"reference/{assignment.name}/__init__.py must define EXAM (an autograder.exam.ExamSpec)")
    return spec


def released_template(assignment: Any) -> dict[str, Any]:
    """The exam template as students get it: what nbgrader's release does to it, done here without
    importing nbgrader (seconds of start-up): each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region
    of a solution cell becomes ``# YOUR CODE HERE`` / ``raise NotImplementedError()`` at the marker's
    indentation, outputs are cleared, and the result is refused if a marker is left. An exam's answer cells
    (``q2_loss = None  # a number``) have no markers and are given as written.
    ``tests/test_exam_variants.py`` checks that this equals nbgrader's release cell by cell."""
    from autograder.release import check_no_leaks

    released = json.loads(Path(assignment.source_notebook).read_text(encoding="utf-8"))
    for cell in released["cells"]:
        if cell.get("cell_type") != "code":
            continue
        cell["outputs"], cell["execution_count"] = [], None
        if ((cell.get("metadata") or {}).get("nbgrader") or {}).get("solution"):
            cell["source"] = strip_solution(render.source_text(cell))
    check_no_leaks(json.dumps(released), Path(assignment.source_notebook).name)
    return released


def solution_code(source: str) -> str:
    """The source with its BEGIN/END SOLUTION marker lines removed: the solution as a key shows it."""
    return "\n".join(line for line in source.split("\n")
                     if not line.strip().startswith(("### BEGIN SOLUTION", "### END SOLUTION")))


def strip_solution(source: str) -> str:
    """Replace every BEGIN/END SOLUTION region by nbgrader's stub, at the region's indentation."""
    out, inside = [], False
    for line in source.split("\n"):
        marker = line.strip()
        if marker.startswith("### BEGIN SOLUTION"):
            indent = line[: len(line) - len(line.lstrip())]
            out += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"]
            inside = True
        elif marker.startswith("### END SOLUTION"):
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


@dataclass
class BuildReport:
    students: int = 0
    issued_now: int = 0
    """Students whose variant was drawn by this build (the others reuse their recorded one)."""
    notebooks: int = 0
    pdfs: int = 0
    keys: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    out: Path = Path(".")
    notes: list[str] = field(default_factory=list)


def issue_all(spec: ExamSpec, db_path: Path, students: list[Student], secret: bytes,
              space: str = "exam") -> tuple[dict[str, IssuedExam], int]:
    """Issued exams of ``students``: recorded ones as they were, new ones drawn and recorded now."""
    db = store.connect(db_path)
    try:
        existing = store.load_all(db, spec.name, space)
        fresh = [issue_exam(spec, secret, s, space) for s in students if normalize_sid(s.sid) not in existing]
        # questions added to the exam after a student's issue are drawn for them too
        for s in students:
            old = existing.get(normalize_sid(s.sid))
            if old is not None and set(old.questions) != {q.name for q in spec.questions}:
                full = issue_exam(spec, secret, s, space)
                full.questions = {**full.questions, **old.questions}
                fresh.append(full)
            elif old is not None:
                fresh.append(IssuedExam(spec.name, space, s, {}, old.issued_at))  # refresh name/track/extra
        store.save(db, fresh)
        issued = store.load_all(db, spec.name, space)
    finally:
        db.close()
    return {normalize_sid(s.sid): issued[normalize_sid(s.sid)] for s in students}, \
        sum(1 for s in students if normalize_sid(s.sid) not in existing)


def student_extra(course: Any, spec: ExamSpec, issued: IssuedExam) -> dict[str, str]:
    s = issued.student
    try:
        window = window_for(course, spec.name, s.track, parse_accommodation(s.extra_time)).describe()
    except (KeyError, ValueError):
        window = "see the course page"
    return {"title": spec.title, "name": s.name or "(name)", "sid": s.sid, "sitting": window,
            "instructions": render.INSTRUCTIONS["notebook"]}


def build(assignment: Any, course: Any, roster: Path, out: Path, *, db_path: Path, printable: str = "in-person",
          secret: bytes | None = None, progress: Callable[[str], None] | None = None) -> BuildReport:
    """Issue, record and write every student's exam (see the module docstring)."""
    say = progress or (lambda _m: None)
    report = BuildReport(out=Path(out))
    began = time.perf_counter()
    spec = load_spec(assignment)
    students = read_roster(roster, course, assignment.name)
    secret = secret if secret is not None else load_secret(assignment.course_root)
    issued, report.issued_now = issue_all(spec, db_path, students, secret)
    report.students = len(students)
    report.seconds["issue"] = time.perf_counter() - began

    t = time.perf_counter()
    template = released_template(assignment)
    report.seconds["template"] = time.perf_counter() - t
    t = time.perf_counter()
    out = Path(out)
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    to_print: list[tuple[IssuedExam, dict[str, str]]] = []
    for sid, exam in issued.items():
        extra = student_extra(course, spec, exam)
        values = render.values_for(spec, exam, extra)
        notebook = render.student_notebook(template, values, {"exam": spec.name, "sid": sid, "space": "exam"})
        folder = out / "notebooks" / sid
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{assignment.name}.ipynb").write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n",
                                                         encoding="utf-8")
        report.notebooks += 1
        where = course.exams[spec.name].sittings.get(exam.student.track)
        in_person = where is not None and where.where.strip().lower() != "remote"
        if printable == "all" or (printable == "in-person" and in_person):
            to_print.append((exam, values))
    write_keys_csv(spec, issued, out / "keys" / "keys.csv")
    report.seconds["notebooks"] = time.perf_counter() - t
    say(f"{report.notebooks} notebooks written; printing {len(to_print)} exams and keys")
    if to_print:
        t = time.perf_counter()
        report.pdfs, report.keys = print_exams(spec, template, to_print, out, assignment.name)
        report.seconds["pdf"] = time.perf_counter() - t
    report.seconds["total"] = time.perf_counter() - began
    return report


def student_line(exam: IssuedExam, spec: ExamSpec) -> str:
    return f"{exam.student.name or '(name)'} · SID {exam.student.sid} · {spec.title}"


def print_exams(spec: ExamSpec, template: dict[str, Any], items: list[tuple[IssuedExam, dict[str, str]]],
                out: Path, exam_name: str) -> tuple[int, int]:
    """Printable exam PDFs and TA key pages (HTML) of ``items``. Starting Chromium costs about a second and printing one small
    document through it tens of milliseconds, so students are printed in chunks: each chunk is one HTML
    document (every page a fixed-height section headed by the student's name and SID) printed once by one
    headless Chromium (two tabs, each with its own renderer process), then split into one PDF per student
    by page count, in the tab's thread while the browser prints the next chunk. Returns (exams, keys)."""
    from autograder.exam.pdf import PdfPrinter

    per_exam = 1 + len(spec.questions)
    scratch = Path(tempfile.mkdtemp(prefix="autograder-exam-print-"))
    (out / "print").mkdir(parents=True, exist_ok=True)
    (out / "keys").mkdir(parents=True, exist_ok=True)
    jobs: list[tuple[Path, Path, str]] = []
    plan: dict[Path, tuple[list[IssuedExam], int, str, str]] = {}
    try:
        for start in range(0, len(items), PAGES_PER_CHUNK):
            chunk = items[start:start + PAGES_PER_CHUNK]
            pages, keys = [], []
            for exam, values in chunk:
                line = student_line(exam, spec)
                pages += render.printable_pages(spec, template, values, line)
                keys.append(render.key_page(spec, exam, line))
            n = start // PAGES_PER_CHUNK
            students = [e for e, _ in chunk]
            for exam, key in zip(students, keys):  # keys: one HTML page per student (print from a browser)
                (out / "keys" / f"{exam.student.sid}-key.html").write_text(
                    render.html_document([key], f"{spec.title}: key {exam.student.sid}"), encoding="utf-8")
            for kind, content, size, folder, suffix in (("exam", pages, per_exam, "print", exam_name),):
                html_path = scratch / f"{kind}-{n}.html"
                html_path.write_text(render.html_document(content, f"{spec.title}: {kind}s"), encoding="utf-8")
                jobs.append((html_path, scratch / f"{kind}-{n}.pdf", ""))
                plan[scratch / f"{kind}-{n}.pdf"] = (students, size, folder, suffix)
        counts = {"print": 0, "keys": len(items)}
        lock = threading.Lock()

        def split(job: tuple[Path, Path, str]) -> None:  # runs in both tabs' threads
            students, size, folder, suffix = plan[job[1]]
            written = split_pdf(job[1], [(out / folder / f"{e.student.sid}-{suffix}.pdf",
                                          f"{spec.title}: {e.student.sid}") for e in students], size)
            with lock:
                counts[folder] += written

        # long documents first, so that the two tabs finish together
        jobs.sort(key=lambda job: -plan[job[1]][1] * len(plan[job[1]][0]))
        with PdfPrinter(tabs=2, header=False) as printer:
            printer.print_many(jobs, on_done=split)
        return counts["print"], counts["keys"]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def split_pdf(pdf: Path, targets: list[tuple[Path, str]], pages_each: int) -> int:
    """Cut ``pdf`` into ``len(targets)`` files of ``pages_each`` pages (``(path, title)`` each); refuses a page
    count that does not match (a page that overflowed would shift every later student)."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(pdf)
    if len(reader.pages) != pages_each * len(targets):
        raise RuntimeError(f"printing {pdf.name}: {len(reader.pages)} pages for {len(targets)} students, expected "
                           f"{pages_each} each (a question overflows its page?)")
    for i, (path, title) in enumerate(targets):
        writer = PdfWriter()
        for k in range(pages_each):
            writer.add_page(reader.pages[i * pages_each + k])
        writer.add_metadata({"/Title": title})
        with open(path, "wb") as handle:
            writer.write(handle)
    return len(targets)


def write_keys_csv(spec: ExamSpec, issued: dict[str, IssuedExam], path: Path) -> Path:
    """One row per student: SID, name, then each question's params and each part's answer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = [(q, part) for q in spec.questions for part in q.parts]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sid", "name", "track", "extra_time"] + [f"{q.name} params" for q in spec.questions]
                        + [part for _, part in parts])
        for sid, exam in issued.items():
            row = [sid, exam.student.name, exam.student.track, exam.student.extra_time]
            row += [json.dumps(exam.questions[q.name].params, ensure_ascii=False) for q in spec.questions]
            for q, part in parts:
                value = exam.questions[q.name].answers.get(part, "")
                if part == q.choice_part():
                    value = "ABCDEFGH"[exam.questions[q.name].order.index(int(value))]
                row.append(render.key_shown(value) if value != "" else "(hidden tests)")
            writer.writerow(row)
    return path
