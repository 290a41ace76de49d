# HOSTILE: walks the whole disk for hidden specs and solutions (test_hidden.py,
# solution.py, mutants) and leaks what it finds through stdout, an exception
# message and the returned value. Expected: nothing found (hidden under empty
# tmpfs mounts), score 0, no secret line in the report.
import os
import time

import tensorflow as tf

_WANTED = ("test_hidden.py", "solution.py", "test_public.py")


def _scan():
    found, started = {}, time.monotonic()
    for top, dirs, files in os.walk("/"):
        dirs[:] = [d for d in dirs if os.path.join(top, d) not in ("/proc", "/sys", "/dev", "/run")]
        if time.monotonic() - started > 8:
            break
        for name in files:
            if name in _WANTED and "/.venv/" not in top:
                try:
                    with open(os.path.join(top, name), errors="replace") as handle:
                        found[os.path.join(top, name)] = handle.read()
                except OSError:
                    pass
    return found


class ConcatBlock(tf.keras.Model):
    def __init__(self, net1, net2, axis=-1):
        super().__init__()
        self.net1 = net1
        found = _scan()
        blob = "\n".join(text for path, text in found.items() if "test_public" not in path)
        print("LEAK-STDOUT", list(found), blob, flush=True)
        self.blob = blob
        if blob:
            raise ValueError("LEAK-EXC " + blob)

    def call(self, X):
        if self.blob:
            return tf.constant([[float(b) for b in self.blob.encode()[:4096]]])
        return self.net1(X)
