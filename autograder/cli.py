"""The single command-line entry point: ``autograder <verb> ...``.

Each verb lives in its own module exposing ``add_arguments(parser)`` and
``run(args) -> int``; modules are imported only when their verb is used, so
``autograder grade`` does not pay for what ``autograder release`` imports.
Exit codes: 0 success, 1 grading found problems, 2 unusable input.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# verb -> (module, one-line help)
VERBS: dict[str, tuple[str, str]] = {
    "check": ("autograder.check", "check that an assignment's notebook, suite and course.yaml agree"),
    "release": ("autograder.release_cli", "write the student version of an assignment"),
    "grade": ("autograder.grade_cli", "grade one submitted notebook"),
    "gradescope": ("autograder.gradescope.build", "build (and try) the Gradescope autograder zip"),
    "batch": ("autograder.batch.cli", "grade a whole class (Gradescope export or folder)"),
    "regrade": ("autograder.batch.regrade_cli", "re-grade stored submissions whose tests changed"),
    "export": ("autograder.batch.export_cli", "write the class CSV again from the gradebook"),
    "feedback": ("autograder.batch.feedback_cli", "write each student's feedback (Markdown + HTML) from the gradebook"),
    "exam": ("autograder.exam.cli", "exams: a variant per student, printable copies, windows (build, grade, ...)"),
    "grades": ("autograder.grades.cli", "final letter grades from a Gradescope export"),
    "similarity": ("autograder.integrity.cli", "code similarity across the class, earlier terms and public code (staff only)"),
    "validate": ("autograder.validate", "check a notebook before submitting (students; no course files needed)"),
}


EXAMPLES = """\
a typical week (run inside the course folder, the one holding course.yaml):
  autograder check hw1                            # notebook, hidden suite and course.yaml agree
  autograder release hw1 --out release/           # give release/hw1/ to students
  autograder grade hw1 attempt.ipynb --json r.json # try a notebook as the grader would
  autograder gradescope hw1 --try attempt.ipynb   # build the Gradescope zip and run it locally
  autograder batch hw1 export.zip --jobs 2        # grade a Gradescope submissions export
  autograder feedback hw1 --out feedback/         # each student's feedback, as Gradescope shows it
  autograder grades grades.csv --roster roster.csv --out final/
  autograder validate hw1.ipynb                   # a student, before submitting (the release README says how)

exit codes: 0 success, 1 grading found problems, 2 unusable input.
'autograder <verb> --help' explains each verb; docs/ has the guides."""


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """Build the parser; only the chosen verb's module is imported."""
    parser = argparse.ArgumentParser(
        prog="autograder",
        description="Release, grade and report deep-learning homework notebooks.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="verb", metavar="<verb>")
    for name, (module_name, help_text) in VERBS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        if name == verb:
            module = importlib.import_module(module_name)
            module.add_arguments(sub)
            sub.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    from autograder import phases

    phases.mark("python start")
    argv = list(sys.argv[1:] if argv is None else argv)
    verb = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(verb if verb in VERBS else None)
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 2 if argv else 0
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        phases.report()


def run_program() -> None:
    """The ``autograder`` command: ``main``, then leave without tearing the interpreter
    down module by module (numpy, pytest: a tenth of a second or more of a cold
    grade). Exit handlers still run and output is flushed first."""
    leave(main())


def leave(code: int) -> None:
    """Exit with ``code`` at once: exit handlers run and output is flushed, but
    modules are not torn down one by one."""
    import atexit
    import os

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 1
    os._exit(code)


if __name__ == "__main__":
    run_program()
