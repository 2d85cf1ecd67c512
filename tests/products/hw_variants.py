"""Correct hw-compute-module products configured differently from the reference: the reference
simulator built with other ICS values (``create(items=...)``), so that what the module does matches
what a test's ICS declares. Each factory takes ``spec=None`` like the reference's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orbitcert.reference_impl.hardware.iut import ReferenceComputeModule, create

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec


def daily_scrub(spec: Spec | None = None) -> ReferenceComputeModule:
    """The reference module with a scrubber that takes a day per pass (scrub_period_s 86400)."""
    return create(spec, items={"scrub_period_s": 86400})


def huge_memory(spec: Spec | None = None) -> ReferenceComputeModule:
    """The reference module with 2^32 words (32 GiB of data) in 4 banks."""
    return create(spec, items={"memory_words": 4294967296})
