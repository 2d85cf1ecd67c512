"""The reference product for ``hw-compute-module``: the test interface over the simulator.

``orbitcert certify`` uses :func:`create` when no ``--impl`` is given, passing the spec under
test: the reference reads that spec's normative parameters (:class:`HardwareParameters`) and
its own ICS values (bundled file ``reference_impl/ics/hw-compute-module.yaml``). Operation names,
argument order and result shapes are those of the spec's ``interface`` section: ``power_cycle``,
``advance``, ``mem_write``, ``mem_read``, ``mem_read_raw``, ``reg_read``, ``reg_write``,
``inject``, ``event_log`` (in :class:`~.module.ComputeModule`), ``abft_matmul`` and
``abft_verify`` (over :class:`~.abft.AbftEngine`). Bad arguments raise :class:`~.module.HardwareError` naming the
argument; the bridge turns it into an error reply.

A broken product is a small subclass: override one of the simulator's hooks
(``_decode_words``, ``_scrub_visit``, ``_watchdog_expired``, ``_latchup_sample_period``) or set
``abft_class`` to an :class:`AbftEngine` subclass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import bundled_ics_items
from .abft import AbftEngine
from .module import ComputeModule, HardwareError, HardwareParameters

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec

__all__ = ["ICS_FILE", "SIMULATOR_ITEMS", "ReferenceComputeModule", "create", "reference_ics_items"]

#: The bundled ICS of the reference (package data of orbitcert.reference_impl).
ICS_FILE = "hw-compute-module.yaml"

#: ICS items that configure the simulator (ComputeModule keyword arguments).
SIMULATOR_ITEMS = (
    "edac_code",
    "memory_words",
    "memory_banks",
    "config_tmr",
    "scrub_period_s",
    "watchdog_timeout_s",
    "reset_loop_limit",
    "latchup_domains",
    "latchup_response_s",
)


def reference_ics_items() -> dict[str, Any]:
    """The items of the reference's bundled ICS (a copy)."""
    return bundled_ics_items(ICS_FILE, HardwareError)


class ReferenceComputeModule(ComputeModule):
    """Golden-model implementation of the hw-compute-module test interface (all six classes)."""

    name = "orbitcert-reference-hardware"
    version = "1.0.0"

    #: The ABFT engine class (a broken product substitutes its own).
    abft_class: type[AbftEngine] = AbftEngine

    def __init__(
        self,
        params: HardwareParameters | None = None,
        *,
        abft_max_dimension: int = 1024,
        abft_correction: bool = True,
        **simulator: Any,
    ) -> None:
        super().__init__(params, **simulator)
        self.abft = self.abft_class(abft_max_dimension, abft_correction)

    def abft_matmul(self, a: bytes, b: bytes, rows: int, inner: int, cols: int) -> dict[str, Any]:
        """C = A B with Huang-Abraham checksums: {c, detected, row, col, corrected}."""
        return self.abft.matmul(a, b, rows, inner, cols).as_dict()

    def abft_verify(self, a: bytes, b: bytes, c: bytes, rows: int, inner: int, cols: int) -> dict[str, Any]:
        """The checksums of A and B checked against the caller's C: {c, detected, row, col, corrected}
        (c corrected where an error was located and abft_correction is declared)."""
        return self.abft.verify(a, b, c, rows, inner, cols).as_dict()


def create(
    spec: Spec | None = None,
    items: Mapping[str, Any] | None = None,
    cls: type[ReferenceComputeModule] | None = None,
    **overrides: Any,
) -> ReferenceComputeModule:
    """Factory named by ``--impl orbitcert.reference_impl.hardware.iut:create``.

    ``spec`` is the spec under test: the reference uses its parameters
    (:meth:`HardwareParameters.from_spec`); without it, those of the bundled hw-compute-module
    1.0.0. ``items`` overrides ICS values of the bundled ICS (tests). ``cls`` (a subclass) and
    ``overrides`` (constructor keywords) build a variant configured like the reference: the broken
    products of orbitcert's tests are made this way.
    """
    values = reference_ics_items()
    if items is not None:
        values.update(items)
    kwargs: dict[str, Any] = {k: values[k] for k in SIMULATOR_ITEMS if k in values}
    if "latchup_domains" in kwargs:
        kwargs["latchup_domains"] = tuple(kwargs["latchup_domains"])
    kwargs["abft_max_dimension"] = int(values.get("abft_max_dimension", 1024))
    kwargs["abft_correction"] = bool(values.get("abft_correction", True))
    kwargs.update(overrides)
    params = None if spec is None else HardwareParameters.from_spec(spec)
    return (cls or ReferenceComputeModule)(params, **kwargs)
