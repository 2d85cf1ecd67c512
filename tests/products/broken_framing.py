"""Deliberately broken ``net-optical-isl`` products for class ``framing``: the reference with ONE
deviation each. Each factory takes ``spec=None`` like
:func:`orbitcert.reference_impl.optical.iut.create`; the class docstring names the requirement a
certification must fail it on:

* :func:`wrong_first_header_pointer` - OISL-FRM-009 (pointer counted from the frame start)
* :func:`frame_length_off_by_one` - OISL-FRM-002 (frame length field = total octets)
* :func:`crc_over_wrong_range` - OISL-FRM-004 (FECF over the data field only)
* :func:`splicing_receiver` - OISL-FRM-012 (ignores count gaps, rejected frames and pointers)
* :func:`idle_delivering` - OISL-FRM-010 (delivers idle packets)

Use e.g. ``--impl tests.products.broken_framing:wrong_first_header_pointer``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from orbitcert.reference_impl.frames import fecf as crc16
from orbitcert.reference_impl.optical import uslp
from orbitcert.reference_impl.optical.iut import ReferenceOpticalLink
from orbitcert.reference_impl.optical.packets import ChannelConfig, PacketExtractor, packet_length
from orbitcert.reference_impl.optical.parameters import CodingParameters

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec

__all__ = [
    "crc_over_wrong_range",
    "frame_length_off_by_one",
    "idle_delivering",
    "splicing_receiver",
    "wrong_first_header_pointer",
]


def _build(cls: type[ReferenceOpticalLink], spec: Spec | None) -> ReferenceOpticalLink:
    return cls() if spec is None else cls(CodingParameters.from_spec(spec), spec)


def _fecf(body: bytes, fecf: str) -> bytes:
    if fecf == "crc16":
        return crc16(body).to_bytes(2, "big")
    return uslp.crc32(body).to_bytes(4, "big")


class WrongFirstHeaderPointer(ReferenceOpticalLink):
    """Counts the first header pointer from the first octet of the frame instead of the first octet
    of the transfer frame data zone (all ones is kept). Fails OISL-FRM-009."""

    name = "broken-wrong-first-header-pointer"

    def packets_to_frames(self, packets: Sequence[bytes], config: Mapping[str, Any]) -> list[bytes]:
        out = []
        for octets in super().packets_to_frames(packets, config):
            f = uslp.parse_frame(octets, config["fecf"])
            zone_offset = 7 + f.vcf_count_length + 3
            if f.first_header_pointer is not None and f.first_header_pointer != uslp.ALL_ONES:
                f = uslp.UslpFrame(**{**f.as_fields(), "first_header_pointer": f.first_header_pointer + zone_offset})
            out.append(uslp.build_frame(f, config["fecf"]))
        return out


class FrameLengthOffByOne(ReferenceOpticalLink):
    """Writes the total number of octets in the frame length field, not the total minus one (FECF
    recomputed). Fails OISL-FRM-002."""

    name = "broken-frame-length-off-by-one"

    def uslp_build(self, frames: Sequence[Mapping[str, Any]], fecf: str = "crc16") -> list[bytes]:
        out = []
        for octets in super().uslp_build(frames, fecf):
            n = uslp.fecf_length(fecf)
            body = bytearray(octets[:-n])
            body[4:6] = len(octets).to_bytes(2, "big")[-2:] if len(octets) < 65536 else b"\x00\x00"
            out.append(bytes(body) + _fecf(bytes(body), fecf))
        return out


class CrcOverWrongRange(ReferenceOpticalLink):
    """Computes the FECF over the transfer frame data field only (from the TFDF header on), not over
    every preceding octet of the frame. Fails OISL-FRM-004 (and OISL-FRM-005)."""

    name = "broken-crc-over-wrong-range"

    def uslp_build(self, frames: Sequence[Mapping[str, Any]], fecf: str = "crc16") -> list[bytes]:
        out = []
        for octets in super().uslp_build(frames, fecf):
            n = uslp.fecf_length(fecf)
            body = octets[:-n]
            out.append(body + _fecf(body[7 + (body[6] & 7) :], fecf))
        return out


class _NaiveExtractor(PacketExtractor):
    """Joins the zones of every frame that decodes, in arrival order, and walks packet lengths from
    the first pointer it sees: no count check, no pointer check, rejected frames simply skipped."""

    def __init__(self, config: ChannelConfig) -> None:
        super().__init__(config)
        self._stream = bytearray()
        self._synced = False

    def _sequence(self, count: int) -> None:
        return None

    def _reject(self) -> None:
        self.rejected += 1

    def _continue(self, zone: bytes, pointer: int) -> None:
        if not self._synced:
            if pointer == uslp.ALL_ONES:
                return
            self._synced = True
            zone = zone[pointer:]
        self._stream += zone
        while len(self._stream) >= 6 and len(self._stream) >= packet_length(self._stream):
            n = packet_length(self._stream)
            self._deliver(bytes(self._stream[:n]))
            del self._stream[:n]


class SplicingReceiver(ReferenceOpticalLink):
    """After a lost or rejected frame keeps rebuilding the packet in progress from the next frame's
    octets (ignores VC frame count gaps and first header pointers once in step), so it delivers
    spliced packets. Fails OISL-FRM-012."""

    name = "broken-splicing-receiver"

    def frames_to_packets(self, frames: Sequence[bytes], config: Mapping[str, Any]) -> dict[str, Any]:
        extractor = _NaiveExtractor(ChannelConfig.from_mapping(config))
        extractor.feed_all(frames)
        return {"packets": extractor.packets, "rejected": extractor.rejected}


class IdleDelivering(ReferenceOpticalLink):
    """Delivers idle packets (APID 0x7FF) with the user's packets. Fails OISL-FRM-010."""

    name = "broken-idle-delivering"

    def frames_to_packets(self, frames: Sequence[bytes], config: Mapping[str, Any]) -> dict[str, Any]:
        extractor = PacketExtractor(ChannelConfig.from_mapping(config), deliver_idle=True)
        extractor.feed_all(frames)
        return {"packets": extractor.packets, "rejected": extractor.rejected}


def wrong_first_header_pointer(spec: Spec | None = None) -> ReferenceOpticalLink:
    return _build(WrongFirstHeaderPointer, spec)


def frame_length_off_by_one(spec: Spec | None = None) -> ReferenceOpticalLink:
    return _build(FrameLengthOffByOne, spec)


def crc_over_wrong_range(spec: Spec | None = None) -> ReferenceOpticalLink:
    return _build(CrcOverWrongRange, spec)


def splicing_receiver(spec: Spec | None = None) -> ReferenceOpticalLink:
    return _build(SplicingReceiver, spec)


def idle_delivering(spec: Spec | None = None) -> ReferenceOpticalLink:
    return _build(IdleDelivering, spec)
