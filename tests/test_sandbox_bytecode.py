"""The student process (an isolated Python on a read-only view of autograder/sandbox) finds the
bytecode of the modules it loads, written by the grader, instead of compiling them each time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from autograder.sandbox import bytecode

COUNT_COMPILES = """
import importlib.machinery as machinery, importlib.util as util, sys
compiled = []
original = machinery.SourceFileLoader.source_to_code
machinery.SourceFileLoader.source_to_code = lambda self, *a, **k: (compiled.append(1), original(self, *a, **k))[1]
sys.dont_write_bytecode = True  # as on the student's read-only view
for name in sys.argv[1:]:
    spec = util.spec_from_file_location("_" + name, name)
    spec.loader.exec_module(util.module_from_spec(spec))
print(len(compiled))
"""


def compiles_in_an_isolated_python(folder, names) -> int:
    done = subprocess.run([sys.executable, "-I", "-c", COUNT_COMPILES, *names], cwd=folder,
                          capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


def test_the_grader_writes_the_bytecode_the_student_process_reads(tmp_path, monkeypatch):
    names = [n for n in bytecode.LOADED_BY_THE_STUDENT_PROCESS if n != "student_main.py"]
    for name in bytecode.LOADED_BY_THE_STUDENT_PROCESS:
        shutil.copy2(os.path.join(bytecode.HERE, name), tmp_path / name)
    assert compiles_in_an_isolated_python(tmp_path, names) == len(names)

    monkeypatch.setattr(bytecode, "HERE", str(tmp_path))
    monkeypatch.setattr(bytecode, "_done", False)
    bytecode.ensure_sandbox_bytecode()
    assert compiles_in_an_isolated_python(tmp_path, names) == 0

    source = tmp_path / "protocol.py"  # an edited source: its bytecode is written again
    source.write_text(source.read_text() + "\nEDITED = True\n")
    os.utime(source, ns=(source.stat().st_mtime_ns + 10**9,) * 2)
    monkeypatch.setattr(bytecode, "_done", False)
    bytecode.ensure_sandbox_bytecode()
    assert compiles_in_an_isolated_python(tmp_path, names) == 0
