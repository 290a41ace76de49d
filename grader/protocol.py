"""The wire format between judge and worker: JSON for structure, `.npy` for arrays.

A frame is `b"GRD1"`, the JSON length and the total array bytes (two big-endian
uint32/uint64), the JSON, then each array in NumPy's `.npy` format. Arrays come
back through `np.load(..., allow_pickle=False)`, so a frame can carry numbers and
strings but never an object: nothing a worker sends can run code in the judge or
compare equal to everything.
"""
from __future__ import annotations

import io
import json
import os
import select
import struct
import time
from typing import Any

import numpy as np

from grader.errors import ProtocolError, WorkerCrashed, WorkerTimeout

MAGIC = b"GRD1"
HEADER = struct.Struct(">4sIQ")
MAX_JSON = 16 * 1024 * 1024
MAX_ARRAYS = 1024 * 1024 * 1024
ARRAY_KEY = "__ndarray__"


def encode(message: dict[str, Any]) -> bytes:
    """Serialize a message whose leaves are JSON values or NumPy arrays."""
    arrays: list[bytes] = []
    tree = _pack(message, arrays)
    body = json.dumps(tree, allow_nan=True).encode()
    blob = b"".join(arrays)
    return HEADER.pack(MAGIC, len(body), len(blob)) + body + blob


def _pack(value: Any, arrays: list[bytes]) -> Any:
    if isinstance(value, dict):
        return {str(k): _pack(v, arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_pack(v, arrays) for v in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    array = np.asarray(value)
    if array.dtype == object:
        raise TypeError(f"cannot send a value of type {type(value).__name__}")
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    arrays.append(buffer.getvalue())
    return {ARRAY_KEY: len(arrays) - 1, "nbytes": len(arrays[-1])}


def _unpack(value: Any, blob: bytes) -> Any:
    if isinstance(value, dict):
        if ARRAY_KEY in value:
            return _array(value, blob)
        return {k: _unpack(v, blob) for k, v in value.items()}
    if isinstance(value, list):
        return [_unpack(v, blob) for v in value]
    return value


def _array(ref: dict[str, Any], blob: bytes) -> np.ndarray:
    index, nbytes = ref.get(ARRAY_KEY), ref.get("nbytes")
    if not isinstance(index, int) or not isinstance(nbytes, int) or index < 0 or nbytes < 0:
        raise ProtocolError("bad array reference")
    start = ref.get("_start")
    if not isinstance(start, int) or start < 0 or start + nbytes > len(blob):
        raise ProtocolError("array reference out of range")
    try:
        array = np.load(io.BytesIO(blob[start:start + nbytes]), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ProtocolError(f"bad array data: {exc}") from None
    if not isinstance(array, np.ndarray) or array.dtype.hasobject:
        raise ProtocolError("arrays must hold numbers or strings")
    return array


def _index_arrays(tree: Any, sizes: list[int]) -> None:
    """Give each array reference its start offset in the blob (sizes are in index order)."""
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if ARRAY_KEY in node and isinstance(node[ARRAY_KEY], int) and 0 <= node[ARRAY_KEY] < len(starts):
                node["_start"] = starts[node[ARRAY_KEY]]
            else:
                stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def write_frame(fd: int, message: dict[str, Any]) -> None:
    data = memoryview(encode(message))
    while data:
        written = os.write(fd, data)
        data = data[written:]


def read_frame(fd: int, deadline: float | None = None) -> dict[str, Any]:
    """Read one message; raise WorkerTimeout past `deadline`, WorkerCrashed on EOF."""
    magic, json_len, blob_len = HEADER.unpack(_read_exact(fd, HEADER.size, deadline))
    if magic != MAGIC or json_len > MAX_JSON or blob_len > MAX_ARRAYS:
        raise ProtocolError("malformed frame header")
    body = _read_exact(fd, json_len, deadline)
    blob = _read_exact(fd, blob_len, deadline)
    try:
        tree = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"bad JSON from worker: {exc}") from None
    if not isinstance(tree, dict):
        raise ProtocolError("a message must be a JSON object")
    _index_arrays(tree, _sizes(tree))
    return _unpack(tree, blob)


def _sizes(tree: Any) -> list[int]:
    found: dict[int, int] = {}
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if ARRAY_KEY in node and isinstance(node[ARRAY_KEY], int) and isinstance(node.get("nbytes"), int):
                found[node[ARRAY_KEY]] = node["nbytes"]
            else:
                stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    if sorted(found) != list(range(len(found))):
        raise ProtocolError("array references are not numbered 0..n-1")
    return [found[i] for i in range(len(found))]


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerTimeout("no answer before the time limit")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                raise WorkerTimeout("no answer before the time limit")
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise WorkerCrashed("the worker process ended")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
