"""The generic bridge client: the spec's interface, spoken over JSON lines (docs/reference/protocol.md).

:func:`connect_product` starts (or connects to) a product, sends ``hello`` and checks that it
offers the operations of the claimed classes; a product that fails to start or to answer
``hello`` is an :class:`~orbitcert.specs.errors.ImplementationError` (exit 2) carrying its stderr.
:class:`BridgeProduct` is then what the suite holds as ``iut``: one method per operation, whose
arguments and result are checked against the operation's JSON Schemas on the way out and in.

Whatever the product does wrong in a call (it hangs past the call timeout, exits or crashes,
writes something that is not a reply, answers with another id, floods a reply over the size
limit) raises a :class:`BridgeFailure` naming what happened, with evidence (exit status or
signal, stderr tail, the offending bytes truncated): the test gets an ``error`` verdict, the
product is stopped, and the next call starts it again. A product's own error reply raises
:class:`ProductReportedError` and leaves it running.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from pydantic import ValidationError

from orbitcert.specs.errors import ImplementationError, InterfaceError
from orbitcert.specs.model import Operation, Spec

from ..interfaces.codec import from_wire, to_wire, validate_wire
from .protocol import MAX_MESSAGE, Hello, dump_line
from .transport import ChannelClosed, ChannelTimeout, LineTooLong

__all__ = ["BridgeFailure", "BridgeProduct", "ProductReportedError", "connect_product"]

#: Seconds a product may take to start and answer hello.
HELLO_TIMEOUT = 30.0
#: Seconds an operation may take when neither the spec nor the options say.
DEFAULT_CALL_TIMEOUT = 60.0


class Channel(Protocol):
    def send(self, data: bytes, deadline: float) -> None: ...
    def read_line(self, deadline: float, limit: int) -> bytes: ...
    def evidence(self) -> str: ...
    def close(self) -> None: ...


class BridgeFailure(Exception):
    """The product failed the protocol during a call; the message carries the evidence."""


class ProductReportedError(Exception):
    """The product answered an operation with an error reply."""


def _bytes_evidence(data: bytes) -> str:
    shown = data[:200]
    return repr(shown) + (f" ... ({len(data)} bytes)" if len(data) > len(shown) else "")


class BridgeClient:
    """One product behind the protocol; restarted after any failure."""

    def __init__(
        self,
        spec: Spec,
        open_channel: Callable[[], Channel],
        describe: str,
        call_timeout: float | None = None,
        max_message: int = MAX_MESSAGE,
        hello_timeout: float = HELLO_TIMEOUT,
    ) -> None:
        self.spec = spec
        self.hello_timeout = hello_timeout
        self.operations: dict[str, Operation] = {op.name: op for op in spec.interface.operations}
        self._open = open_channel
        self.describe = describe
        self.call_timeout = call_timeout
        self.max_message = max_message
        self.channel: Channel | None = None
        self.next_id = 0
        self.hello: Hello | None = None
        self.restarts = 0

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Hello:
        """Start the product and greet it (typed errors: it cannot be used at all)."""
        self.stop()  # never two products at once
        try:
            self.channel = self._open()
        except ChannelClosed as exc:
            raise ImplementationError(f"cannot start the product ({self.describe}): {exc}") from None
        except OSError as exc:
            raise ImplementationError(f"cannot start the product ({self.describe}): {exc.strerror or exc}") from None
        self.next_id = 0
        try:
            reply = self._exchange("hello", {}, self.hello_timeout)
            if "error" in reply:
                raise BridgeFailure(f"hello answered with an error: {reply['error']!r}"[:500])
            hello = Hello.model_validate(reply.get("result"))
        except (BridgeFailure, ValidationError) as exc:
            evidence = self.channel.evidence() if self.channel else ""
            self.stop()
            why = exc.errors(include_url=False)[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            raise ImplementationError(f"the product ({self.describe}) failed hello: {why}; {evidence}") from None
        except BaseException:
            # The test's time limit (or an interrupt) struck during hello: a product left with an
            # unanswered hello would answer the next call with it.
            self.stop()
            raise
        self.hello = hello
        return hello

    def stop(self) -> None:
        """Stop the product. The channel is forgotten first and closed with the per-test alarm
        held back, so a timer striking during the close cannot leave a half-closed channel for
        the next call (the alarm fires right after)."""
        channel, self.channel = self.channel, None
        if channel is None:
            return
        blocked = hasattr(signal, "pthread_sigmask")
        if blocked:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        try:
            channel.close()
        finally:
            if blocked:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})

    # -- calls -------------------------------------------------------------------------------
    def call(self, name: str, args: dict[str, Any]) -> Any:
        """Run operation ``name`` with ``args`` (Python values); the checked result."""
        op = self.operations[name]
        wire_args = to_wire(args, op.arguments, f"{name} arguments")
        validate_wire(wire_args, op.arguments, f"{name} arguments")
        if self.channel is None:
            self.restarts += 1
            self._restart()
        timeout = self.call_timeout or op.timeout or DEFAULT_CALL_TIMEOUT
        try:
            reply = self._exchange(name, wire_args, timeout)
        except BaseException:
            # A failed exchange (or the test's own time limit striking mid-call) leaves the
            # channel in an unknown state: the product is stopped and started again next call.
            self.stop()
            raise
        if "error" in reply:
            err = reply["error"]
            kind = err.get("type", "Error") if isinstance(err, dict) else "Error"
            message = err.get("message", "") if isinstance(err, dict) else repr(err)
            raise ProductReportedError(f"{name}: the product reported {str(kind)[:100]}: {str(message)[:1000]}")
        if "result" not in reply:
            self.stop()
            raise BridgeFailure(f"{name}: the reply has neither result nor error: {_bytes_evidence(json.dumps(reply).encode())}")
        validate_wire(reply["result"], op.result, f"{name} result")
        return from_wire(reply["result"], op.result)

    def _restart(self) -> None:
        try:
            self.start()
        except ImplementationError as exc:
            raise BridgeFailure(f"the product could not be restarted: {exc.message}") from None

    def _exchange(self, op: str, args: dict[str, Any], timeout: float) -> dict[str, Any]:
        assert self.channel is not None
        request_id = self.next_id
        self.next_id += 1
        line = dump_line({"id": request_id, "op": op, "args": args})
        deadline = time.monotonic() + timeout
        try:
            self.channel.send(line, deadline)
            raw = self.channel.read_line(deadline, self.max_message)
        except ChannelTimeout:
            raise BridgeFailure(f"{op}: no reply within {timeout:g} s (the product hung); {self.channel.evidence()}") from None
        except ChannelClosed:
            raise BridgeFailure(f"{op}: the product ended during the call; {self.channel.evidence()}") from None
        except LineTooLong as exc:
            raise BridgeFailure(
                f"{op}: reply larger than the {self.max_message}-byte limit ({exc.size}+ bytes): {_bytes_evidence(exc.head)}"
            ) from None
        try:
            reply = json.loads(raw)
        except (ValueError, RecursionError):
            raise BridgeFailure(f"{op}: the product wrote something that is not a protocol reply: {_bytes_evidence(raw)}") from None
        if not isinstance(reply, dict):
            raise BridgeFailure(f"{op}: the reply is not a JSON object: {_bytes_evidence(raw)}")
        if reply.get("id") != request_id or isinstance(reply.get("id"), bool):
            raise BridgeFailure(f"{op}: reply id {reply.get('id')!r} answers no request (expected {request_id}): {_bytes_evidence(raw)}")
        return reply


class BridgeProduct:
    """The suite's view of a product behind the bridge: one method per interface operation,
    arguments taken positionally in the order of the operation's ``properties``."""

    def __init__(self, client: BridgeClient) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Callable[..., Any]:
        try:
            op = self._client.operations[name]
        except KeyError:
            raise AttributeError(f"{name!r} is not an operation of the test interface") from None
        names = list(op.arguments.get("properties", {}))

        def call(*args: Any, **kwargs: Any) -> Any:
            if len(args) > len(names):
                raise TypeError(f"{name}() takes {len(names)} arguments ({len(args)} given)")
            values = dict(zip(names, args, strict=False))
            values.update(kwargs)
            return self._client.call(name, values)

        return call

    def close(self) -> None:
        self._client.stop()

    def __repr__(self) -> str:
        return f"BridgeProduct({self._client.describe})"


def connect_product(
    spec: Spec,
    classes: Sequence[str],
    open_channel: Callable[[], Channel],
    describe: str,
    call_timeout: float | None = None,
    max_message: int = MAX_MESSAGE,
    hello_timeout: float = HELLO_TIMEOUT,
) -> tuple[BridgeProduct, Hello]:
    """Start the product, greet it, and refuse it (:class:`InterfaceError`) when its ``hello``
    lacks an operation of the claimed ``classes``."""
    client = BridgeClient(spec, open_channel, describe, call_timeout, max_message, hello_timeout)
    hello = client.start()
    wanted = [op.name for op in spec.interface.operations if set(classes).intersection(op.classes)]
    missing = [f"{name} (class {', '.join(client.operations[name].classes)}) is missing" for name in wanted if name not in hello.operations]
    if missing:
        client.stop()
        raise InterfaceError(
            f"the product ({describe}) does not implement the test interface of {spec.ref}: " + "; ".join(missing),
            field="interface",
        )
    return BridgeProduct(client), hello
