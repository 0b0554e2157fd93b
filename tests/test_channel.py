"""The grader <-> student-process channel: how many round trips a test's call costs, and
that the one-round-trip path (``student.f(x)`` calls ``f`` by name) behaves as fetching
``f`` first did: same values, same words when ``f`` is missing, same in-place-change
report, a fair outcome when the student rebinds or deletes a global (issue 23).

Real sandbox (the machine's strongest isolation level), no mocks: the only instrument is a
counter around the student process's ``request``.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.errors import StudentCrash, StudentError, StudentMissing
from autograder.sandbox.process import Limits, StudentProcess
from autograder.sandbox.session import CellToRun, SandboxNamespace, StudentSession

CELLS = '''
import numpy as np

def double(x):
    return 2 * x

def apply(g, x):
    return g(x)

def scale_in_place(X, factor):
    X *= factor
    return X.sum()

def drop(name):
    del globals()[name]

def rebind(name):
    globals()[name] = np.zeros(3)

def self_replacing(x):
    global self_replacing
    self_replacing = np.zeros(3)
    return x + 1

def crash():
    import os
    os._exit(3)

class Counter:
    def __init__(self, start):
        self.count = start
        self.shadowed = "data"
    def bump(self):
        self.count += 1
        return self.count
    def add(self, k):
        return self.count + k
    def fail(self, x):
        return x / self.missing
    def shadowed(self):
        return "method"
    def break_bump(self):
        self.bump = np.zeros(2)

class Slotted:
    __slots__ = ("v",)
    def __init__(self):
        self.v = 1
    def get(self):
        return self.v

double.tag = "tagged"
data = np.arange(3.0)
'''


@pytest.fixture
def sandbox():
    """(student namespace, list of the ops of every request sent to the student process)."""
    session = StudentSession([CellToRun(CELLS, "cell 1")], Limits(cell_timeout_s=10, call_timeout_s=5))
    session.start()
    assert [r.status for r in session.cell_reports] == ["ok"]
    sent: list[str] = []

    def counting(process):
        real = process.request

        def request(header, buffers, timeout):
            sent.append(header["op"])
            return real(header, buffers, timeout)
        process.request = request

    counting(session.process)
    spawn = session._spawn

    def spawn_and_count(*args, **kwargs):
        spawn(*args, **kwargs)
        counting(session.process)
    session._spawn = spawn_and_count
    try:
        yield SandboxNamespace(session), sent
    finally:
        session.close()


def test_a_call_of_a_student_function_is_one_round_trip(sandbox) -> None:
    student, sent = sandbox
    x = np.arange(4.0)
    assert np.array_equal(student.double(x), 2 * x)
    assert sent == ["call"]  # not a fetch of `double`, then the call
    sent.clear()
    assert student.Counter(3).bump() == 4  # the class by name, then its method by name
    assert sent == ["call", "call"]
    sent.clear()
    assert student.define("lambda x: x + 1")(41) == 42  # a test's helper, defined and called at once
    assert sent == ["call"]


def test_a_proxy_stays_bound_to_what_its_first_call_found(sandbox) -> None:
    """A step rule kept in a variable (`rule = student.sgd`) keeps calling the same function,
    even if that function rebinds its own global name."""
    student, sent = sandbox
    rule = student.self_replacing
    assert rule(1) == 2 and rule(2) == 3
    assert isinstance(student.self_replacing, np.ndarray)  # the name now holds data: fetched as data
    helper = student.define("lambda x: x * 3")
    assert helper(2) == 6 and helper(3) == 9
    assert sent == ["call", "call", "get", "call", "call"]


def test_a_missing_function_has_the_words_of_a_fetch(sandbox) -> None:
    student, _ = sandbox
    proxy = student.double
    student.drop("double")
    with pytest.raises(StudentMissing) as by_name:
        proxy(1)
    with pytest.raises(StudentMissing) as fetched:
        student.double
    assert str(by_name.value) == str(fetched.value) == (
        "`double`: `double` is not defined in your notebook. Check the name and that its cell runs without errors.")


def test_a_function_rebound_to_data_fails_as_the_students_error(sandbox) -> None:
    student, _ = sandbox
    proxy = student.double
    student.rebind("double")
    with pytest.raises(StudentError, match=r"(?s)`double\(1\)` raised an error:.*'numpy.ndarray' object is not callable"):
        proxy(1)
    assert isinstance(student.double, np.ndarray)


def test_other_uses_of_a_function_behave_as_fetched(sandbox) -> None:
    student, sent = sandbox
    assert student.double.tag == "tagged"
    assert student.apply(student.double, 5) == 10
    assert student.apply(student.define("lambda x: x - 1"), 5) == 4
    assert repr(student.double) == "<student function object>"
    assert np.array_equal(student.data, np.arange(3.0))  # data is fetched as data
    assert sent == ["get", "call", "get", "call", "define", "call", "get"]


def test_changed_arguments_are_still_named(sandbox) -> None:
    """Parameter names are looked up only when an argument changed; the report is as before."""
    student, sent = sandbox
    X = np.ones((2, 2))
    assert student.scale_in_place(X, 2.0) == 8.0
    assert student.last_call.mutated == ("X",)
    assert np.array_equal(X, np.ones((2, 2)))  # the grader's copy is untouched
    assert student.scale_in_place(X=np.ones(3), factor=1.0) == 3.0
    assert student.last_call.mutated == ()
    assert student.scale_in_place(factor=3.0, X=np.ones(3)) == 9.0
    assert student.last_call.mutated == ("X",)
    assert sent == ["call"] * 3


def test_after_a_crash_functions_are_called_in_the_new_process(sandbox) -> None:
    student, sent = sandbox
    before = student.double
    assert before(1) == 2
    with pytest.raises(StudentCrash, match="ended the student process"):
        student.crash()
    sent.clear()
    assert student.double(3) == 6  # fetched (the process is gone): restarted, cells replayed, called
    assert sent == ["run_cell", "get", "call"]
    sent.clear()
    assert student.double(4) == 8  # the new process's list of functions: one round trip again
    assert sent == ["call"]
    with pytest.raises(StudentCrash, match="lost when your process was restarted"):
        before(1)


def test_the_cells_are_one_request_sent_at_launch(monkeypatch) -> None:
    """The notebook's cells go in one request, sent when the process is launched, so the
    student process runs them while the grader loads the hidden suite; each cell is still
    reported on its own, and a cell's error or exit does not stop the next."""
    sent: list[str] = []
    real = StudentProcess.send

    def counted(self, header, *args, **kwargs):
        sent.append(header["op"])
        return real(self, header, *args, **kwargs)
    monkeypatch.setattr(StudentProcess, "send", counted)
    cells = [CellToRun(f"x{i} = {i}", f"cell {i}") for i in range(4)] + [
        CellToRun("raise ValueError('oops')", "cell 4"), CellToRun("import sys\nsys.exit(2)\nx9 = 0", "cell 5"),
        CellToRun("x6 = x3 + 3", "cell 6")]
    session = StudentSession(cells, Limits(cell_timeout_s=10, call_timeout_s=5))
    try:
        session.launch()
        assert sent == ["run_cells"]
        session.start()
        assert [r.status for r in session.cell_reports] == ["ok"] * 4 + ["error", "exit", "ok"]
        assert "cell 4 raised an error; the next cell ran." in session.cell_reports[4].message
        assert "ValueError: oops" in session.cell_reports[4].message
        assert session.cell_reports[5].message == ("cell 5 called sys.exit(2); the rest of that cell was skipped "
                                                   "and the next cell ran.")
        assert SandboxNamespace(session).x6 == 6
        assert sent == ["run_cells", "get"]  # x6 is data: fetched
    finally:
        session.close()


def test_cells_past_the_submissions_time_are_not_run(monkeypatch) -> None:
    """In the one request for every cell, the submission's total time still bounds each cell."""
    sent: list[str] = []
    real = StudentProcess.send
    monkeypatch.setattr(StudentProcess, "send", lambda self, header, *a, **k: sent.append(header["op"]) or real(
        self, header, *a, **k))
    cells = [CellToRun("import time\ntime.sleep(3)", "cell 1"), CellToRun("y = 1", "cell 2")]
    session = StudentSession(cells, Limits(cell_timeout_s=10, submission_timeout_s=1.0))
    try:
        session.start()
        assert sent == ["run_cells"]
        first, second = session.cell_reports
        assert first.status == "timeout" and "was interrupted" in first.message
        assert second.status == "timeout"
        assert second.message == "The submission used up its total time limit of 1 s; later tests were not run."
    finally:
        session.close()


def test_a_method_call_is_one_round_trip_and_behaves_as_the_fetched_method(sandbox) -> None:
    """``obj.method(x)`` calls the method by name in the student process (one round trip) when
    the object's class defines it as a plain function: the same value, the same words when it
    raises; a data attribute, or a method the instance shadows, is fetched as before."""
    student, sent = sandbox
    counter = student.Counter(3)
    sent.clear()
    assert counter.add(2) == 5 and counter.bump() == 4 and counter.add(2) == 6
    assert sent == ["call"] * 3
    sent.clear()
    assert counter.count == 4 and counter.shadowed == "data"  # data, and data shadowing a method: fetched
    assert sent == ["call", "call"]
    assert student.Slotted().get() == 1
    with pytest.raises(StudentError) as by_name:
        counter.fail(1)
    counter._methods = frozenset()  # the same call through a fetched bound method, as before
    with pytest.raises(StudentError) as fetched:
        counter.fail(1)
    assert str(by_name.value) == str(fetched.value)
    assert "`Counter.fail(1)` raised an error" in str(by_name.value) and "missing" in str(by_name.value)


def test_a_method_passed_on_or_broken_by_the_student_behaves_as_fetched(sandbox) -> None:
    student, sent = sandbox
    counter = student.Counter(1)
    assert student.apply(counter.add, 4) == 5  # passed as an argument: fetched, then sent back by reference
    counter.break_bump()
    with pytest.raises(StudentError, match="not callable"):  # the student's own object, the student's error
        counter.bump()
