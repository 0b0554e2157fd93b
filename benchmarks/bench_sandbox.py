"""Sandbox overhead: grading a perfect submission through the sandbox, minus
the same cells and the same hidden suite run in-process (no isolation, no
channel). The difference is what every defence costs per submission.

    .venv/bin/python benchmarks/bench_sandbox.py [hw1] [--repeat 7] [--isolation LEVEL] [--landlock off]

Prints medians. Both paths run in one warmed grader process (imports, the
suite and the reference are loaded once, as in batch grading); the sandbox
path includes starting the isolated student process (bubblewrap, setpriv,
Python + numpy start-up), running every cell there, every call through the
channel, killing and reaping everything at the end.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.assignment import load_assignment  # noqa: E402
from autograder.grading import run_suite, source_notebook  # noqa: E402
from autograder.grading import grade_submission  # noqa: E402
from autograder.notebook import plan_cells, read_notebook  # noqa: E402
from autograder.pytest_plugin import LocalNamespace  # noqa: E402
from autograder.samples import perfect_submission, write_notebook  # noqa: E402
from autograder.sandbox.process import detect_isolation  # noqa: E402


def in_process(assignment, path: Path) -> float:
    """Same cells, same suite, no sandbox: the student's own compute plus the tests'."""
    import contextlib
    import io
    import os

    started = time.perf_counter()
    plan = plan_cells(read_notebook(path), source_notebook(assignment))
    namespace: dict = {"__name__": "__main__", "get_ipython": lambda: None}
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as work:
        for support in assignment.support_files:
            Path(work, support.name).write_bytes(support.read_bytes())
        os.chdir(work)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                for cell in plan.cells:
                    try:
                        exec(compile(cell.source, cell.label, "exec"), namespace)  # noqa: S102
                    except BaseException:  # noqa: BLE001 - same semantics as the sandbox
                        pass
        finally:
            os.chdir(cwd)
    plugin = run_suite(assignment, LocalNamespace(namespace))
    assert sum(t.score for t in plugin.outcomes) == sum(t.max_score for t in plugin.outcomes)
    return time.perf_counter() - started


def sandboxed(assignment, path: Path) -> float:
    started = time.perf_counter()
    result = grade_submission(assignment, path)
    assert result.score == result.max_score, result.problems
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment", nargs="?", default="hw1")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--isolation", default=None, help="force an isolation level (AUTOGRADER_ISOLATION)")
    parser.add_argument("--landlock", choices=("on", "off"), default="on",
                        help="off: AUTOGRADER_LANDLOCK=0, to measure what Landlock costs")
    args = parser.parse_args()
    import os

    if args.isolation:
        os.environ["AUTOGRADER_ISOLATION"] = args.isolation
    if args.landlock == "off":
        os.environ["AUTOGRADER_LANDLOCK"] = "0"
    assignment = load_assignment(args.assignment, ROOT / "course.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        path = write_notebook(perfect_submission(assignment), Path(tmp) / "perfect.ipynb")
        in_process(assignment, path)  # warm: imports, suite, reference
        sandboxed(assignment, path)
        local, boxed = [], []
        for _ in range(args.repeat):
            local.append(in_process(assignment, path))
            boxed.append(sandboxed(assignment, path))
    isolation = detect_isolation()
    m_local, m_boxed = statistics.median(local), statistics.median(boxed)
    confined = (f"Landlock ABI {isolation.landlock}" if isolation.landlock else "no Landlock") + \
        (", seccomp" if isolation.seccomp else ", no seccomp")
    print(f"assignment {args.assignment}, isolation {isolation.level} ({confined}), {args.repeat} runs each (medians)")
    print(f"  in-process (no sandbox)      {m_local:6.3f} s")
    print(f"  sandboxed (every defence on) {m_boxed:6.3f} s")
    print(f"  sandbox overhead             {m_boxed - m_local:6.3f} s   (target <= 0.300 s)")


if __name__ == "__main__":
    main()
