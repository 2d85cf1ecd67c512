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

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator

__all__ = ["InterfaceViolation", "checked_result", "from_wire", "to_wire"]


class InterfaceViolation(Exception):
    """A product's value does not match what its operation declares."""


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
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise InterfaceViolation(f"{where}: expected bytes, got {_describe(value)}")
        return base64.b64encode(bytes(value)).decode("ascii")
    kind = schema.get("type")
    if kind == "array":
        if not isinstance(value, list):
            raise InterfaceViolation(f"{where}: expected a list, got {_describe(value)}")
        items = schema.get("items", {})
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
    if value is None or type(value) in (bool, int, float, str):
        return value
    raise InterfaceViolation(f"{where}: {_describe(value)} is not a plain Python value (None, bool, int, float, str, list, dict, bytes)")


_VALIDATORS: dict[int, tuple[Mapping[str, Any], Draft202012Validator]] = {}


def _validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    """One compiled validator per schema object (schemas live in frozen spec models)."""
    cached = _VALIDATORS.get(id(schema))
    if cached is None or cached[0] is not schema:
        cached = (schema, Draft202012Validator(schema))
        _VALIDATORS[id(schema)] = cached
    return cached[1]


def validate_wire(wire: Any, schema: Mapping[str, Any], where: str = "result") -> None:
    """Validate a JSON value against ``schema``; the first problem is an :class:`InterfaceViolation`."""
    validator = _validator(schema)
    if validator.is_valid(wire):
        return
    error = next(iter(sorted(validator.iter_errors(wire), key=lambda e: list(e.path))), None)
    if error is not None:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path)
        raise InterfaceViolation(f"{where}{path}: {error.message[:300]}")


def from_wire(wire: Any, schema: Mapping[str, Any]) -> Any:
    """Fresh Python values from a validated JSON value: base64 text becomes ``bytes``."""
    for key in ("oneOf", "anyOf"):
        if key in schema:
            for branch in schema[key]:
                if _validator(branch).is_valid(wire):
                    return from_wire(wire, branch)
            return wire
    if _is_bytes_schema(schema) and isinstance(wire, str):
        try:
            return base64.b64decode(wire, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InterfaceViolation(f"not base64: {exc}") from None
    if isinstance(wire, list):
        items = schema.get("items", {})
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
