"""Helpers to grade at isolation levels other than the one this machine picks.

* ``world_python``: an interpreter every user can run, with this checkout's
  packages. The unprivileged-user level needs one (it refuses a pyenv under
  /root, mode 700), and so does a grader running as another user. If this
  venv's interpreter is not reachable, a venv is made from the system's
  python3 of the same minor version, with this venv's site-packages (mirrored
  when they are unreachable too); ``require_world_python`` fails, never skips.
* ``world_checkout``: the checkout, or a world-readable copy of it when it sits
  under a folder other users cannot enter (tests run as another uid start there).
* ``copy_course``: a world-readable copy of the course (course.yaml,
  reference/, assignments/): grading it at the unprivileged-user level locks
  the copy root-only, never the checkout others use.
* ``run_as``: a command as a spare non-root uid (with a process cap, so a
  fork storm at a level without a per-uid cap stays small).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

from autograder.sandbox import process

ROOT = Path(__file__).resolve().parent.parent
IS_ROOT = os.geteuid() == 0
SPARE_UID_BASE = 59000  # below the sandbox's student uids (61000+), above system and login users
NPROC_CAP = 512


def scratch(prefix: str) -> Path:
    """A fresh world-traversable folder under /var/tmp (not /tmp: the namespaces
    level gives the student a fresh /tmp), removed by the caller."""
    base = "/var/tmp" if Path("/var/tmp").is_dir() else None
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    os.chmod(folder, 0o755)
    return folder


def world_python(folder: Path) -> Path | None:
    """An interpreter any user can run, importing this checkout's ``autograder`` and
    ``tests`` and this venv's packages; None only where no system Python of this
    version exists (``require_world_python`` turns that into a failure as root).

    When the venv or the checkout sits where other users cannot reach it (a clone
    under a mode-700 folder, a pyenv under /root), a venv is made in ``folder`` from
    the system's python3 of the same minor version, with a hard-linked mirror of this
    venv's site-packages (a copy where links fail) and a copy of the checkout."""
    if process.unreachable_for_others([*process._needed_paths(), ROOT]) is None:
        return Path(sys.executable)
    system = Path("/usr/bin/python3")
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if not system.exists():
        return None
    probe = subprocess.run([str(system), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                           capture_output=True, text=True)
    if probe.stdout.strip() != version:
        return None
    venv = folder / "world-venv"
    subprocess.run([str(system), "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    site = venv / "lib" / f"python{version}" / "site-packages"
    ours = Path(sysconfig.get_paths()["purelib"])
    if process.unreachable_for_others([ours]) is None:
        (site / "autograder-test-packages.pth").write_text(f"import site; site.addsitedir({str(ours)!r})\n")
    else:
        _mirror(ours, site)
    if process.unreachable_for_others([ROOT / "autograder"]) is not None:
        # the editable install points at the unreachable checkout: a copy of the package in a folder of its
        # own, as on Gradescope (/autograder/source): outside site-packages, which Landlock lets student code
        # read, and never the checkout itself on sys.path (student code would find reference/ there)
        package = folder / "package"
        shutil.copytree(ROOT / "autograder", package / "autograder", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        _world_readable(package)
        (site / "autograder-test-package.pth").write_text(f"{package}\n")
    python = venv / "bin" / "python"
    if process.unreachable_for_others([site, python.resolve(), world_checkout(folder)]) is not None:
        return None
    return python


def _mirror(source: Path, target: Path) -> None:
    """``source``'s packages in ``target``, world-readable: hard links (same file
    system, no copying) or copies. The editable install's finder is left out."""
    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
        os.chmod(dst, 0o644 | (os.stat(dst).st_mode & 0o111))

    shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True, copy_function=link_or_copy,
                    ignore=shutil.ignore_patterns("__editable__*", "__pycache__"))
    for path in [target, *target.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            os.chmod(path, 0o755)


def _world_readable(top: Path) -> None:
    for path in [top, *top.rglob("*")]:
        if not path.is_symlink():
            os.chmod(path, 0o755 if path.is_dir() else 0o644)


def world_checkout(folder: Path) -> Path:
    """This checkout when every user can reach it, else a world-readable copy in
    ``folder`` of what the tests run as another uid start from (the tests and the
    course; the package itself is in ``world_python``'s site-packages)."""
    if process.unreachable_for_others([ROOT / "tests"]) is None:
        return ROOT
    copy = folder / "checkout"
    if not copy.exists():
        ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc")
        for name in ("tests", "reference", "assignments"):
            shutil.copytree(ROOT / name, copy / name, ignore=ignore, symlinks=True)
        for name in ("course.yaml", "pyproject.toml"):
            shutil.copy2(ROOT / name, copy / name)
        _world_readable(copy)
    return copy


def require_world_python(folder: Path) -> Path:
    """``world_python``, or a failure saying what to install: as root the levels below
    namespaces are always tested (the level Gradescope most likely gives)."""
    python = world_python(folder)
    if python is None:
        pytest.fail(f"no Python every user can run: the levels below namespaces need /usr/bin/python3 "
                    f"{sys.version_info[0]}.{sys.version_info[1]} (this venv's version); install it "
                    "(apt-get install python3) or make the venv from it", pytrace=False)
    return python


def copy_course(folder: Path) -> Path:
    """A world-readable copy of the course in ``folder``/course; returns its course.yaml."""
    course = folder / "course"
    course.mkdir()
    shutil.copy2(ROOT / "course.yaml", course / "course.yaml")
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    for name in ("reference", "assignments"):
        shutil.copytree(ROOT / name, course / name, ignore=ignore, symlinks=True)
    for path in [course, *course.rglob("*")]:
        if not path.is_symlink():
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return course / "course.yaml"


def spare_uid() -> int:
    """A uid no login user has, distinct per test process (xdist-safe)."""
    return SPARE_UID_BASE + os.getpid() % 900


def run_as(uid: int | None, command: list[str], *, env: dict[str, str], cwd: Path,
           timeout: float) -> subprocess.CompletedProcess[str]:
    """``command`` as ``uid`` (None: as we are), with at most NPROC_CAP processes for that uid."""
    if uid is not None:
        command = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--", *command]

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_NPROC, (NPROC_CAP, NPROC_CAP))

    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          preexec_fn=cap if uid is not None else None)


def owned_folder(parent: Path, name: str, uid: int) -> Path:
    folder = parent / name
    folder.mkdir()
    os.chown(folder, uid, uid)
    os.chmod(folder, 0o700)
    return folder
