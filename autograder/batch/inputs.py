"""What to grade: a Gradescope "Export Submissions" zip or folder, or a plain
folder of ``<sid>.ipynb`` notebooks, turned into a list of ``Submission``.

Problems with single entries (a zip entry that would land outside the target
folder, a duplicated SID, a submission without a notebook, a malformed
metadata entry) are collected as messages naming the entry; they never stop
the rest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from autograder.errors import UnusableInput

METADATA = "submission_metadata.yml"
MAX_ZIP_BYTES = 2_000_000_000
"""Cap on the total uncompressed size of an export zip (a zip bomb is refused)."""
MAX_NOTEBOOK_BYTES = 50_000_000
"""Notebooks above this are not read into memory; the grader reports them too big."""


@dataclass(frozen=True)
class Submitter:
    """One student named on a submission (a group submission has several)."""

    sid: str
    name: str = ""
    email: str = ""


@dataclass
class Submission:
    """One thing to grade."""

    key: str
    """Stable identity in the gradebook: ``submission_<id>`` (Gradescope) or the file stem (folder)."""
    submitters: list[Submitter]
    created_at: dt.datetime | None
    """When Gradescope received it (None for a plain folder: no lateness is applied)."""
    notebook: bytes | None
    """The notebook file's bytes; None when the submission has no notebook."""
    notebook_name: str = ""
    """File name of the notebook inside the submission (for messages)."""
    notes: list[str] = field(default_factory=list)
    """Problems found while reading this submission (shown in the CSV's notes column)."""

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.notebook or b"").hexdigest()

    @property
    def sids(self) -> str:
        return "; ".join(s.sid for s in self.submitters)


@dataclass
class Discovery:
    submissions: list[Submission]
    problems: list[str]
    """Messages about the input as a whole or entries that could not become submissions."""
    kind: str
    """``gradescope-zip``, ``gradescope-folder`` or ``folder``."""


# ------------------------------------------------------------------ zip files
def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def unsafe_reason(name: str) -> str:
    """Why a zip entry name may not be extracted ('' when it is safe)."""
    if "\x00" in name:
        return "contains a NUL byte"
    normal = name.replace("\\", "/")
    if normal.startswith("/") or (len(normal) > 1 and normal[1] == ":"):
        return "is an absolute path"
    if ".." in PurePosixPath(normal).parts:
        return "contains '..' (it would land outside the target folder)"
    return ""


def safe_extract(archive: Path, target: Path, *, max_total_bytes: int = MAX_ZIP_BYTES) -> list[str]:
    """Extract ``archive`` into ``target``; entries that are absolute, contain
    ``..``, are symlinks or resolve outside ``target`` are refused and named in
    the returned messages. The total uncompressed size is capped (declared
    sizes are checked first, actual bytes while writing): a bomb raises
    UnusableInput before filling the disk."""
    target = Path(target).resolve()
    target.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnusableInput(f"{archive}: not a readable zip file ({exc}). Download the export again.") from None
    with zf:
        infos = zf.infolist()
        declared = sum(i.file_size for i in infos)
        if declared > max_total_bytes:
            raise UnusableInput(f"{archive}: would unpack to {declared / 1e9:.1f} GB, over the "
                                f"{max_total_bytes / 1e9:.1f} GB limit; refusing (is it a zip bomb?).")
        written = 0
        for info in infos:
            name = info.filename
            reason = unsafe_reason(name) or ("is a symbolic link" if _is_symlink(info) else "")
            destination = (target / name.replace("\\", "/")).resolve()
            if not reason and destination != target and target not in destination.parents:
                reason = "would land outside the target folder"
            if reason:
                problems.append(f"{archive.name}: zip entry {name!r} {reason}; skipped.")
                continue
            if info.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(destination, "wb") as dst:
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    if written > max_total_bytes:
                        raise UnusableInput(f"{archive}: unpacks to more than {max_total_bytes / 1e9:.1f} GB; "
                                            "refusing (is it a zip bomb?).")
                    dst.write(chunk)
    return problems


# ---------------------------------------------------------------- discovery
def discover(path: Path, assignment: str, *, workdir: Path) -> Discovery:
    """Read INPUT: an export zip (unpacked safely under ``workdir``), an export
    folder (has ``submission_metadata.yml``), or a folder of notebooks."""
    path = Path(path)
    if not path.exists():
        raise UnusableInput(f"{path}: no such file or folder. Give a Gradescope export (.zip or its "
                            "unpacked folder) or a folder of <sid>.ipynb notebooks.")
    problems: list[str] = []
    kind = "gradescope-folder"
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise UnusableInput(f"{path}: not a zip file. Give a Gradescope export (.zip or its unpacked "
                                "folder) or a folder of <sid>.ipynb notebooks.")
        unpacked = Path(workdir) / "export"
        if unpacked.exists():
            shutil.rmtree(unpacked)
        problems += safe_extract(path, unpacked)
        path, kind = unpacked, "gradescope-zip"
    root = _export_root(path)
    if root is None:
        found = read_notebook_folder(path, assignment)
        found.problems[:0] = problems
        return found
    subs, more = read_export_folder(root, assignment)
    return Discovery(_flag_duplicates(subs, problems + more), problems + more, kind)


def _export_root(path: Path) -> Path | None:
    """The folder holding submission_metadata.yml: ``path`` itself or one level down."""
    if (path / METADATA).is_file():
        return path
    below = [p for p in sorted(path.iterdir()) if p.is_dir() and not p.is_symlink() and (p / METADATA).is_file()]
    return below[0] if len(below) == 1 else None


def _read_bytes(path: Path, notes: list[str]) -> bytes | None:
    if path.is_symlink():
        notes.append(f"{path.name} is a symbolic link; not read.")
        return None
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        notes.append(f"{path.name} is {size // 1_000_000} MB, over the {MAX_NOTEBOOK_BYTES // 1_000_000} MB limit; not graded.")
        return None
    return path.read_bytes()


def pick_notebook(folder: Path, assignment: str) -> tuple[Path | None, list[str]]:
    """The notebook to grade in a submission folder: ``<assignment>.ipynb`` if
    present (shallowest first), else the only .ipynb; with several, the first by
    name, with a note naming the others."""
    notes: list[str] = []
    candidates = sorted((p for p in folder.rglob("*.ipynb")
                         if p.is_file() and ".ipynb_checkpoints" not in p.parts and "__MACOSX" not in p.parts),
                        key=lambda p: (p.name != f"{assignment}.ipynb", len(p.parts), str(p)))
    if not candidates:
        files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        shown = ", ".join(files[:5]) + (" ..." if len(files) > 5 else "")
        notes.append(f"{folder.name}: no notebook (.ipynb) in the submission"
                     + (f" (it has: {shown})" if files else " (it is empty)") + "; scored 0.")
        return None, notes
    if len(candidates) > 1 and candidates[0].name != f"{assignment}.ipynb":
        others = ", ".join(p.relative_to(folder).as_posix() for p in candidates[1:4])
        notes.append(f"{folder.name}: several notebooks; graded {candidates[0].relative_to(folder).as_posix()}, "
                     f"not {others}.")
    return candidates[0], notes


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _when(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and value.strip():
        return dt.datetime.fromisoformat(value.strip())
    return None


SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""PyYAML's safe loader, on libyaml where PyYAML has it: the same documents ten times faster
(a class's metadata file is megabytes: every submission with its results and history)."""


def read_export_folder(root: Path, assignment: str) -> tuple[list[Submission], list[str]]:
    """Parse ``submission_metadata.yml`` (Ruby-symbol keys such as ``:submitters:``
    load as strings starting with ':') and read each ``submission_<id>/``."""
    problems: list[str] = []
    meta_path = root / METADATA
    try:
        meta = yaml.load(meta_path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
        if not isinstance(meta, dict):
            raise ValueError("its top level is not a mapping of submission_<id> entries")
    except (yaml.YAMLError, ValueError, UnicodeDecodeError) as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" (line {where.line + 1}, column {where.column + 1})" if where is not None else ""
        problems.append(f"{meta_path.name} is unreadable{at}: {str(exc).splitlines()[0]}; grading the "
                        "submission_* folders without names, emails or times (no lateness applied).")
        meta = {}
    folders = {p.name: p for p in sorted(root.iterdir()) if p.is_dir() and not p.is_symlink()
               and p.name.startswith("submission_")}
    subs: list[Submission] = []
    for key in sorted(set(meta) | set(folders), key=str):
        key = str(key)
        entry = meta.get(key)
        notes: list[str] = []
        submitters: list[Submitter] = []
        created_at = None
        if key in meta:
            if not isinstance(entry, dict):
                notes.append(f"{METADATA}: entry {key} is not a mapping; graded without names or time.")
                entry = {}
            raw_people = entry.get(":submitters", entry.get("submitters")) or []
            for person in raw_people if isinstance(raw_people, list) else []:
                if isinstance(person, dict):
                    submitters.append(Submitter(_text(person.get(":sid", person.get("sid"))),
                                                _text(person.get(":name", person.get("name"))),
                                                _text(person.get(":email", person.get("email")))))
            if not submitters:
                notes.append(f"{METADATA}: entry {key} names no submitters.")
            try:
                created_at = _when(entry.get(":created_at", entry.get("created_at")))
            except ValueError:
                notes.append(f"{METADATA}: entry {key} has an unreadable :created_at: "
                             f"{entry.get(':created_at')!r}; no lateness applied.")
            if key not in folders:
                notes.append(f"{key}: listed in {METADATA} but its folder is missing from the export; scored 0.")
        else:
            notes.append(f"{key}: folder not listed in {METADATA}; graded without names or time.")
        if not submitters:
            submitters = [Submitter("", "", "")]
        for s in submitters:
            if not s.sid:
                notes.append(f"{key}: submitter {s.name or s.email or '(unnamed)'} has no SID.")
        notebook, name = None, ""
        if key in folders:
            path, found_notes = pick_notebook(folders[key], assignment)
            notes += found_notes
            if path is not None:
                notebook, name = _read_bytes(path, notes), path.name
        subs.append(Submission(key, submitters, created_at, notebook, name, notes))
    if not subs:
        problems.append(f"{root}: no submissions found (no submission_<id> entries or folders).")
    return subs, problems


def read_notebook_folder(folder: Path, assignment: str) -> Discovery:
    """A plain folder of notebooks named by student id (``905123456.ipynb``);
    a subfolder ``<sid>/`` holding a notebook counts too."""
    problems: list[str] = []
    subs: list[Submission] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        notes: list[str] = []
        if path.is_file() and path.suffix == ".ipynb":
            sid, data, name = path.stem.strip(), _read_bytes(path, notes), path.name
        elif path.is_dir() and not path.is_symlink():
            found, notes = pick_notebook(path, assignment)
            sid, name = path.name.strip(), found.name if found else ""
            data = _read_bytes(found, notes) if found else None
        else:
            if path.is_file():
                problems.append(f"{path.name}: not a notebook (.ipynb) or a student folder; skipped.")
            continue
        subs.append(Submission(sid, [Submitter(sid)], None, data, name, notes))
    if not subs:
        raise UnusableInput(f"{folder}: no {METADATA} (so not a Gradescope export) and no <sid>.ipynb "
                            "notebooks either. Give an export zip or folder, or a folder of notebooks.")
    # two files for one sid (905.ipynb and 905/) would share a gradebook key
    seen: dict[str, int] = {}
    for sub in subs:
        seen[sub.key] = seen.get(sub.key, 0) + 1
        if seen[sub.key] > 1:
            sub.key = f"{sub.key}#{seen[sub.key]}"
    return Discovery(_flag_duplicates(subs, problems), problems, "folder")


def _flag_duplicates(subs: list[Submission], problems: list[str]) -> list[Submission]:
    """A SID on more than one submission is reported by name; every submission is still graded."""
    by_sid: dict[str, list[Submission]] = {}
    for sub in subs:
        for s in sub.submitters:
            if s.sid:
                by_sid.setdefault(s.sid, []).append(sub)
    for sid, group in sorted(by_sid.items()):
        if len(group) > 1:
            keys = ", ".join(g.key for g in group)
            who = next((s.name for g in group for s in g.submitters if s.sid == sid and s.name), "")
            message = (f"SID {sid}{' (' + who + ')' if who else ''} is on {len(group)} submissions: {keys}; "
                       "all were graded; keep one in your gradebook.")
            problems.append(message)
            for g in group:
                g.notes.append(message)
    return subs
