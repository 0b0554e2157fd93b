"""Hostile and broken submissions against the sandbox (issue 3).

Every case grades a full HW1 notebook in which one or more cells were
replaced by hostile code, and checks the same four things:

* the results are valid, strict, small JSON (``to_gradescope`` +
  ``json.dumps(allow_nan=False)``, well under 1 MB);
* the score is no more than the honest score (what the same notebook earns
  with the hostile cells replaced by the released, empty stubs);
* a message in the results says what happened;
* no process of the student uid is left alive (``/proc`` scan).

CI runs as root, so the namespaces, the privilege drop and the per-uid
process cap are exercised there; ``test_sandbox_levels.py`` runs this file
again at every other level the machine offers (``AUTOGRADER_ISOLATION``).
Limits are short to keep the file fast.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest

from autograder.assignment import load_assignment
from autograder.grading import grade_submission
from autograder.results import GradingResult, to_gradescope
from autograder.samples import blank_submission, perfect_submission, write_notebook
from autograder.sandbox.process import STUDENT_UID_BASE, Limits, detect_isolation, processes_of_uid

ROOT = Path(__file__).resolve().parent.parent
SLOT = 640 + os.getpid() % 50  # a slot no other test run is likely to use
LIMITS = Limits(cell_timeout_s=1.5, call_timeout_s=1.5, submission_timeout_s=60)
QUICK = Limits(cell_timeout_s=0.8, call_timeout_s=0.6, submission_timeout_s=60)
SECRET = "s3cr3t-course-token-7781"

pytestmark = pytest.mark.skipif(os.environ.get("AUTOGRADER_SKIP_ADVERSARIAL") == "1", reason="asked to skip")

# Finds the grading channel (the write end of a pipe that is not fd 1/2) from inside.
CHANNEL = '''
import os as _os, fcntl as _fcntl, struct as _struct, json as _json
def _channel():
    for fd in range(3, 64):
        try:
            link = _os.readlink(f"/proc/self/fd/{fd}")
            flags = _fcntl.fcntl(fd, _fcntl.F_GETFL)
        except OSError:
            continue
        if link.startswith("pipe:") and flags & _os.O_ACCMODE == _os.O_WRONLY:
            return fd
def _frame(header, data=b""):
    raw = _json.dumps(header).encode()
    return _struct.pack(">I", len(raw)) + raw + data
'''


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def hw1():
    # AUTOGRADER_TEST_COURSE: grade a copy of the course (the runs at other isolation levels in
    # test_sandbox_levels.py do, so that the unprivileged-user level locks the copy, not the checkout)
    course = Path(os.environ.get("AUTOGRADER_TEST_COURSE") or ROOT / "course.yaml")
    assignment = load_assignment("hw1", course)
    return dataclasses.replace(assignment, limits=LIMITS)


@pytest.fixture(scope="module")
def perfect(hw1) -> dict[str, Any]:
    return perfect_submission(hw1)


@pytest.fixture(scope="module")
def stubs(hw1) -> dict[str, str]:
    """grade_id -> the released (empty) solution cell."""
    out = {}
    for cell in blank_submission(hw1)["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            source = cell["source"]
            out[meta["grade_id"]] = "".join(source) if isinstance(source, list) else source
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("adversarial")


_honest_cache: dict[tuple[str, ...], float] = {}


def student_uids() -> list[int]:
    return [STUDENT_UID_BASE + SLOT + 1000 * spare for spare in range(4)]


def leftovers() -> list[int]:
    end = time.monotonic() + 2
    while True:
        alive = [pid for uid in student_uids() for pid in processes_of_uid(uid)]
        if not alive or time.monotonic() > end:
            return alive
        time.sleep(0.05)


def replace_cells(notebook: dict[str, Any], replacements: dict[str, str]) -> dict[str, Any]:
    result = copy.deepcopy(notebook)
    for cell in result["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in replacements:
            cell["source"] = replacements[gid]
    return result


def insert_cell(notebook: dict[str, Any], before: str, source: str) -> dict[str, Any]:
    """A plain code cell (no nbgrader metadata, as a student adds one) before grade_id ``before``."""
    result = copy.deepcopy(notebook)
    for index, cell in enumerate(result["cells"]):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == before:
            result["cells"].insert(index, {"cell_type": "code", "metadata": {}, "source": source,
                                           "outputs": [], "execution_count": None})
            return result
    raise AssertionError(f"no cell {before}")


def grade(hw1, notebook: dict[str, Any], path: Path, limits: Limits = LIMITS) -> GradingResult:
    write_notebook(notebook, path)
    result = grade_submission(dataclasses.replace(hw1, limits=limits), path, slot=SLOT)
    alive = leftovers()
    assert not alive, f"student processes left alive: {alive}"
    return result


HONEST_WRONG = {
    "polynomial_features": "import numpy as np\ndef polynomial_features(x, degree):\n"
                           "    return np.zeros((len(x), degree + 1))\n",
    "squared_error_loss": "def squared_error_loss(theta, X, y):\n    return 0.0\n",
}


def honest_score(hw1, perfect, stubs, workdir, tasks: tuple[str, ...]) -> float:
    """What the notebook earns with these tasks answered honestly but wrongly
    (plain zeros of the right shape): lies must not beat it."""
    if tasks not in _honest_cache:
        notebook = replace_cells(perfect, {t: HONEST_WRONG[t] for t in tasks})
        _honest_cache[tasks] = grade(hw1, notebook, workdir / f"honest-{'-'.join(tasks) or 'none'}.ipynb").score
    return _honest_cache[tasks]


def check(result: GradingResult, honest: float, pattern: str) -> dict[str, Any]:
    data = to_gradescope(result)
    text = json.dumps(data, allow_nan=False)
    assert len(text.encode()) < 200_000, f"results.json is {len(text)} bytes"
    assert json.loads(text) == data
    assert data["score"] <= honest + 1e-9, f"scored {data['score']} > honest {honest}"
    messages = data["output"] + "\n" + "\n".join(t["output"] for t in data["tests"])
    assert re.search(pattern, messages, re.I | re.S), f"no message matching {pattern!r} in:\n{messages[:3000]}"
    environment = [t for t in data["tests"] if t["name"].startswith("Grading environment")]
    assert environment and environment[0]["visibility"] == "hidden"  # instructors see the isolation level
    assert "Isolation in force" in environment[0]["output"]
    return data


# ---------------------------------------------------------------- cases
# (name, {grade_id: hostile source}, cells to insert [(before, source)], tasks lost, message pattern, limits)
PF = "polynomial_features"
LOSS = "squared_error_loss"
WRONG_PF = "\ndef polynomial_features(x, degree):\n    return np.zeros((len(x), degree + 1))\n"

CASES: list[tuple[str, dict[str, str], list[tuple[str, str]], tuple[str, ...], str, Limits]] = [
    # --- patching comparison functions, builtins, pytest
    ("patch_numpy_comparisons", {PF: "import numpy as np\n"
        "np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"
        "np.testing.assert_allclose = lambda *a, **k: None\nnp.array_equal = lambda *a, **k: True\n"
        "np.abs = lambda x: 0 * x\nnp.max = lambda *a, **k: 0.0\n" + WRONG_PF},
     [], (PF,), r"not close enough", LIMITS),
    ("patch_builtins", {PF: "import builtins\nbuiltins.abs = lambda x: 0\nbuiltins.isinstance = lambda *a: True\n"
        "builtins.max = lambda *a, **k: 0\nbuiltins.float = lambda *a: 0.0\nbuiltins.len = lambda x: 3\n"
        "def polynomial_features(x, degree):\n    return 'full marks please'\n"},
     [], (PF,), r"expected a number|ended the student process", LIMITS),
    ("patch_pytest_and_grader", {PF: "import sys, types\n"
        "try:\n    import pytest\n    pytest.fail = lambda *a, **k: None\n    pytest.approx = lambda *a, **k: object()\n"
        "except Exception as e:\n    print('no pytest', e)\n"
        "for name in ('autograder', 'autograder.testing', 'autograder.results', 'reference.hw1'):\n"
        "    try:\n        __import__(name)\n        print('IMPORTED', name)\n    except Exception as e:\n"
        "        print('blocked', name, type(e).__name__)\n"
        "fake = types.ModuleType('autograder.testing')\nfake.assert_close = lambda *a, **k: None\n"
        "sys.modules['autograder.testing'] = fake\n" + WRONG_PF},
     [], (PF,), r"not close enough", LIMITS),
    # --- return values that lie about equality or arithmetic
    ("liar_object", {PF: "import numpy as np\nclass Liar:\n"
        "    def __eq__(self, other): return True\n    def __ne__(self, other): return False\n"
        "    def __array__(self, *a, **k): raise SystemExit('pwned')\n    def __float__(self): return 0.0\n"
        "    def __sub__(self, other): return 0\n    __rsub__ = __sub__\n    def __abs__(self): return 0\n"
        "    def __len__(self): return 3\n    shape = (3, 3)\n    dtype = np.float64\n"
        "def polynomial_features(x, degree):\n    return Liar()\n"},
     [], (PF,), r"object of type|expected a number", LIMITS),
    ("ndarray_subclass", {PF: "import numpy as np\nclass Sneaky(np.ndarray):\n"
        "    def __eq__(self, other): return np.ones(np.shape(other), bool)\n"
        "    def __sub__(self, other): return np.zeros(np.shape(other))\n    __rsub__ = __sub__\n"
        "    def __array_finalize__(self, obj): pass\n"
        "    def __array_wrap__(self, *a, **k): return np.zeros(1)\n"
        "def polynomial_features(x, degree):\n    return np.zeros((len(x), degree + 1)).view(Sneaky)\n"},
     [], (PF,), r"not close enough", LIMITS),
    ("float_subclass_and_object_arrays", {LOSS: "import numpy as np\nclass F(float):\n"
        "    def __eq__(self, o): return True\n    def __sub__(self, o): return 0.0\n    __rsub__ = __sub__\n"
        "def squared_error_loss(theta, X, y):\n    if len(y) % 2:\n        return F(0.0)\n"
        "    return np.array([F(0.0)] * 1, dtype=object).reshape(())\n"},
     [], (LOSS,), r"object of type|expected a number|expected numbers", LIMITS),
    ("collection_subclasses", {PF: "import numpy as np\nclass L(list):\n    def __eq__(self, o): return True\n"
        "class D(dict):\n    def __eq__(self, o): return True\n"
        "def polynomial_features(x, degree):\n    return L([[0.0] * (degree + 1)] * len(x))\n"},
     [], (PF,), r"object of type|expected a number", LIMITS),
    # --- payloads that would run code if unpickled
    ("pickle_reduce_payload", {PF: "import os, numpy as np\nclass Boom:\n"
        "    def __reduce__(self):\n        return (os.system, ('touch /tmp/autograder-pwned-by-pickle',))\n"
        "def polynomial_features(x, degree):\n    return {'value': Boom(), 'arr': np.zeros((len(x), degree + 1))}\n"},
     [], (PF,), r"expected a number|dict", LIMITS),
    ("raw_pickle_on_channel", {PF: CHANNEL + "import pickle, os\n"
        "class Boom:\n    def __reduce__(self):\n        return (os.system, ('touch /tmp/autograder-pwned-by-pickle',))\n"
        "def polynomial_features(x, degree):\n    fd = _channel()\n    blob = pickle.dumps(Boom())\n"
        "    _os.write(fd, _frame({'ok': True, 'value': {'t': 'pickle', 'b': 0}, 'buffers': [len(blob)]}, blob))\n"
        "    _os._exit(0)\n"},
     [], (PF,), r"could not be read|unknown value tag|ended the student process|crash", LIMITS),
    # --- reading hidden tests or the reference: by path, by import, frames, gc, /proc
    ("read_hidden_by_path", {PF: "import glob, os\nfound = dict()\nfor p in {paths!r} + [q for root in ('/work', '/autograder', '/opt', '/home', '/root', '/tmp', '/srv')"
        " for q in glob.glob(root + '/**/test_hw1.py', recursive=True) + glob.glob(root + '/**/reference/hw1/*.py', recursive=True)]:\n"
        "    try:\n        found[p] = open(p).read()\n        print('FOUND-HIDDEN', p)\n    except OSError:\n        pass\n"
        "ns = dict()\nfor p, text in found.items():\n    if p.endswith('__init__.py'):\n        exec(text, ns)\n"
        "if 'polynomial_features' in ns:\n    polynomial_features = ns['polynomial_features']\nelse:\n" +
        "    def polynomial_features(x, degree):\n        raise NotImplementedError('no reference found')\n"},
     [], (PF,), r"NotImplementedError", LIMITS),
    ("import_reference", {PF: "import sys\nsys.path[:0] = {roots!r}\n"
        "try:\n    from reference.hw1 import polynomial_features\n    print('FOUND-HIDDEN import')\n"
        "except ImportError as e:\n    print('import failed', e)\n"
        "    def polynomial_features(x, degree):\n        raise NotImplementedError('reference not importable')\n"},
     [], (PF,), r"NotImplementedError", LIMITS),
    ("caller_frames", {PF: "import sys, inspect, numpy as np\n"
        "def polynomial_features(x, degree):\n    f = sys._getframe(1)\n    names = []\n"
        "    while f is not None:\n        names.append(f.f_code.co_filename)\n"
        "        for v in list(f.f_locals.values()):\n            if isinstance(v, np.ndarray) and v.shape == (len(x), degree + 1):\n"
        "                return v\n        f = f.f_back\n"
        "    if any('test_hw1' in n or 'pytest' in n for n in names):\n        print('FOUND-HIDDEN frames', names)\n"
        "    return np.zeros((len(x), degree + 1))\n"},
     [], (PF,), r"not close enough", LIMITS),
    ("garbage_collector", {PF: "import gc, sys, numpy as np\n"
        "def polynomial_features(x, degree):\n    for o in gc.get_objects():\n"
        "        mod = getattr(o, '__module__', '') or ''\n"
        "        if isinstance(mod, str) and mod.startswith(('reference', '_pytest', 'autograder', 'test_hw1')):\n"
        "            print('FOUND-HIDDEN gc', mod)\n"
        "    leaked = [m for m in sys.modules if m.startswith(('reference', 'pytest', '_pytest', 'autograder'))]\n"
        "    if leaked:\n        print('FOUND-HIDDEN modules', leaked)\n"
        "    return np.zeros((len(x), degree + 1))\n"},
     [], (PF,), r"not close enough", LIMITS),
    ("proc_and_environment", {PF: "import os, sys, glob\n"
        "for p in glob.glob('/proc/[0-9]*/cmdline'):\n    try:\n        c = open(p, 'rb').read()\n    except OSError:\n"
        "        continue\n    if b'pytest' in c or b'test_adversarial' in c:\n        print('FOUND-HIDDEN grader process', p)\n"
        "for p in glob.glob('/proc/[0-9]*/environ'):\n    try:\n        e = open(p, 'rb').read()\n    except OSError:\n"
        "        continue\n    if b'" + SECRET + "' in e:\n        print('FOUND-HIDDEN secret in', p)\n"
        "print('ENV', dict(os.environ))\nfor entry in sys.path:\n    print('SYSPATH', entry)\n"
        "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 80), timeout=0.5)\n    print('FOUND-HIDDEN network')\n"
        "except OSError as e:\n    print('no network', e)\n" + WRONG_PF},
     [], (PF,), r"not close enough", LIMITS),
    # --- forging results
    ("forge_results_files", {PF: "import os, json, time\nfake = json.dumps({{'score': 1000, 'tests': []}})\n"
        "targets = {targets!r} + ['results.json', '../results.json', '/tmp/results.json',\n"
        "    '/autograder/results/results.json', os.path.expanduser('~/results.json')]\n"
        "for t in targets:\n    try:\n        os.makedirs(os.path.dirname(os.path.abspath(t)), exist_ok=True)\n"
        "        open(t, 'w').write(fake)\n        print('wrote', t)\n    except OSError as e:\n        print('refused', t, e)\n"
        "for name in ('data_utils.py', 'results.json', 'sitecustomize.py'):\n    try:\n        os.remove(name)\n"
        "    except OSError:\n        pass\n    try:\n        os.symlink({targets!r}[0], name)\n    except OSError:\n        pass\n"
        "print(fake)\n" + WRONG_PF + "    \n"},
     [], (PF,), r"not close enough", LIMITS),
    ("forge_channel_replies", {PF: CHANNEL +
        "_fd = _channel()\nfor _ in range(40):\n    _os.write(_fd, _frame({'ok': True, 'value': 1.0}))\n" + WRONG_PF},
     [], (PF,), r"not close enough|wrong shape|expected|crash|could not|valid answer", LIMITS),
    # --- exiting, crashing, killing the parent
    ("sys_exit_in_call", {PF: "import sys\ndef polynomial_features(x, degree):\n    sys.exit(0)\n"},
     [], (PF,), r"sys\.exit", LIMITS),
    ("os_exit_in_cell_and_call", {PF: "import os\ndef polynomial_features(x, degree):\n    os._exit(3)\n"},
     [("squared_error_loss", "import os\nos._exit(0)\n")], (PF,), r"ended the student process", LIMITS),
    ("segfault", {PF: "import ctypes\ndef polynomial_features(x, degree):\n    return ctypes.string_at(0)\n"},
     [("squared_error_loss", "import ctypes\nctypes.string_at(0)\n")], (PF,), r"SIGSEGV|crash", LIMITS),
    ("kill_the_parent", {PF: "import os, signal\n"
        "def polynomial_features(x, degree):\n    for pid in (os.getppid(), 1, -1, 0):\n        try:\n"
        "            os.kill(pid, signal.SIGKILL)\n        except OSError:\n            pass\n    return None\n"},
     [("squared_error_loss", "import os, signal\nfor pid in (os.getppid(), 1):\n    try:\n"
       "        os.kill(pid, signal.SIGKILL)\n    except OSError as e:\n        print('cannot kill', pid, e)\n"
       "try:\n    os.killpg(os.getpgid(os.getppid()), signal.SIGKILL)\nexcept OSError as e:\n    print('cannot killpg', e)\n")],
     (PF,), r"ended the student process|crash|expected a number", LIMITS),
    # --- infinite loops with signals ignored
    ("loop_ignoring_signals_in_cell", {},
     [(PF, "import signal, time\nfor s in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT):\n"
           "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    try:\n        while True:\n            pass\n"
           "    except BaseException:\n        pass\n")],
     (), r"still running after", QUICK),
    ("loop_ignoring_signals_in_call", {PF: "import signal\n"
        "import numpy as np\n"
        "def polynomial_features(x, degree):\n    if len(x) != 3:\n        return np.zeros((len(x), degree + 1))\n"
        "    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
        "    signal.setitimer(signal.ITIMER_REAL, 0)\n    while True:\n        pass\n"},
     [], (PF,), r"did not finish", QUICK),
    # --- memory exhaustion
    ("memory_exhaustion", {PF: "import numpy as np\n"
        "def polynomial_features(x, degree):\n    hog = []\n    while True:\n        hog.append(np.ones(10**7))\n"},
     [("squared_error_loss", "import numpy as np\nhuge = np.ones((10**5, 10**5))\n")],
     (PF,), r"out of memory|MemoryError", LIMITS),
    # --- fork storms and lingering children
    ("fork_storm", {},
     [(PF, "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n")],
     (), r"still running after|ended the student process", QUICK),
    ("setsid_double_fork_daemons", {PF: "import os, time, subprocess, sys\n"
        "for i in range(3):\n    if os.fork() == 0:\n        os.setsid()\n        if os.fork() == 0:\n"
        "            import signal\n            signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "            while True:\n                time.sleep(0.01)\n        os._exit(0)\n"
        "subprocess.Popen([sys.executable, '-c', 'import time\\nwhile True: time.sleep(1)'], start_new_session=True)\n"
        "def polynomial_features(x, degree):\n    if os.fork() == 0:\n        os.setsid()\n        while True:\n"
        "            pass\n    return None\n"},
     [], (PF,), r"expected a number", LIMITS),
    # --- output floods
    ("output_flood", {PF: "import sys, os\nfor _ in range(2000):\n    print('x' * 10000)\n"
        "os.write(2, b'y' * 5_000_000)\n"
        "def polynomial_features(x, degree):\n    sys.stdout.write('z' * 20_000_000)\n    return None\n"},
     [], (PF,), r"expected a number", LIMITS),
    # --- huge return values and malformed frames
    ("huge_return_values", {PF: "import numpy as np\n"
        "def polynomial_features(x, degree):\n    if degree == 2:\n        return np.zeros(10**7)\n"
        "    if degree == 3:\n        return list(range(10**6))\n    out = []\n    for _ in range(5000):\n"
        "        out = [out]\n    return out\n"},
     [], (PF,), r"too large|too many items|nested too deeply|cannot be sent", LIMITS),
    ("forged_huge_shape_and_header", {PF: CHANNEL +
        "def polynomial_features(x, degree):\n    fd = _channel()\n    if degree == 2:\n"
        "        _os.write(fd, _frame({'ok': True, 'value': {'t': 'nd', 'b': 0, 'dt': '<f8', 'sh': [10**9, 10**9]}, "
        "'buffers': [8]}, b'\\0' * 8))\n    elif degree == 3:\n        _os.write(fd, _struct.pack('>I', 0xFFFFFFF0) + b'{{')\n"
        "    else:\n        _os.write(fd, _frame({'ok': True, 'value': 1, 'buffers': [2**40]}))\n"
        "    import time\n    time.sleep(30)\n"},
     [], (PF,), r"could not be read|size does not match|too large|malformed", LIMITS),
    # --- NaN and infinity
    ("nan_and_infinity", {PF: "import numpy as np\n"
        "def polynomial_features(x, degree):\n    out = np.full((len(x), degree + 1), np.nan)\n"
        "    out[0, 0] = np.inf\n    return out\n",
        LOSS: "def squared_error_loss(theta, X, y):\n    return float('nan') if len(y) % 2 else complex(float('inf'), float('nan'))\n"},
     [], (PF, LOSS), r"NaN or infinite|complex|not close enough", LIMITS),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_hostile_submission(case, hw1, perfect, stubs, workdir, monkeypatch) -> None:
    name, replacements, inserts, lost, pattern, limits = case
    monkeypatch.setenv("COURSE_SECRET_TOKEN", SECRET)
    targets = [str(workdir / f"{name}-results.json")]
    paths = [str(hw1.reference_package / "__init__.py"), str(hw1.suite), str(hw1.source_notebook),
             str(ROOT / "course.yaml")]
    fill = {"paths": paths, "roots": [str(ROOT), str(ROOT / "reference")], "targets": targets}
    templated = name in ("read_hidden_by_path", "import_reference", "forge_results_files")
    notebook = replace_cells(perfect, {gid: src.format(**fill) if templated else src
                                       for gid, src in replacements.items()})
    for before, source in inserts:
        notebook = insert_cell(notebook, before, source)
    pwned = Path("/tmp/autograder-pwned-by-pickle")
    pwned.unlink(missing_ok=True)

    result = grade(hw1, notebook, workdir / f"{name}.ipynb", limits)
    honest = honest_score(hw1, perfect, stubs, workdir, lost)
    check(result, honest, pattern)

    assert "FOUND-HIDDEN" not in result.stdout, result.stdout[-2000:]
    assert not pwned.exists(), "an unpickled payload ran in the grader"
    for target in targets:
        assert not Path(target).exists(), f"the student wrote {target}"
    if name == "proc_and_environment":
        assert SECRET not in result.stdout and "COURSE_SECRET" not in result.stdout
        entries = [line.split(" ", 1)[1] for line in result.stdout.splitlines() if line.startswith("SYSPATH ")]
        assert entries and "ENV" in result.stdout
        grader_source = [e for e in entries if e in ("", ".", str(ROOT)) or
                         (e.startswith(str(ROOT)) and "site-packages" not in e and "/.venv/" not in e)]
        assert not grader_source, grader_source
    if name == "output_flood":
        assert len(result.stdout) < 2 * LIMITS.max_output_bytes and "bytes of output were dropped" in result.stdout
    if name == "patch_pytest_and_grader":
        assert "IMPORTED autograder" not in result.stdout and "IMPORTED reference" not in result.stdout
    if not lost:  # the hostile cell was extra: every honest point is still earned
        assert result.score == result.max_score, [t.output for t in result.tests if t.status != "passed"][:3]


def test_awkward_but_correct_notebook_earns_full_marks(hw1, perfect, workdir) -> None:
    """A `while True:` cell before the solutions, a `sys.exit()` cell, deleted
    working files, a cell that raises and IPython magics: still 100 %."""
    notebook = insert_cell(perfect, "polynomial_features", "while True:\n    pass\n")
    notebook = insert_cell(notebook, "squared_error_loss", "import sys\nsys.exit()\n")
    notebook = insert_cell(notebook, "fit_least_squares",
                           "import os, shutil\nfor f in os.listdir('.'):\n    shutil.rmtree(f) if os.path.isdir(f) "
                           "else os.remove(f)\n%matplotlib inline\n!ls\n")
    notebook = insert_cell(notebook, "gradient_descent", "raise ValueError('oops')\n")
    result = grade(hw1, notebook, workdir / "awkward.ipynb", QUICK)
    data = check(result, result.max_score, r"still running after.*sys\.exit.*oops")
    assert data["score"] == result.max_score == 100


def test_isolation_level_is_reported(hw1, perfect, workdir) -> None:
    result = grade(hw1, perfect, workdir / "perfect.ipynb")
    level = detect_isolation()
    assert result.score == result.max_score
    assert result.isolation.startswith(level.level)
    if os.geteuid() == 0:
        assert level.level in ("namespaces", "unprivileged-user", "unavailable")
    else:
        assert "partial" in result.isolation
