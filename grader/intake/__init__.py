"""TRUSTED, on untrusted bytes: from what a student handed in to the code a worker will load.

`batch` finds the submissions in the paths given; `ingest` reads one (file, notebook, zip,
folder) into text; `notebook` turns cells into one Python text; `selection` and `extract`
keep what the graded names need; `tampering` reads that code for references to the grader
before it runs; `identity` reads who handed it in (and when) from LMS download names and
Gradescope's metadata, `roster` the class list. All work here is bounded, whatever the input.
"""
