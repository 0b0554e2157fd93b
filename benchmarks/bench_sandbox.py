"""Sandbox overhead: grading a perfect submission through the sandbox, minus
the same cells and the same hidden suite run in-process (no isolation, no
channel). The difference is what every defence costs per submission.

    .venv/bin/python benchmarks/bench_sandbox.py [hw1] [--repeat 7] [--isolation LEVEL] [--landlock off]
    .venv/bin/python benchmarks/bench_sandbox.py hw1 hw4 --channel [--calls 500]

Prints medians. Both paths run in one warmed grader process (imports, the
suite and the reference are loaded once, as in batch grading); the sandbox
path includes starting the isolated student process (bubblewrap, setpriv,
Python + numpy start-up), running every cell there, every call through the
channel, killing and reaping everything at the end.

``--channel``: the per-call cost of the grader <-> student channel instead. The
round trips of grading each perfect notebook, by kind, with their median time
(graded twice in one process; the second counts; ``run_cells``, every cell in
one request, counts once, with the time spent reading its answers), and the median cost of a
test's ``student.f(x)`` on a trivial function, of a call through a kept
reference, and of ``student.define(src)(x)``.
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


def request_profile(assignment, path: Path) -> tuple[float, dict[str, list[float]]]:
    """Grade ``path`` (a perfect notebook); (seconds, {request kind: [seconds of each]})."""
    from autograder.sandbox.process import StudentProcess

    seen: dict[str, list[float]] = {}
    real = StudentProcess.request

    def timed(self, header, buffers, timeout):  # type: ignore[no-untyped-def]
        kind = header.get("op", "?")
        if kind == "call":
            target = header.get("target", {})
            kind = ("call/attribute" if "attribute" in header else "call/by name" if "name" in target
                    else "call/defined" if "define" in target else "call/reference")
        started = time.perf_counter()
        try:
            return real(self, header, buffers, timeout)
        finally:
            seen.setdefault(kind, []).append(time.perf_counter() - started)

    from autograder.sandbox.session import StudentSession

    real_cells = getattr(StudentSession, "_run_cells_from", None)  # the cells in one request (run_cells)

    def cells(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return real_cells(self, *args, **kwargs)
        finally:
            seen.setdefault("run_cells", []).append(time.perf_counter() - started)

    StudentProcess.request = timed  # type: ignore[method-assign]
    if real_cells is not None:
        StudentSession._run_cells_from = cells  # type: ignore[method-assign]
    try:
        total = sandboxed(assignment, path)
    finally:
        StudentProcess.request = real  # type: ignore[method-assign]
        if real_cells is not None:
            StudentSession._run_cells_from = real_cells  # type: ignore[method-assign]
    return total, seen


def call_costs(calls: int, repeat: int) -> dict[str, float]:
    """Median microseconds per call of a trivial student function, three ways."""
    import numpy as np

    from autograder.sandbox.limits import Limits
    from autograder.sandbox.session import CellToRun, SandboxNamespace, StudentSession

    session = StudentSession([CellToRun("def f(x, k):\n    return x * k\n", "cell 1")], Limits())
    session.start()
    student = SandboxNamespace(session)
    x = np.arange(10.0)
    kept = student.f
    ways = {"student.f(x, 2)": lambda: student.f(x, 2), "kept f(x, 2)": lambda: kept(x, 2),
            "student.define(src)(x)": lambda: student.define("lambda x: x + 1")(x)}
    runs: dict[str, list[float]] = {name: [] for name in ways}
    try:
        for _ in range(repeat):
            for name, way in ways.items():  # interleaved: the machine's load hits each alike
                started = time.perf_counter()
                for _ in range(calls):
                    way()
                runs[name].append((time.perf_counter() - started) / calls * 1e6)
    finally:
        session.close()
    return {name: statistics.median(values) for name, values in runs.items()}


def channel_report(names: list[str], calls: int, repeat: int) -> None:
    for name in names:
        assignment = load_assignment(name, ROOT / "course.yaml")
        with tempfile.TemporaryDirectory() as tmp:
            path = write_notebook(perfect_submission(assignment), Path(tmp) / "perfect.ipynb")
            request_profile(assignment, path)  # warm: imports, suite, reference
            total, seen = request_profile(assignment, path)
        count = sum(len(v) for v in seen.values())
        spent = sum(sum(v) for v in seen.values())
        print(f"{name}: graded in {total:.3f} s; {count} round trips, {spent * 1e3:.1f} ms waiting on them")
        for kind in sorted(seen):
            values = seen[kind]
            print(f"  {kind:16s} {len(values):4d}   median {statistics.median(values) * 1e6:6.0f} us")
    print(f"a trivial student function, {calls} calls x {repeat} (median us per call):")
    for name, cost in call_costs(calls, repeat).items():
        print(f"  {name:24s} {cost:6.0f} us")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment", nargs="*", default=["hw1"])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--isolation", default=None, help="force an isolation level (AUTOGRADER_ISOLATION)")
    parser.add_argument("--landlock", choices=("on", "off"), default="on",
                        help="off: AUTOGRADER_LANDLOCK=0, to measure what Landlock costs")
    parser.add_argument("--channel", action="store_true", help="the channel's round trips and per-call cost instead")
    parser.add_argument("--calls", type=int, default=500, help="calls per run of --channel's trivial function")
    args = parser.parse_args()
    import os

    if args.isolation:
        os.environ["AUTOGRADER_ISOLATION"] = args.isolation
    if args.landlock == "off":
        os.environ["AUTOGRADER_LANDLOCK"] = "0"
    if args.channel:
        channel_report(args.assignment, args.calls, args.repeat)
        return
    if len(args.assignment) != 1:
        parser.error("one assignment at a time (several only with --channel)")
    args.assignment = args.assignment[0]
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
