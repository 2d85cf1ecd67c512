"""The reference product for ``sw-compute-runtime``: the test interface over :class:`ComputeRuntime`.

``orbitcert certify`` uses :func:`create` when no ``--impl`` is given. The interface is exactly the
spec's: ``send_tc(packet)``, ``advance(seconds)``, ``reset(kind)``, ``set_power(budget_w)``; the
configuration comes from the reference's bundled ICS (``reference_impl/ics/sw-compute-runtime.yaml``).
The runtime's normative constants (error codes, events, layouts, workloads) are those of
sw-compute-runtime 1.0.0; orbitcert's tests check them against the spec's parameters.

A broken product is a small subclass of :class:`ReferenceRuntime` overriding one hook
(``_accept``, ``_boot``, ``_complete``, ``_tm`` ...), built with ``create(cls=...)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import bundled_ics_items
from .runtime import ComputeRuntime, RuntimeConfig

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec

__all__ = ["ICS_FILE", "ReferenceRuntime", "config_from_items", "create", "reference_ics_items"]

#: The bundled ICS of the reference (package data of orbitcert.reference_impl).
ICS_FILE = "sw-compute-runtime.yaml"


def reference_ics_items() -> dict[str, Any]:
    """The items of the reference's bundled ICS (a copy)."""
    return bundled_ics_items(ICS_FILE)


def config_from_items(items: Mapping[str, Any]) -> RuntimeConfig:
    """The runtime configuration an ICS declares."""
    return RuntimeConfig(
        apid=int(items["apid"]),
        hk_period_s=float(items["hk_period_s"]),
        job_capacity=int(items["job_capacity"]),
        concurrency=int(items["concurrency"]),
        compute_rate_bps=float(items["compute_rate_bps"]),
        max_input_octets=int(items["max_input_octets"]),
        idle_power_w=float(items["idle_power_w"]),
        job_power_w=float(items["job_power_w"]),
        checkpointing=bool(items.get("checkpointing", False)),
        checkpoint_interval_s=float(items.get("checkpoint_interval_s", 1.0)),
        protection_modes=frozenset(items.get("protection_modes", ())),
    )


class ReferenceRuntime(ComputeRuntime):
    """Golden-model implementation of the sw-compute-runtime test interface (all six classes)."""

    name = "orbitcert-reference-runtime"
    version = "1.0.0"


def create(
    spec: Spec | None = None,
    items: Mapping[str, Any] | None = None,
    cls: type[ReferenceRuntime] | None = None,
) -> ReferenceRuntime:
    """Factory named by ``--impl orbitcert.reference_impl.runtime.iut:create``.

    ``spec`` (the spec under test) is accepted for the factory convention; the runtime implements
    1.0.0. ``items`` overrides values of the bundled ICS; ``cls`` (a subclass) builds a variant
    configured like the reference: the broken products of orbitcert's tests are made this way.
    """
    values = reference_ics_items()
    if items is not None:
        values.update(items)
    return (cls or ReferenceRuntime)(config_from_items(values))
