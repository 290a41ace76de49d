"""UNTRUSTED: the code that runs in the worker process, next to the student's submission.

The request loop that loads the submission and calls the probes (`serve`), and the zygote
that forks workers with TensorFlow already imported (`zygote`). Everything in this process
is the student's to read and change, so nothing here scores anything: it imports only the
wire format (`grader.protocol`), the errors, and the confinement the worker applies to
itself before student code runs (`grader.sandbox.confine`, `grader.sandbox.privileges`).
`tests/test_layout.py` fails if it ever imports more.
"""
