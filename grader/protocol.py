"""The wire format between judge and worker: JSON for structure, `.npy` for arrays.

A frame is `b"GRD1"`, the JSON length and the total array bytes (two big-endian
uint32/uint64), the JSON, then each array in NumPy's `.npy` format. Arrays come
back through `np.load(..., allow_pickle=False)`, so a frame can carry numbers and
strings but never an object: nothing a worker sends can run code in the judge or
compare equal to everything.

Every frame a worker sends is followed by a seal: an HMAC-SHA256 under a key the judge
draws for that worker and sends with the load request, over the reply's number, a hash of
the request it answers and the frame (`Seal`). The key lives only in the worker's request
loop, out of reach of student code that does not trip the worker's tripwire
(`grader.worker.tripwire`), so a reply written straight to the pipe by student code, or a
request slipped into the worker's own pipe, is unsealed: the judge holds the submission
for review (`UnsealedReply`). A worker that trips ends with `TAMPER_STATUS`.
"""
from __future__ import annotations

import hashlib
import hmac
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
MAX_ARRAYS = 256 * 1024 * 1024  # array bytes in one message; decoded arrays never exceed the bytes sent
MAX_REFERENCES = 65536
ARRAY_KEY = "__ndarray__"
# A worker's first frame, sent before it reads any request: until the judge has it, no student code has run.
# It is not sealed: the key comes with the load request, after it.
READY = {"ready": True}
SEAL_PREFIX = b"GRS1"
MAX_REPORT = 4096  # bytes of an unsealed frame decoded, to read the tripwire's report
SEAL_BYTES = 32
TAMPER_STATUS = 86  # a worker's exit status when its tripwire ended it (any other status is a crash)


class UnsealedReply(ProtocolError):
    """A frame from the worker whose seal does not match: student code wrote it, or changed the request.

    `message` is the frame decoded (with the usual bounds): the tripwire's own report, or a forgery."""

    def __init__(self, message: dict[str, Any] | None) -> None:
        super().__init__("a reply the worker's request loop did not seal")
        self.message = message


def tamper_report(message: Any) -> dict[str, Any]:
    """What an unsealed frame says happened: the tripwire's report, or that the frame was forged."""
    report = message.get("tampered") if isinstance(message, dict) else None
    if isinstance(report, dict):
        return report
    return {"event": "a reply the grader's request loop did not write"}


class Seal:
    """The judge's side of one worker's seal: its key, the replies counted, the request being answered."""

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key if key is not None else os.urandom(SEAL_BYTES)
        self.replies = 0
        self.request = hashlib.sha256(b"").digest()

    def sent(self, frame: bytes) -> None:
        """Remember the request just written; the next reply must answer exactly it."""
        self.request = hashlib.sha256(frame).digest()

    def expected(self, *parts: bytes | bytearray) -> bytes:
        """The seal of the next reply, whose frame is `parts` joined (hashed in turn: never copied)."""
        mac = hmac.new(self.key, SEAL_PREFIX + self.replies.to_bytes(8, "big") + self.request, hashlib.sha256)
        for part in parts:
            mac.update(part)
        return mac.digest()

    def verify(self, tag: bytes | bytearray, *parts: bytes | bytearray) -> bool:
        ok = hmac.compare_digest(self.expected(*parts), bytes(tag))
        self.replies += 1
        return ok


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


def _unpack(value: Any, arrays: dict[int, np.ndarray]) -> Any:
    if isinstance(value, dict):
        if ARRAY_KEY in value:
            return arrays[value[ARRAY_KEY]]
        return {k: _unpack(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_unpack(v, arrays) for v in value]
    return value


def _references(tree: Any) -> list[dict[str, Any]]:
    """Every array reference in the tree, checked: one per array, numbered 0..n-1, sizes non-negative.

    A reference used twice is refused, so the bytes decoded are never more than the bytes sent.
    """
    refs: list[dict[str, Any]] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if ARRAY_KEY in node:
                refs.append(node)
            else:
                stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    if len(refs) > MAX_REFERENCES:
        raise ProtocolError(f"more than {MAX_REFERENCES} arrays in one message")
    for ref in refs:
        index, nbytes = ref.get(ARRAY_KEY), ref.get("nbytes")
        if type(index) is not int or type(nbytes) is not int or index < 0 or nbytes < 0:
            raise ProtocolError("bad array reference")
    if sorted(r[ARRAY_KEY] for r in refs) != list(range(len(refs))):
        raise ProtocolError("array references are not numbered 0..n-1")
    return sorted(refs, key=lambda r: r[ARRAY_KEY])


def _decode_arrays(refs: list[dict[str, Any]], blob: bytearray) -> dict[int, np.ndarray]:
    if sum(r["nbytes"] for r in refs) != len(blob):
        raise ProtocolError("array reference out of range")
    arrays: dict[int, np.ndarray] = {}
    start = 0
    for ref in refs:
        arrays[ref[ARRAY_KEY]] = _array(memoryview(blob)[start:start + ref["nbytes"]])
        start += ref["nbytes"]
    return arrays


def _array(data: memoryview) -> np.ndarray:
    """One `.npy` file, refused unless its header promises exactly the bytes that follow it."""
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        reader = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
        if version not in reader:
            raise ValueError(f"unsupported .npy version {version}")
        shape, _, dtype = reader[version](stream)
    except (ValueError, OSError, EOFError, SyntaxError, TypeError) as exc:
        raise ProtocolError(f"bad array data: {str(exc)[:200]}") from None
    if dtype.hasobject:
        raise ProtocolError("bad array data: object arrays cannot be loaded when allow_pickle=False")
    if dtype.names is not None or dtype.shape != () or dtype.kind not in "biufcSU" \
            or dtype.itemsize == 0:
        raise ProtocolError("arrays must hold numbers or strings")
    count = 1
    for dim in shape:
        count *= dim
    if len(shape) > 32 or count * dtype.itemsize != len(data) - stream.tell():
        raise ProtocolError("bad array data: its size does not match its shape")
    stream.seek(0)
    try:
        array = np.load(stream, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ProtocolError(f"bad array data: {str(exc)[:200]}") from None
    if not isinstance(array, np.ndarray) or array.dtype.hasobject:
        raise ProtocolError("arrays must hold numbers or strings")
    return array


VALUE_COST = 64  # bytes counted for each JSON value (a Python object in the judge)


def decoded_bytes(value: Any) -> int:
    """About how much judge memory a decoded message holds: its arrays' bytes, plus 64 per other value
    and the length of each string (for per-submission budgets)."""
    total, stack = 0, [value]
    while stack:
        node = stack.pop()
        if isinstance(node, np.ndarray):
            total += node.nbytes
        elif isinstance(node, dict):
            total += VALUE_COST
            stack.extend(node.values())
        elif isinstance(node, list):
            total += VALUE_COST
            stack.extend(node)
        else:
            total += VALUE_COST + (len(node) if isinstance(node, str) else 0)
    return total


def write_frame(fd: int, message: dict[str, Any], seal: Seal | None = None, *,
                deadline: float | None = None) -> None:
    """Send one message (sealed with `seal`, the worker's side). With a `deadline` (the judge's side) `fd` is
    made non-blocking and every write waits at most until then: a worker that stops reading cannot hold the
    judge (WorkerTimeout)."""
    frame = encode(message)
    if seal is not None:
        seal.sent(frame)
    data = memoryview(frame)
    if deadline is not None:
        os.set_blocking(fd, False)
    while data:
        if deadline is not None:
            _wait_writable(fd, deadline)
        try:
            written = os.write(fd, data)
        except BlockingIOError:
            continue
        data = data[written:]


def _wait_writable(fd: int, deadline: float) -> None:
    left = deadline - time.monotonic()
    if left <= 0 or not select.select([], [fd], [], left)[1]:
        raise WorkerTimeout("the worker stopped reading its requests before the time limit")


def read_frame(fd: int, deadline: float | None = None, seal: Seal | None = None) -> dict[str, Any]:
    """Read one message; raise WorkerTimeout past `deadline`, WorkerCrashed on EOF, UnsealedReply when
    `seal` is given and the frame's seal does not match."""
    header = _read_exact(fd, HEADER.size, deadline)
    magic, json_len, blob_len = HEADER.unpack(header)
    if magic != MAGIC or json_len > MAX_JSON or blob_len > MAX_ARRAYS:
        raise ProtocolError("malformed frame header")
    body = _read_exact(fd, json_len, deadline)
    blob = _read_exact(fd, blob_len, deadline)
    if seal is not None and not seal.verify(_seal_of(fd, deadline), header, body, blob):
        message: dict[str, Any] | None = None
        if json_len <= MAX_REPORT and blob_len == 0:  # the tripwire's report is small; a forgery is not decoded
            try:
                message = _decode(body, blob)
            except ProtocolError:
                pass
        raise UnsealedReply(message)
    return _decode(body, blob)


def _seal_of(fd: int, deadline: float | None) -> bytes | bytearray:
    """The seal after a frame; none at all (the writer ended right after the frame) is a wrong seal."""
    try:
        return _read_exact(fd, SEAL_BYTES, deadline)
    except WorkerCrashed:
        return b""


def _decode(body: bytearray, blob: bytearray) -> dict[str, Any]:
    check_json_shape(body)  # bounded in values before json.loads builds them
    try:
        tree = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"bad JSON from worker: {exc}") from None
    if not isinstance(tree, dict):
        raise ProtocolError("a message must be a JSON object")
    return _unpack(tree, _decode_arrays(_references(tree), blob))


MAX_VALUES = 1 << 18  # JSON values (containers, numbers, strings) in one message
MAX_DEPTH = 64  # nesting of JSON arrays and objects in one message
_CHUNK = 1 << 18
_QUOTE, _BACKSLASH, _COMMA = 34, 92, 44
_OPENS, _CLOSES = (91, 123), (93, 125)


def check_json_shape(body: bytes | bytearray) -> None:
    """Refuse, before decoding, a message with more than MAX_VALUES values or nested deeper than MAX_DEPTH.

    The byte cap alone does not bound the judge's memory: 16 MB of `[],` decode to four million
    lists (about 600 MB). Outside strings, a valid JSON text holds at most one value more than its
    commas and containers, so counting those bytes bounds the values decoded. The scan runs in
    NumPy over 256 KiB chunks: C speed, bounded extra memory, whatever the text holds."""
    values, deepest = 1, 0
    state = (0, 0, 0)  # carried between chunks: open quotes (mod 2), trailing backslashes, depth
    for start in range(0, len(body), _CHUNK):
        chunk = np.frombuffer(body, dtype=np.uint8, count=min(_CHUNK, len(body) - start), offset=start)
        outside, state = _outside_strings(chunk, state)
        opens = outside & np.isin(chunk, _OPENS)
        steps = opens.astype(np.int32) - (outside & np.isin(chunk, _CLOSES))
        levels = np.cumsum(steps, dtype=np.int64) + state[2]
        values += int(np.count_nonzero(outside & (chunk == _COMMA))) + int(np.count_nonzero(opens))
        deepest = max(deepest, int(levels.max()))
        state = (state[0], state[1], int(levels[-1]))
    if values > MAX_VALUES:
        raise ProtocolError(f"a message with more than {MAX_VALUES} values (the most one answer may hold)")
    if deepest > MAX_DEPTH:
        raise ProtocolError(f"a message nested more than {MAX_DEPTH} levels deep")


def _outside_strings(chunk: np.ndarray, state: tuple[int, int, int]) -> tuple[np.ndarray, tuple[int, int, int]]:
    """Which bytes of `chunk` lie outside JSON strings, given the state the previous chunk ended in.

    A quote opens or closes a string unless an odd run of backslashes comes right before it."""
    parity, run_before, depth = state
    index = np.arange(len(chunk), dtype=np.int64)
    backslash = chunk == _BACKSLASH
    last_other = np.maximum.accumulate(np.where(backslash, -1 - run_before, index))
    runs = index - last_other  # backslashes ending at each byte (0 where the byte is not one)
    before = np.concatenate(([run_before], runs[:-1]))
    quotes = (chunk == _QUOTE) & (before % 2 == 0)
    inside = (np.cumsum(quotes, dtype=np.int64) + parity) % 2 == 1
    outside = ~inside & ~quotes
    return outside, ((parity + int(np.count_nonzero(quotes))) % 2, int(runs[-1]), depth)


def _read_exact(fd: int, size: int, deadline: float | None) -> bytearray:
    """Exactly `size` bytes, grown as they arrive (a claimed size costs nothing until sent, and the
    message is never held twice)."""
    buffer = bytearray()
    while len(buffer) < size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerTimeout("no answer before the time limit")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                raise WorkerTimeout("no answer before the time limit")
        chunk = os.read(fd, min(size - len(buffer), 1 << 20))
        if not chunk:
            raise WorkerCrashed("the worker process ended")
        buffer += chunk
    return buffer
