"""Test interfaces: what a product offers the suite of its spec (docs/getting-started/adapters.md).

Each spec's ``interface`` section lists operations with JSON-Schema'd arguments and results. In
process, a product is an object with one method per operation: arguments arrive positionally in
the order of the operation's ``properties``, bytes are ``bytes``, results are plain Python values
(dicts with the named keys; ``bytes`` where the schema says base64). On the wire (the bridge),
the same values travel as JSON with bytes in base64.

:data:`PROTOCOLS` maps a spec id to its :class:`typing.Protocol` (with ``TypedDict`` results), for
vendors' type checkers and for the documentation. :func:`check_product` refuses, before any test
runs, a product that lacks an operation its claimed classes need.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

from orbitcert.specs.errors import InterfaceError
from orbitcert.specs.model import Operation, Spec

from .hw_compute_module import CLASS_PROTOCOLS as _HW_CLASS_PROTOCOLS
from .hw_compute_module import HwComputeModuleProduct
from .net_optical_isl import CLASS_PROTOCOLS as _OPTICAL_CLASS_PROTOCOLS
from .net_optical_isl import (
    DecodedCodeblock,
    NetOpticalIslProduct,
    OpticalAcquisitionProduct,
    OpticalFramingProduct,
    OpticalReliableProduct,
)
from .sec_link_security import BootResult, FrameSecurityReport, ProcessResult, SecLinkSecurityProduct
from .sw_compute_runtime import CLASS_PROTOCOLS as _SWR_CLASS_PROTOCOLS
from .sw_compute_runtime import SwComputeRuntimeProduct

__all__ = [
    "CLASS_PROTOCOLS",
    "PROTOCOLS",
    "BootResult",
    "DecodedCodeblock",
    "FrameSecurityReport",
    "HwComputeModuleProduct",
    "NetOpticalIslProduct",
    "OpticalAcquisitionProduct",
    "OpticalFramingProduct",
    "OpticalReliableProduct",
    "ProcessResult",
    "SecLinkSecurityProduct",
    "SwComputeRuntimeProduct",
    "check_product",
    "operation_problem",
    "required_operations",
]

#: spec id -> the Protocol its products implement.
PROTOCOLS: dict[str, type] = {
    "net-optical-isl": NetOpticalIslProduct,
    "sec-link-security": SecLinkSecurityProduct,
    "hw-compute-module": HwComputeModuleProduct,
    "sw-compute-runtime": SwComputeRuntimeProduct,
}
"""Spec id -> the typing Protocol its products implement (type-check an adapter against it)."""

#: spec id -> class id -> the Protocol of that class's operations, for specs whose classes are
#: claimable separately (a product claiming some classes implements only their Protocols).
CLASS_PROTOCOLS: dict[str, dict[str, type]] = {
    "net-optical-isl": _OPTICAL_CLASS_PROTOCOLS,
    "hw-compute-module": _HW_CLASS_PROTOCOLS,
    "sw-compute-runtime": _SWR_CLASS_PROTOCOLS,
}
"""Spec id -> class id -> the Protocol of that class's operations (a product claiming some classes
implements only their Protocols)."""


def required_operations(spec: Spec, classes: Iterable[str]) -> list[str]:
    """Names of the interface operations the claimed ``classes`` need, in spec order."""
    claimed = set(classes)
    return [op.name for op in spec.interface.operations if claimed.intersection(op.classes)]


def operation_problem(product: Any, op: Operation) -> str | None:
    """Why ``product`` cannot serve operation ``op`` (missing, or a method that cannot take the
    operation's arguments positionally), or None."""
    try:
        method = getattr(product, op.name)
    except Exception:  # noqa: BLE001 - a property that raises is a missing operation
        method = None
    if method is None or not callable(method):
        return f"{op.name} (class {', '.join(op.classes)}) is missing"
    try:
        signature = inspect.signature(method)
    except (TypeError, ValueError):
        return None  # builtins and C extensions: nothing to inspect
    arguments = list(op.arguments.get("properties", {}))
    try:
        signature.bind(*([None] * len(arguments)))
    except TypeError as exc:
        return f"{op.name}({', '.join(arguments)}) cannot be called: {exc}"
    return None


def check_product(product: Any, spec: Spec, classes: Iterable[str]) -> None:
    """Raise :class:`InterfaceError` naming every operation of the claimed classes that
    ``product`` lacks, or whose method cannot take the operation's arguments."""
    ops = {op.name: op for op in spec.interface.operations}
    problems = [p for name in required_operations(spec, classes) if (p := operation_problem(product, ops[name]))]
    if problems:
        kind = type(product).__name__
        raise InterfaceError(
            f"the product ({kind}) does not implement the test interface of {spec.ref}: " + "; ".join(problems),
            field="interface",
        )
