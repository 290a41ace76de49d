# HOSTILE: a detached daemon (double fork + setsid) that also moves itself to
# the root cgroups (escaping the worker's cage), leaves the sandbox folder and
# sleeps forever. Its pid means nothing outside the worker's PID namespace, so it
# re-executes itself with a marker in its command line and prints the marker, and
# the test looks for that marker among live processes. Expected: score 0, the
# daemon killed.
import os
import sys
import time
import uuid

import tensorflow as tf


def _daemon():
    if os.path.exists("daemon-started"):
        return
    open("daemon-started", "w").close()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            for controller in ("pids", "memory", "cpu", "freezer", ""):
                try:
                    with open(os.path.join("/sys/fs/cgroup", controller, "cgroup.procs"), "w") as handle:
                        handle.write(str(os.getpid()))
                except OSError:
                    pass
            token = uuid.uuid4().hex
            print("PID-TO-CHECK", token, flush=True)
            os.chdir("/")
            os.execv(sys.executable, [sys.executable, "-c", "import time\nwhile True: time.sleep(1000)",
                                      f"DAEMON-MARK-{token}"])
        os._exit(0)
    time.sleep(0.5)


class ConcatBlock(tf.keras.Model):
    def __init__(self, net1, net2, axis=-1):
        super().__init__()
        self.net1 = net1
        _daemon()

    def call(self, X):
        return self.net1(X)
