"""Unit tests of the plain-data channel: what a hostile student process could
send, and that the grader decodes only plain data (never pickle, never
student code), within size and depth caps."""

from __future__ import annotations

import json
import math
import os
import struct
import time

import numpy as np
import pytest

from autograder.sandbox import protocol
from autograder.sandbox.protocol import Decoder, Encoder, FrameReader, ProtocolError


def refuse(node):  # the grader's decoder without references
    raise AssertionError("no reference expected")


def roundtrip(value):
    stored = []

    def on_object(obj):
        stored.append(obj)
        return {"t": "ref", "id": len(stored), "type": type(obj).__name__, "callable": callable(obj)}

    encoder = Encoder(on_object)
    tree = encoder.encode(value)
    frame = protocol.pack({"value": tree}, encoder.buffers)
    r, w = os.pipe()
    try:
        os.write(w, frame)
        header, buffers = FrameReader(r).read(time.monotonic() + 5)
    finally:
        os.close(r)
        os.close(w)
    return Decoder(buffers, lambda node: ("REF", node["type"])).decode(header["value"])


def decode(node, buffers=()):
    return Decoder(list(buffers), refuse).decode(node)


def read_raw(data: bytes, max_frame: int = protocol.MAX_FRAME_BYTES):
    r, w = os.pipe()
    try:
        os.write(w, data)
        os.close(w)
        w = -1
        return FrameReader(r, max_frame=max_frame).read(time.monotonic() + 2)
    finally:
        os.close(r)
        if w != -1:
            os.close(w)


def test_plain_values_roundtrip_with_their_types() -> None:
    value = {"a": [1, 2.5, None, True, "s"], 3: (1, (2, 3)), (1, "k"): complex(1, -2), False: -7}
    assert roundtrip(value) == value
    assert type(roundtrip((1, 2))) is tuple and type(roundtrip([1, 2])) is list


def test_nan_and_infinity_arrive_as_floats() -> None:
    got = roundtrip([float("nan"), float("inf"), -float("inf"), np.array([np.nan, np.inf])])
    assert math.isnan(got[0]) and got[1] == math.inf and got[2] == -math.inf
    assert np.isnan(got[3][0]) and np.isinf(got[3][1])


def test_arrays_roundtrip_native_and_copied() -> None:
    big_endian = np.arange(6, dtype=">f8").reshape(2, 3)
    got = roundtrip(big_endian)
    assert got.dtype == np.dtype("float64") and got.dtype.isnative and np.array_equal(got, big_endian)
    assert got.flags.writeable and got.flags.owndata
    strided = np.arange(20.0)[::3]
    assert np.array_equal(roundtrip(strided), strided)
    assert roundtrip(np.array(True)).shape == ()  # 0-d stays 0-d (a loss returned as np.array(x))
    assert roundtrip(np.array(0.25)).shape == () and roundtrip(np.float32(2)) == 2.0


def test_ndarray_subclass_arrives_as_plain_ndarray() -> None:
    class Sneaky(np.ndarray):
        def __eq__(self, other):
            return True

    got = roundtrip(np.zeros(3).view(Sneaky))
    assert type(got) is np.ndarray and not (got == np.ones(3)).all()


def test_object_dtype_and_objects_with_dunders_become_references() -> None:
    class Liar:
        def __eq__(self, other):
            return True

        def __array__(self, *args, **kwargs):
            raise AssertionError("never called")

        def __float__(self):
            raise AssertionError("never called")

    objects = np.empty(2, dtype=object)
    objects[0] = Liar()
    assert roundtrip(objects) == ("REF", "ndarray")
    assert roundtrip(Liar()) == ("REF", "Liar")
    assert roundtrip(type("S", (str,), {})("x")) == ("REF", "S")
    assert roundtrip(type("L", (list,), {})([1])) == ("REF", "L")


@pytest.mark.parametrize("dtype", ["|O", "<M8[ns]", "|V8", "<U3", "|S4", "O", "<m8", "float128", None, 5])
def test_forbidden_dtypes_are_rejected(dtype) -> None:
    with pytest.raises(ProtocolError):
        decode({"t": "nd", "b": 0, "dt": dtype, "sh": [1]}, [b"\0" * 16])


@pytest.mark.parametrize("shape", [[10**9], [10**9, 10**9], [2**40], [-1], [1.5], ["3"], [1] * 40, "3", None])
def test_huge_or_malformed_shapes_with_tiny_buffers_are_rejected(shape) -> None:
    with pytest.raises(ProtocolError):
        decode({"t": "nd", "b": 0, "dt": "<f8", "sh": shape}, [b"\0" * 8])


def test_zero_sized_array_with_absurd_other_dimension_is_rejected() -> None:
    with pytest.raises(ProtocolError):
        decode({"t": "nd", "b": 0, "dt": "<f8", "sh": [0, 2**62]}, [b""])


def test_missing_buffer_is_rejected() -> None:
    with pytest.raises(ProtocolError):
        decode({"t": "nd", "b": 3, "dt": "<f8", "sh": [1]}, [b"\0" * 8])


def test_deep_nesting_is_rejected_both_ways() -> None:
    deep: list = []
    for _ in range(protocol.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(ProtocolError):
        Encoder(refuse).encode(deep)
    node: object = 1
    for _ in range(protocol.MAX_DEPTH + 5):
        node = {"t": "list", "v": [node]}
    with pytest.raises(ProtocolError):
        decode(node)


def test_too_many_items_is_rejected() -> None:
    with pytest.raises(ProtocolError):
        Encoder(refuse).encode(list(range(protocol.MAX_ITEMS + 1)))
    with pytest.raises(ProtocolError):
        decode({"t": "list", "v": [0] * (protocol.MAX_ITEMS + 1)})


@pytest.mark.parametrize("node", [
    {"t": "pickle", "b": 0}, {"t": "global", "name": "f"}, {"t": "dict", "k": [1], "v": []},
    {"t": "dict", "k": [{"t": "list", "v": [1]}], "v": [2]}, {"t": "list", "v": "abc"},
    {"t": "complex", "re": "1", "im": 0}, {"t": "ref", "id": "1"}, [1, 2], {"no": "tag"},
])
def test_malformed_or_unknown_tags_are_rejected(node) -> None:
    with pytest.raises((ProtocolError, TypeError)):
        decode(node)


def test_non_string_keys() -> None:
    assert decode({"t": "dict", "k": [1, 2.5, None, {"t": "tuple", "v": [1, 2]}], "v": [1, 2, 3, 4]}) == {
        1: 1, 2.5: 2, None: 3, (1, 2): 4}


def test_frame_header_too_large_or_broken() -> None:
    with pytest.raises(ProtocolError, match="too large"):
        read_raw(struct.pack(">I", 0xFFFFFFF0) + b"{")
    with pytest.raises(ProtocolError, match="malformed"):
        read_raw(struct.pack(">I", 5) + b"{nope")
    with pytest.raises(ProtocolError):
        read_raw(struct.pack(">I", 2) + b"[]")
    with pytest.raises(ProtocolError):  # an integer with 10,000 digits
        raw = ('{"value": ' + "9" * 10_000 + "}").encode()
        read_raw(struct.pack(">I", len(raw)) + raw)


def test_claimed_buffers_beyond_the_reply_cap_are_refused_before_reading() -> None:
    raw = json.dumps({"ok": True, "buffers": [protocol.MAX_REPLY_BYTES + 1]}).encode()
    with pytest.raises(ProtocolError, match="too large"):
        read_raw(struct.pack(">I", len(raw)) + raw, max_frame=protocol.MAX_REPLY_BYTES)
    raw = json.dumps({"ok": True, "buffers": [-1]}).encode()
    with pytest.raises(ProtocolError):
        read_raw(struct.pack(">I", len(raw)) + raw)


def test_closed_channel_and_deadline() -> None:
    with pytest.raises(protocol.ChannelClosed):
        read_raw(b"\0\0")
    r, w = os.pipe()
    try:
        deadline = time.monotonic() + 0.2
        with pytest.raises(protocol.ChannelTimeout):  # a silent writer: the read gives up at the deadline
            FrameReader(r).read(deadline)
        gave_up_at = time.monotonic()
        assert gave_up_at >= deadline  # ... and not before it (a lower bound: a busy machine only makes it later)
    finally:
        os.close(r)
        os.close(w)


def test_decoding_never_unpickles(monkeypatch) -> None:
    import pickle

    def boom(*args, **kwargs):
        raise AssertionError("pickle used")

    monkeypatch.setattr(pickle, "loads", boom)
    monkeypatch.setattr(pickle, "load", boom)
    blob = pickle.dumps({"x": 1})
    with pytest.raises(ProtocolError):
        decode({"t": "pickle", "b": 0}, [blob])
    assert roundtrip({"x": np.arange(3)})["x"].tolist() == [0, 1, 2]


def test_allowed_dtypes_are_numpys_own_strings() -> None:
    """The protocol names its dtypes without importing numpy (validate never imports it): the same set."""
    native = {np.dtype(t).str for t in ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                                        "uint64", "float16", "float32", "float64", "complex64", "complex128")}
    big = {np.dtype(t).newbyteorder(">").str for t in ("int16", "int32", "int64", "float32", "float64")}
    assert protocol.ALLOWED_DTYPES == native | big
    for dtype in ("bool", "uint8", "int16", "float32", "complex128", ">i4", ">f8"):
        value = np.arange(4).astype(dtype)
        assert roundtrip(value).tolist() == value.tolist()
