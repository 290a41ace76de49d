"""The cage: how workers are started, limited and isolated, decided by the judge.

`workers` starts a worker process (cold) and is the judge's handle on it; `warm` is the
judge's handle on a zygote that forks them; `isolation` chooses who builds the namespaces and
the worker's root (`bubblewrap`, else its own mount script) and `root` says what that root
holds; `seccomp` is the system-call filter and `disk` the size-limited home; `cage` puts each
worker in a cgroup; `confine`, `privileges` and `seccomp` are what a new worker applies to
itself (rlimits, its own mounts and IPC namespace, an unprivileged uid, the filter) before any
student code runs, the only modules here the worker imports.
"""
