"""Values of a test interface, checked against the spec's JSON Schemas (docs/getting-started/adapters.md).

An operation's ``arguments`` and ``result`` are JSON Schemas in the spec. In process, values are
Python values with ``bytes`` wherever the schema says ``contentEncoding: base64``; on the wire
they are JSON with those bytes in base64. :func:`to_wire` turns a Python value into its JSON form,
refusing any value of the wrong Python type (a ``str`` where bytes are declared, a numpy integer,
a tuple of the wrong length...), and the JSON form is then validated with ``jsonschema``;
:func:`from_wire` turns a validated JSON value back into fresh Python values. A product's result
therefore reaches a suite only as a new, checked copy, whichever way the product is connected.
"""

from __future__ import annotations

import binascii
import math
from collections.abc import Callable, Mapping
from typing import Any

import pybase64
from jsonschema import Draft202012Validator

__all__ = ["InterfaceViolation", "checked_result", "from_wire", "to_wire"]


class InterfaceViolation(Exception):
    """A product's value does not match what its operation declares."""


_BYTES = (bytes, bytearray, memoryview)


def _is_bytes_schema(schema: Mapping[str, Any]) -> bool:
    return schema.get("contentEncoding") == "base64"


def _describe(value: Any) -> str:
    kind = type(value)
    name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    return name


def to_wire(value: Any, schema: Mapping[str, Any], where: str = "result") -> Any:
    """The JSON form of ``value`` under ``schema``; :class:`InterfaceViolation` naming ``where``
    when a Python type does not fit (validation of the JSON form is :func:`validate_wire`)."""
    for key in ("oneOf", "anyOf"):
        if key in schema:
            problems = []
            for branch in schema[key]:
                try:
                    wire = to_wire(value, branch, where)
                    validate_wire(wire, branch, where)
                    return wire
                except InterfaceViolation as exc:
                    problems.append(str(exc))
            raise InterfaceViolation(f"{where}: {_describe(value)} matches none of the allowed forms ({'; '.join(problems)})")
    if _is_bytes_schema(schema):
        if not isinstance(value, _BYTES):
            raise InterfaceViolation(f"{where}: expected bytes, got {_describe(value)}")
        return pybase64.b64encode_as_string(value)
    kind = schema.get("type")
    if kind == "array":
        if not isinstance(value, list):
            raise InterfaceViolation(f"{where}: expected a list, got {_describe(value)}")
        items = schema.get("items", {})
        if _is_bytes_schema(items) and not {"oneOf", "anyOf"} & items.keys():
            encode = pybase64.b64encode_as_string
            if all(isinstance(v, _BYTES) for v in value):  # a list of frames: no per-item recursion
                return [encode(v) for v in value]
        return [to_wire(v, items, f"{where}[{i}]") for i, v in enumerate(value)]
    if kind == "object":
        if not isinstance(value, dict):
            raise InterfaceViolation(f"{where}: expected a dict, got {_describe(value)}")
        props = schema.get("properties", {})
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise InterfaceViolation(f"{where}: key {k!r} is not a string")
            out[k] = to_wire(v, props.get(k, {}), f"{where}.{k}")
        return out
    if type(value) is float and not math.isfinite(value):
        raise InterfaceViolation(f"{where}: {value} is not a JSON number")
    if value is None or type(value) in (bool, int, float, str):
        return value
    raise InterfaceViolation(f"{where}: {_describe(value)} is not a plain Python value (None, bool, int, float, str, list, dict, bytes)")


#: Keywords that never make an instance invalid (annotations), for the fast path below.
_ANNOTATIONS = frozenset({"title", "description", "$comment", "examples", "default", "deprecated",
                          "readOnly", "writeOnly", "contentEncoding", "contentMediaType"})
#: JSON Schema types whose whole check is one Python type test on a value ``json`` produced.
_LEAF_TYPES: dict[str, type] = {"string": str, "boolean": bool, "null": type(None)}
#: Keywords of an integer leaf the fast path checks itself (besides annotations).
_INT_KEYWORDS = frozenset({"type", "minimum", "maximum"})
#: Keywords under which pruning an ``items`` keyword could change what else is evaluated.
_NO_PRUNE = ("unevaluatedItems", "unevaluatedProperties", "$ref", "$dynamicRef", "$recursiveRef")


class _Plan:
    """How one schema is validated: a compiled ``jsonschema`` validator, plus, for schemas with
    arrays of plain strings, booleans or bounded integers (a list of base64 frames, a list of word
    offsets), a fast path.

    The fast path validates a copy of the schema without those ``items`` keywords, then checks the
    list elements' Python types directly: a per-element ``jsonschema`` descent costs about 6 us,
    which made validation the largest cost of a 1 MB call through the bridge. The two checks
    together accept exactly what the full schema accepts (tests/conformance/test_codec_fastpath.py
    compares them on generated values); any failure is reported by the full validator, so
    error messages do not change."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = schema
        self.full = Draft202012Validator(schema)
        self.leaf_arrays: list[tuple[tuple[str, ...], Callable[[Any], bool]]] = []
        self.fast: Draft202012Validator | None = None
        if not any(key in repr(schema) for key in _NO_PRUNE):
            pruned = self._prune(schema, ())
            if self.leaf_arrays:
                self.fast = Draft202012Validator(pruned)

    def _prune(self, schema: Any, path: tuple[str, ...]) -> Any:
        if not isinstance(schema, Mapping):
            return schema
        out = dict(schema)
        leaf = _leaf_check(schema.get("items"))
        if leaf is not None and not {"prefixItems", "contains"} & schema.keys():
            del out["items"]
            self.leaf_arrays.append((path, leaf))
        props = schema.get("properties")
        if isinstance(props, Mapping):
            out["properties"] = {k: self._prune(v, (*path, k)) for k, v in props.items()}
        return out

    def is_valid(self, wire: Any) -> bool:
        if self.fast is None:
            return bool(self.full.is_valid(wire))
        if not self.fast.is_valid(wire):
            return False
        for path, kind in self.leaf_arrays:
            value = wire
            for key in path:
                if not isinstance(value, dict) or key not in value:
                    break
                value = value[key]
            else:
                if isinstance(value, list) and not all(kind(v) for v in value):
                    return False
        return True


def _leaf_check(schema: Any) -> Callable[[Any], bool] | None:
    """A plain-Python test equivalent to ``schema`` when it is a leaf: a ``type`` of string,
    boolean or null (one isinstance test), or an integer with optional numeric ``minimum`` and
    ``maximum`` (JSON Schema's integer: an int that is not a bool, or a float with an integral
    value), with annotations only; None for anything else."""
    if not isinstance(schema, Mapping):
        return None
    kind = schema.get("type")
    if kind == "integer" and not set(schema) - _ANNOTATIONS - _INT_KEYWORDS:
        lo, hi = schema.get("minimum"), schema.get("maximum")
        if any(b is not None and (isinstance(b, bool) or not isinstance(b, int | float)) for b in (lo, hi)):
            return None
        low = -math.inf if lo is None else lo
        high = math.inf if hi is None else hi

        def integer(v: Any) -> bool:
            t = type(v)
            return (t is int or (t is float and v.is_integer())) and low <= v <= high

        return integer
    if set(schema) - _ANNOTATIONS - {"type"} or not isinstance(kind, str) or kind not in _LEAF_TYPES:
        return None
    leaf = _LEAF_TYPES[kind]
    return lambda v: isinstance(v, leaf)


_PLANS: dict[int, _Plan] = {}


def _plan(schema: Mapping[str, Any]) -> _Plan:
    """One plan per schema object (schemas live in frozen spec models)."""
    cached = _PLANS.get(id(schema))
    if cached is None or cached.schema is not schema:
        cached = _PLANS[id(schema)] = _Plan(schema)
    return cached


def validate_wire(wire: Any, schema: Mapping[str, Any], where: str = "result") -> None:
    """Validate a JSON value against ``schema``; the first problem is an :class:`InterfaceViolation`."""
    plan = _plan(schema)
    if plan.is_valid(wire):
        return
    error = next(iter(sorted(plan.full.iter_errors(wire), key=lambda e: list(e.path))), None)
    if error is not None:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path)
        raise InterfaceViolation(f"{where}{path}: {error.message[:300]}")


def from_wire(wire: Any, schema: Mapping[str, Any]) -> Any:
    """Fresh Python values from a validated JSON value: base64 text becomes ``bytes``."""
    for key in ("oneOf", "anyOf"):
        if key in schema:
            for branch in schema[key]:
                if _plan(branch).is_valid(wire):
                    return from_wire(wire, branch)
            return wire
    if _is_bytes_schema(schema) and isinstance(wire, str):
        try:
            return pybase64.b64decode(wire, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InterfaceViolation(f"not base64: {exc}") from None
    if isinstance(wire, list):
        items = schema.get("items", {})
        if _is_bytes_schema(items) and not {"oneOf", "anyOf"} & items.keys() and all(isinstance(v, str) for v in wire):
            try:
                return [pybase64.b64decode(v, validate=True) for v in wire]
            except (binascii.Error, ValueError) as exc:
                raise InterfaceViolation(f"not base64: {exc}") from None
        return [from_wire(v, items) for v in wire]
    if isinstance(wire, dict):
        props = schema.get("properties", {})
        return {k: from_wire(v, props.get(k, {})) for k, v in wire.items()}
    return wire


def checked_result(value: Any, schema: Mapping[str, Any], where: str) -> Any:
    """A product's in-process result, checked against its declared schema, as a fresh copy."""
    wire = to_wire(value, schema, where)
    validate_wire(wire, schema, where)
    return from_wire(wire, schema)
