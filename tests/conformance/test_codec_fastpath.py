"""The interface codec's fast paths accept and produce exactly what the plain paths do.

``validate_wire`` skips ``jsonschema``'s per-element descent for arrays of plain strings (lists
of base64 frames); ``to_wire``/``from_wire`` encode such lists without recursion. The oracle is
``jsonschema`` itself on the unmodified schema, and the recursive per-item codec.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from orbitcert.conformance.interfaces import codec
from orbitcert.specs.loader import Catalog

OPERATIONS = [op for loaded in Catalog.discover().all_loaded() for op in loaded.spec.interface.operations]
SCHEMAS = [s for op in OPERATIONS for s in (op.arguments, op.result)]

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-300, 300), st.floats(allow_nan=False, allow_infinity=False),
                      st.text(max_size=8), st.sampled_from(["AAAA", "AQID", "not base64!", ""]))
json_value = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(
    st.sampled_from(["frames", "frame", "data", "interleave", "randomize", "stream", "x"]), inner, max_size=4), max_leaves=20)


def test_some_schema_takes_the_fast_path() -> None:
    assert any(codec._plan(s).fast is not None for s in SCHEMAS), "no bundled schema exercises the fast path"


@settings(max_examples=300, deadline=None)
@given(index=st.integers(0, len(SCHEMAS) - 1), value=json_value)
def test_fast_validation_agrees_with_jsonschema(index: int, value: Any) -> None:
    schema = SCHEMAS[index]
    expected = Draft202012Validator(schema).is_valid(value)
    assert codec._plan(schema).is_valid(value) == expected


@settings(max_examples=200, deadline=None)
@given(frames=st.lists(st.binary(max_size=40), max_size=6), other=st.one_of(st.none(), st.integers(), st.text(max_size=3)))
def test_bytes_arrays_round_trip_like_the_recursive_codec(frames: list[bytes], other: Any) -> None:
    schema = {"type": "array", "items": {"type": "string", "contentEncoding": "base64"}}
    wire = codec.to_wire(frames, schema)
    assert wire == [base64.b64encode(f).decode() for f in frames]
    assert codec.from_wire(wire, schema) == frames
    if other is not None:  # one non-bytes element: the fast path must not hide it
        with pytest.raises(codec.InterfaceViolation, match=r"\[\d+\]: expected bytes"):
            codec.to_wire([*frames, other], schema)


def test_invalid_base64_in_a_frame_list_is_an_interface_violation() -> None:
    schema = {"type": "array", "items": {"type": "string", "contentEncoding": "base64"}}
    with pytest.raises(codec.InterfaceViolation, match="not base64"):
        codec.from_wire(["AAAA", "A!A="], schema)


def test_array_of_non_strings_fails_with_the_full_validators_message() -> None:
    schema = {"type": "object", "properties": {"frames": {"type": "array", "items": {"type": "string"}}}}
    with pytest.raises(codec.InterfaceViolation, match=r"arguments\.frames\[1\]: 3 is not of type 'string'"):
        codec.validate_wire({"frames": ["a", 3]}, schema, "arguments")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_numbers_are_not_json(value: float) -> None:
    with pytest.raises(codec.InterfaceViolation, match="not a JSON number"):
        codec.to_wire({"x": value}, {"type": "object"})


INT_SCHEMAS = [
    {"type": "array", "items": {"type": "integer", "minimum": 0}},
    {"type": "array", "items": {"type": "integer", "minimum": -3, "maximum": 7, "description": "x"}},
    {"type": "object", "required": ["corrected"], "properties": {"corrected": {"type": "array", "items": {"type": "integer", "minimum": 0}}}},
]
int_leaf = st.one_of(st.integers(-10, 10), st.integers(-(2**70), 2**70), st.booleans(), st.none(),
                     st.floats(-12, 12, allow_nan=False).map(lambda x: float(round(x)) if x > 0 else x), st.text(max_size=2))


def test_integer_arrays_take_the_fast_path() -> None:
    assert all(codec._plan(s).fast is not None for s in INT_SCHEMAS)


@settings(max_examples=400, deadline=None)
@given(index=st.integers(0, len(INT_SCHEMAS) - 1), items=st.lists(int_leaf, max_size=6), wrap=st.booleans())
def test_fast_integer_arrays_agree_with_jsonschema(index: int, items: list[Any], wrap: bool) -> None:
    """Integers of JSON Schema: ints that are not bools, and integral floats, within the bounds."""
    schema = INT_SCHEMAS[index]
    value: Any = {"corrected": items} if wrap or index == 2 else items
    assert codec._plan(schema).is_valid(value) == Draft202012Validator(schema).is_valid(value)
