"""What ``autograder gradescope --try`` reuses so that a trial takes seconds, not a minute.

Two things, both checked before they are reused, both skipped by ``--fresh``:

* **The grading environment.** ``setup.sh`` makes ``$ROOT/venv`` by
  ``pip install``-ing ``requirements.txt`` (half a minute and a download). The
  instructor's own environment (``make demo``'s ``.venv``) already holds those
  distributions, installed and byte-compiled, for the same Python: ``seed_venv``
  makes ``$ROOT/venv`` with that Python (``python -m venv``) and hard-links (else
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
    found: dict[str, object] = {}
    while todo:
        requirement = todo.pop()
        key = requirement.name.lower().replace("_", "-").replace(".", "-")
        if key in found or not in_force(requirement):
            continue
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            return [], f"{requirement.name} is not installed here"
        if not requirement.specifier.contains(dist.version, prereleases=True):
            return [], f"{requirement.name} {dist.version} is installed here, which is not {requirement}"
        if dist.files is None:
            return [], f"{requirement.name} has no RECORD here (installed by something other than pip?)"
        found[key] = dist
        for text in dist.requires or []:
            try:
                todo.append(Requirement(text))
            except InvalidRequirement:
                continue
    return list(found.values()), None


def _place(source: Path, target: Path, link: bool) -> bool:
    """Hard-link ``source`` to ``target`` (else copy it); returns whether it linked."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if link:
        try:
            os.link(source, target)
            return True
        except OSError:
            pass
    shutil.copy2(source, target)
    return False


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
    files, linked = 0, True
    for dist in dists:
        base = Path(dist.locate_file("")).resolve()
        for entry in dist.files:
            source = Path(dist.locate_file(entry)).resolve()
            if not source.is_relative_to(base) or not source.is_file():
                continue  # console scripts in bin/ (their #! names the other venv): grading runs none
            linked = _place(source, site / source.relative_to(base), linked) and linked
            files += 1
    (venv / STAMP_NAME).write_text(stamp + "\n")
    return Seeded(sys.prefix, len(dists), files, linked), ""


def prepare_venv(root: Path, fresh: bool, env: dict[str, str]) -> str:
    """Leave ``root/venv`` current for ``root/source/requirements.txt`` if that costs no
    download (already current, or seeded from this environment); returns a line for the
    user saying what was reused, or what setup.sh will do instead. Sets setup.sh's
    ``AUTOGRADER_SETUP_PYTHON`` in ``env`` to the executable ``python3`` stands for."""
    venv, requirements = root / "venv", root / "source" / "requirements.txt"
    python = env.get("AUTOGRADER_SETUP_PYTHON") or "python3"
    found = interpreter(python)
    if found is not None:
        env["AUTOGRADER_SETUP_PYTHON"] = found[1]
    if fresh:
        shutil.rmtree(venv, ignore_errors=True)
        return "environment: --fresh, so setup.sh makes it as on Gradescope (pip install, about a minute)"
    if found is None or not requirements.is_file():
        return (f"environment: left to setup.sh ({python} does not run here)" if found is None
                else "environment: left to setup.sh (the zip has no requirements.txt)")
    version, executable = found
    stamp = wanted_stamp(version, requirements)
    if venv_is_current(venv, stamp):
        return f"environment: reusing {venv} (made earlier for this Python and requirements.txt)"
    seeded, why = seed_venv(venv, requirements, executable, stamp)
    if seeded is None:
        return f"environment: cannot reuse this one ({why}); setup.sh installs it with pip (about a minute)"
    how = "hard-linked" if seeded.linked else "copied"
    return (f"environment: reused {seeded.source}: {seeded.distributions} distributions satisfying "
            f"requirements.txt {how} into {venv} ({seeded.files} files, no download); setup.sh finds it "
            f"current and skips its pip install (--fresh: the full install, as on Gradescope)")


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
