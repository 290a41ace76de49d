"""UNTRUSTED: the code that runs in the worker process, next to the student's submission.

The request loop that loads the submission and calls the probes (`serve`), its codec
(`wire`: sealed replies, nothing looked up at run time), the tamper checks that end a
worker whose student code reaches for the grader's machinery (`tripwire`, an audit hook;
`integrity`, namespaces checked before each reply), and the zygote that forks workers with
TensorFlow already imported (`zygote`). Everything in this process is the student's to read
and change, so nothing here scores anything: it imports only the
wire format (`grader.protocol`), the errors, and the confinement the worker applies to
itself before student code runs (`grader.sandbox.confine`, `grader.sandbox.privileges`).
`tests/test_layout.py` fails if it ever imports more.
"""
