"""Register the unzipped platform in the grading virtual environment, without a build.

    "$VENV/bin/python" "$SOURCE/autograder/gradescope/install.py" "$SOURCE"

Run by ``setup.sh`` (by path, standard library only: Python 3.10 of Gradescope's
image) after ``pip install -r requirements.txt`` has installed the platform's
dependencies as wheels. What ``pip install --editable $SOURCE`` would give the
grader, minus its cost (a setuptools download into an isolated build
environment and a build, at every image build):

* ``autograder-<version>.dist-info`` in site-packages: ``METADATA`` whose
  ``Requires-Dist`` lines are ``requirements.txt`` (the import rule,
  ``sandbox/imports.py``, walks them: what student code may import), and a
  ``RECORD``;
* ``autograder-platform.pth``: ``$SOURCE`` on ``sys.path``, so that
  ``import autograder`` works from any folder, like the editable install.

Safe to run again: it rewrites the same files.
"""

from __future__ import annotations

import re
import sys
import sysconfig
from pathlib import Path

NAME = "autograder"
PTH = "autograder-platform.pth"
INSTALLER = "autograder-setup"


def project_version(pyproject: str) -> str:
    """``version = "0.1.0"`` of pyproject.toml's ``[project]`` table (no tomllib on 3.10)."""
    table = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", pyproject, re.M | re.S)
    found = re.search(r'^version\s*=\s*"([^"]+)"', table.group(1) if table else "", re.M)
    return found.group(1) if found else "0"


def requirements(text: str) -> list[str]:
    """The requirement lines of requirements.txt (comments and blank lines dropped)."""
    return [line.split("#", 1)[0].strip() for line in text.splitlines() if line.split("#", 1)[0].strip()]


def register(source: Path, site: Path) -> Path:
    """Write the dist-info and the .pth into ``site``; returns the dist-info folder."""
    version = project_version((source / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = requirements((source / "requirements.txt").read_text(encoding="utf-8"))
    for old in site.glob(f"{NAME}-*.dist-info"):
        for path in old.iterdir():
            path.unlink()
        old.rmdir()
    info = site / f"{NAME}-{version}.dist-info"
    info.mkdir()
    files = {
        "METADATA": "".join(["Metadata-Version: 2.1\n", f"Name: {NAME}\n", f"Version: {version}\n"]
                            + [f"Requires-Dist: {line}\n" for line in wanted]),
        "INSTALLER": INSTALLER + "\n",
        "top_level.txt": NAME + "\n",
    }
    for name, text in files.items():
        (info / name).write_text(text, encoding="utf-8")
    (site / PTH).write_text(f"{source.resolve()}\n", encoding="utf-8")
    record = [f"{info.name}/{name},," for name in files] + [f"{info.name}/RECORD,,", f"{PTH},,"]
    (info / "RECORD").write_text("\n".join(record) + "\n", encoding="utf-8")
    return info


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python install.py SOURCE_FOLDER", file=sys.stderr)
        return 2
    info = register(Path(argv[0]), Path(sysconfig.get_paths()["purelib"]))
    print(f"setup.sh: registered the platform in {sys.prefix} ({info.name}; {PTH} -> {argv[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
