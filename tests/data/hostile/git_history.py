# HOSTILE: the course folder is visible read-only, .git included: reads the
# hidden spec and the reference solution out of the repository's history with
# `git show` (and zlib on loose objects as a fallback) and leaks them through
# stdout and an exception message. Expected: no secret line in the report.
import os
import subprocess
import zlib

import tensorflow as tf


def _from_git():
    texts = []
    for root in ("/work/main", os.environ.get("GRADER_COURSE", ""), "/autograder/source"):
        for name in ("solutions/concat/hidden/test_hidden.py", "solutions/concat/solution.py"):
            try:
                done = subprocess.run(["git", "-C", root, "show", "HEAD:" + name], capture_output=True,
                                      text=True, timeout=20)
                texts.append(done.stdout)
            except Exception:
                pass
        objects = os.path.join(root, ".git", "objects")
        for top, _, files in os.walk(objects):
            for name in files:
                try:
                    with open(os.path.join(top, name), "rb") as handle:
                        data = zlib.decompress(handle.read())
                except Exception:
                    continue
                if b"Hidden specs for" in data or b"Reference solution" in data:
                    texts.append(data.split(b"\0", 1)[-1].decode(errors="replace"))
    return "\n".join(t for t in texts if t)


class ConcatBlock(tf.keras.Model):
    def __init__(self, net1, net2, axis=-1):
        super().__init__()
        self.net1 = net1
        text = _from_git()
        print("LEAK-GIT", text, flush=True)
        if text:
            raise ValueError("LEAK-GIT " + text[:1500])

    def call(self, X):
        return self.net1(X)
