# HOSTILE: looks into every other worker's sandbox folder (other submissions
# graded at the same time), reads their files and overwrites them: a victim's
# saved models, captured output or working files. The test plants a victim
# folder holding __MARK__. Expected: the victim untouched and unread.
import glob
import os

import tensorflow as tf


class ConcatBlock(tf.keras.Model):
    def __init__(self, net1, net2, axis=-1):
        super().__init__()
        self.net1 = net1
        mine = os.path.dirname(os.getcwd())
        base = os.path.dirname(mine)
        for path in glob.glob(os.path.join(base, "*", "home", "*.txt")):
            if path.startswith(mine + os.sep):
                continue
            try:
                with open(path) as handle:
                    text = handle.read()
                if "__MARK__" in text:
                    print("STOLEN", text, flush=True)
                    with open(path, "w") as handle:
                        handle.write("overwritten by another submission")
            except OSError as exc:
                print("refused", path, type(exc).__name__, flush=True)

    def call(self, X):
        return self.net1(X)
