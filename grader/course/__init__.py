"""The course and the instructor's commands on it.

`assignments` finds assignments, their specs, probes, solutions and limits; `selfcheck`
proves the specs on every seed and `mutation` (with `mutation_operators`) finds what they
do not check; `release` writes the student bundle, `gradescope` the Gradescope autograder,
and `merge` combines sharded runs.
"""
