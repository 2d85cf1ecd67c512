"""The orbitcert product protocol: JSON lines between the harness and a product (docs/reference/protocol.md).

One JSON object per line, UTF-8, ``\\n``-terminated, one request at a time:

* request ``{"id": n, "op": NAME, "args": {...}}``; the first is ``hello`` with id 0;
* reply ``{"id": n, "result": ...}`` or ``{"id": n, "error": {"type": ..., "message": ...}}``;
* bytes travel as base64 text wherever the operation's schema says ``contentEncoding: base64``.

The operations and their arguments are exactly the spec's ``interface`` section; ``hello`` is the
one operation every product has. Nothing but reply lines may appear on the product's stdout.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, RootModel

__all__ = ["MAX_MESSAGE", "Hello", "Message", "ProtocolError", "Reply", "Request", "dump_line"]

#: Longest line accepted in either direction, by default (``--max-reply`` changes it).
MAX_MESSAGE = 16 * 1024 * 1024


class Request(BaseModel):
    """What the harness sends."""

    model_config = ConfigDict(extra="forbid")
    id: int = Field(ge=0, description="Increases by one per request; 0 is hello.")
    op: str = Field(description="'hello' or an operation of the spec's interface.")
    args: dict[str, Any] = Field(description="The operation's arguments, checked against its JSON Schema.")


class ProtocolError(BaseModel):
    """Why an operation failed, as the product says."""

    model_config = ConfigDict(extra="forbid")
    type: str = Field(description="A short error name, e.g. ValueError or NotImplemented.")
    message: str = ""


class Reply(BaseModel):
    """What the product answers: exactly one of result and error."""

    model_config = ConfigDict(extra="forbid")
    id: int = Field(ge=0, description="The id of the request this answers.")
    result: Any = Field(default=None, description="The operation's result, checked against its JSON Schema.")
    error: ProtocolError | None = None


class Hello(BaseModel):
    """The result of ``hello``: who the product is and what it implements."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    supplier: str | None = None
    operations: list[str] = Field(description="Names of the interface operations the product implements.")


class Message(RootModel[Request | Reply]):
    """Any line of the protocol."""


def dump_line(message: Any) -> bytes:
    """One protocol line: compact JSON and ``\\n``. ``orjson`` writes it (a 1 MB payload in 0.1 ms,
    ``json.dumps`` takes 5 ms); values it does not take (integers beyond 64 bits) go through
    ``json``. Lines are read with ``json.loads``: ``orjson`` would read such integers as floats."""
    try:
        return orjson.dumps(message) + b"\n"
    except TypeError:
        return json.dumps(message, separators=(",", ":"), allow_nan=False).encode() + b"\n"

