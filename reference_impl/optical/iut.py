"""The reference product for ``net-optical-isl``: the test interface over :mod:`.coding`.

``orbitcert certify`` uses :func:`create` when no ``--impl`` is given, passing the spec under
test: the reference is then built from that spec version's parameters (marker, code,
randomizer), so the same reference answers every version of the spec. Operation names and
arguments are those of the spec's ``interface`` section.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import coding
from .cop1_ops import ReliableOps
from .framing_ops import FramingOps
from .pat_ops import AcquisitionOps
from .parameters import CodingError, CodingParameters

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec

__all__ = ["ReferenceOpticalLink", "create"]


class ReferenceOpticalLink(FramingOps, ReliableOps, AcquisitionOps):
    """Golden-model implementation of the net-optical-isl test interface: the ``coding``
    operations here, those of ``framing``, ``reliable`` and ``acquisition`` in their mixins
    (the ``budget`` class is verified by analysis and has no operations).

    ``params`` are the coding parameters of the spec under test (default: :func:`coding.default_parameters`);
    every coding call is made with them.
    """

    name = "orbitcert-reference-optical"
    version = "1.0.0"

    def __init__(self, params: CodingParameters | None = None, spec: Spec | None = None) -> None:
        if params is not None and not isinstance(params, CodingParameters):
            raise CodingError(f"params: expected CodingParameters, got {type(params).__name__}")
        self.params: CodingParameters = coding.default_parameters() if params is None else params
        #: The spec version under test (None: defaults); the mixins read their parameters from it.
        self.spec: Spec | None = spec

    def encode(self, frames: Sequence[bytes], interleave: int, randomize: bool = True) -> bytes:
        """CADU stream: per frame the attached sync marker and its (randomized) RS codeblock."""
        return coding.encode_cadus(frames, interleave, randomize, params=self.params)

    def decode(self, stream: bytes, frame_length: int, interleave: int, randomize: bool = True) -> list[dict[str, Any]]:
        """One ``{"data": bytes | None, "corrected": int}`` per codeblock found in ``stream``."""
        return [
            {"data": r.data, "corrected": r.corrected}
            for r in coding.decode_cadus(stream, frame_length, interleave, randomize, params=self.params)
        ]


def create(spec: Spec | None = None) -> ReferenceOpticalLink:
    """Factory named by ``--impl orbitcert.reference_impl.optical.iut:create``.

    ``spec`` is the spec under test (an :class:`orbitcert.specs.model.Spec`): the reference uses
    its parameters (:meth:`CodingParameters.from_spec`). Without it, those of
    :func:`coding.default_parameters` (``net-optical-isl`` 1.0.0).
    """
    if spec is None:
        return ReferenceOpticalLink()
    return ReferenceOpticalLink(CodingParameters.from_spec(spec), spec)
