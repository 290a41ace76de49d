"""The cage: how workers are started, limited and isolated, decided by the judge.

`workers` starts a worker process (cold) and is the judge's handle on it; `warm` is the
judge's handle on a zygote that forks them; `isolation` builds the mount and network
namespaces; `cage` puts each worker in a cgroup; `confine` and `privileges` are what a new
worker applies to itself (rlimits, its own mounts, an unprivileged uid) before any student
code runs, the only modules here the worker imports.
"""
