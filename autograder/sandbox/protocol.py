"""Plain-data messages between the grader and the student process.

A frame is: 4-byte big-endian header length, a UTF-8 JSON header, then the
raw bytes of each numpy array the header lists. Values are tagged trees:

* JSON scalars (None, bool, int, float, str) stand for themselves;
* ``{"t": "list"|"tuple", "v": [...]}``, ``{"t": "dict", "k": [...], "v": [...]}``;
* ``{"t": "nd", "b": i, "dt": "<f8", "sh": [..]}``: array from buffer ``i``;
* ``{"t": "complex", "re": x, "im": y}``;
* ``{"t": "ref", "id": n, "type": "KNN", "callable": bool}``: an object that
  stays in the student process;
* ``{"t": "global", "name": "f"}``: a name in the student's namespace.

Decoding never unpickles, never calls code defined by the student, accepts
only numeric and boolean dtypes, and enforces size and depth limits. This
file is imported by both processes and uses only the standard library and
numpy, which it imports only when an array crosses (``autograder validate``
never sends one, and so does not pay numpy's import).
"""

from __future__ import annotations

import json
import os
import select
import struct
import sys
import time
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    import numpy as np

MAX_HEADER_BYTES = 8 * 1024 * 1024
MAX_FRAME_BYTES = 256 * 1024 * 1024
"""Largest message either side will build (the grader's inputs can be large)."""
MAX_REPLY_BYTES = 64 * 1024 * 1024
"""Largest answer the grader reads from the student process: a hostile process
cannot make the grader hold more than this (plus one header)."""
MAX_DEPTH = 64
MAX_ITEMS = 200_000
ALLOWED_DTYPE_KINDS = "biufc"
_NATIVE = "<" if sys.byteorder == "little" else ">"
ALLOWED_DTYPES = {"|b1", "|i1", "|u1"} | {
    _NATIVE + code for code in ("i2", "i4", "i8", "u2", "u4", "u8", "f2", "f4", "f8", "c8", "c16")
} | {">i2", ">i4", ">i8", ">f4", ">f8"}
"""``np.dtype(t).str`` of bool, (u)int8-64, float16-64 and complex64/128 in this machine's byte order,
and of big-endian int16-64 and float32/64 (tests/test_protocol.py checks them against numpy)."""


class ProtocolError(Exception):
    """A message broke the protocol's rules (malformed, too big, forbidden type)."""


class ChannelClosed(ProtocolError):
    """The other side closed the channel (the student process died)."""


class ChannelTimeout(ProtocolError):
    """No complete message arrived before the deadline."""


# ------------------------------------------------------------------ encoding
class Encoder:
    """Turns a value into (tagged tree, buffers).

    ``on_object`` decides what happens to anything that is not plain data:
    the student process stores it and returns a ``ref`` tag; the grader
    encodes its proxies.
    """

    def __init__(self, on_object: Callable[[Any], dict[str, Any]]):
        self.on_object = on_object
        self.buffers: list[bytes] = []
        self.items = 0

    def encode(self, value: Any, depth: int = 0) -> Any:
        self.items += 1
        if depth > MAX_DEPTH or self.items > MAX_ITEMS:
            raise ProtocolError("the value is nested too deeply or has too many items")
        kind = type(value)
        if value is None or kind in (bool, str):
            return value
        if kind is int:
            return value
        if kind is float:
            return value
        if kind is complex:
            return {"t": "complex", "re": value.real, "im": value.imag}
        np = sys.modules.get("numpy")  # not imported: then no value is a numpy array
        if np is not None and isinstance(value, np.ndarray) and value.dtype.kind in ALLOWED_DTYPE_KINDS:
            return self._array(value)
        if np is not None and isinstance(value, np.generic) and np.dtype(type(value)).kind in ALLOWED_DTYPE_KINDS:
            return self.encode(value.item(), depth + 1)
        if kind in (list, tuple):
            return {"t": kind.__name__, "v": [self.encode(v, depth + 1) for v in value]}
        if kind is dict:
            keys = list(value.keys())
            return {"t": "dict", "k": [self.encode(k, depth + 1) for k in keys],
                    "v": [self.encode(value[k], depth + 1) for k in keys]}
        return self.on_object(value)

    def _array(self, value: np.ndarray) -> dict[str, Any]:
        import numpy as np

        plain = value.view(np.ndarray)
        if not plain.flags.c_contiguous:
            plain = plain.copy(order="C")  # (np.ascontiguousarray would turn a 0-d array into 1-d)
        dtype = plain.dtype
        if dtype.str not in ALLOWED_DTYPES:
            plain = plain.astype(dtype.newbyteorder("="))
        self.buffers.append(plain.tobytes())
        return {"t": "nd", "b": len(self.buffers) - 1, "dt": plain.dtype.str, "sh": list(plain.shape)}


def pack(header: dict[str, Any], buffers: list[bytes]) -> bytes:
    header = dict(header, buffers=[len(b) for b in buffers])
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    if len(raw) > MAX_HEADER_BYTES:
        raise ProtocolError(f"message header too large ({len(raw)} bytes)")
    total = len(raw) + sum(len(b) for b in buffers)
    if total > MAX_FRAME_BYTES:
        raise ProtocolError(f"message too large ({total} bytes)")
    return struct.pack(">I", len(raw)) + raw + b"".join(buffers)


# ------------------------------------------------------------------ decoding
class Decoder:
    """Rebuilds a value from a tagged tree and its buffers.

    ``on_ref`` / ``on_global`` turn reference tags into proxies (grader) or
    real objects (student process).
    """

    def __init__(self, buffers: list[bytes], on_ref: Callable[[dict[str, Any]], Any],
                 on_global: Callable[[str], Any] | None = None):
        self.buffers = buffers
        self.on_ref = on_ref
        self.on_global = on_global
        self.items = 0

    def decode(self, node: Any, depth: int = 0) -> Any:
        self.items += 1
        if depth > MAX_DEPTH or self.items > MAX_ITEMS:
            raise ProtocolError("the value is nested too deeply or has too many items")
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is not dict:
            raise ProtocolError(f"unexpected value of type {type(node).__name__}")
        tag = node.get("t")
        if tag in ("list", "tuple"):
            items = node.get("v")
            if type(items) is not list:
                raise ProtocolError("malformed list")
            decoded = [self.decode(v, depth + 1) for v in items]
            return decoded if tag == "list" else tuple(decoded)
        if tag == "dict":
            keys, values = node.get("k"), node.get("v")
            if type(keys) is not list or type(values) is not list or len(keys) != len(values):
                raise ProtocolError("malformed dict")
            out: dict[Any, Any] = {}
            for k, v in zip(keys, values):
                key = self.decode(k, depth + 1)
                if not isinstance(key, (str, int, float, bool, tuple, type(None))):
                    raise ProtocolError("dict keys must be plain values")
                out[key] = self.decode(v, depth + 1)
            return out
        if tag == "nd":
            return self._array(node)
        if tag == "complex":
            re, im = node.get("re"), node.get("im")
            if type(re) not in (int, float) or type(im) not in (int, float):
                raise ProtocolError("malformed complex number")
            return complex(re, im)
        if tag == "ref":
            if type(node.get("id")) is not int:
                raise ProtocolError("malformed reference")
            return self.on_ref(node)
        if tag == "global" and self.on_global is not None and type(node.get("name")) is str:
            return self.on_global(node["name"])
        raise ProtocolError(f"unknown value tag {tag!r}")

    def _array(self, node: dict[str, Any]) -> np.ndarray:
        import numpy as np

        index, dtype_str, shape = node.get("b"), node.get("dt"), node.get("sh")
        if type(index) is not int or not 0 <= index < len(self.buffers):
            raise ProtocolError("array refers to a missing buffer")
        if dtype_str not in ALLOWED_DTYPES:
            raise ProtocolError(f"arrays of dtype {dtype_str!r} cannot cross the boundary")
        if (type(shape) is not list or len(shape) > 32
                or any(type(s) is not int or not 0 <= s <= 2**31 for s in shape)):
            raise ProtocolError("malformed array shape")
        dtype = np.dtype(dtype_str)
        count = 1
        for s in shape:
            count *= s
        buf = self.buffers[index]
        if count * dtype.itemsize != len(buf):
            raise ProtocolError("array size does not match its data")
        array = np.frombuffer(buf, dtype=dtype).reshape(shape)
        return array.astype(dtype.newbyteorder("="), copy=True)


def unpack_header(raw: bytes, max_frame: int = MAX_FRAME_BYTES) -> dict[str, Any]:
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(f"malformed message header: {exc}") from None
    if type(header) is not dict:
        raise ProtocolError("message header is not an object")
    sizes = header.get("buffers", [])
    if type(sizes) is not list or any(type(s) is not int or s < 0 for s in sizes):
        raise ProtocolError("malformed buffer list")
    if len(sizes) > MAX_ITEMS or sum(sizes) > max_frame:
        raise ProtocolError(f"message too large (more than {max_frame} bytes of arrays)")
    return header


# ------------------------------------------------------------------ transport
def write_frame(fd: int, frame: bytes) -> None:
    view = memoryview(frame)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class FrameReader:
    """Reads whole frames from a file descriptor, with an optional deadline."""

    def __init__(self, fd: int, max_frame: int = MAX_FRAME_BYTES):
        self.fd = fd
        self.max_frame = max_frame
        self.pending = bytearray()

    def _fill(self, need: int, deadline: float | None) -> None:
        while len(self.pending) < need:
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ChannelTimeout("no answer before the time limit")
                ready, _, _ = select.select([self.fd], [], [], remaining)
                if not ready:
                    raise ChannelTimeout("no answer before the time limit")
            chunk = os.read(self.fd, max(65536, min(need - len(self.pending), 16 * 1024 * 1024)))
            if not chunk:
                raise ChannelClosed("the other side closed the channel")
            self.pending += chunk

    def _take(self, n: int, deadline: float | None) -> bytes:
        self._fill(n, deadline)
        out = bytes(self.pending[:n])
        del self.pending[:n]
        return out

    def read(self, deadline: float | None = None) -> tuple[dict[str, Any], list[bytes]]:
        (length,) = struct.unpack(">I", self._take(4, deadline))
        if length > MAX_HEADER_BYTES:
            raise ProtocolError(f"message header too large ({length} bytes)")
        header = unpack_header(self._take(length, deadline), self.max_frame)
        buffers = [self._take(size, deadline) for size in header.get("buffers", [])]
        return header, buffers
