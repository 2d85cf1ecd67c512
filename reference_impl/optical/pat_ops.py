"""Operations of the net-optical-isl ``acquisition`` class on the reference product (a mixin of
:class:`orbitcert.reference_impl.optical.iut.ReferenceOpticalLink`)."""

from __future__ import annotations


class AcquisitionOps:
    """The ``acquisition`` class operations (none yet)."""
