"""The reference product for ``net-optical-isl``: the test interface over :mod:`.coding`.

``orbitcert certify`` uses :func:`create` when no ``--impl`` is given. Operation names and
arguments are those of the spec's ``interface`` section.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import coding


class ReferenceOpticalLink:
    """Golden-model implementation of the ``coding`` class test interface."""

    name = "orbitcert-reference-optical"
    version = "1.0.0"

    def encode(self, frames: Sequence[bytes], interleave: int, randomize: bool = True) -> bytes:
        """CADU stream: per frame the attached sync marker and its (randomized) RS codeblock."""
        return coding.encode_cadus(frames, interleave, randomize)

    def decode(self, stream: bytes, frame_length: int, interleave: int, randomize: bool = True) -> list[dict[str, Any]]:
        """One ``{"data": bytes | None, "corrected": int}`` per codeblock found in ``stream``."""
        return [
            {"data": r.data, "corrected": r.corrected}
            for r in coding.decode_cadus(stream, frame_length, interleave, randomize)
        ]


def create() -> ReferenceOpticalLink:
    """Factory named by ``--impl orbitcert.reference_impl.optical.iut:create``."""
    return ReferenceOpticalLink()
