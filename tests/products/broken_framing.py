"""Deliberately broken ``net-optical-isl`` products for class ``framing``: the reference with ONE
deviation each. Each factory takes ``spec=None`` like
:func:`orbitcert.reference_impl.optical.iut.create`; the class docstring names the requirement a
certification must fail it on:

* :func:`wrong_first_header_pointer` - OISL-FRM-009 (pointer counted from the frame start)
* :func:`frame_length_off_by_one` - OISL-FRM-002 (frame length field = total octets)
* :func:`crc_over_wrong_range` - OISL-FRM-004 (FECF over the data field only)
* :func:`splicing_receiver` - OISL-FRM-012 (ignores count gaps, rejected frames and pointers)
* :func:`idle_delivering` - OISL-FRM-010 (delivers idle packets)
* :func:`foreign_vc_accepting` - OISL-FRM-012 (frames of another virtual channel not rejected)
* :func:`zero_padding_flush` - OISL-FRM-010 (1 to 6 remaining octets zero-padded, no idle packet)
* :func:`ocf_placeholder` - OISL-FRM-006 (multiplexed frames carry a zero OCF, not config.ocf)
* :func:`count_wrap_blind_receiver` - OISL-FRM-011 (the VC frame count wrap taken for a gap)
* :func:`spare_bit_lenient_parser` - OISL-FRM-007 (reserve spares 01 accepted)

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
    "count_wrap_blind_receiver",
    "crc_over_wrong_range",
    "foreign_vc_accepting",
    "frame_length_off_by_one",
    "idle_delivering",
    "ocf_placeholder",
    "spare_bit_lenient_parser",
    "splicing_receiver",
    "wrong_first_header_pointer",
    "zero_padding_flush",
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


def _refecf(octets: bytes, fecf: str) -> bytes:
    """``octets`` with its FECF recomputed over everything before it."""
    body = octets[: -uslp.fecf_length(fecf)]
    return body + _fecf(body, fecf)


class ForeignVcAccepting(ReferenceOpticalLink):
    """Does not check the virtual channel id of received frames: a good frame of another VC is taken
    for one of the configured VC (here: its VCID rewritten before the reference extraction, FECF
    recomputed only where it was good), so it is not rejected and its packets are delivered.
    Fails OISL-FRM-012."""

    name = "broken-foreign-vc-accepting"

    def frames_to_packets(self, frames: Sequence[bytes], config: Mapping[str, Any]) -> dict[str, Any]:
        cfg = ChannelConfig.from_mapping(config)
        relabelled: list[Any] = []
        for frame in frames:
            if isinstance(frame, (bytes, bytearray)) and len(frame) == cfg.frame_length:
                try:
                    f = uslp.parse_frame(bytes(frame), cfg.fecf)
                except uslp.FramingError:
                    f = None
                if f is not None and f.vcid != cfg.vcid:
                    b = bytearray(frame)
                    b[2] = (b[2] & 0xF8) | (cfg.vcid >> 3)
                    b[3] = (b[3] & 0x1F) | ((cfg.vcid & 0x07) << 5)
                    frame = _refecf(bytes(b), cfg.fecf)
            relabelled.append(frame)
        return super().frames_to_packets(relabelled, config)


class ZeroPaddingFlush(ReferenceOpticalLink):
    """When 1 to 6 octets of the last TFDZ remain (too few for an idle packet) zero-fills them
    instead of sending an idle packet that extends through one more frame (the extra frame is
    dropped, the pointer of a zone where now no header starts set to all ones). Fails OISL-FRM-010."""

    name = "broken-zero-padding-flush"

    def packets_to_frames(self, packets: Sequence[bytes], config: Mapping[str, Any]) -> list[bytes]:
        out = super().packets_to_frames(packets, config)
        cfg = ChannelConfig.from_mapping(config)
        t = cfg.zone_length
        rest = -sum(len(p) for p in packets) % t
        if not 1 <= rest <= 6 or len(out) < 2:
            return out
        last = uslp.parse_frame(out[-2], cfg.fecf)
        zone = last.data[: t - rest] + bytes(rest)
        pointer = uslp.ALL_ONES if last.first_header_pointer == t - rest else last.first_header_pointer
        fields = {**last.as_fields(), "data": zone, "first_header_pointer": pointer}
        return [*out[:-2], uslp.build_frame(uslp.UslpFrame(**fields), cfg.fecf)]


class OcfPlaceholder(ReferenceOpticalLink):
    """Multiplexed frames carry an all-zero OCF placeholder (flag and position right) instead of
    the configured ``config.ocf``. Fails OISL-FRM-006."""

    name = "broken-ocf-placeholder"

    def packets_to_frames(self, packets: Sequence[bytes], config: Mapping[str, Any]) -> list[bytes]:
        out = super().packets_to_frames(packets, config)
        cfg = ChannelConfig.from_mapping(config)
        if cfg.ocf is None:
            return out
        n = uslp.fecf_length(cfg.fecf)
        return [_refecf(o[: -n - 4] + bytes(4) + o[-n:], cfg.fecf) for o in out]


class _WrapBlindExtractor(PacketExtractor):
    """Expects count + 1 after count, never reducing it modulo 2^(8c)."""

    def _sequence(self, count: int) -> None:
        if self._expected_count is None:
            return
        if count != self._expected_count:
            self._lose_sync()
        self._expected_count = count + 1


class CountWrapBlindReceiver(ReferenceOpticalLink):
    """Expects the VC frame count after 2^(8c) - 1 to be 2^(8c), so the wrap to 0 looks like a gap
    and the packet spanning it is discarded. Fails OISL-FRM-011."""

    name = "broken-count-wrap-blind-receiver"

    def frames_to_packets(self, frames: Sequence[bytes], config: Mapping[str, Any]) -> dict[str, Any]:
        extractor = _WrapBlindExtractor(ChannelConfig.from_mapping(config))
        extractor.feed_all(frames)
        return {"packets": extractor.packets, "rejected": extractor.rejected}


class SpareBitLenientParser(ReferenceOpticalLink):
    """Checks only the first of the two reserve spare bits, so a frame with spares 01 is decoded as
    if they were 00 (FECF judged on the frame as received). Fails OISL-FRM-007."""

    name = "broken-spare-bit-lenient-parser"

    def uslp_parse(self, frames: Sequence[bytes], fecf: str = "crc16") -> list[dict[str, Any]]:
        n = uslp.fecf_length(fecf)
        patched: list[Any] = []
        for frame in frames:
            if isinstance(frame, (bytes, bytearray)) and len(frame) > 7 + n and (frame[6] >> 4) & 3 == 0b01:
                good_fecf = _fecf(bytes(frame[:-n]), fecf) == bytes(frame[-n:])
                b = bytes(frame[:6]) + bytes([frame[6] & 0xCF]) + bytes(frame[7:])
                frame = _refecf(b, fecf) if good_fecf else b
            patched.append(frame)
        return super().uslp_parse(patched, fecf)


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


def foreign_vc_accepting(spec: Spec | None = None) -> ReferenceOpticalLink:
    return _build(ForeignVcAccepting, spec)


def zero_padding_flush(spec: Spec | None = None) -> ReferenceOpticalLink:
    return _build(ZeroPaddingFlush, spec)


def ocf_placeholder(spec: Spec | None = None) -> ReferenceOpticalLink:
    return _build(OcfPlaceholder, spec)


def count_wrap_blind_receiver(spec: Spec | None = None) -> ReferenceOpticalLink:
    return _build(CountWrapBlindReceiver, spec)


def spare_bit_lenient_parser(spec: Spec | None = None) -> ReferenceOpticalLink:
    return _build(SpareBitLenientParser, spec)
