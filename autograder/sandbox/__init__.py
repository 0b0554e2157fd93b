"""Running untrusted student code in a separate, limited process.

``protocol`` encodes plain data across the boundary (never pickle);
``student_main`` is the program the student process runs; ``process``
launches it with the strongest isolation available; ``session`` runs a
notebook's cells and answers the grader's calls.
"""
