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


# --- net-optical-isl 1.1.0 extended classes: each class is a Protocol of its own, so a product
# claiming only some classes type-checks against exactly those.


class FrameFields(TypedDict):
    """The fields of one USLP transfer frame (CCSDS 732.1-B-2 4.1.2, 4.1.4.2, 4.1.5)."""

    scid: int
    source_dest: int
    vcid: int
    map_id: int
    bypass: int
    protocol_command: int
    vcf_count_length: int
    vcf_count: int
    construction_rule: int
    protocol_id: int
    first_header_pointer: int | None
    """Present (not None) exactly for construction rules 0, 1 and 2."""
    data: bytes
    """The transfer frame data zone."""
    ocf: bytes | None


class PacketFields(TypedDict):
    """The fields of one space packet (CCSDS 133.0-B-2 4.1.3)."""

    packet_type: int
    sec_header_flag: int
    apid: int
    sequence_flags: int
    sequence_count: int
    data: bytes


class MultiplexConfig(TypedDict):
    """One virtual channel of fixed-length frames carrying space packets."""

    scid: int
    vcid: int
    map_id: int
    frame_length: int
    vcf_count_length: int
    vcf_count: int
    ocf: bytes | None
    fecf: str
    """``"crc16"`` or ``"crc32"``."""


class ExtractedPackets(TypedDict):
    packets: list[bytes]
    rejected: int


@runtime_checkable
class OpticalFramingProduct(Protocol):
    """Class ``framing`` (1.1.0): USLP frames and space packets. ``uslp_parse`` returns, per frame,
    the :class:`FrameFields` plus ``error: None``, or ``{"error": CODE}``."""

    def uslp_build(self, frames: Sequence[FrameFields], fecf: str = "crc16") -> list[bytes]: ...

    def uslp_parse(self, frames: Sequence[bytes], fecf: str = "crc16") -> list[dict[str, object]]: ...

    def packets_build(self, packets: Sequence[PacketFields]) -> list[bytes]: ...

    def packets_to_frames(self, packets: Sequence[bytes], config: MultiplexConfig) -> list[bytes]: ...

    def frames_to_packets(self, frames: Sequence[bytes], config: MultiplexConfig) -> ExtractedPackets: ...


class FopConfig(TypedDict):
    scid: int
    vcid: int
    map_id: int
    window: int
    transmission_limit: int
    timeout: float


class FarmConfig(TypedDict):
    scid: int
    vcid: int
    window: int


class FopStep(TypedDict):
    accepted: int
    frames: list[bytes]
    state: str
    alert: str | None
    vs: int


class FopDirectiveResult(TypedDict):
    frames: list[bytes]
    state: str


class FarmResult(TypedDict):
    delivered: list[bytes]
    clcw: bytes


@runtime_checkable
class OpticalReliableProduct(Protocol):
    """Class ``reliable`` (1.1.0): COP-1 FOP-1 and FARM-1 over USLP, driven by simulated time."""

    def fop_start(self, config: FopConfig) -> None: ...

    def fop_step(self, now: float, clcws: Sequence[bytes], sdus: Sequence[bytes]) -> FopStep: ...

    def fop_directive(self, now: float, directive: str, value: int = 0) -> FopDirectiveResult: ...

    def farm_start(self, config: FarmConfig) -> None: ...

    def farm_receive(self, frames: Sequence[bytes], buffer_available: bool = True) -> FarmResult: ...


class PatConfig(TypedDict):
    uncertainty: float
    """Radius of the pointing uncertainty cone (rad)."""
    beacon_divergence: float
    """Beacon beam divergence half-angle (rad)."""
    step: float
    """Simulated time step the harness uses (s)."""


class PatReport(TypedDict):
    state: str
    """One of off, scan, acquire, track, communicate, lost."""
    pointing_x: float
    pointing_y: float


@runtime_checkable
class OpticalAcquisitionProduct(Protocol):
    """Class ``acquisition`` (1.1.0): the pointing-acquisition-tracking controller, stepped in
    closed loop by the harness's beacon environment in simulated time."""

    def pat_configure(self, config: PatConfig) -> None: ...

    def pat_step(self, now: float, command: str, detected: bool, offset_x: float, offset_y: float) -> PatReport: ...


#: The Protocol of each class of ``net-optical-isl`` (``budget`` has no operation: the ICS is its input).
CLASS_PROTOCOLS: dict[str, type] = {
    "coding": NetOpticalIslProduct,
    "framing": OpticalFramingProduct,
    "reliable": OpticalReliableProduct,
    "acquisition": OpticalAcquisitionProduct,
}
