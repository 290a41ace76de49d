"""TRUSTED: scores a submission without ever importing it.

`runner` runs an assignment's specs with pytest against a `session.Submission` (the
`submission` fixture, which talks to the worker and decodes its replies within caps);
`legs` runs them once per device (`devices`); `score` turns outcomes into points;
`held` places what a worker's tamper checks reported (a held submission is not scored);
`grading` takes one submission through every stage; `plan` says what to run and where
workers come from; `pool` grades a batch in judge processes and never loses a submission.
"""
