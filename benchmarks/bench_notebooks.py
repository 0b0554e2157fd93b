"""How long each source notebook takes to run top to bottom in a Jupyter kernel.

``tests/test_notebooks_execute.py`` checks that every notebook runs; this prints
how long it takes (median of ``--repeat`` runs), so a notebook that grows slow
is seen here rather than failing a test on a busy machine.

    .venv/bin/python benchmarks/bench_notebooks.py [--repeat 3] [hw3 ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.test_notebooks_execute import NOTEBOOKS  # noqa: E402  one list of the notebooks to run


def run_once(path: Path) -> float:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    started = time.perf_counter()
    client.execute()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*", help="only these (default: every source notebook)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    chosen = [p for p in NOTEBOOKS if not args.assignments or p.parent.name in args.assignments]
    for path in chosen:
        times = [run_once(path) for _ in range(args.repeat)]
        print(f"{path.parent.name + '/' + path.name:<22} median {statistics.median(times):6.1f} s "
              f"(n={len(times)}, min {min(times):.1f} s; kernel start included)")


if __name__ == "__main__":
    main()
