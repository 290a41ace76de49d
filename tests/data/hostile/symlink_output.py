# HOSTILE: replaces the judge's capture files (../stdout.txt, ../stderr.txt) with
# symlinks to /etc/passwd and to a file outside the sandbox, hoping the judge
# copies their contents into the report. __OUTSIDE__ is filled in by the test.
# Expected: score 0, neither file's contents in the report.
import os

import tensorflow as tf


class ConcatBlock(tf.keras.Model):
    def __init__(self, net1, net2, axis=-1):
        super().__init__()
        self.net1 = net1
        for name, target in (("../stdout.txt", "/etc/passwd"), ("../stderr.txt", "__OUTSIDE__")):
            try:
                os.remove(name)
            except OSError:
                pass
            try:
                os.symlink(target, name)
            except OSError as exc:
                print("symlink failed", exc)

    def call(self, X):
        return self.net1(X)
