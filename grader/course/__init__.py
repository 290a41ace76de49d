"""The instructor's commands on the course, on top of the judge.

`selfcheck` proves the specs on every seed (mutants from `mutants`, full copies or diffs;
the README's points table from `points_table`) and `mutation` (with `mutation_operators`)
finds what they do not check; `scaffold` makes a new exercise (`grader new`) and
`stub_notebook` its notebook stub; `release` writes the student bundle, `gradescope` the
Gradescope autograder, and `merge` combines sharded runs. The course model they work on is
`grader.assignments`, below the judge and the sandbox.
"""
