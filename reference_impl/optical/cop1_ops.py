"""Operations of the net-optical-isl ``reliable`` class on the reference product (a mixin of
:class:`orbitcert.reference_impl.optical.iut.ReferenceOpticalLink`)."""

from __future__ import annotations


class ReliableOps:
    """The ``reliable`` class operations (none yet)."""
