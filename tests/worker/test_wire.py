"""The request loop's codec speaks `grader.protocol`'s format byte for byte, seals what the judge checks,
refuses what is not plain data, and looks nothing up in a module's globals when it runs."""
from __future__ import annotations

import dis
import hashlib
import math
import os
import types

import numpy as np
import pytest

from grader.protocol import Seal, UnsealedReply, encode, read_frame
from grader.worker import wire

ARRAYS = [np.arange(6, dtype=np.float32).reshape(2, 3), np.asfortranarray(np.arange(12.0).reshape(3, 4)),
          np.array(3.5), np.zeros((0, 4), np.int16), np.array([True, False]), np.array(["ab", "c"]),
          np.array([b"x", b"yz"]), np.arange(4, dtype=">i8"), np.array([1 + 2j]), np.arange(10)[::3]]
MESSAGES = [
    {"ok": True, "value": {"nested": [1, 2.5, None, True, "é ✓", {"k": [[]]}], "nan": math.nan, "inf": -math.inf}},
    {"ok": True, "value": [ARRAYS[0], {"a": ARRAYS[1]}, (ARRAYS[2], ARRAYS[3])]},
    {"ok": False, "error": {"type": "ValueError", "message": "bad \x00 text", "lines": [3, 4]}},
    {"op": "call", "probe": "forward", "kwargs": {f"a{i}": a for i, a in enumerate(ARRAYS)}},
]


@pytest.mark.parametrize("message", MESSAGES)
def test_replies_are_the_protocols_bytes(message):
    assert wire.encode_reply(message) == encode(message)


@pytest.mark.parametrize("message", MESSAGES)
def test_requests_read_back_as_the_judge_sent_them(message):
    read, write = os.pipe()
    frame = encode(message)
    os.write(write, frame)
    os.close(write)
    got, digest = wire.read_request(read)
    os.close(read)
    assert digest == hashlib.sha256(frame).digest()
    assert_same(got, message)


def assert_same(got, want):
    if isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray) and got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
        assert got.flags.writeable
    elif isinstance(want, dict):
        assert list(got) == list(want)
        for key in want:
            assert_same(got[key], want[key])
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want)
        for a, b in zip(got, want):
            assert_same(a, b)
    elif isinstance(want, float) and math.isnan(want):
        assert math.isnan(got)
    else:
        assert got == want and type(got) is type(want)


def test_a_sealed_reply_reads_back_and_a_changed_one_does_not():
    seal = Seal()
    request = encode({"op": "call"})
    seal.sent(request)
    mac = wire.new_mac(seal.key)
    frame = wire.encode_reply({"ok": True, "value": [1, 2]})
    digest = hashlib.sha256(request).digest()
    read, write = os.pipe()
    os.write(write, frame + wire.seal(frame, mac, 0, digest))
    forged = wire.encode_reply({"ok": True, "value": [1, 3]})
    os.write(write, forged + wire.seal(frame, mac, 1, digest))  # a seal of another frame
    os.close(write)
    assert read_frame(read, seal=seal) == {"ok": True, "value": [1, 2]}
    with pytest.raises(UnsealedReply) as info:
        read_frame(read, seal=seal)
    os.close(read)
    assert info.value.message == {"ok": True, "value": [1, 3]}


class Text(str):
    pass


@pytest.mark.parametrize("value", [Text("x"), {Text("k"): 1}, {1: 2}, np.array([object()]), np.float32(1.0),
                                   type("D", (dict,), {})(), object(), b"bytes"])
def test_anything_but_exact_plain_data_is_refused(value):
    with pytest.raises(TypeError):
        wire.encode_reply({"ok": True, "value": value})


def global_lookups(code: types.CodeType) -> list[str]:
    found = [f"{code.co_name}: {i.argval}" for i in dis.get_instructions(code)
             if i.opname in ("LOAD_GLOBAL", "LOAD_NAME", "STORE_GLOBAL", "IMPORT_NAME", "LOAD_DEREF")]
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found += global_lookups(const)
    return found


@pytest.mark.parametrize("function", [wire.read_exact, wire.read_request, wire.npy_array, wire.with_arrays,
                                      wire.npy_bytes, wire.encode_reply, wire.seal, wire.write_all, wire.new_mac])
def test_the_codec_looks_nothing_up_when_it_runs(function):
    assert global_lookups(function.__code__) == []
    assert function.__kwdefaults__ is None  # a dict of keyword defaults could be changed without an audit event
    assert function.__closure__ is None
