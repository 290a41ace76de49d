"""What people and platforms read: reports, summaries and their formats.

`report` writes the JSON report, summary and gradebook atomically; `formats` renders
Gradescope and JUnit XML; `html_report` the class and submission pages (`templates/`);
`console` the plain terminal table and progress bar; `check_result` what `check()` returns
in Jupyter; `item_analysis` how the class did on each test. Nothing here grades.
"""
