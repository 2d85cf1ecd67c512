"""Serving an in-process product over the protocol (``orbitcert serve``; docs/reference/protocol.md).

This is the Python vendor's out-of-process adapter and the proof that the bridge is faithful: the
reference served this way gets exactly the verdicts it gets in process. Certification also uses
it to isolate a ``--impl module:factory`` product in a process of its own.

The product's own prints go to stderr: stdout carries nothing but reply lines.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
from collections.abc import Callable
from typing import IO, Any

from orbitcert.specs.model import Spec

from ..interfaces import operation_problem
from ..interfaces.codec import InterfaceViolation, from_wire, to_wire, validate_wire
from ..session import declared_identity
from .protocol import MAX_MESSAGE, dump_line

__all__ = ["handle_line", "serve_socket", "serve_stdio"]


def _text(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # noqa: BLE001 - a product's __str__ may raise
        return f"<{type(exc).__name__}>"


def _error(request_id: Any, kind: str, message: str) -> dict[str, Any]:
    return {"id": request_id, "error": {"type": kind, "message": message[:4000]}}


def offered_operations(product: Any, spec: Spec) -> list[str]:
    """The interface operations ``product`` can serve (checked once, not per request)."""
    return [op.name for op in spec.interface.operations if not operation_problem(product, op)]


def handle_line(
    product: Any, spec: Spec, line: bytes, fallback_name: str | None = None, offered: list[str] | None = None
) -> dict[str, Any] | None:
    """The reply to one request line (None when the line has no usable id). ``hello`` names the
    product as it declares itself, else ``fallback_name`` (e.g. its factory), else its type."""
    try:
        request = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(request, dict) or not isinstance(request.get("id"), int) or isinstance(request.get("id"), bool):
        return None
    rid, name, args = request["id"], request.get("op"), request.get("args", {})
    operations = {op.name: op for op in spec.interface.operations}
    if offered is None:
        offered = offered_operations(product, spec)
    if name == "hello":
        identity = declared_identity(product)
        return {
            "id": rid,
            "result": {
                "name": identity.name if identity else fallback_name or type(product).__name__,
                "version": identity.version if identity else "unspecified",
                "supplier": identity.supplier if identity else None,
                "operations": offered,
            },
        }
    if not isinstance(name, str) or name not in offered:
        return _error(rid, "NotImplemented", f"no operation {name!r}")
    op = operations[name]
    if not isinstance(args, dict):
        return _error(rid, "ValueError", "args must be an object")
    try:
        validate_wire(args, op.arguments, "arguments")
        values = from_wire(args, op.arguments)
    except InterfaceViolation as exc:
        return _error(rid, "ValueError", str(exc))
    properties = op.arguments.get("properties", {})
    positional = [values[p] if p in values else properties[p].get("default") for p in properties]
    try:
        result = getattr(product, name)(*positional)
        wire = to_wire(result, op.result, f"{name} result")
    except BaseException as exc:  # noqa: BLE001 - whatever the product raises (even SystemExit) is a reply
        return _error(rid, type(exc).__name__, _text(exc))
    return {"id": rid, "result": wire}


def _serve(
    product: Any, spec: Spec, reader: IO[bytes], write: Callable[[bytes], None], max_message: int, name: str | None
) -> None:
    buffer = bytearray()
    scanned = 0  # bytes of buffer already known to hold no newline
    offered = offered_operations(product, spec)
    while chunk := reader.read1(1 << 20) if hasattr(reader, "read1") else reader.read(1 << 20):
        buffer += chunk
        while (end := buffer.find(b"\n", scanned)) >= 0:
            line = bytes(buffer[:end])
            del buffer[: end + 1]
            scanned = 0
            reply = handle_line(product, spec, line, name, offered)
            if reply is not None:
                write(dump_line(reply))
        scanned = len(buffer)
        if len(buffer) > max_message:
            buffer.clear()  # not a request of ours
            scanned = 0


def serve_stdio(product: Any, spec: Spec, max_message: int = MAX_MESSAGE, name: str | None = None) -> None:
    """Serve on stdin/stdout until stdin closes. fd 1 is moved aside first, so whatever the
    product prints lands on stderr and stdout carries only replies."""
    protocol_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def write(data: bytes) -> None:
        protocol_out.write(data)
        protocol_out.flush()

    _serve(product, spec, sys.stdin.buffer, write, max_message, name)


def serve_socket(
    make_product: Callable[[], Any],
    spec: Spec,
    host: str,
    port: int,
    max_message: int = MAX_MESSAGE,
    ready: Callable[[int], None] | None = None,
    name: str | None = None,
) -> None:
    """Serve one connection at a time on ``host:port`` (a new product per connection)."""
    with socket.create_server((host, port)) as server:
        if ready is not None:
            ready(server.getsockname()[1])
        while True:
            conn, _ = server.accept()
            with conn, contextlib.suppress(OSError):
                reader = conn.makefile("rb")
                _serve(make_product(), spec, reader, conn.sendall, max_message, name)
