"""What the worker records before student code runs, and finds changed before a reply: identity, not equality."""
from __future__ import annotations

import builtins
import dis
import types

from grader.worker import integrity

PROBES = '''
import json
import collections

def answer(sub, X):
    counts = collections.Counter(X)
    return json.dumps(sorted(counts)) if isinstance(X, list) else len(X)

def encoded(sub, value):
    return json.JSONEncoder().encode(value)
'''


def probes_module() -> types.ModuleType:
    module = types.ModuleType("grader_probes")
    exec(compile(PROBES, "probes.py", "exec"), module.__dict__)
    return module


class Equal:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


def test_a_replaced_name_is_found_even_by_an_equal_object():
    space = {"a": 1, "b": Equal()}
    record = (integrity.record("m.", space),)
    assert integrity.first_change(record) is None
    space["b"] = Equal()
    assert integrity.first_change(record) == "m.b"


def test_a_deleted_name_is_found_and_an_added_one_only_where_none_may_be():
    space = {"a": 1}
    assert integrity.first_change((integrity.record("m.", space),)) is None
    loose, exact = integrity.record("m.", space), integrity.record("c.", space, exact=True)
    space["new"] = 2
    assert integrity.first_change((loose,)) is None  # importing a submodule adds a name to its package
    assert integrity.first_change((exact,)) == "c.(a new name)"
    del space["a"]
    assert integrity.first_change((loose,)) == "m.a"


def test_the_probes_own_globals_what_they_read_through_modules_and_their_builtins_are_recorded():
    import collections
    import json

    module = probes_module()
    spaces = integrity.probe_spaces(module, PROBES)
    assert integrity.first_change(tuple(spaces)) is None
    for namespace, name in [(vars(json), "dumps"), (vars(collections), "Counter"), (vars(builtins), "isinstance"),
                            (vars(builtins), "sorted"), (vars(module), "json")]:
        original = namespace[name]
        namespace[name] = lambda *a, **k: None
        try:
            assert integrity.first_change(tuple(spaces)) is not None, name
        finally:
            namespace[name] = original
    assert integrity.first_change(tuple(spaces)) is None


def test_a_global_added_to_the_probes_to_shadow_a_builtin_is_found():
    module = probes_module()
    spaces = tuple(integrity.probe_spaces(module, PROBES))
    module.len = lambda x: 3
    assert integrity.first_change(spaces) == "the probes' len"


def test_a_class_the_probes_reach_is_recorded_whole():
    import json

    module = probes_module()
    spaces = tuple(integrity.probe_spaces(module, PROBES))
    original = json.JSONEncoder.encode
    json.JSONEncoder.encode = lambda self, o: "forged"  # type: ignore[method-assign]
    try:
        assert integrity.first_change(spaces) == "json.encoder.JSONEncoder.encode"
    finally:
        json.JSONEncoder.encode = original  # type: ignore[method-assign]


def test_every_grader_module_loaded_is_recorded():
    import grader.protocol

    spaces = integrity.grader_spaces()
    labels = {label for label, *_ in spaces}
    assert "grader.protocol." in labels and "grader.worker.integrity." in labels
    original = grader.protocol.encode
    vars(grader.protocol)["encode"] = lambda message: b""
    try:
        assert integrity.first_change(tuple(spaces)) == "grader.protocol.encode"
    finally:
        vars(grader.protocol)["encode"] = original


def test_the_check_looks_nothing_up_when_it_runs():
    for function in (integrity.first_change, integrity.same_module):
        code = function.__code__
        assert [i.argval for i in dis.get_instructions(code) if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")] == []
        assert function.__kwdefaults__ is None


def test_a_submodule_the_student_imports_honestly_is_not_a_change_but_a_fake_one_is(tmp_path, monkeypatch):
    """`from tensorflow.keras import layers` rebinds `tensorflow.keras` to another module object holding the very
    same functions and classes: not a change. A module of the student's put there is one."""
    import importlib
    import sys

    package = tmp_path / "lazypkg"
    package.mkdir()
    (package / "_impl.py").write_text("class Layer:\n    pass\n")
    (package / "__init__.py").write_text("from lazypkg import _impl as sub  # what the package binds first\n")
    (package / "sub.py").write_text("from lazypkg._impl import Layer  # a second module, the same class\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("lazypkg", "lazypkg._impl", "lazypkg.sub"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    source = "import lazypkg\n\ndef make(sub):\n    return lazypkg.sub.Layer()\n"
    module = types.ModuleType("grader_probes")
    exec(compile(source, "probes.py", "exec"), module.__dict__)
    spaces = tuple(integrity.probe_spaces(module, source))
    lazypkg = importlib.import_module("lazypkg")
    original = lazypkg.sub
    importlib.import_module("lazypkg.sub")  # what `from lazypkg.sub import Layer` in the submission does
    assert lazypkg.sub is not original and integrity.first_change(spaces) is None
    fake = types.ModuleType("lazypkg.sub")
    fake.Layer = type("Layer", (), {})
    lazypkg.sub = fake
    assert integrity.first_change(spaces) == "lazypkg.sub"
