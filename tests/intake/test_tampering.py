"""The static check for code that reaches for the grader itself."""
from __future__ import annotations

import pytest

from grader.intake.tampering import review

STUDENT = '''
import tensorflow as tf
import gc
from grader import check
import grader
from grader.pretrained import load_base
import grader.offline_data

class ConcatBlock(tf.keras.Model):
    """Check with grader check concat concat.py, or grader.check("concat")."""
    def call(self, X):
        gc.collect()
        return tf.concat([self.net1(X), self.net2(X)], -1)

base = load_base()
task = grader.offline_data.new_task(3)
check("concat", "concat.py")
grader.check("concat")
import sys
tf_module = sys.modules["tensorflow"]
'''


def test_what_students_are_taught_is_not_flagged():
    found = review(STUDENT)
    assert found.tampering == [] and found.introspection == []
    assert found.flags == set()


@pytest.mark.parametrize("code, what", [
    ("import grader.worker as w\nw._call = None\n", "imports grader.worker"),
    ("from grader.worker import _call\n", "imports from grader.worker"),
    ("from grader import worker\n", "imports grader.worker"),
    ("from grader import *\n", "imports grader.*"),
    ("import grader\ngrader.worker._call = None\n", "uses grader.worker"),
    ("import grader as g\ng.protocol.encode = None\n", "uses grader.protocol"),
    ("import sys\nw = sys.modules['grader.worker']\n", "names 'grader.worker' in a string"),
    ("import sys\nsys.modules['grader'].worker._call = None\n", "names 'grader' in a string"),
    ("p = __import__('grader_probes')\n", "names 'grader_probes' in a string"),
    ("import importlib\nimportlib.import_module('grader.session')\n", "names 'grader.session' in a string"),
    ("import grader_probes\n", "imports grader_probes"),
])
def test_references_to_grader_internals_are_tampering(code, what):
    found = review(code)
    assert what in [w for _, w in found.tampering]
    assert "tampering" in found.flags


@pytest.mark.parametrize("code, what", [
    ("import gc\nobjs = gc.get_objects()\n", "uses get_objects"),
    ("import sys\nframe = sys._getframe(1)\n", "uses _getframe"),
    ("import inspect\ns = inspect.stack()\n", "uses inspect.stack"),
    ("from inspect import currentframe\n", "imports inspect.currentframe"),
    ("def f(e):\n    return e.__traceback__.tb_frame.f_back.f_globals\n", "uses f_globals"),
    ("def f(fn):\n    return fn.__globals__\n", "uses __globals__"),
    ("import sys\nname = 'grad' + 'er'\nm = sys.modules[name]\n", "searches sys.modules"),
    ("import sys\nfor name, module in sys.modules.items():\n    pass\n", "searches sys.modules"),
    ("name = 'x'\nm = __import__(name)\n", "imports a module by a computed name (__import__)"),
])
def test_introspection_is_flagged_without_being_tampering(code, what):
    found = review(code)
    assert what in [w for _, w in found.introspection]
    assert found.tampering == [] and found.flags == {"introspection"}


def test_findings_carry_the_line_and_are_bounded():
    code = "x = 1\n" + "import grader.worker\n" * 100
    found = review(code)
    assert found.tampering[0] == (2, "imports grader.worker")
    assert len(found.tampering) == 20


def test_code_that_does_not_parse_has_no_findings():
    assert review("def (:\n").flags == set()


@pytest.mark.parametrize("code, what", [
    ("import json\njson.dumps = lambda *a, **k: '{}'\n", "replaces json.dumps"),
    ("import numpy as np\nnp.lib.format.write_array = None\n", "replaces np.lib.format.write_array"),
    ("import os\nsetattr(os, 'write', print)\n", "replaces os.…"),
    ("import struct\ndel struct.pack\n", "replaces struct.pack"),
    ("import json\nx, (json.loads, *rest) = 1, (2, 3)\n", "replaces json.loads"),
])
def test_replacing_a_module_attribute_is_flagged_as_introspection(code, what):
    found = review(code)
    assert what in [w for _, w in found.introspection]
    assert found.tampering == []


def test_attributes_of_the_students_own_objects_are_not_flagged():
    code = "import tensorflow as tf\nclass B:\n    pass\nb = B()\nb.net1 = tf.keras.layers.Dense(3)\nx = tf.ones(3)\n"
    assert review(code).flags == set()
