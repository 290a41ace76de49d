"""Whose mistake a probe's error is, read from the frames that raised it (in this process: no worker)."""
from __future__ import annotations

import types

import numpy as np
import pytest

from grader.worker.blame import Sources, course_fault, first_uses
from grader.worker.serve import _library_roots

STUDENT_FILE, HELPERS_FILE, PROBES_FILE = "/work/submission.py", "/work/helpers.py", "/course/assignments/x/probes.py"

STUDENT = """
import tensorflow as tf
from helpers import scale

class Block(tf.keras.layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.units = units
    def build(self, shape):
        self.w = self.add_weight(shape=(shape[-1], self.units))
    def call(self, X):
        out = tf.matmul(X, self.w)          # forgot to return it

class Raises(tf.keras.layers.Layer):
    def call(self, X):
        raise ValueError("mine")

class Plain:
    pass

def build_net():
    pass
"""

HELPERS = "def scale(x):\n    return 2 * x\n"

PROBES = """
import numpy as np
import tensorflow as tf

def returns_none(sub, X):
    return sub.Block(3)(tf.constant(X)).shape

def wrong_signature(sub, X):
    return sub.Block(3, axis=1)(X)

def raises_in_student_code(sub, X):
    return sub.Raises()(X)

def not_a_layer(sub, X):
    return tf.keras.Sequential([sub.Plain()])(X)

def calls_with_too_many(sub, X):
    return sub.build_net(X)

def lacks_attribute(sub, X):
    layer = sub.Block(3)
    return layer.kernel

def nothing_built(sub, X):
    return sub.build_net().layers

def missing_name(sub, X):
    return sub.MyDropOut(0.5)

def helpers_name(sub, X):
    import helpers
    return helpers.unscale(X)

def name_error(sub, X):
    return undefined_in_probes + X

def bad_keyword_to_keras(sub, X):
    return tf.keras.layers.Dense(3, activaton="relu")(X)

def bad_keyword_to_tf(sub, X):
    return tf.random.uniform((2,), seeed=1)

def bad_keyword_to_numpy(sub, X):
    return np.zeros((2,), dtyp=float)

def index_error(sub, X):
    return [1, 2][5]

def handled_then_broken(sub, X):
    try:
        sub.Raises()(X)
    except ValueError:
        return {}["missing"]
"""


@pytest.fixture(scope="module")
def world():
    import sys

    helpers = types.ModuleType("helpers")
    exec(compile(HELPERS, HELPERS_FILE, "exec"), helpers.__dict__)
    sys.modules["helpers"] = helpers
    try:
        submission = types.ModuleType("submission")
        exec(compile(STUDENT, STUDENT_FILE, "exec"), submission.__dict__)
        probes = types.ModuleType("grader_probes")
        exec(compile(PROBES, PROBES_FILE, "exec"), probes.__dict__)
        import linecache

        linecache.cache[PROBES_FILE] = (len(PROBES), None, PROBES.splitlines(True), PROBES_FILE)
        sources = Sources(probes=PROBES_FILE, students=frozenset({STUDENT_FILE, HELPERS_FILE}),
                          course=frozenset(), libraries=_library_roots(), first_use=first_uses(PROBES))
        yield probes, [submission, helpers], sources
    finally:
        sys.modules.pop("helpers", None)


def fault(world, probe):
    probes, modules, sources = world
    with pytest.raises(BaseException) as info:
        getattr(probes, probe)(modules[0], np.ones((4, 5), np.float32))
    return course_fault(info.value, sources, modules)


@pytest.mark.parametrize("probe", ["returns_none", "wrong_signature", "raises_in_student_code", "not_a_layer",
                                   "calls_with_too_many", "lacks_attribute", "nothing_built", "helpers_name",
                                   "handled_then_broken"])
def test_what_the_students_code_or_objects_caused_stays_theirs(world, probe):
    """Their frame raised, or none did but the error is about their object (None they returned, their class
    named, their function called wrongly, an attribute their object or module lacks)."""
    assert fault(world, probe) is None


@pytest.mark.parametrize("probe, kind", [("name_error", "NameError"), ("bad_keyword_to_keras", "ValueError"),
                                         ("bad_keyword_to_tf", "TypeError"), ("bad_keyword_to_numpy", "TypeError"),
                                         ("index_error", "IndexError")])
def test_an_error_the_probe_raised_on_its_own_is_the_courses(world, probe, kind):
    found = fault(world, probe)["course"]
    assert found["kind"] == "probe-raised" and found["type"] == kind
    line = PROBES.splitlines().index(f"def {probe}(sub, X):") + 2
    assert found["where"] == f"probes.py, line {line}, in {probe}"
    assert found["code"] == PROBES.splitlines()[line - 1].strip()


def test_a_name_missing_on_the_submission_is_left_to_the_judge(world):
    assert fault(world, "missing_name") == {"missing": "MyDropOut"}


def test_code_of_unknown_origin_counts_as_the_students(world):
    """Code the submission compiled under another name (or autograph's copies of its functions) is never the course's."""
    probes, modules, sources = world
    namespace: dict = {}
    exec(compile("def f():\n    raise KeyError('x')\n", "<made up>", "exec"), namespace)
    try:
        namespace["f"]()
    except KeyError as exc:
        assert course_fault(exc, sources, modules) is None
    assert sources.owner("/tmp/__autograph_generated_file1.py") == "student"
    assert sources.owner(np.__file__) == "library" and sources.owner(PROBES_FILE) == "course"


def test_an_exception_whose_str_raises_is_still_judged(world):
    probes, modules, sources = world

    class Odd(Exception):
        def __str__(self):
            raise RuntimeError("no")

    namespace = {"Odd": Odd}
    exec(compile("def probe(sub):\n    raise Odd()\n", PROBES_FILE, "exec"), namespace)
    with pytest.raises(Odd) as info:
        namespace["probe"](modules[0])
    import dataclasses

    sources = dataclasses.replace(sources, first_use=first_uses("def probe(sub):\n    raise Odd()\n"))
    assert course_fault(info.value, sources, modules)["course"]["message"] == ""


AFTER_THE_SUBMISSION = """
import numpy as np
import tensorflow as tf


def weights_that_no_longer_fit(sub, X):
    net = tf.keras.layers.Dense(3)
    sub.Block(3)                      # the submission is used from here on
    net.build((None, 7))              # as if the student's block had built it with the wrong input size
    net.set_weights([np.zeros((5, 3)), np.zeros(3)])


def name_error_after(sub, X):
    sub.Block(3)
    return undefined_after


def bad_keyword_after(sub, X):
    sub.Block(3)
    return np.zeros((2,), dtyp=float)


def key_error_after(sub, X):
    sub.Block(3)
    return {}["loss"]


@staticmethod
def decorated_before(sub, X):
    return [1][3]
"""


@pytest.fixture(scope="module")
def after(world):
    _, modules, sources = world
    path = "/course/assignments/x/after.py"
    probes = types.ModuleType("after")
    exec(compile(AFTER_THE_SUBMISSION, path, "exec"), probes.__dict__)
    import dataclasses
    import linecache

    linecache.cache[path] = (len(AFTER_THE_SUBMISSION), None, AFTER_THE_SUBMISSION.splitlines(True), path)
    return probes, modules, dataclasses.replace(sources, probes=path, first_use=first_uses(AFTER_THE_SUBMISSION))


@pytest.mark.parametrize("probe, whose", [("weights_that_no_longer_fit", None), ("key_error_after", None),
                                          ("name_error_after", "NameError"), ("bad_keyword_after", "TypeError"),
                                          ("decorated_before", "IndexError")])
def test_once_the_probe_used_the_submission_only_its_programming_errors_are_the_courses(after, probe, whose):
    """A library refusing what the student's objects made (weights that no longer fit the layer their block
    built) or a key their training did not produce stays theirs; a name or a call the probe got wrong is not."""
    probes, modules, sources = after
    function = getattr(probes, probe)
    function = getattr(function, "__func__", function)
    with pytest.raises(BaseException) as info:
        function(modules[0], np.ones((4, 5), np.float32))
    found = course_fault(info.value, sources, modules)
    assert (found["course"]["type"] if found else None) == whose


def test_first_uses_finds_the_first_line_that_uses_the_submission():
    uses = first_uses(AFTER_THE_SUBMISSION)
    assert uses[("weights_that_no_longer_fit", 6)] == 8
    assert uses[("decorated_before", 28)] == 31  # never used: past the function's end
    assert first_uses("def broken(:\n") == {}
