"""results.json as a student and an instructor read it."""

from __future__ import annotations

import json
import math

from autograder.results import GradingResult, TestOutcome, to_gradescope


def _outcome(task: str, points: float, passed: bool, visibility: str = "after_published") -> TestOutcome:
    return TestOutcome(name=f"test_{task}", task=task, score=points if passed else 0.0, max_score=points,
                       status="passed" if passed else "failed", output="" if passed else f"{task} is wrong",
                       visibility=visibility)


def test_fix_first_follows_points_at_stake():
    """docs/gradescope.md: What to fix first lists the failing tasks with the most points at stake first
    (issue 20 item 9); equal points keep notebook order."""
    result = GradingResult("hw1", tests=[_outcome("squared_error_gradient", 2, False),
                                         _outcome("fit_least_squares", 4, True),
                                         _outcome("gradient_descent", 10, False),
                                         _outcome("predict", 2, False)])
    output = to_gradescope(result)["output"]
    assert output.index("`gradient_descent`") < output.index("`squared_error_gradient`") < output.index("`predict`")
    assert "`fit_least_squares`" not in output
    assert "**Score: 4 / 18**" in output


def test_lateness_zero_keeps_points_visible_but_scores_zero():
    result = GradingResult("hw1", tests=[_outcome("polynomial_features", 6, True)],
                           zeroed_reason="3 days late; at most 2 late days may be used")
    data = to_gradescope(result)
    assert data["score"] == 0 and data["tests"][0]["score"] == 0 and data["tests"][0]["max_score"] == 6
    assert "3 days late" in data["output"]


def test_strict_json_whatever_the_numbers():
    result = GradingResult("hw1", tests=[_outcome("x", math.nan, False), _outcome("y", math.inf, True)],
                           execution_time=math.nan, isolation="none (partial)")
    text = json.dumps(to_gradescope(result), allow_nan=False)
    data = json.loads(text)
    assert all(math.isfinite(t["score"]) and math.isfinite(t["max_score"]) for t in data["tests"])
    staff = [t for t in data["tests"] if "environment" in t["tags"]]
    assert staff and staff[0]["visibility"] == "hidden" and "none (partial)" in staff[0]["output"]
    assert "partial" not in data["output"]  # the isolation level is for staff, not the student summary
