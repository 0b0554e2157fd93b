"""Academic integrity: code similarity across a class, earlier terms and public
solutions (``autograder similarity``). Staff-only evidence for a person; nothing
here changes a score, and nothing in the grading path imports it."""
