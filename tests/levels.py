"""Helpers to grade at isolation levels other than the one this machine picks.

* ``world_python``: an interpreter every user can run, with this checkout's
  packages. The unprivileged-user level needs one (it refuses a pyenv under
  /root, mode 700), and so does a grader running as another user. If this
  venv's interpreter is not reachable, a venv is made from the system's
  python3 of the same minor version, pointing at this venv's site-packages.
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
    """An interpreter any user can run with this venv's packages, or None."""
    if process.unreachable_for_others(process._needed_paths()) is None:
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
    ours = sysconfig.get_paths()["purelib"]
    site = venv / "lib" / f"python{version}" / "site-packages"
    (site / "autograder-test-packages.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    python = venv / "bin" / "python"
    if process.unreachable_for_others([Path(ours), python.resolve()]) is not None:
        return None
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
