"""Final letter grades from a Gradescope export under the rules in course.yaml.

Pipeline (each step a module with plain dataclasses on either side)::

    grade_exports.py  export CSV     -> GradescopeExport
    inputs.py      roster/bonus CSVs -> RosterEntry / BonusEntry
    policy.py      the above + Course -> StudentResult (late days, bonuses, rounding, letters)
    writers.py     StudentResult     -> final_grades.csv, canvas_import.csv, explanations/SID.md
    report.py      StudentResult     -> report.html
    cli.py         ``autograder grades``
"""

from autograder.grades.errors import GradesInputError

__all__ = ["GradesInputError"]
