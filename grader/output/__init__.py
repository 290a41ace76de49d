"""What people and platforms read: reports, summaries and their formats.

`report` writes the JSON report, summary and gradebook atomically; `formats` renders
Gradescope and JUnit XML; `html_report` the class and submission pages (`templates/`);
`console` the plain terminal table and progress bar; `check_result` what `check()` returns
in Jupyter; `item_analysis` how the class did on each test. For the class as a whole:
`class_folder` rebuilds a folder's files from every report in it; `overrides`, `late_policy`
and `adjust` turn graded scores into final ones; `exports` writes the gradebooks an LMS
imports; `similarity` flags similar code; `feedback` writes what students get. Nothing here grades.
"""
