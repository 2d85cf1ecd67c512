"""What a suite holds as ``iut``: the product behind its test interface (docs/architecture.md).

:class:`InterfaceProxy` exposes exactly the operations of the spec's interface. Each call hands
the product deep copies of the suite's arguments (so a product that empties or rewrites the
caller's list changes nothing the suite later compares with), checks the result against the
operation's declared schema before any comparison (:func:`~.codec.checked_result`) and returns a
fresh copy. Whatever the product raises that is not an ordinary exception (``KeyboardInterrupt``,
``SystemExit``, ``pytest.exit``) becomes :class:`ProductMisbehaved`, an ``error`` verdict for
that test, never the end of the run.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from typing import Any

from orbitcert.specs.model import Operation, Spec

from .codec import InterfaceViolation, checked_result

__all__ = ["InterfaceProxy", "InterfaceViolation", "ProductMisbehaved"]


class ProductMisbehaved(Exception):
    """The product raised something a product must not raise (it tried to end the run)."""


class InterfaceProxy:
    """The product, reachable only through its interface's operations."""

    __slots__ = ("_product", "_operations", "_recursion_limit")

    def __init__(self, product: Any, spec: Spec) -> None:
        self._product = product
        self._operations: dict[str, Operation] = {op.name: op for op in spec.interface.operations}
        self._recursion_limit = sys.getrecursionlimit()

    def __getattr__(self, name: str) -> Callable[..., Any]:
        try:
            op = self._operations[name]
        except KeyError:
            raise AttributeError(f"{name!r} is not an operation of the test interface") from None
        return lambda *args, **kwargs: self._call(op, args, kwargs)

    def __repr__(self) -> str:
        return f"InterfaceProxy({type(self._product).__name__}, operations={sorted(self._operations)})"

    def _call(self, op: Operation, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        method = getattr(self._product, op.name)
        try:
            result = method(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        except Exception:
            raise
        except BaseException as exc:  # noqa: BLE001 - a product may not end the run
            raise ProductMisbehaved(
                f"{op.name} raised {type(exc).__name__}({str(exc)[:200]!r}): a product may not end the run"
            ) from None
        finally:
            # What a product changed in the interpreter does not reach the suite.
            if sys.getrecursionlimit() != self._recursion_limit:
                sys.setrecursionlimit(self._recursion_limit)
        return checked_result(result, op.result, f"{op.name} result")
