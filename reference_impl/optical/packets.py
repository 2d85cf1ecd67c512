"""CCSDS space packets (133.0-B-2) and their transfer in fixed-length USLP frames (732.1-B-2).

* Packet primary header (133.0-B-2 4.1.3), declared once with ``construct``
  (:data:`SPACE_PACKET_PRIMARY_HEADER`): packet version number (3 bits, 000), packet type (1),
  secondary header flag (1), APID (11), sequence flags (2), packet sequence count (14), packet data
  length (16, octets of the packet data field minus one). A packet is 7 to 65,542 octets
  (4.1.4.1: the data field holds 1 to 65,536 octets). Idle packets have the APID all ones, 0x7FF
  (4.1.3.3.4.4). Batch header pack/unpack with numpy: :func:`pack_headers`, :func:`unpack_headers`.
* Multiplexing (:func:`multiplex`, 732.1-B-2 4.1.4.2 and the MAP packet processing of 4.2): the
  packets, in order, are laid end to end in the transfer frame data zones (TFDZ) of fixed-length
  frames with construction rule 000 and USLP protocol id 00000 (space packets); the first header
  pointer (4.1.4.2.4.3) of each frame is the offset in its TFDZ of the first packet header that
  starts there, all ones (0xFFFF) when none starts (4.1.4.2.4.4; 732.1-B-2 defines no other special
  value: idle-only zones are marked by idle packets, not by the pointer).
* Idle fill, this profile's rule (spec parameter ``uslp_idle_fill_rule``): when the sender flushes,
  r octets of the last TFDZ are unused; r = 0 needs nothing; r >= 7 gets one idle packet of r
  octets; 1 <= r <= 6 (too few for a packet, which is at least 7 octets) gets one idle packet of
  r + T octets (T the TFDZ length) that also fills the whole TFDZ of one more frame, whose first
  header pointer is therefore all ones. The idle data octets are zero.
* Extraction (:class:`PacketExtractor`, :func:`demultiplex`): packets are rebuilt across frame
  boundaries; idle packets are dropped; a frame that fails to decode or does not belong to the
  configured channel is counted as rejected; after a rejected frame, a gap in the VC frame count, a
  first header pointer that disagrees with the packet being rebuilt, or a packet header of another
  version, the partial packet is discarded and the receiver resynchronizes at the first header
  pointer of the next good frame. It never delivers a partial or spliced packet.

Decoders raise only :class:`~orbitcert.reference_impl.optical.uslp.FramingError` (codes
``truncated``, ``length``, ``version``; ``argument`` for a bad argument of a builder).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from construct import BitsInteger, BitStruct, ConstructError

from .uslp import (
    ALL_ONES,
    DEFAULT_PARAMETERS,
    OCF_LENGTH,
    FramingError,
    FramingParameters,
    UslpFrame,
    build_frames_batch,
    fecf_length,
    frame_overhead,
    parse_frames_batch,
)

__all__ = [
    "IDLE_APID",
    "MAX_DATA_LENGTH",
    "MAX_PACKET_LENGTH",
    "MIN_PACKET_LENGTH",
    "PRIMARY_HEADER_LENGTH",
    "SPACE_PACKET_PRIMARY_HEADER",
    "ChannelConfig",
    "PacketExtractor",
    "SpacePacket",
    "build_packet",
    "demultiplex",
    "idle_packet",
    "multiplex",
    "pack_headers",
    "parse_packet",
    "unpack_headers",
]

U8Array = npt.NDArray[np.uint8]

#: CCSDS 133.0-B-2 4.1.3: the packet primary header, 6 octets.
SPACE_PACKET_PRIMARY_HEADER: Final = BitStruct(
    "version" / BitsInteger(3),
    "packet_type" / BitsInteger(1),
    "sec_header_flag" / BitsInteger(1),
    "apid" / BitsInteger(11),
    "sequence_flags" / BitsInteger(2),
    "sequence_count" / BitsInteger(14),
    "data_length" / BitsInteger(16),
)
PRIMARY_HEADER_LENGTH: Final = 6
#: CCSDS 133.0-B-2 4.1.4.1: 1 .. 65,536 octets of packet data field.
MAX_DATA_LENGTH: Final = 65536
MIN_PACKET_LENGTH: Final = PRIMARY_HEADER_LENGTH + 1
MAX_PACKET_LENGTH: Final = PRIMARY_HEADER_LENGTH + MAX_DATA_LENGTH
#: CCSDS 133.0-B-2 4.1.3.3.4.4: idle packets have the APID all ones.
IDLE_APID: Final = 0x7FF
_IDLE_SEQUENCE_FLAGS = 0b11


@dataclass(frozen=True, slots=True)
class SpacePacket:
    """One space packet: the primary header fields and the packet data field ``data``."""

    packet_type: int = 0
    sec_header_flag: int = 0
    apid: int = 0
    sequence_flags: int = 0b11
    sequence_count: int = 0
    data: bytes = b"\x00"

    def as_fields(self) -> dict[str, Any]:
        """The packet dict of the test interface (``packets_build``)."""
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any]) -> SpacePacket:
        """A packet from the interface dict; a missing, unknown or mistyped key is an ``argument`` error."""
        if not isinstance(fields, Mapping):
            raise FramingError("argument", f"packet: expected a mapping, got {type(fields).__name__}")
        names = cls.__slots__
        if set(fields) != set(names):
            raise FramingError("argument", f"packet: expected the fields {list(names)}, got {sorted(fields)}")
        kwargs: dict[str, Any] = {}
        for name in names:
            value = fields[name]
            if name == "data":
                if not isinstance(value, (bytes, bytearray, memoryview)):
                    raise FramingError("argument", f"data: expected bytes, got {type(value).__name__}")
                value = bytes(value)
            elif isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise FramingError("argument", f"{name}: expected an integer, got {value!r}")
            else:
                value = int(value)
            kwargs[name] = value
        return cls(**kwargs)


def build_packet(packet: SpacePacket) -> bytes:
    """The octets of ``packet`` (133.0-B-2 4.1.3); a data field of 0 or more than 65,536 octets, or a
    field out of range, is refused with an ``argument`` error."""
    if not isinstance(packet, SpacePacket):
        raise FramingError("argument", f"packet: expected SpacePacket, got {type(packet).__name__}")
    n = len(packet.data)
    if not 1 <= n <= MAX_DATA_LENGTH:
        raise FramingError(
            "argument", f"packet data field of {n} octets: must be 1 .. {MAX_DATA_LENGTH} (CCSDS 133.0-B-2 4.1.4.1)"
        )
    for name, high in (
        ("packet_type", 1),
        ("sec_header_flag", 1),
        ("apid", 0x7FF),
        ("sequence_flags", 3),
        ("sequence_count", 0x3FFF),
    ):
        value = getattr(packet, name)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
            raise FramingError("argument", f"{name}={value!r} is out of range 0..{high} (CCSDS 133.0-B-2 4.1.3)")
    try:
        header = SPACE_PACKET_PRIMARY_HEADER.build(
            {
                "version": 0,
                "packet_type": packet.packet_type,
                "sec_header_flag": packet.sec_header_flag,
                "apid": packet.apid,
                "sequence_flags": packet.sequence_flags,
                "sequence_count": packet.sequence_count,
                "data_length": n - 1,
            }
        )
    except ConstructError as exc:  # pragma: no cover - ranges checked above
        raise FramingError("argument", str(exc)) from None
    return bytes(header) + packet.data


def parse_packet(data: Any) -> SpacePacket:
    """The space packet in ``data``, which must be exactly one packet (133.0-B-2 4.1.3)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise FramingError("argument", f"packet: expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) < MIN_PACKET_LENGTH:
        raise FramingError("truncated", f"{len(data)} octets: a space packet has at least {MIN_PACKET_LENGTH}")
    h = SPACE_PACKET_PRIMARY_HEADER.parse(data[:PRIMARY_HEADER_LENGTH])
    if h.version != 0:
        raise FramingError("version", f"packet version number {h.version:03b} is not 000 (CCSDS 133.0-B-2 4.1.3.2)")
    total = PRIMARY_HEADER_LENGTH + h.data_length + 1
    if len(data) < total:
        raise FramingError("truncated", f"{len(data)} octets, the packet data length field announces {total}")
    if len(data) > total:
        raise FramingError("length", f"{len(data)} octets, the packet data length field announces {total}")
    return SpacePacket(
        h.packet_type, h.sec_header_flag, h.apid, h.sequence_flags, h.sequence_count, data[PRIMARY_HEADER_LENGTH:]
    )


def packet_length(header: bytes | bytearray | memoryview) -> int:
    """Total octets of the packet whose primary header starts ``header`` (6 octets at least)."""
    return PRIMARY_HEADER_LENGTH + 1 + ((header[4] << 8) | header[5])


def idle_packet(length: int) -> bytes:
    """An idle packet (APID 0x7FF, unsegmented, count 0, zero data) of ``length`` total octets."""
    if not MIN_PACKET_LENGTH <= length <= MAX_PACKET_LENGTH:
        raise FramingError(
            "argument", f"idle packet of {length} octets: must be {MIN_PACKET_LENGTH}..{MAX_PACKET_LENGTH}"
        )
    return build_packet(SpacePacket(0, 0, IDLE_APID, _IDLE_SEQUENCE_FLAGS, 0, bytes(length - PRIMARY_HEADER_LENGTH)))


def pack_headers(
    packet_type: npt.ArrayLike,
    sec_header_flag: npt.ArrayLike,
    apid: npt.ArrayLike,
    sequence_flags: npt.ArrayLike,
    sequence_count: npt.ArrayLike,
    data_length: npt.ArrayLike,
) -> U8Array:
    """N primary headers as an (N, 6) uint8 array (``data_length`` = data field octets - 1)."""
    pt, sh, ap, sf, sc, dl = (
        np.asarray(a, dtype=np.int64).reshape(-1)
        for a in (packet_type, sec_header_flag, apid, sequence_flags, sequence_count, data_length)
    )
    for name, arr, high in (
        ("packet_type", pt, 1),
        ("sec_header_flag", sh, 1),
        ("apid", ap, 0x7FF),
        ("sequence_flags", sf, 3),
        ("sequence_count", sc, 0x3FFF),
        ("data_length", dl, 0xFFFF),
    ):
        if arr.size and (arr.min() < 0 or arr.max() > high):
            raise FramingError("argument", f"{name}: a value is out of range 0..{high}")
    word0 = (pt << 12) | (sh << 11) | ap
    word1 = (sf << 14) | sc
    out = np.empty((pt.shape[0], PRIMARY_HEADER_LENGTH), dtype=np.uint8)
    for k, word in enumerate((word0, word1, dl)):
        out[:, 2 * k] = (word >> 8).astype(np.uint8)
        out[:, 2 * k + 1] = (word & 0xFF).astype(np.uint8)
    return out


def unpack_headers(headers: U8Array) -> dict[str, npt.NDArray[np.int64]]:
    """The fields of an (N, 6) uint8 array of primary headers, one int64 array per field."""
    headers = np.asarray(headers)
    if headers.ndim != 2 or headers.shape[1] < PRIMARY_HEADER_LENGTH or headers.dtype != np.uint8:
        raise FramingError("argument", f"headers: expected an (N, 6) uint8 array, got {headers.dtype} {headers.shape}")
    h = headers[:, :PRIMARY_HEADER_LENGTH].astype(np.int64)
    word0 = (h[:, 0] << 8) | h[:, 1]
    word1 = (h[:, 2] << 8) | h[:, 3]
    return {
        "version": word0 >> 13,
        "packet_type": (word0 >> 12) & 1,
        "sec_header_flag": (word0 >> 11) & 1,
        "apid": word0 & 0x7FF,
        "sequence_flags": word1 >> 14,
        "sequence_count": word1 & 0x3FFF,
        "data_length": (h[:, 4] << 8) | h[:, 5],
    }


# ---------------------------------------------------------------------------------------------
# Channel configuration
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChannelConfig:
    """A fixed-length virtual channel carrying space packets (``config`` of the test interface)."""

    scid: int = 0
    vcid: int = 0
    map_id: int = 0
    frame_length: int = 1024
    vcf_count_length: int = 1
    vcf_count: int = 0
    ocf: bytes | None = None
    fecf: str = "crc16"

    def __post_init__(self) -> None:
        for name, low, high in (
            ("scid", 0, 0xFFFF),
            ("vcid", 0, 63),
            ("map_id", 0, 15),
            ("frame_length", 1, 65536),
            ("vcf_count_length", 0, 7),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise FramingError("argument", f"config.{name}={value!r} is out of range {low}..{high}")
        count = self.vcf_count
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count < 1 << (8 * self.vcf_count_length):
            raise FramingError("argument", f"config.vcf_count={count!r} does not fit in {self.vcf_count_length} octets")
        if self.ocf is not None and (not isinstance(self.ocf, bytes) or len(self.ocf) != OCF_LENGTH):
            raise FramingError("argument", f"config.ocf: expected {OCF_LENGTH} octets or None")
        fecf_length(self.fecf)
        if self.zone_length < 1:
            raise FramingError(
                "argument", f"config.frame_length={self.frame_length} leaves no transfer frame data zone"
            )

    @property
    def zone_length(self) -> int:
        """T, octets of the TFDZ of every frame (construction rule 000: 3-octet TFDF header)."""
        return self.frame_length - frame_overhead(self.vcf_count_length, 0, self.ocf is not None, self.fecf)

    @property
    def count_modulus(self) -> int:
        """2^(8c): the VC frame count wraps to 0 there (732.1-B-2 4.1.2.12)."""
        return 1 << (8 * self.vcf_count_length)

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> ChannelConfig:
        """From the interface's ``config`` object (every key required, no other)."""
        if not isinstance(config, Mapping):
            raise FramingError("argument", f"config: expected a mapping, got {type(config).__name__}")
        names = cls.__slots__
        if set(config) != set(names):
            raise FramingError("argument", f"config: expected the keys {list(names)}, got {sorted(config)}")
        values = dict(config)
        if isinstance(values["ocf"], (bytearray, memoryview)):
            values["ocf"] = bytes(values["ocf"])
        return cls(**values)

    def template(self, params: FramingParameters = DEFAULT_PARAMETERS) -> UslpFrame:
        """The frame fields every frame of this channel shares (rule 000, protocol id 00000,
        sequence-controlled, user data, source)."""
        return UslpFrame(
            scid=self.scid,
            source_dest=0,
            vcid=self.vcid,
            map_id=self.map_id,
            bypass=0,
            protocol_command=0,
            vcf_count_length=self.vcf_count_length,
            vcf_count=self.vcf_count,
            construction_rule=params.construction_rule_packets,
            protocol_id=params.protocol_id_space_packets,
            first_header_pointer=ALL_ONES,
            data=b"",
            ocf=self.ocf,
        )


# ---------------------------------------------------------------------------------------------
# Sending: multiplexing into fixed-length frames
# ---------------------------------------------------------------------------------------------


def _check_packets(packets: Sequence[Any]) -> list[bytes]:
    out: list[bytes] = []
    for i, p in enumerate(packets):
        if not isinstance(p, (bytes, bytearray, memoryview)):
            raise FramingError("argument", f"packets[{i}]: expected bytes, got {type(p).__name__}")
        b = bytes(p)
        if len(b) < MIN_PACKET_LENGTH or len(b) != packet_length(b) or b[0] >> 5 != 0:
            raise FramingError("argument", f"packets[{i}]: not one space packet of version 000 (CCSDS 133.0-B-2 4.1.3)")
        out.append(b)
    return out


def multiplex(
    packets: Sequence[bytes], config: ChannelConfig, params: FramingParameters = DEFAULT_PARAMETERS
) -> U8Array:
    """The fixed-length frames carrying ``packets`` in order, as an (F, frame_length) uint8 array.

    The packet stream (with the idle fill of the module docstring) is cut into TFDZs of T octets;
    frame j gets VC frame count ``config.vcf_count + j`` modulo 2^(8c) and the first header pointer
    of its zone, found with one ``searchsorted`` over the packet start offsets. No packets: no frames.
    """
    if not isinstance(config, ChannelConfig):
        raise FramingError("argument", f"config: expected ChannelConfig, got {type(config).__name__}")
    checked = _check_packets(packets)
    t = config.zone_length
    if not checked:
        return np.empty((0, config.frame_length), dtype=np.uint8)
    lengths = np.fromiter((len(p) for p in checked), dtype=np.int64, count=len(checked))
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    used = int(lengths.sum())
    rest = -used % t
    if rest:
        idle_len = rest if rest >= MIN_PACKET_LENGTH else rest + t
        checked.append(idle_packet(idle_len))
        starts = np.append(starts, used)
        used += idle_len
    frames = used // t
    stream = np.frombuffer(b"".join(checked), dtype=np.uint8).reshape(frames, t)
    zone_starts = np.arange(frames, dtype=np.int64) * t
    k = np.searchsorted(starts, zone_starts, side="left")
    first = starts[np.minimum(k, starts.shape[0] - 1)]
    pointers = np.where((k < starts.shape[0]) & (first < zone_starts + t), first - zone_starts, params.fhp_no_header)
    counts = (np.uint64(config.vcf_count) + np.arange(frames, dtype=np.uint64)) % np.uint64(config.count_modulus)
    return build_frames_batch(config.template(params), stream, counts, pointers, config.fecf, params)


# ---------------------------------------------------------------------------------------------
# Receiving: extraction across frame boundaries
# ---------------------------------------------------------------------------------------------


class PacketExtractor:
    """The receiving end of one fixed-length virtual channel (see the module docstring).

    Feed frames in arrival order with :meth:`feed` (one frame) or :meth:`feed_batch` (an (N, L)
    array, parsed vectorized); delivered packets accumulate in :attr:`packets`, rejected frames in
    :attr:`rejected`.
    """

    def __init__(
        self, config: ChannelConfig, params: FramingParameters = DEFAULT_PARAMETERS, deliver_idle: bool = False
    ) -> None:
        if not isinstance(config, ChannelConfig):
            raise FramingError("argument", f"config: expected ChannelConfig, got {type(config).__name__}")
        self.config = config
        self.params = params
        self.deliver_idle = deliver_idle
        self.packets: list[bytes] = []
        self.rejected = 0
        self._partial = bytearray()
        self._in_sync = False
        self._expected_count: int | None = config.vcf_count if config.vcf_count_length else None

    # -- state changes ----------------------------------------------------------------------------

    def _lose_sync(self) -> None:
        self._partial.clear()
        self._in_sync = False

    def _deliver(self, packet: bytes) -> None:
        if self.deliver_idle or ((packet[0] & 0x07) << 8 | packet[1]) != self.params.idle_apid:
            self.packets.append(packet)

    def _walk(self, zone: bytes, position: int) -> None:
        """Deliver the packets that start at ``position`` and after in ``zone``; keep the last
        incomplete one as the partial packet."""
        t = len(zone)
        p = position
        while p < t:
            if t - p < PRIMARY_HEADER_LENGTH:
                self._partial[:] = zone[p:]
                return
            if zone[p] >> 5 != 0:  # not a packet header of version 000: the stream is not trustworthy
                self._lose_sync()
                return
            end = p + packet_length(zone[p : p + PRIMARY_HEADER_LENGTH])
            if end > t:
                self._partial[:] = zone[p:]
                return
            self._deliver(zone[p:end])
            p = end
        self._partial.clear()

    def _continue(self, zone: bytes, pointer: int) -> None:
        """A good frame of the channel, in sequence, with its TFDZ and first header pointer."""
        t = len(zone)
        no_header = pointer == self.params.fhp_no_header
        if not self._in_sync:
            if no_header:
                return
            self._in_sync = True
            self._partial.clear()
            self._walk(zone, pointer)
            return
        head = zone if no_header else zone[:pointer]
        partial = self._partial
        if not partial:
            # the previous packet ended with the previous zone: a header must start this one at 0
            if pointer != 0:
                self._lose_sync()
                if not no_header:
                    self._continue(zone, pointer)
                return
            self._walk(zone, 0)
            return
        partial += head
        if len(partial) >= PRIMARY_HEADER_LENGTH and partial[0] >> 5 != 0:
            self._lose_sync()
            if not no_header:
                self._continue(zone, pointer)
            return
        need = packet_length(partial) if len(partial) >= PRIMARY_HEADER_LENGTH else None
        if no_header:
            if need is None or len(partial) < need:
                return  # still inside the packet
            if len(partial) == need and len(head) == t:
                self._deliver(bytes(partial))  # ends exactly with this zone
                partial.clear()
                return
            self._lose_sync()  # a packet would end inside a zone in which no header starts
            return
        if need is not None and len(partial) == need:
            self._deliver(bytes(partial))
            partial.clear()
            self._walk(zone, pointer)
            return
        # the partial packet does not end where the pointer says the next header starts
        self._partial.clear()
        self._walk(zone, pointer)

    def _sequence(self, count: int) -> None:
        if self._expected_count is None:
            return
        if count != self._expected_count:
            self._lose_sync()
        self._expected_count = (count + 1) % self.config.count_modulus

    def _reject(self) -> None:
        self.rejected += 1
        self._lose_sync()

    # -- feeding ----------------------------------------------------------------------------------

    def feed_batch(self, frames: U8Array) -> None:
        """Process an (N, L) uint8 array of frames in order (headers checked vectorized)."""
        cfg = self.config
        frames = np.asarray(frames)
        if frames.ndim != 2 or frames.dtype != np.uint8:
            raise FramingError("argument", f"frames: expected a 2-D uint8 array, got {frames.dtype} {frames.shape}")
        n, length = frames.shape
        if n == 0:
            return
        if length != cfg.frame_length:
            for _ in range(n):
                self._reject()
            return
        parsed = parse_frames_batch(frames, cfg.fecf, self.params)
        t = cfg.zone_length
        good = (
            (parsed.error < 0)
            & (parsed.scid == cfg.scid)
            & (parsed.vcid == cfg.vcid)
            & (parsed.map_id == cfg.map_id)
            & (parsed.vcf_count_length == cfg.vcf_count_length)
            & (parsed.ocf_flag == (cfg.ocf is not None))
            & (parsed.construction_rule == self.params.construction_rule_packets)
            & (parsed.protocol_id == self.params.protocol_id_space_packets)
            & ((parsed.pointer < t) | (parsed.pointer == self.params.fhp_no_header))
            & (parsed.pointer >= 0)
        )
        zone0 = int(frames.shape[1] - t - fecf_length(cfg.fecf) - (OCF_LENGTH if cfg.ocf is not None else 0))
        blob = frames[:, zone0 : zone0 + t].tobytes()
        counts = parsed.vcf_count.tolist()
        pointers = parsed.pointer.tolist()
        for i, ok in enumerate(good.tolist()):
            if not ok:
                self._reject()
                continue
            self._sequence(int(counts[i]))
            self._continue(blob[i * t : (i + 1) * t], int(pointers[i]))

    def feed(self, frame: bytes) -> None:
        """Process one frame."""
        if not isinstance(frame, (bytes, bytearray, memoryview)) or len(frame) != self.config.frame_length:
            self._reject()
            return
        self.feed_batch(np.frombuffer(bytes(frame), dtype=np.uint8).reshape(1, -1))

    def feed_all(self, frames: Iterable[Any]) -> None:
        """Process frames of any types and lengths in order: runs of well-typed frames of the
        channel's length go through :meth:`feed_batch` together; anything else is rejected."""
        run: list[bytes] = []
        for frame in frames:
            if isinstance(frame, (bytes, bytearray, memoryview)) and len(frame) == self.config.frame_length:
                run.append(bytes(frame))
                continue
            self._flush(run)
            self._reject()
        self._flush(run)

    def _flush(self, run: list[bytes]) -> None:
        if run:
            self.feed_batch(np.frombuffer(b"".join(run), dtype=np.uint8).reshape(len(run), -1))
            run.clear()


def demultiplex(
    frames: Iterable[Any], config: ChannelConfig, params: FramingParameters = DEFAULT_PARAMETERS
) -> tuple[list[bytes], int]:
    """The non-idle packets carried by ``frames`` (in order) and the number of rejected frames."""
    extractor = PacketExtractor(config, params)
    extractor.feed_all(frames)
    return extractor.packets, extractor.rejected
