# HOSTILE: tries to leave files behind outside its sandbox: in the course
# folder, in HOME, in /tmp, in /var/tmp, in the venv, and a .pth file in
# site-packages (which would run code in every later Python). File names carry
# __MARK__ so the test finds them. Expected: score 0, nothing written anywhere.
import os
import site
import sys

import tensorflow as tf

def _targets():
    return [
        "__COURSE__/__MARK__.py", "__COURSE__/assignments/concat/__MARK__.py", "__HOME__/__MARK__.txt",
        "/tmp/__MARK__.json", "/var/tmp/__MARK__.json", os.path.join(sys.prefix, "__MARK__.txt"),
    ] + [os.path.join(p, "__MARK__.pth") for p in site.getsitepackages()]


class ConcatBlock(tf.keras.Model):
    def __init__(self, net1, net2, axis=-1):
        super().__init__()
        self.net1 = net1
        for target in _targets():
            try:
                with open(target, "w") as handle:
                    handle.write('import os; os.environ["HOSTILE"] = "1"  # __MARK__\n')
                print("WROTE", target, flush=True)
            except OSError as exc:
                print("refused", target, type(exc).__name__, flush=True)

    def call(self, X):
        return self.net1(X)
