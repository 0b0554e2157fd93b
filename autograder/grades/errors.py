"""The one error type of ``autograder grades``: unusable input, named by file, row and column."""


class GradesInputError(ValueError):
    """An input file cannot be used; the message names the file, row and column and says what to do."""


def cell_error(file: str, row: int, column: str, value: str, problem: str) -> GradesInputError:
    """``gradescope.csv, row 7, column 'X': '12:x:00' is not H:M:S`` (row 1 is the header)."""
    return GradesInputError(f"{file}, row {row}, column {column!r}: {value!r} {problem}")
