"""The request loop's own codec: requests in, sealed replies out, with nothing looked up when it runs.

Student code shares this process and can rebind any module's globals without a trace
(`vars(module)[name] = f` raises no audit event). So every function here takes what it calls as
positional defaults, bound when this module was imported (before any student code), and looks
nothing up in a module's globals or `builtins` when it runs; no Python-level library code runs
either (JSON through `_json`'s C scanner and encoder, arrays through NumPy's C functions, the seal
through `_hashlib`). Replacing a default or a function's code raises an audit event the tripwire
ends the worker on; `tests/worker/test_wire.py` checks the bytecode for global lookups. The bytes
are `grader.protocol`'s format, followed by the seal the judge checks (`grader.protocol.Seal`).
"""
from __future__ import annotations

import _hashlib
import _json
import os
import types
from typing import Any

import numpy as np

from grader.protocol import ARRAY_KEY, HEADER, MAGIC, MAX_JSON, SEAL_BYTES, SEAL_PREFIX

NPY_MAGIC = b"\x93NUMPY"
NPY_ALIGN = 64
ARRAY_KINDS = "biufcSU"
CHUNK = 1 << 20


def _refuse(value: Any, _type_error: Any = TypeError) -> Any:
    raise _type_error("not plain data")


_CONSTANTS = types.MappingProxyType({"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")})
_SCAN = _json.make_scanner(types.SimpleNamespace(strict=True, object_hook=None, object_pairs_hook=None,
                                                 parse_float=float, parse_int=int,
                                                 parse_constant=_CONSTANTS.__getitem__, memo={}))
_ENCODE = _json.make_encoder(None, _refuse, _json.encode_basestring_ascii, None, ": ", ", ", False, False, True)


def new_mac(key: bytes, _hmac_new: Any = _hashlib.hmac_new) -> Any:
    """The HMAC state every seal of this worker starts from (its key is not kept anywhere else)."""
    return _hmac_new(key, digestmod="sha256")


def read_exact(fd: int, size: int, _read: Any = os.read, _len: Any = len, _join: Any = b"".join,
               _chunk: int = CHUNK) -> bytes | None:
    """Exactly `size` bytes, or None at end of file."""
    parts = []
    left = size
    while left > 0:
        chunk = _read(fd, left if left < _chunk else _chunk)
        if not chunk:
            return None
        parts.append(chunk)
        left -= _len(chunk)
    return _join(parts)


def npy_array(data: bytes, _frombuffer: Any = np.frombuffer, _dtype: Any = np.dtype, _empty: Any = np.empty,
              _copy: Any = np.ndarray.copy, _reshape: Any = np.ndarray.reshape, _transpose: Any = np.ndarray.transpose,
              _int: Any = int, _tuple: Any = tuple, _str: Any = str, _magic: bytes = NPY_MAGIC,
              _value_error: Any = ValueError) -> Any:
    """One `.npy` file of numbers or text (the judge's own), read with NumPy's C functions only."""
    if data[:6] != _magic:
        raise _value_error("not an .npy array")
    if data[6] == 1:
        length, start = _int.from_bytes(data[8:10], "little"), 10
    else:
        length, start = _int.from_bytes(data[8:12], "little"), 12
    header = _str(data[start:start + length], "latin1")
    kind = _dtype(header.partition("'descr': '")[2].partition("'")[0])
    dims = []
    for part in header.partition("'shape': (")[2].partition(")")[0].split(","):
        if part.strip():
            dims.append(_int(part))
    shape = _tuple(dims)
    count = 1
    for dim in dims:
        count *= dim
    if count == 0:
        return _empty(shape, kind)
    flat = _frombuffer(data, kind, count, start + length)
    if "'fortran_order': True" in header:
        return _copy(_transpose(_reshape(flat, shape[::-1])))
    return _copy(_reshape(flat, shape))


def with_arrays(tree: dict[str, Any], blob: bytes, _npy: Any = npy_array, _key: str = ARRAY_KEY, _type: Any = type,
                _dict: Any = dict, _list: Any = list, _int: Any = int, _len: Any = len) -> dict[str, Any]:
    """The request with each `{"__ndarray__": i, "nbytes": n}` replaced by its array."""
    refs = []
    stack = [tree]
    while stack:
        node = stack.pop()
        kind = _type(node)
        if kind is _dict:
            pairs = node.items()
        elif kind is _list:
            pairs = []
            for item in node:
                pairs.append((_len(pairs), item))
        else:
            continue
        for place, value in pairs:
            if _type(value) is _dict and _key in value:
                refs.append((_int(value[_key]), node, place, _int(value["nbytes"])))
            else:
                stack.append(value)
    refs.sort()
    start = 0
    for _, holder, place, nbytes in refs:
        holder[place] = _npy(blob[start:start + nbytes])
        start += nbytes
    return tree


def read_request(fd: int, _read_exact: Any = read_exact, _unpack: Any = HEADER.unpack, _size: int = HEADER.size,
                 _magic: bytes = MAGIC, _max_json: int = MAX_JSON, _scan: Any = _SCAN, _sha256: Any = _hashlib.openssl_sha256,
                 _type: Any = type, _len: Any = len, _dict: Any = dict, _str: Any = str,
                 _with_arrays: Any = with_arrays) -> tuple[Any, bytes] | None:
    """The judge's next request and the SHA-256 of its frame; None when the judge closed the pipe or
    sent something that is not a request (it never does)."""
    header = _read_exact(fd, _size)
    if header is None:
        return None
    tag, json_len, blob_len = _unpack(header)
    body = _read_exact(fd, json_len) if tag == _magic and json_len <= _max_json else None
    blob = _read_exact(fd, blob_len) if body is not None else None
    if blob is None:
        return None
    digest = _sha256(header)
    digest.update(body)
    digest.update(blob)
    text = _str(body, "utf-8")
    tree, end = _scan(text, 0)
    if end != _len(text) or _type(tree) is not _dict:
        return None
    return _with_arrays(tree, blob), digest.digest()


def npy_bytes(array: Any, _repr: Any = repr, _len: Any = len, _tobytes: Any = np.ndarray.tobytes,
              _magic: bytes = NPY_MAGIC, _align: int = NPY_ALIGN) -> bytes:
    """`array` as the `.npy` file `np.save` writes (format 1.0), without NumPy's Python code."""
    fortran = array.flags.f_contiguous and not array.flags.c_contiguous
    head = "{'descr': %s, 'fortran_order': %s, 'shape': %s, }" % (_repr(array.dtype.str), _repr(fortran),
                                                                   _repr(array.shape))
    pad = _align - (10 + _len(head) + 1) % _align
    if pad == _align:
        pad = 0
    head = head + " " * pad + "\n"
    size = _len(head)
    return _magic + b"\x01\x00" + (size & 0xFF).to_bytes(1, "little") + (size >> 8).to_bytes(1, "little") \
        + head.encode("latin1") + _tobytes(array, "F" if fortran else "C")


def encode_reply(message: dict[str, Any], _npy: Any = npy_bytes, _encode: Any = _ENCODE, _pack: Any = HEADER.pack,
                 _magic: bytes = MAGIC, _key: str = ARRAY_KEY, _type: Any = type, _len: Any = len, _dict: Any = dict,
                 _list: Any = list, _tuple: Any = tuple, _str: Any = str, _int: Any = int, _float: Any = float,
                 _bool: Any = bool, _ndarray: Any = np.ndarray, _kinds: str = ARRAY_KINDS,
                 _type_error: Any = TypeError) -> bytes:
    """The frame for `message`, a tree of exact dicts (text keys), lists, tuples, text, numbers, None and
    plain NumPy arrays; anything else is refused with TypeError. The tree is copied as it is checked,
    so a thread of the student's changing it meanwhile changes nothing that is sent."""
    arrays: list[bytes] = []
    root: dict[str, Any] = {}
    stack = [(message, root, None)]
    while stack:
        value, holder, place = stack.pop()
        kind = _type(value)
        if kind is _dict:
            copy: Any = {}
            items = _tuple(value.items())
            for key, _ in items:
                if _type(key) is not _str:
                    raise _type_error("a reply's keys must be text")
                copy[key] = None
            for key, item in items[::-1]:  # popped in order: arrays are numbered as the protocol numbers them
                stack.append((item, copy, key))
        elif kind is _list or kind is _tuple:
            items = _tuple(value)
            copy = [None] * _len(items)
            index = _len(items)
            for item in items[::-1]:
                index -= 1
                stack.append((item, copy, index))
        elif kind is _str or kind is _int or kind is _float or kind is _bool or value is None:
            copy = value
        elif kind is _ndarray and value.dtype.kind in _kinds and not value.dtype.hasobject:
            arrays.append(_npy(value))
            copy = {_key: _len(arrays) - 1, "nbytes": _len(arrays[-1])}
        else:
            raise _type_error("cannot send a value of type " + _type(value).__name__)
        if holder is root and place is None:
            root = copy
        else:
            holder[place] = copy
    body = "".join(_encode(root, 0)).encode("ascii")
    blob = b"".join(arrays)
    return _pack(_magic, _len(body), _len(blob)) + body + blob


def seal(frame: bytes, mac: Any, number: int, request: bytes, _prefix: bytes = SEAL_PREFIX,
         _size: int = SEAL_BYTES) -> bytes:
    """The seal the judge expects after reply `number`, which answers the request hashed `request`."""
    tagger = mac.copy()
    tagger.update(_prefix + number.to_bytes(8, "big") + request)
    tagger.update(frame)
    return tagger.digest()[:_size]


def write_all(fd: int, data: bytes, _write: Any = os.write, _memoryview: Any = memoryview) -> None:
    view = _memoryview(data)
    while view:
        view = view[_write(fd, view):]
