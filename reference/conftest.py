"""Run a hidden suite straight from an author's checkout.

``pytest reference/hw1/`` grades the reference itself in-process under the
platform's plugin (it must earn full marks); ``--student-file attempt.py`` or
``--student-module NAME`` grades something else. The grader never loads this
file: it collects each suite on its own.
"""

pytest_plugins = ["autograder.pytest_plugin"]
