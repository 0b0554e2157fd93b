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
import hashlib
import io
import itertools
import json
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

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
    from autograder.rules import reference_module_for

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
    """Printable exams in place (printed now, or ``pdfs_reused``)."""
    pdfs_reused: int = 0
    """Printable exams already up to date from an earlier build (same pages): not printed again."""
    keys: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    chromium_cpu: float = 0.0
    """CPU seconds Chromium used printing (its processes are not this process's children once they exit)."""
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
    """Issue, record and write every student's exam (see the module docstring). Chromium starts in the
    background while the variants are issued and the notebooks written."""
    say = progress or (lambda _m: None)
    report = BuildReport(out=Path(out))
    began = time.perf_counter()
    spec = load_spec(assignment)
    students = read_roster(roster, course, assignment.name)
    t = time.perf_counter()
    template = released_template(assignment)
    report.seconds["template"] = time.perf_counter() - t
    printer = None
    earlier = _read_manifest(Path(out) / "print" / PRINTED_MANIFEST)
    if any(prints(course, spec.name, s.track, printable) and normalize_sid(s.sid) not in earlier for s in students):
        from autograder.exam.pdf import PdfPrinter  # some PDF to print: start Chromium now, in the background

        warm_up = render.html_document(render.printable_pages(spec, template, {}, "warm-up"), "warm-up",
                                       print_only=True)
        printer = PdfPrinter(tabs=PRINT_TABS, header=False).start_soon(warm_up)
    try:
        t = time.perf_counter()
        secret = secret if secret is not None else load_secret(assignment.course_root)
        issued, report.issued_now = issue_all(spec, db_path, students, secret)
        report.students = len(students)
        report.seconds["issue"] = time.perf_counter() - t
        t = time.perf_counter()
        out = Path(out)
        (out / "notebooks").mkdir(parents=True, exist_ok=True)
        to_print: list[tuple[IssuedExam, dict[str, str]]] = []
        notebooks = render.NotebookText(template)
        for sid, exam in issued.items():
            extra = student_extra(course, spec, exam)
            values = render.values_for(spec, exam, extra)
            folder = out / "notebooks" / sid
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{assignment.name}.ipynb").write_text(
                notebooks.text(values, {"exam": spec.name, "sid": sid, "space": "exam"}), encoding="utf-8")
            report.notebooks += 1
            if prints(course, spec.name, exam.student.track, printable):
                to_print.append((exam, values))
        write_keys_csv(spec, issued, out / "keys" / "keys.csv")
        report.seconds["notebooks"] = time.perf_counter() - t
        say(f"{report.notebooks} notebooks written; printing {len(to_print)} exams and keys")
        if to_print:
            t = time.perf_counter()
            printed = print_exams(spec, template, to_print, out, assignment.name, printer=printer)
            report.pdfs, report.keys, report.pdfs_reused = printed.pdfs, printed.keys, printed.reused
            report.chromium_cpu += printed.chromium_cpu
            report.seconds["pdf"] = time.perf_counter() - t
    finally:
        if printer is not None:
            printer.close()
            report.chromium_cpu += printer.cpu_used
    report.seconds["total"] = time.perf_counter() - began
    return report


def prints(course: Any, exam: str, track: str, printable: str) -> bool:
    """Whether a student of ``track`` gets a printable exam: ``printable`` is ``all``, ``none`` or
    ``in-person`` (a sitting whose place is not ``remote``)."""
    if printable != "in-person":
        return printable == "all"
    where = course.exams[exam].sittings.get(track)
    return where is not None and where.where.strip().lower() != "remote"


def student_line(exam: IssuedExam, spec: ExamSpec) -> str:
    return f"{exam.student.name or '(name)'} · SID {exam.student.sid} · {spec.title}"


@dataclass
class Printed:
    """What :func:`print_exams` left in ``DIR/print`` and ``DIR/keys``."""

    pdfs: int = 0
    """Printable exams in place: printed now plus ``reused``."""
    keys: int = 0
    reused: int = 0
    """PDFs already up to date (printed by an earlier build from the same pages), not printed again."""
    chromium_cpu: float = 0.0
    """CPU seconds of the Chromium this call started (0 when the caller's printer was used)."""


def print_exams(spec: ExamSpec, template: dict[str, Any], items: list[tuple[IssuedExam, dict[str, str]]],
                out: Path, exam_name: str, printer: Any = None) -> Printed:
    """Printable exam PDFs and TA key pages (HTML) of ``items`` (``(issued exam, placeholder values)``).

    Starting Chromium costs about a second and printing one small document through it about 0.1 s, so
    students are printed in chunks: each chunk is one HTML document (every page a fixed-height section
    headed by the student's name and SID) printed once by one headless Chromium with :data:`PRINT_TABS`
    tabs (each its own renderer process), then split into one PDF per student by page count, in the tab's
    thread while the browser prints the next chunk. A chunk's HTML is written when a tab is free for it.
    A student whose PDF exists and was printed from the same HTML (``print/.printed.json`` holds each
    PDF's digest) is not printed again. ``printer``: a :class:`~autograder.exam.pdf.PdfPrinter` already
    starting (closed by the caller); None starts one."""
    from autograder.exam.pdf import PdfPrinter

    per_exam = 1 + len(spec.questions)
    scratch = Path(tempfile.mkdtemp(prefix="autograder-exam-print-"))
    (out / "print").mkdir(parents=True, exist_ok=True)
    (out / "keys").mkdir(parents=True, exist_ok=True)
    manifest = out / "print" / PRINTED_MANIFEST
    before = _read_manifest(manifest)
    in_place: dict[str, str] = {}  # sid -> digest of the pages its PDF (on disk now) was printed from
    size = chunk_size(len(items), PRINT_TABS)
    lock = threading.Lock()
    result = Printed(keys=len(items))

    def pdf_path(exam: IssuedExam) -> Path:
        return out / "print" / f"{exam.student.sid}-{exam_name}.pdf"

    def jobs() -> Iterator[tuple[Path, Path, str]]:  # runs in the tabs' threads, one at a time
        chunk: list[tuple[IssuedExam, str]] = []
        pages: list[str] = []
        for n, (exam, values) in enumerate(items):
            line = student_line(exam, spec)
            mine = render.printable_pages(spec, template, values, line)
            (out / "keys" / f"{exam.student.sid}-key.html").write_text(  # one HTML page per student
                render.html_document([render.key_page(spec, exam, line)], f"{spec.title}: key {exam.student.sid}"),
                encoding="utf-8")
            digest = pages_digest(mine)
            if before.get(exam.student.sid) == digest and pdf_path(exam).is_file():
                with lock:
                    in_place[exam.student.sid] = digest
                result.reused += 1
            else:
                chunk.append((exam, digest))
                pages += mine
            if chunk and (len(chunk) == size or n == len(items) - 1):
                html_path = scratch / f"exam-{n}.html"
                html_path.write_text(render.html_document(pages, f"{spec.title}: exams", print_only=True),
                                     encoding="utf-8")
                plan[scratch / f"exam-{n}.pdf"] = chunk
                yield html_path, scratch / f"exam-{n}.pdf", ""
                chunk, pages = [], []

    plan: dict[Path, list[tuple[IssuedExam, str]]] = {}

    def split(job: tuple[Path, Path, str]) -> None:  # runs in the tabs' threads
        students = plan[job[1]]
        split_pdf(job[1], [(pdf_path(e), f"{spec.title}: {e.student.sid}") for e, _ in students], per_exam)
        job[1].unlink()
        with lock:
            in_place.update((e.student.sid, digest) for e, digest in students)

    own = printer is None
    printer = printer or PdfPrinter(tabs=PRINT_TABS, header=False)
    try:
        queue = jobs()
        first = next(queue, None)  # None: every PDF is up to date, Chromium is not needed
        if first is not None:
            printer.ready().print_many(itertools.chain([first], queue), on_done=split)
    finally:
        if own:
            printer.close()
            result.chromium_cpu = printer.cpu_used
        shutil.rmtree(scratch, ignore_errors=True)
        _write_manifest(manifest, in_place)
    result.pdfs = len(in_place)
    return result


PRINT_TABS = 2
"""Chromium tabs printing at once (each its own renderer process): one per core of the machines we know."""
PRINT_FORMAT = "letter, untagged, css page size; 1"
"""Part of every printed PDF's digest: change it when the printing itself changes, to print everything again."""
PRINTED_MANIFEST = ".printed.json"
"""``DIR/print/.printed.json``: ``{sid: digest of the HTML their PDF was printed from}``."""


def chunk_size(students: int, tabs: int) -> int:
    """Students per printed document: at most :data:`PAGES_PER_CHUNK`, and at least one document per tab
    when there are enough students, in documents of equal size (so that the tabs finish together)."""
    chunks = max(tabs, -(-students // PAGES_PER_CHUNK))
    chunks = -(-chunks // tabs) * tabs
    return max(1, -(-students // chunks))


def pages_digest(pages: list[str]) -> str:
    """The digest a student's PDF is remembered by: their pages' HTML with the print CSS and :data:`PRINT_FORMAT`."""
    text = PRINT_FORMAT + "\n" + render.html_document(pages, "")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read_manifest(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_manifest(path: Path, digests: dict[str, str]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(dict(sorted(digests.items())), indent=0) + "\n", encoding="utf-8")
    tmp.replace(path)


def split_pdf(pdf: Path, targets: list[tuple[Path, str]], pages_each: int) -> int:
    """Cut ``pdf`` into ``len(targets)`` files of ``pages_each`` pages (``(path, title)`` each); refuses a page
    count that does not match (a page that overflowed would shift every later student). Chromium's PDFs are
    cut by :func:`autograder.exam.pdf.split_pages` (objects copied byte for byte, five times faster); any
    other structure by pypdf."""
    from autograder.exam.pdf import UnsupportedPdf, split_pages

    try:
        split_pages(Path(pdf).read_bytes(), targets, pages_each)
        return len(targets)
    except UnsupportedPdf:
        pass  # pypdf reads any PDF, and says what is wrong with the page count
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
