"""What ``autograder gradescope --try`` reuses so that a trial takes seconds, not a minute.

Two things, both checked before they are reused, both skipped by ``--fresh``:

* **The grading environment.** ``setup.sh`` makes ``$ROOT/venv`` by
  ``pip install``-ing ``requirements.txt`` (half a minute and a download). The
  instructor's own environment (``make demo``'s ``.venv``) already holds those
  distributions, installed and byte-compiled: ``seed_venv`` makes ``$ROOT/venv``
  with the Python that environment was made from (``python -m venv``) and hard-links (else
  copies) into it the files of exactly the distributions ``requirements.txt`` needs,
  and theirs (nothing of the ``author``/``dev`` extras: no Jupyter, no nbgrader),
  then writes the stamp ``setup.sh`` writes after its own install. ``setup.sh``
  itself still runs, whole: it finds the environment current, skips only its
  ``pip install``, and does everything else as on Gradescope.
* **The laid-out root.** Gradescope runs ``setup.sh`` once per uploaded zip, then
  ``run_autograder`` per submission. ``RootState`` remembers which zip (its SHA-256)
  ``setup.sh`` last completed on under a root; a later ``--try`` with the same zip
  runs ``run_autograder`` only. Any change to the zip (course.yaml, the reference,
  the hidden tests, the platform, the released notebook) changes that digest.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

STAMP_NAME = ".autograder-setup"
"""setup.sh's stamp in the venv: ``<python version> <first 16 hex of sha256(requirements.txt)>``."""
STATE_NAME = ".autograder-try.json"
LOCK_NAME = ".autograder-try.lock"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def interpreter(python: str) -> tuple[str, str] | None:
    """``("3.11.7", "/usr/bin/python3.11")``: the version and the real executable behind an
    interpreter name (a pyenv shim costs a second per start); None if it does not run."""
    try:
        done = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0], sys.executable)"],
                              capture_output=True, text=True, timeout=60)
    except OSError:
        return None
    parts = done.stdout.strip().split(" ", 1)
    return (parts[0], parts[1]) if done.returncode == 0 and len(parts) == 2 and parts[1] else None


def wanted_stamp(version: str, requirements: Path) -> str:
    """What setup.sh writes to ``$VENV/.autograder-setup`` once its install succeeded."""
    return f"{version} {sha256_file(requirements)[:16]}"


def venv_is_current(venv: Path, stamp: str) -> bool:
    try:
        return (venv / "bin" / "python").exists() and (venv / STAMP_NAME).read_text().strip() == stamp
    except OSError:
        return False


# ---------------------------------------------------------------- the environment
@dataclass
class Seeded:
    """How ``$ROOT/venv`` was seeded: from which environment, how many distributions and files."""

    source: str
    distributions: int
    files: int
    linked: bool


def requirement_lines(requirements: Path) -> list[str]:
    return [line.split("#", 1)[0].strip() for line in requirements.read_text(encoding="utf-8").splitlines()
            if line.split("#", 1)[0].strip()]


def closure(requirements: list[str]) -> tuple[list, str | None]:
    """The installed distributions (``importlib.metadata``) that ``requirements`` and their
    own requirements name, without extras; ``([], why)`` if one is missing or its
    installed version does not satisfy the specifier (then pip must run)."""
    from importlib import metadata

    from packaging.requirements import InvalidRequirement, Requirement

    def in_force(requirement: Requirement) -> bool:
        return requirement.marker is None or requirement.marker.evaluate({"extra": ""})

    try:
        todo = [Requirement(line) for line in requirements]
    except InvalidRequirement as exc:
        return [], f"requirements.txt: {exc}"

    def key(name: str) -> str:
        return name.lower().replace("_", "-").replace(".", "-")

    installed: dict[str, object] = {}
    for dist in metadata.distributions():  # one pass over sys.path, first found wins as for imports
        installed.setdefault(key(dist.metadata["Name"] or ""), dist)
    found: dict[str, object] = {}
    while todo:
        requirement = todo.pop()
        if key(requirement.name) in found or not in_force(requirement):
            continue
        dist = installed.get(key(requirement.name))
        if dist is None:
            return [], f"{requirement.name} is not installed here"
        if not requirement.specifier.contains(dist.version, prereleases=True):
            return [], f"{requirement.name} {dist.version} is installed here, which is not {requirement}"
        if not dist.read_text("RECORD"):
            return [], f"{requirement.name} has no RECORD here (installed by something other than pip?)"
        found[key(requirement.name)] = dist
        for text in dist.requires or []:
            try:
                todo.append(Requirement(text))
            except InvalidRequirement:
                continue
    return list(found.values()), None


def _place(source: str, target: str, link: bool) -> bool:
    """Hard-link ``source`` to ``target`` (else copy it); returns whether it linked."""
    if link:
        try:
            os.link(source, target)
            return True
        except OSError as exc:
            if isinstance(exc, FileNotFoundError):
                raise
    shutil.copy2(source, target)
    return False


def _fill(site: Path, dists: list) -> tuple[int, bool]:
    """Place every file of ``dists`` that lives in their site-packages folder at the same
    relative path under ``site``; returns (files placed, whether all were hard links)."""
    import csv

    files, linked, made = 0, True, {str(site)}
    for dist in dists:
        base = os.path.realpath(dist.locate_file(""))
        for row in csv.reader((dist.read_text("RECORD") or "").splitlines()):
            if not row or not row[0]:
                continue
            relative = os.path.normpath(row[0])
            if relative.startswith("..") or os.path.isabs(relative):
                continue  # console scripts in bin/ (their #! names the other venv): grading runs none
            target = os.path.join(site, relative)
            folder = os.path.dirname(target)
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            try:
                linked = _place(os.path.join(base, relative), target, linked) and linked
            except FileNotFoundError:
                continue  # listed in RECORD, gone since (a removed .pyc)
            files += 1
    return files, linked


def seed_venv(venv: Path, requirements: Path, python: str, stamp: str) -> tuple[Seeded | None, str]:
    """Make ``venv`` with ``python`` and fill it from this interpreter's installed
    distributions, if they are the same Python and satisfy ``requirements``.
    Returns (what was done, "") or (None, why not)."""
    version = stamp.split()[0]
    if version != sys.version.split()[0]:
        return None, (f"{python} is Python {version} but this environment is Python "
                      f"{sys.version.split()[0]} (compiled packages are per version)")
    dists, why = closure(requirement_lines(requirements))
    if why:
        return None, why
    shutil.rmtree(venv, ignore_errors=True)
    made = subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], capture_output=True, text=True)
    if made.returncode != 0:
        return None, f"{python} -m venv failed: {made.stderr.strip()[-300:]}"
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    if not site.is_dir():
        shutil.rmtree(venv, ignore_errors=True)
        return None, f"the new venv has no {site}"
    files, linked = _fill(site, dists)
    (venv / STAMP_NAME).write_text(stamp + "\n")
    return Seeded(sys.prefix, len(dists), files, linked), ""


def this_python() -> tuple[str, str]:
    """(version, executable) of the Python this environment was made from (for a venv, its base)."""
    return sys.version.split()[0], getattr(sys, "_base_executable", "") or sys.executable


def prepare_venv(root: Path, fresh: bool, env: dict[str, str]) -> str:
    """Leave ``root/venv`` current for ``root/source/requirements.txt`` if that costs no
    download (already current, or seeded from this environment); returns a line for the
    user saying what was reused, or what setup.sh will do instead. Sets setup.sh's
    ``AUTOGRADER_SETUP_PYTHON`` in ``env``, unless given, to the Python this environment
    was made from (so that the seeded packages fit it)."""
    venv, requirements = root / "venv", root / "source" / "requirements.txt"
    if env.get("AUTOGRADER_SETUP_PYTHON"):
        found = interpreter(env["AUTOGRADER_SETUP_PYTHON"])
    else:
        found = this_python()
        env["AUTOGRADER_SETUP_PYTHON"] = found[1]
    if fresh:
        shutil.rmtree(venv, ignore_errors=True)
        return f"environment: --fresh, so setup.sh makes it with {env['AUTOGRADER_SETUP_PYTHON']} as on Gradescope " \
               "(pip install, about a minute)"
    if found is None or not requirements.is_file():
        return (f"environment: left to setup.sh ({env['AUTOGRADER_SETUP_PYTHON']} does not run here)"
                if found is None else "environment: left to setup.sh (the zip has no requirements.txt)")
    version, executable = found
    stamp = wanted_stamp(version, requirements)
    if venv_is_current(venv, stamp):
        return f"environment: reusing {venv} (made earlier for this Python and requirements.txt)"
    seeded, why = seed_venv(venv, requirements, executable, stamp)
    if seeded is None:
        return f"environment: cannot reuse this one ({why}); setup.sh installs it with pip (about a minute)"
    how = "hard-linked" if seeded.linked else "copied"
    return (f"environment: reused {seeded.source}: {seeded.distributions} distributions satisfying "
            f"requirements.txt {how} into {venv} ({seeded.files} files, no download; Python {version} "
            f"{executable}); setup.sh finds it current and skips its pip install (--fresh: pip, as on Gradescope)")


# ---------------------------------------------------------------- the laid-out root
class RootState:
    """Which zip setup.sh last completed on under ``root`` (``root/.autograder-try.json``)."""

    def __init__(self, root: Path):
        self.path = root / STATE_NAME

    def zip_digest(self) -> str | None:
        try:
            return json.loads(self.path.read_text()).get("zip_sha256")
        except (OSError, ValueError, AttributeError):
            return None

    def record(self, digest: str) -> None:
        tmp = self.path.with_name(self.path.name + ".partial")
        tmp.write_text(json.dumps({"zip_sha256": digest}) + "\n")
        os.replace(tmp, self.path)

    def forget(self) -> None:
        self.path.unlink(missing_ok=True)


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """One ``--try`` at a time per root (a second waits)."""
    import fcntl

    fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def default_root(course_root: Path, assignment: str) -> Path:
    """``/var/tmp/autograder-try-<uid>/<assignment>-<hash of the course folder>``: kept between
    tries. Not under /tmp: the sandbox gives student code a fresh /tmp, which would hide a venv there."""
    base = Path("/var/tmp") if Path("/var/tmp").is_dir() else Path(os.path.expanduser("~")) / ".cache"
    digest = hashlib.sha256(str(Path(course_root).resolve()).encode()).hexdigest()[:10]
    return base / f"autograder-try-{os.getuid()}" / f"{assignment}-{digest}"


def make_root(root: Path, default: bool) -> None:
    """Create ``root`` traversable by the sandbox's student uid. For the ``default`` root,
    refuse a parent (or root) another user made first: they could have planted a venv."""
    from autograder.errors import UnusableInput

    if not default:
        root.mkdir(parents=True, exist_ok=True)
        os.chmod(root, 0o755)
        return
    for folder in (root.parent, root):
        folder.mkdir(mode=0o755, parents=True, exist_ok=True)
        if folder.is_symlink() or folder.lstat().st_uid != os.getuid():
            raise UnusableInput(f"--try: {folder} is not a folder of yours; remove it, or pass --root DIR")
        os.chmod(folder, 0o755)
