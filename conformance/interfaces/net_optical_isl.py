"""The test interface of ``net-optical-isl`` (class ``coding``), as a :class:`typing.Protocol`.

The operations and their arguments are those of the spec's ``interface`` section; see the spec
page in the documentation for the JSON Schemas the bridge checks on the wire.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypedDict, runtime_checkable


class DecodedCodeblock(TypedDict):
    """One codeblock found in a received stream."""

    data: bytes | None
    """The delivered transfer frame, or None when the codeblock was uncorrectable."""
    corrected: int
    """Number of Reed-Solomon symbols the decoder corrected in the codeblock."""


@runtime_checkable
class NetOpticalIslProduct(Protocol):
    """A product certified against ``net-optical-isl`` (CCSDS 131.0-B coding profile)."""

    def encode(self, frames: Sequence[bytes], interleave: int, randomize: bool = True) -> bytes:
        """The channel access data unit stream: for each frame, the attached sync marker and its
        (randomized when ``randomize``) Reed-Solomon codeblock at interleaving depth ``interleave``."""
        ...

    def decode(
        self, stream: bytes, frame_length: int, interleave: int, randomize: bool = True
    ) -> list[DecodedCodeblock]:
        """Synchronize on the attached sync marker in ``stream`` and decode every codeblock found."""
        ...
