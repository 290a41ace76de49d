"""Tests for grader.protocol: frames between judge and worker carry data, never objects."""
from __future__ import annotations

import io
import json
import os
import threading
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from grader import protocol
from grader.errors import ProtocolError, WorkerCrashed, WorkerTimeout
from grader.protocol import ARRAY_KEY, HEADER, MAGIC, MAX_JSON, encode, read_frame, write_frame


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    read_end, write_end = os.pipe()
    yield read_end, write_end
    for fd in (read_end, write_end):
        try:
            os.close(fd)
        except OSError:
            pass


def send(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def send_in_background(fd: int, data: bytes) -> threading.Thread:
    thread = threading.Thread(target=send, args=(fd, data), daemon=True)
    thread.start()
    return thread


def npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def frame(tree: Any, blob: bytes = b"", magic: bytes = MAGIC) -> bytes:
    body = json.dumps(tree).encode()
    return HEADER.pack(magic, len(body), len(blob)) + body + blob


def read_forged(pipe: tuple[int, int], data: bytes) -> dict[str, Any]:
    read_end, write_end = pipe
    thread = send_in_background(write_end, data)
    try:
        return read_frame(read_end, deadline=time.monotonic() + 5)
    finally:
        thread.join(5)


def assert_same(got: Any, sent: Any) -> None:
    """Deep equality where arrays must match in dtype, shape and values; tuples arrive as lists."""
    if isinstance(sent, np.ndarray):
        assert isinstance(got, np.ndarray)
        assert got.dtype == sent.dtype and got.shape == sent.shape
        assert np.array_equal(got, sent, equal_nan=sent.dtype.kind in "fc")
    elif isinstance(sent, dict):
        assert isinstance(got, dict) and list(got) == [str(k) for k in sent]
        for key, value in sent.items():
            assert_same(got[str(key)], value)
    elif isinstance(sent, (list, tuple)):
        assert isinstance(got, list) and len(got) == len(sent)
        for g, s in zip(got, sent):
            assert_same(g, s)
    else:
        assert type(got) is type(sent) and got == sent


# --- round trips ---------------------------------------------------------------------------------

MESSAGE = {
    "op": "call",
    "ok": True,
    "none": None,
    "count": 3,
    "ratio": 0.25,
    "text": "héllo ✓",
    "floats": np.arange(12, dtype=np.float32).reshape(3, 4) / 7,
    "nested": {
        "ints": np.array([[1, -2], [3, 2**31 - 1]], dtype=np.int32),
        "mask": np.array([True, False, True]),
        "names": np.array(["dense", "concat_ü", ""]),
        "deeper": [{"w": np.float64(1.5) * np.ones((2, 2))}, [np.zeros((0, 3), dtype=np.float32)]],
    },
    "tuple": (1, "two", np.array(3.5, dtype=np.float64)),
    "uint8": np.array([0, 255], dtype=np.uint8),
    "half": np.array([1.5, np.nan, np.inf], dtype=np.float16),
    "fortran": np.asfortranarray(np.arange(6, dtype=np.int64).reshape(2, 3)),
}


def test_round_trip_through_a_pipe(pipe: tuple[int, int]) -> None:
    read_end, write_end = pipe
    write_frame(write_end, MESSAGE)
    got = read_frame(read_end, deadline=time.monotonic() + 5)
    assert_same(got, MESSAGE)
    assert got["fortran"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert got["nested"]["names"].dtype.kind == "U"


def test_several_frames_in_a_row(pipe: tuple[int, int]) -> None:
    read_end, write_end = pipe
    for i in range(3):
        write_frame(write_end, {"i": i, "a": np.full(2, i, dtype=np.int32)})
    for i in range(3):
        got = read_frame(read_end)
        assert got["i"] == i and got["a"].tolist() == [i, i]


def test_large_array_round_trip(pipe: tuple[int, int]) -> None:
    read_end, write_end = pipe
    big = np.random.default_rng(0).random((512, 1024), dtype=np.float32)  # 2 MiB, bigger than a pipe buffer
    thread = threading.Thread(target=write_frame, args=(write_end, {"big": big}), daemon=True)
    thread.start()
    got = read_frame(read_end, deadline=time.monotonic() + 10)
    thread.join(5)
    assert_same(got["big"], big)


def test_numpy_scalars_become_python_values(pipe: tuple[int, int]) -> None:
    read_end, write_end = pipe
    write_frame(write_end, {"i": np.int64(7), "f": np.float32(0.5), "b": np.bool_(True), 3: "int key"})
    got = read_frame(read_end)
    assert got == {"i": 7, "f": 0.5, "b": True, "3": "int key"}
    assert type(got["i"]) is int and type(got["f"]) is float and type(got["b"]) is bool


def test_values_with_a_numpy_method_are_converted() -> None:
    class TensorLike:
        def numpy(self) -> np.ndarray:
            return np.array([1.0, 2.0], dtype=np.float32)

    data = encode({"t": TensorLike()})
    _, json_len, blob_len = HEADER.unpack(data[:HEADER.size])
    tree = json.loads(data[HEADER.size:HEADER.size + json_len])
    assert blob_len == len(npy(np.array([1.0, 2.0], dtype=np.float32)))
    assert tree == {"t": {ARRAY_KEY: 0, "nbytes": len(npy(np.array([1.0, 2.0], dtype=np.float32)))}}


def test_frame_layout() -> None:
    data = encode({"a": 1})
    magic, json_len, blob_len = HEADER.unpack(data[:HEADER.size])
    assert (magic, blob_len) == (b"GRD1", 0)
    assert json.loads(data[HEADER.size:HEADER.size + json_len]) == {"a": 1}
    assert len(data) == HEADER.size + json_len


# --- refusing objects ----------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "type_name"), [
    (np.array([object(), 1], dtype=object), "ndarray"),
    ({1, 2}, "set"),
    (object(), "object"),
    (np.array([{"a": 1}], dtype=object), "ndarray"),
])
def test_objects_are_refused_on_encode(value: object, type_name: str) -> None:
    with pytest.raises(TypeError) as info:
        encode({"value": value})
    assert str(info.value) == f"cannot send a value of type {type_name}"


def test_forged_pickled_object_array_is_rejected_on_read(pipe: tuple[int, int]) -> None:
    evil = np.array([{"__eq__": "always"}, None], dtype=object)
    blob = npy(evil, allow_pickle=True)
    data = frame({"out": {ARRAY_KEY: 0, "nbytes": len(blob)}}, blob)
    with pytest.raises(ProtocolError) as info:
        read_forged(pipe, data)
    assert str(info.value).startswith("bad array data: ")
    assert "allow_pickle=False" in str(info.value)


def test_forged_structured_array_with_objects_is_rejected(pipe: tuple[int, int]) -> None:
    evil = np.zeros(2, dtype=[("a", "f4"), ("b", object)])
    blob = npy(evil, allow_pickle=True)
    with pytest.raises(ProtocolError):
        read_forged(pipe, frame({"out": {ARRAY_KEY: 0, "nbytes": len(blob)}}, blob))


def test_garbage_array_bytes_are_rejected(pipe: tuple[int, int]) -> None:
    blob = b"not an npy file at all"
    with pytest.raises(ProtocolError) as info:
        read_forged(pipe, frame({"out": {ARRAY_KEY: 0, "nbytes": len(blob)}}, blob))
    assert str(info.value).startswith("bad array data: ")


# --- malformed frames ----------------------------------------------------------------------------

def test_bad_magic(pipe: tuple[int, int]) -> None:
    with pytest.raises(ProtocolError) as info:
        read_forged(pipe, frame({"a": 1}, magic=b"HTTP"))
    assert str(info.value) == "malformed frame header"


def test_oversized_json_length_is_refused_before_reading_it(pipe: tuple[int, int]) -> None:
    with pytest.raises(ProtocolError) as info:
        read_forged(pipe, HEADER.pack(MAGIC, MAX_JSON + 1, 0))
    assert str(info.value) == "malformed frame header"


def test_bad_json(pipe: tuple[int, int]) -> None:
    body = b"{not json"
    with pytest.raises(ProtocolError) as info:
        read_forged(pipe, HEADER.pack(MAGIC, len(body), 0) + body)
    assert str(info.value).startswith("bad JSON from worker: ")


@pytest.mark.parametrize("tree", [[1, 2], "text", 3])
def test_message_must_be_an_object(pipe: tuple[int, int], tree: Any) -> None:
    with pytest.raises(ProtocolError) as info:
        read_forged(pipe, frame(tree))
    assert str(info.value) == "a message must be a JSON object"


def test_array_reference_past_the_blob(pipe: tuple[int, int]) -> None:
    blob = npy(np.arange(3))
    with pytest.raises(ProtocolError) as info:
        read_forged(pipe, frame({"a": {ARRAY_KEY: 0, "nbytes": len(blob) + 100}}, blob))
    assert str(info.value) == "array reference out of range"


def test_array_index_out_of_range(pipe: tuple[int, int]) -> None:
    blob = npy(np.arange(3))
    with pytest.raises(ProtocolError) as info:
        read_forged(pipe, frame({"a": {ARRAY_KEY: 5, "nbytes": len(blob)}}, blob))
    assert str(info.value) == "array references are not numbered 0..n-1"


@pytest.mark.parametrize("ref", [{ARRAY_KEY: "0", "nbytes": 10}, {ARRAY_KEY: 0, "nbytes": -1},
                                 {ARRAY_KEY: 0}, {ARRAY_KEY: None, "nbytes": 10}])
def test_bad_array_reference(pipe: tuple[int, int], ref: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError):
        read_forged(pipe, frame({"a": ref}, b"\0" * 16))


def test_worker_cannot_choose_where_its_array_starts(pipe: tuple[int, int]) -> None:
    first, second = npy(np.array([1, 2])), npy(np.array([7.5]))
    tree = {"a": {ARRAY_KEY: 0, "nbytes": len(first)}, "b": {ARRAY_KEY: 1, "nbytes": len(second), "_start": 0}}
    got = read_forged(pipe, frame(tree, first + second))
    assert got["b"].tolist() == [7.5]


# --- ends of streams -----------------------------------------------------------------------------

@pytest.mark.parametrize("cut", [0, 3, HEADER.size, HEADER.size + 4, -1])
def test_truncated_stream_is_a_crash(pipe: tuple[int, int], cut: int) -> None:
    read_end, write_end = pipe
    data = encode({"a": np.arange(4)})
    send(write_end, data[:cut] if cut >= 0 else data[:-1])
    os.close(write_end)
    with pytest.raises(WorkerCrashed) as info:
        read_frame(read_end, deadline=time.monotonic() + 5)
    assert str(info.value) == "the worker process ended"


def test_no_data_before_deadline_is_a_timeout(pipe: tuple[int, int]) -> None:
    read_end, _ = pipe
    started = time.monotonic()
    with pytest.raises(WorkerTimeout) as info:
        read_frame(read_end, deadline=started + 0.1)
    assert str(info.value) == "no answer before the time limit"
    assert 0.05 < time.monotonic() - started < 2


def test_deadline_already_past_is_a_timeout(pipe: tuple[int, int]) -> None:
    read_end, _ = pipe
    with pytest.raises(WorkerTimeout):
        read_frame(read_end, deadline=time.monotonic() - 1)


def test_partial_frame_then_silence_is_a_timeout(pipe: tuple[int, int]) -> None:
    read_end, write_end = pipe
    send(write_end, encode({"a": 1})[:HEADER.size + 2])
    with pytest.raises(WorkerTimeout):
        read_frame(read_end, deadline=time.monotonic() + 0.1)


# --- bounded decoding ----------------------------------------------------------------------------

def test_one_array_referenced_many_times_is_refused(pipe: tuple[int, int]) -> None:
    blob = npy(np.zeros(1024, dtype=np.float64))
    tree = {"a": [{ARRAY_KEY: 0, "nbytes": len(blob)} for _ in range(4096)]}
    with pytest.raises(ProtocolError) as info:
        read_forged(pipe, frame(tree, blob))
    assert str(info.value) == "array references are not numbered 0..n-1"


def test_array_bytes_must_add_up_to_the_blob(pipe: tuple[int, int]) -> None:
    blob = npy(np.arange(3))
    with pytest.raises(ProtocolError) as info:
        read_forged(pipe, frame({"a": {ARRAY_KEY: 0, "nbytes": len(blob)}}, blob + b"\0" * 64))
    assert str(info.value) == "array reference out of range"


def test_header_promising_more_data_than_sent_is_refused_before_allocating(pipe: tuple[int, int]) -> None:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (1 << 40,)})
    blob = header.getvalue() + b"\0" * 64
    with pytest.raises(ProtocolError) as info:
        read_forged(pipe, frame({"a": {ARRAY_KEY: 0, "nbytes": len(blob)}}, blob))
    assert str(info.value) == "bad array data: its size does not match its shape"


@pytest.mark.parametrize("array", [np.zeros(3, dtype=[("a", "<f4"), ("b", "<i4")]), np.zeros(3, dtype="V8")])
def test_only_plain_number_and_text_arrays_are_decoded(pipe: tuple[int, int], array: np.ndarray) -> None:
    blob = npy(array)
    with pytest.raises(ProtocolError):
        read_forged(pipe, frame({"a": {ARRAY_KEY: 0, "nbytes": len(blob)}}, blob))


def test_decoded_bytes_counts_every_array_and_value_in_a_message() -> None:
    message = {"a": np.zeros(10, np.float32), "b": [np.zeros((2, 3), np.int64), {"c": np.zeros(1, bool)}], "d": 5,
               "e": "text"}
    containers, scalars = 3, 2
    assert protocol.decoded_bytes(message) == 40 + 48 + 1 + 64 * (containers + scalars) + 4
    assert protocol.decoded_bytes([[]] * 1000) >= 64 * 1000  # empty lists are not free


def test_zero_width_items_cannot_make_a_huge_empty_array(pipe: tuple[int, int]) -> None:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|S0", "fortran_order": False, "shape": (1 << 60,)})
    blob = header.getvalue()
    with pytest.raises(ProtocolError) as info:
        read_forged(pipe, frame({"a": {ARRAY_KEY: 0, "nbytes": len(blob)}}, blob))
    assert str(info.value) == "arrays must hold numbers or strings"


# --- decoded size is bounded in values, not only bytes --------------------------------------------

@pytest.mark.parametrize("item", [b"[]", b"{}", b"0", b'"ab"', b"1.5", b"null", b'{"k":[]}'])
def test_millions_of_small_values_under_the_byte_cap_are_refused_in_bounded_memory(
        pipe: tuple[int, int], item: bytes) -> None:
    count = (MAX_JSON - 64) // (len(item) + 1)
    body = b'{"ok":true,"value":[' + b",".join([item] * count) + b"]}"
    data = HEADER.pack(MAGIC, len(body), 0) + body
    tracemalloc.start()
    try:
        with pytest.raises(ProtocolError) as info:
            read_forged(pipe, data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(info.value) == f"a message with more than {protocol.MAX_VALUES} values (the most one answer may hold)"
    assert peak < 4 * MAX_JSON  # the frame as it arrives and the scan's chunks: nothing decoded


def test_a_message_at_the_value_limit_is_decoded(pipe: tuple[int, int]) -> None:
    values = [0] * (protocol.MAX_VALUES - 2)  # with the list itself and the object holding it
    assert read_forged(pipe, frame({"v": values}))["v"] == values
    with pytest.raises(ProtocolError):
        read_forged(pipe, frame({"v": values + [0]}))


def test_commas_and_brackets_inside_strings_do_not_count(pipe: tuple[int, int]) -> None:
    text = '[{",\\"' * (protocol.MAX_VALUES * 2)
    assert read_forged(pipe, frame({"text": text}))["text"] == text


def test_nesting_is_bounded(pipe: tuple[int, int]) -> None:
    deep: Any = 0
    for _ in range(protocol.MAX_DEPTH - 1):  # the message's own object is one level
        deep = [deep]
    assert read_forged(pipe, frame({"v": deep}))["v"] == deep
    with pytest.raises(ProtocolError) as info:
        read_forged(pipe, frame({"v": [deep]}))
    assert str(info.value) == f"a message nested more than {protocol.MAX_DEPTH} levels deep"


# --- a write never waits past its deadline ---------------------------------------------------------

def test_a_write_to_a_reader_that_stopped_reading_ends_at_its_deadline(pipe: tuple[int, int]) -> None:
    _, write_end = pipe
    message = {"op": "call", "kwargs": {"X": np.zeros(1 << 20)}}  # 8 MB: far more than a pipe holds
    with pytest.raises(WorkerTimeout) as info:
        write_frame(write_end, message, deadline=time.monotonic() + 0.2)
    assert str(info.value) == "the worker stopped reading its requests before the time limit"


def test_a_write_with_a_deadline_reaches_a_slow_reader_whole(pipe: tuple[int, int]) -> None:
    read_end, write_end = pipe
    message = {"X": np.arange(1 << 18)}
    got: list[dict[str, Any]] = []
    reader = threading.Thread(target=lambda: got.append(read_frame(read_end, time.monotonic() + 60)), daemon=True)
    reader.start()
    write_frame(write_end, message, deadline=time.monotonic() + 60)
    reader.join(60)
    assert_same(got[0], message)


def sealed(seal: protocol.Seal, request: dict[str, Any], reply: dict[str, Any], number: int | None = None) -> bytes:
    """What the worker's request loop writes: the reply's frame, then its seal (computed as the judge would)."""
    frame = encode(reply)
    check = protocol.Seal(seal.key)
    check.replies = seal.replies if number is None else number
    check.sent(encode(request))
    return frame + check.expected(frame)


def test_a_reply_reads_back_only_with_its_own_seal(pipe: tuple[int, int]) -> None:
    read_end, write_end = pipe
    seal = protocol.Seal()
    request = {"op": "call", "probe": "forward"}
    write_frame(write_end, request, seal)
    os.read(read_end, 1 << 16)  # (the same pipe carries the request here; the worker would have read it)
    os.write(write_end, sealed(seal, request, {"ok": True, "value": 1}))
    assert read_frame(read_end, seal=seal) == {"ok": True, "value": 1}
    forgeries = [
        sealed(protocol.Seal(), request, {"ok": True, "value": 2}),  # another key
        sealed(seal, request, {"ok": True, "value": 3}, number=0),  # a replayed number
        sealed(seal, {"op": "call", "probe": "other"}, {"ok": True, "value": 4}),  # the answer to another request
        encode({"tampered": {"event": "gc.get_objects", "file": "submission.py", "line": 3}}) + bytes(32),
    ]
    for forged in forgeries:
        os.write(write_end, forged)
        with pytest.raises(protocol.UnsealedReply) as info:
            read_frame(read_end, seal=seal)
        seal.replies -= 1  # (each forgery stands in for the same reply)
    assert protocol.tamper_report(info.value.message) == {"event": "gc.get_objects", "file": "submission.py", "line": 3}
    assert protocol.tamper_report({"ok": True, "value": 1}) == {"event": "a reply the grader's request loop did not write"}
