"""One verdict (issue 20, items 5, 6, 7 and 9): validate points at the function at fault,
"not implemented" means the released stub, optional questions are optional, and the
feedback (validate's report, Gradescope's Markdown) can be read as it is.

Every notebook is a real release (nbgrader's preprocessors) with a student's edits, run in
the real sandbox and graded by the real hidden suites.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from autograder.gradescope.build import roster_entry
from autograder.gradescope.metadata import SubmissionMetadata, SubmitterInfo
from autograder.gradescope.run import student_course
from autograder.notebook import source_text
from autograder.results import GradingResult, TestOutcome, summary_markdown, to_gradescope
from autograder.samples import with_cells
from autograder.stubs import released_source, stub_fingerprints
from autograder.validate import STAMP_KEY, optional_courses, validate
from tests.conftest import ROOT
from tests.test_validate import cell_index, only, student_folder


def cell_source(notebook: dict[str, Any], grade_id: str) -> str:
    return source_text(notebook["cells"][cell_index(notebook, grade_id)]["source"])


def edited(notebook: dict[str, Any], grade_id: str, old: str, new: str) -> dict[str, Any]:
    """``notebook`` with ``old`` replaced by ``new`` in one cell (which must contain it)."""
    source = cell_source(notebook, grade_id)
    assert old in source, (grade_id, old)
    return with_cells(notebook, {grade_id: source.replace(old, new)})


def finding_for(report: Any, subject: str) -> Any:
    [finding] = [f for f in report.findings if f.subject == subject]
    return finding


# ---------------------------------------------------------------- item 5: the function at fault
def test_wrong_batchnorm_backward_is_blamed_not_the_alt_that_compares_with_it(assignments, perfect_notebooks,
                                                                                tmp_path):
    notebook = edited(perfect_notebooks["hw4"], "batchnorm_backward", "dx = dxc + dmean / N", "dx = dxc")
    report = validate(student_folder(tmp_path, assignments["hw4"], notebook))
    own = finding_for(report, "test_batchnorm_backward")
    assert own.problem and "Fix `batchnorm_backward`" in own.message
    alt = finding_for(report, "test_batchnorm_backward_alt")
    assert "Fix `batchnorm_backward_alt`" not in alt.message
    at = cell_index(notebook, "test_batchnorm_backward") + 1
    assert f"`batchnorm_backward`, which this check also runs, fails its own check in cell {at} " in alt.message
    assert report.problems[0] is own


@pytest.mark.parametrize("name, layers, check, net", [
    ("hw4", "hw3_layers", "check_hw3_layers", "test_FullyConnectedNet"),
    ("hw5", "earlier_layers", "check_earlier_layers", "test_ThreeLayerConvNet"),
])
def test_wrongly_pasted_softmax_loss_is_caught_by_its_own_check(name, layers, check, net, assignments,
                                                                  perfect_notebooks, tmp_path):
    source = cell_source(perfect_notebooks[name], layers)
    body = source[source.index("def softmax_loss"):]
    wrong = re.sub(r"/ ?N\b", "", body.split("\n\n\n")[0])  # the gradient (and loss) not averaged over N
    assert wrong != body.split("\n\n\n")[0]
    notebook = with_cells(perfect_notebooks[name], {layers: source.replace(body.split("\n\n\n")[0], wrong)})
    report = validate(student_folder(tmp_path, assignments[name], notebook))
    caught = finding_for(report, check)
    assert caught.problem and "softmax_loss" in caught.message and "notebook check fails" in caught.message
    at = cell_index(notebook, check) + 1
    assert caught.where.startswith(f"cell {at} ")
    knock_on = finding_for(report, net)
    assert (f"It may fail only because `softmax_loss`, which this check also runs, fails its own check in cell {at} "
            f"({check}) above") in knock_on.message
    assert "Fix `softmax_loss`." in caught.message
    assert report.problems[0] is caught


@pytest.mark.slow
def test_debug_prints_are_reported_as_output_not_as_a_wrong_function(assignments, perfect_notebooks, tmp_path):
    notebook = perfect_notebooks["hw4"]
    source = cell_source(notebook, "FullyConnectedNet")
    loss = re.search(r"\n(\s+)def loss\(self[^\n]*\n(\s+\"\"\"[\s\S]*?\"\"\"\n)?", source)
    assert loss
    indent = loss.group(1) + "    "
    noisy = source[:loss.end()] + f"{indent}print('debug', 'x' * 2_000_000)\n" + source[loss.end():]
    notebook = with_cells(notebook, {"FullyConnectedNet": noisy})
    assignment = assignments["hw4"]
    limits = dataclasses.replace(assignment.limits, cell_timeout_s=0.5)  # about 1 GB of prints: never done by then
    report = validate(student_folder(tmp_path, assignment, notebook), limits=limits)
    finding = finding_for(report, "test_FullyConnectedNet")
    assert re.search(r"[Yy]our code printed \d+\.\d MB while this cell ran \(it took \d+\.\d s\)", finding.message)
    assert "Fix `FullyConnectedNet`" not in finding.message
    assert "printed" in finding.headline


# ---------------------------------------------------------------- item 6: not implemented = the stub
def test_a_finished_function_raising_not_implemented_is_not_a_stub(assignments, perfect_notebooks, blank_notebooks,
                                                                    grade, tmp_path):
    assignment = assignments["hw4"]
    finished = edited(perfect_notebooks["hw4"], "batchnorm_forward",
                      "raise ValueError(f'Invalid forward batchnorm mode \"{mode}\"')",
                      "raise NotImplementedError(f\"unknown mode {mode!r}\")")
    report = validate(student_folder(tmp_path, assignment, finished))
    assert not only(report, "not-implemented")
    assert report.ready, report.render()

    # a finished dropout_forward that raises NotImplementedError where the suite reaches it: an ordinary error
    wrong = edited(finished, "dropout_forward", "elif mode == \"test\":\n        out = x",
                   "elif mode == \"test\":\n        raise NotImplementedError(\"test mode comes later\")")
    report = validate(student_folder(tmp_path, assignment, wrong))
    assert not only(report, "not-implemented")
    assert "the notebook check fails" in finding_for(report, "test_dropout_forward").message
    result = grade(assignment, wrong)
    dropout = [t for t in result.tests if t.task == "dropout_forward" and t.status != "passed"]
    assert dropout
    for test in dropout:
        assert "not implemented yet" not in test.output and "NotImplementedError: test mode comes later" in test.output
        assert test.kind == "error"

    # the stub itself still is "not implemented yet", in validate and in the grade
    stub = with_cells(perfect_notebooks["hw4"], {"dropout_forward": cell_source(blank_notebooks["hw4"],
                                                                               "dropout_forward")})
    assert [f.subject for f in only(validate(student_folder(tmp_path, assignment, stub)), "not-implemented")] \
        == ["dropout_forward"]
    result = grade(assignment, stub)
    assert all("not implemented yet" in t.output for t in result.tests
               if t.task == "dropout_forward" and t.status != "passed")


@pytest.mark.parametrize("name", ("hw3", "hw4", "hw5"))
def test_grader_stubs_are_the_released_stubs(name, assignments, blank_notebooks):
    """The grader computes the stubs from the source notebook; they are the release's (nbgrader's) own."""
    from autograder.grading import released_stubs

    stamp = blank_notebooks[name]["metadata"][STAMP_KEY]
    from_release = {f for e in stamp["cells"] if e["role"] == "solution" for f in e["stubs"]}
    assert from_release and released_stubs(assignments[name]) == from_release
    source = cell_source(blank_notebooks[name], "FullyConnectedNet" if name != "hw5" else "ThreeLayerConvNet")
    assert stub_fingerprints(released_source(source)) == stub_fingerprints(source)  # idempotent on a release


# ---------------------------------------------------------------- item 7: optional questions
def test_optional_question_is_optional_in_validate(assignments, perfect_notebooks, blank_notebooks, tmp_path):
    notebook = with_cells(perfect_notebooks["hw3"], {"FullyConnectedNet": cell_source(blank_notebooks["hw3"],
                                                                                     "FullyConnectedNet")})
    assert notebook["metadata"][STAMP_KEY]["optional"] == {"FullyConnectedNet": ["C147"]}
    report = validate(student_folder(tmp_path, assignments["hw3"], notebook))
    assert not report.problems
    [finding] = report.optional_problems
    assert finding.subject == "FullyConnectedNet" and finding.optional == "optional for C147"
    text = report.render()
    assert "Optional questions (optional for C147; required for the other courses):" in text
    assert report.last_line().startswith("Ready to submit if your course may skip `FullyConnectedNet` "
                                         "(optional for C147)")
    assert report.exit_code == 1  # not ready for C247 and MSOL students


def test_optional_question_is_optional_on_gradescope(assignments, perfect_notebooks, blank_notebooks, grade,
                                                     tmp_path):
    from autograder.course import load_course

    course = load_course(ROOT / "course.yaml")
    assignment = assignments["hw3"]
    notebook = with_cells(perfect_notebooks["hw3"], {"FullyConnectedNet": cell_source(blank_notebooks["hw3"],
                                                                                     "FullyConnectedNet")})
    result = grade(assignment, notebook)
    result.optional = optional_courses(assignment, course)
    assert result.optional == {"FullyConnectedNet": ["C147"]}

    unknown = summary_markdown(result)  # no roster: say which course may skip it, do not ask to fix it
    assert "What to fix first" not in unknown
    assert "`FullyConnectedNet`: 20 points" in unknown and "optional for C147; if that is your course" in unknown
    data = to_gradescope(result)
    fc = [t for t in data["tests"] if "FullyConnectedNet" in t["name"]]
    assert fc and all(t["name"].startswith("FullyConnectedNet (optional for C147): ") for t in fc)

    # the roster in the zip gives the student's course
    roster = tmp_path / "roster.csv"
    roster.write_text("SID,track,basis,Name\n111,C147,letter,Ann\n222,grad,P/NP,Bob\n")
    (tmp_path / "zip").mkdir()
    zipped = tmp_path / "zip" / "roster.csv"
    zipped.write_bytes(roster_entry(roster, course))
    assert zipped.read_text() == "SID,track\n111,undergraduate\n222,graduate\n"  # no names

    def course_of(sid: str) -> str:
        return student_course(zipped, SubmissionMetadata(users=(SubmitterInfo(sid=sid),)), course)

    result.course = course_of("222")
    assert result.course == "C247"
    required = summary_markdown(result)
    assert "**What to fix first** (most points at stake first):\n1. `FullyConnectedNet`: 20 points" in required
    result.course = course_of("111")
    assert result.course == "C147" and course_of("999") == ""
    assert "optional for C147 (your course), so it does not count in your grade" in summary_markdown(result)


# ---------------------------------------------------------------- item 9: feedback a student can read
def test_gradescope_feedback_reads_as_written(assignments, perfect_notebooks, grade):
    assignment = assignments["hw4"]
    notebook = perfect_notebooks["hw4"]
    # a cell that raises inside __init__ at the top level; a shape bug; a class whose __init__ raises
    notebook = copy.deepcopy(notebook)
    at = cell_index(notebook, "dropout_forward")
    notebook["cells"].insert(at, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                                  "source": "class Probe:\n    def __init__(self):\n        raise ValueError('oops')\n"
                                            "Probe()\n"})
    notebook = edited(notebook, "batchnorm_forward",
                      "running_mean = momentum * running_mean + (1 - momentum) * sample_mean",
                      "running_mean = momentum * running_mean + (1 - momentum) * x.mean(axis=0, keepdims=True)")
    source = cell_source(notebook, "FullyConnectedNet")
    init = re.search(r"def __init__\(\s*self[\s\S]*?\):\n(\s+\"\"\"[\s\S]*?\"\"\"\n)?", source)
    indent = re.search(r"\n(\s+)def __init__", source).group(1) + "    "
    notebook = with_cells(notebook, {"FullyConnectedNet": source[:init.end()]
                                     + f"{indent}if dtype == np.float64:\n{indent}    raise TypeError('no float64')\n"
                                     + source[init.end():]})
    result = grade(assignment, notebook)
    data = to_gradescope(result)
    summary = data["output"]

    # tracebacks in code fences: __init__ not bold, <module> not swallowed as HTML
    fence = re.search(r"```text\n([\s\S]*?)\n\s*```", summary)
    assert fence and "in __init__" in fence.group(1) and "<module>" in fence.group(1)
    assert "**init**" not in summary and "\\_\\_init\\_\\_" not in fence.group(1)

    # no internal names: the call is described as the student wrote it
    fc = [t for t in result.tests if t.task == "FullyConnectedNet" and "TypeError" in t.output]
    assert fc
    assert all("RemoteName" not in t.output and "function(" not in t.output and "<test helper>" not in t.output
               for t in result.tests)
    assert all(re.match(r"`FullyConnectedNet\(\[\d+, \d+\], 'float64', input_dim=\d+, ", t.output) for t in fc)
    assert all('File "<string>"' not in t.output and "in __init__" in t.output for t in fc)

    # test names are whole sentences
    dropout = next(t for t in data["tests"] if "test-mode scores equal the net's without" in t["name"])
    assert dropout["name"].endswith("(seed makes the mask the same at every call).")

    # What to fix first: by points at stake, with the kind of check that failed and never a value
    lines = summary.split("**What to fix first** (most points at stake first):\n", 1)[1].split("\n\n")[0].splitlines()
    points = [float(re.search(r": ([\d.]+) points?", line).group(1)) for line in lines]
    assert points == sorted(points, reverse=True) and len(points) >= 2
    bn = next(line for line in lines if "`batchnorm_forward`" in line)
    assert "wrong shape" in bn
    assert "never the expected answer" in summary

    # the autograder's own failure: no list of things to fix
    failed = dataclasses.replace(result, grader_errors=["The hidden tests could not be loaded: boom"])
    text = summary_markdown(failed)
    assert "What to fix first" not in text and "The autograder itself failed" in text


def test_validate_says_notebook_checks_not_visible_tests(assignments, perfect_notebooks, tmp_path):
    report = validate(student_folder(tmp_path, assignments["hw3"], perfect_notebooks["hw3"]))
    text = report.render()
    assert report.ready and re.search(r"Notebook checks: (\d+) of \1 passed\.", text)
    assert "visible test" not in text.lower()
    assert (ROOT / "docs" / "students.md").read_text().count("| notebook checks") >= 1


def test_results_kinds_cover_each_contract():
    """The summary's words for each kind of failed check (what students see before publication)."""
    result = GradingResult("hw9", tests=[
        TestOutcome("test_a", "a", 0, 2, "failed", "x", kind="shape"),
        TestOutcome("test_b", "b", 0, 6, "failed", "x", kind="gradient"),
        TestOutcome("test_b2", "b", 0, 1, "failed", "x", kind="time"),
        TestOutcome("test_c", "c", 0, 3, "failed", "x", kind="values"),
    ])
    text = summary_markdown(result)
    assert ("1. `b`: 7 points (wrong gradient in 1 test, too slow in 1 test)\n"
            "2. `c`: 3 points (wrong values in 1 test)\n3. `a`: 2 points (wrong shape in 1 test)") in text
