"""A Python product certified out of process: the adapter of an imaginary ACME optical modem.

The modem's signal processing is stood in for by orbitcert's golden model; a vendor calls its own
library here instead. ``orbitcert serve`` puts the object on the product protocol, so the same
adapter is certified in process (``--impl``) or as a separate process (``--impl-cmd``), and a
crash in the vendor's library can only end the product's process, never the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from orbitcert.reference_impl.optical import coding
from orbitcert.reference_impl.optical.parameters import CodingParameters


class AcmeModem:
    """The interface of net-optical-isl (class coding), as the spec's ``interface`` defines it."""

    name = "acme-oisl-modem"
    version = "2.1.0"
    supplier = "ACME Space Optics"

    def __init__(self, params: CodingParameters) -> None:
        self.params = params

    def encode(self, frames: Sequence[bytes], interleave: int, randomize: bool = True) -> bytes:
        return coding.encode_cadus(list(frames), interleave, randomize, params=self.params)

    def decode(self, stream: bytes, frame_length: int, interleave: int, randomize: bool = True) -> list[dict[str, Any]]:
        found = coding.decode_cadus(stream, frame_length, interleave, randomize, params=self.params)
        return [{"data": r.data, "corrected": r.corrected} for r in found]


def create(spec: Any = None) -> AcmeModem:
    """The factory: built for the spec version under test when the harness passes it."""
    params = CodingParameters.from_spec(spec) if spec is not None else coding.default_parameters()
    return AcmeModem(params)
