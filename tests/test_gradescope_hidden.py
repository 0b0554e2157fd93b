"""Gradescope's image after ``setup.sh``: no copy of hidden material the student uid can read.

The zip is built from a copy of the course whose hidden material carries a
unique marker (a string constant in the reference and the hidden suite, a line
in a solution region of the source notebook, a comment in course.yaml), then
unpacked as Gradescope does under a scratch ``AUTOGRADER_ROOT``; ``setup.sh``
runs (as root, as on Gradescope) and one submission is graded. A scanner
running *as a sandbox student uid* (claimed as a grader claims it, so the
kernel's own permission checks decide) then walks the whole file system and
reads every regular file created or changed since the zip was unpacked: none
it can read may contain the marker (pip caches, build folders, egg-info, /tmp,
``__pycache__``: a compiled copy keeps the string), and nothing under
``source/reference`` or ``source/course.yaml`` may be readable at all.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

import pytest

from autograder.gradescope.build import unpack
from autograder.sandbox.process import claim_uid
from tests import levels

ROOT = Path(__file__).resolve().parent.parent

SCANNER = r'''
import json, os, sys
job = json.load(sys.stdin)
start, needles, names, skip = job["start"], job["needles"], job["names"], tuple(job["skip"])
found, stack, scanned = [], ["/"], 0
while stack:
    folder = stack.pop()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        continue
    for entry in entries:
        path = entry.path
        if path in ("/proc", "/sys", "/dev", "/run") or path.startswith(skip):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                stack.append(path)
                continue
            if not entry.is_file(follow_symlinks=False):
                continue
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if info.st_ctime < start:
            continue
        try:
            with open(path, "rb") as handle:
                data = handle.read(8 << 20)
        except OSError:
            continue  # not readable by this uid: fine
        scanned += 1
        if any(name in path for name in names):
            found.append([path, "readable at all"])
            continue
        text = data.decode("utf-8", "replace")
        hits = [n for n in needles if n in text]
        if hits:
            found.append([path, hits[0]])
print(json.dumps({"found": found, "scanned": scanned}))
'''


def marked_course(folder: Path, marker: str) -> Path:
    """A copy of the course whose hidden material carries ``marker`` in a form that
    survives copying and compiling: a string constant in the reference and in the
    hidden suite, a line inside a solution region of the source notebook, a comment
    in course.yaml. Only this test can have made a file that contains it."""
    course_yaml = levels.copy_course(folder)
    course = course_yaml.parent
    with course_yaml.open("a") as handle:
        handle.write(f"# {marker}\n")
    for name in ("__init__.py", "test_hw1.py"):
        with (course / "reference" / "hw1" / name).open("a") as handle:
            handle.write(f"\n_AUDIT_MARKER = {marker!r}\n")
    source = course / "assignments" / "hw1" / "hw1.ipynb"
    notebook = json.loads(source.read_text())
    marked = 0
    for cell in notebook["cells"]:
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and "### BEGIN SOLUTION\n" in text:
            indent = text.split("### BEGIN SOLUTION")[0].split("\n")[-1]
            text = text.replace("### BEGIN SOLUTION\n", f"### BEGIN SOLUTION\n{indent}_audit = {marker!r}\n", 1)
            cell["source"] = text.splitlines(True)
            marked += 1
    assert marked, "no solution region in the source notebook"
    source.write_text(json.dumps(notebook, indent=1) + "\n")
    return course_yaml


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="setup.sh and the student uid need root (as on Gradescope)")
@pytest.mark.skipif(not Path("/usr/bin/python3").exists(), reason="the scanner runs /usr/bin/python3 as the student uid")
def test_after_setup_sh_the_student_uid_can_read_no_hidden_material(tmp_path: Path) -> None:
    from autograder.samples import perfect_submission
    from autograder.assignment import load_assignment

    marker = f"hidden-material-{uuid.uuid4().hex}"
    copy = levels.scratch("autograder-gs-hidden-course-")
    course_yaml = marked_course(copy, marker)
    built = subprocess.run([sys.executable, "-m", "autograder.cli", "gradescope", "hw1", "--course", str(course_yaml),
                            "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    shutil.rmtree(copy, ignore_errors=True)
    assert built.returncode == 0, built.stderr
    with zipfile.ZipFile(tmp_path / "hw1-autograder.zip") as archive:  # the marker is where it should be, and only there
        holding = sorted(n for n in archive.namelist() if marker.encode() in archive.read(n))
    assert holding == ["course.yaml", "reference/hw1/__init__.py", "reference/hw1/test_hw1.py"], holding
    root = Path(tempfile.mkdtemp(prefix="autograder-gs-hidden-", dir="/var/tmp"))
    try:
        os.chmod(root, 0o755)
        start = time.time() - 1
        unpack(tmp_path / "hw1-autograder.zip", root)
        env = dict(os.environ, AUTOGRADER_ROOT=str(root))
        setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root / "source", env=env,
                               capture_output=True, text=True, timeout=900)
        assert setup.returncode == 0, setup.stdout + setup.stderr
        # and one grading, so that what grading leaves (caches of the suite, staged files) is covered too
        for sub in ("submission", "results"):
            (root / sub).mkdir(exist_ok=True)
        notebook = perfect_submission(load_assignment("hw1", ROOT / "course.yaml"))
        (root / "submission" / "hw1.ipynb").write_text(json.dumps(notebook))
        graded = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                                timeout=300)
        results = json.loads((root / "results" / "results.json").read_text())
        assert results["score"] == 100, graded.stdout[-3000:] + graded.stderr[-2000:]

        job = {"start": start, "needles": [marker], "skip": [],
               "names": [f"{root}/source/course.yaml", f"{root}/source/reference/"]}
        # a student uid claimed like a grader does, so no grader running meanwhile kills the scanner
        uid, lock = claim_uid(0)
        try:
            scan = subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--",
                                   "/usr/bin/python3", "-I", "-c", SCANNER],
                                  input=json.dumps(job), capture_output=True, text=True, timeout=600, cwd="/")
        finally:
            os.close(lock)
        assert scan.returncode == 0, scan.stderr[-3000:]
        report = json.loads(scan.stdout)
        assert report["scanned"] > 100, report  # it did read what setup.sh made world-readable (the venv)
        assert report["found"] == [], "readable by the student uid after setup.sh:\n" + "\n".join(
            f"{path}  ({why[:80]})" for path, why in report["found"][:40])
    finally:
        shutil.rmtree(root, ignore_errors=True)
