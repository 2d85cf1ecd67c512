"""Operations of the net-optical-isl ``framing`` class on the reference product (a mixin of
:class:`orbitcert.reference_impl.optical.iut.ReferenceOpticalLink`)."""

from __future__ import annotations


class FramingOps:
    """The ``framing`` class operations (none yet)."""
