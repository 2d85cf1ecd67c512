"""ECSS PUS-C packet layer of the ``sw-compute-runtime`` reference (issue 11).

Sources:

* ECSS-E-ST-70-41C (15 April 2016), "Telemetry and telecommand packet utilization" (PUS-C):
  7.4.1-7.4.2 (PUS packets are CCSDS space packets with the secondary header flag set, the
  sequence flags of a PUS packet are ``11``, stand-alone), 7.4.3.1 (TC secondary header),
  7.4.3.2 (TM secondary header), 7.4.4 and Annex B (packet error control, CRC-16-CCITT,
  polynomial 0x1021, register preset 0xFFFF, the 2 last octets of the packet).
* CCSDS 133.0-B-2 4.1.3: the space packet primary header, reused from
  :mod:`orbitcert.reference_impl.optical.packets` (:data:`SPACE_PACKET_PRIMARY_HEADER`).
* CCSDS 301.0-B-4 3.3: the CCSDS day segmented time code (CDS). This profile uses the explicit
  P-field ``0x40`` (3.3.1: extension 0, time code id ``100`` = CDS, epoch id 0 = the CCSDS epoch
  1958-01-01T00:00:00 TAI/UTC (Level 1), 16-bit day segment, no sub-millisecond segment), then
  16-bit day count and 32-bit milliseconds of day (3.3.2: 0 .. 86,399,999, or up to 86,400,999
  during a positive leap second): 7 octets, the layout of spacepackets' ``CdsShortTimestamp``.

Layout (built with ``construct``):

* TC secondary header, 5 octets (7.4.3.1, no spare in this profile): TC packet PUS version number
  (4 bits, 2 for PUS-C), acknowledgement flags (4 bits; ECSS bit numbering, bit 0 the most
  significant: bit 3 = acceptance, bit 2 = start, bit 1 = progress, bit 0 = completion, i.e. the
  masks :data:`ACK_ACCEPTANCE` 0b0001 .. :data:`ACK_COMPLETION` 0b1000), service type (8), message
  subtype (8), source identifier (16).
* TM secondary header, 7 octets + time (7.4.3.2, no spare): TM packet PUS version number (4 bits, 2),
  spacecraft time reference status (4), service type (8), message subtype (8), message type counter
  (16), destination identifier (16), then the 7-octet CDS time field.

Decoding order (how a runtime rejects a packet, cf. the acceptance checks of ECSS-E-ST-70-41C 6.1.4):
primary header (``truncated``, ``version`` for a packet version number other than 000, ``type``
for a TM where a TC is expected or the reverse, ``header`` for a clear secondary header flag,
``truncated``/``length`` when the packet data length field disagrees with the octets received or
announces a data field too short for secondary header + PEC), then the packet error control
(``crc``), and only then the secondary header, which the PEC now vouches for (``version`` for a
PUS version other than 2, ``header`` for segmented sequence flags or an invalid time field). A
single corrupted bit is therefore ``crc`` unless it hits the packet version, type, secondary
header flag or packet data length fields of the primary header. Decoders raise only
:class:`PusError`, whatever the octets (tested with hypothesis).
"""

from __future__ import annotations

import datetime as _dt
import math
import struct
from dataclasses import dataclass
from typing import Any, Final, Literal, NamedTuple, get_args

from construct import BitsInteger, BitStruct, Int8ub, Int16ub, Int32ub, Struct

from ..frames import FECF_LENGTH, check_fecf, with_fecf
from ..optical.packets import (
    PRIMARY_HEADER_LENGTH,
    SpacePacket,
    build_packet,
)
from ..optical.uslp import FramingError

__all__ = [
    "ACK_ACCEPTANCE",
    "ACK_ALL",
    "ACK_COMPLETION",
    "ACK_PROGRESS",
    "ACK_START",
    "CCSDS_EPOCH",
    "CDS_PFIELD",
    "CDS_SHORT",
    "CDS_TIME_LENGTH",
    "PEC_LENGTH",
    "PUS_C_VERSION",
    "PUS_TC_SECONDARY_HEADER",
    "PUS_TM_SECONDARY_HEADER",
    "TC_MIN_LENGTH",
    "TC_SECONDARY_HEADER_LENGTH",
    "TM_MIN_LENGTH",
    "TM_SECONDARY_HEADER_LENGTH",
    "UNIX_EPOCH",
    "CdsTime",
    "PusError",
    "PusErrorCode",
    "PusTc",
    "PusTm",
    "PrimaryHeader",
    "TcSecondaryHeader",
    "TmSecondaryHeader",
    "parse_tc",
    "parse_tm",
    "unpack_primary_header",
    "unpack_tc_secondary_header",
    "unpack_tm_secondary_header",
]

PusErrorCode = Literal["truncated", "length", "crc", "version", "type", "header"]
_CODES: Final = frozenset(get_args(PusErrorCode))


class PusError(ValueError):
    """A PUS packet is rejected (or a field given to a builder is out of range: code ``header``).

    ``code`` is one of ``truncated``, ``length``, ``crc``, ``version``, ``type``, ``header``.
    """

    def __init__(self, code: PusErrorCode, message: str) -> None:
        if code not in _CODES:  # pragma: no cover - programming error
            raise AssertionError(f"unknown PusError code {code!r}")
        super().__init__(f"{code}: {message}")
        self.code: PusErrorCode = code


#: ECSS-E-ST-70-41C 7.4.3.1 / 7.4.3.2: PUS version number of PUS-C packets.
PUS_C_VERSION: Final = 2
#: ECSS-E-ST-70-41C 7.4.4: packet error control field, 16 bits (the CRC of frames.py).
PEC_LENGTH: Final = FECF_LENGTH
#: ECSS-E-ST-70-41C 7.4.3.1, acknowledgement flags (ECSS bit 3 = least significant bit).
ACK_ACCEPTANCE: Final = 0b0001
ACK_START: Final = 0b0010
ACK_PROGRESS: Final = 0b0100
ACK_COMPLETION: Final = 0b1000
ACK_ALL: Final = 0b1111

#: ECSS-E-ST-70-41C 7.4.3.1: TC secondary header of this profile (no spare), 5 octets.
PUS_TC_SECONDARY_HEADER: Final = BitStruct(
    "pus_version" / BitsInteger(4),
    "ack_flags" / BitsInteger(4),
    "service" / BitsInteger(8),
    "subtype" / BitsInteger(8),
    "source_id" / BitsInteger(16),
)
TC_SECONDARY_HEADER_LENGTH: Final = 5
#: ECSS-E-ST-70-41C 7.4.3.2: TM secondary header up to the time field, 7 octets.
PUS_TM_SECONDARY_HEADER: Final = BitStruct(
    "pus_version" / BitsInteger(4),
    "time_reference_status" / BitsInteger(4),
    "service" / BitsInteger(8),
    "subtype" / BitsInteger(8),
    "message_counter" / BitsInteger(16),
    "destination_id" / BitsInteger(16),
)
#: CCSDS 301.0-B-4 3.3: CDS with explicit P-field, 16-bit days, 32-bit ms of day, 7 octets.
CDS_SHORT: Final = Struct("p_field" / Int8ub, "days" / Int16ub, "ms_of_day" / Int32ub)
CDS_TIME_LENGTH: Final = 7
#: Struct fast path of :data:`CDS_SHORT` (checked against it by orbitcert's tests).
_CDS_FAST: Final = struct.Struct(">BHI")
#: CCSDS 301.0-B-4 3.3.1: 0 | 100 (CDS) | 0 (CCSDS epoch) | 0 (16-bit days) | 00 (no sub-ms).
CDS_PFIELD: Final = 0x40
TM_SECONDARY_HEADER_LENGTH: Final = 7 + CDS_TIME_LENGTH
TC_MIN_LENGTH: Final = PRIMARY_HEADER_LENGTH + TC_SECONDARY_HEADER_LENGTH + PEC_LENGTH
TM_MIN_LENGTH: Final = PRIMARY_HEADER_LENGTH + TM_SECONDARY_HEADER_LENGTH + PEC_LENGTH

#: CCSDS 301.0-B-4 3.3.2.1: the CCSDS epoch, 1958-01-01T00:00:00.
CCSDS_EPOCH: Final = _dt.datetime(1958, 1, 1, tzinfo=_dt.timezone.utc)
UNIX_EPOCH: Final = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_SECONDS_PER_DAY: Final = 86_400
_MS_PER_DAY: Final = 86_400_000
#: CCSDS 301.0-B-4 3.3.2: the ms-of-day segment reaches 86,400,999 in a positive leap second.
_MAX_MS_OF_DAY: Final = 86_400_999
_MAX_DAYS: Final = 0xFFFF
_UNSEGMENTED: Final = 0b11
_TYPE_TM: Final = 0
_TYPE_TC: Final = 1


def _check_int(name: str, value: Any, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise PusError("header", f"{name}={value!r} is out of range 0..{high}")
    return value


def _epoch_offset(epoch: _dt.datetime) -> float:
    """Seconds from the CCSDS epoch to ``epoch`` (a timezone-aware datetime; UTC days of 86,400 s)."""
    if not isinstance(epoch, _dt.datetime) or epoch.tzinfo is None:
        raise TypeError(f"epoch: expected a timezone-aware datetime, got {epoch!r}")
    return (epoch - CCSDS_EPOCH).total_seconds()


@dataclass(frozen=True, slots=True)
class CdsTime:
    """A CDS time (CCSDS 301.0-B-4 3.3): ``days`` since the CCSDS epoch 1958-01-01 (0..65,535) and
    ``ms_of_day`` (0..86,400,999; values above 86,399,999 only during a positive leap second)."""

    days: int
    ms_of_day: int

    def __post_init__(self) -> None:
        _check_int("days", self.days, _MAX_DAYS)
        _check_int("ms_of_day", self.ms_of_day, _MAX_MS_OF_DAY)

    @classmethod
    def from_seconds(cls, t: float, epoch: _dt.datetime = CCSDS_EPOCH) -> CdsTime:
        """The CDS time of ``t`` seconds after ``epoch``, rounded to the nearest millisecond (days of
        86,400 s: leap seconds are not counted, as in POSIX time)."""
        seconds = float(t) + _epoch_offset(epoch)
        if not math.isfinite(seconds):
            raise PusError("header", f"time {t!r} is not a finite number of seconds")
        total_ms = round(seconds * 1000.0)
        days, ms = divmod(total_ms, _MS_PER_DAY)
        if not 0 <= days <= _MAX_DAYS:
            raise PusError("header", f"{t} s after {epoch.isoformat()} is outside the 16-bit CDS day range")
        return cls(int(days), int(ms))

    def to_seconds(self, epoch: _dt.datetime = CCSDS_EPOCH) -> float:
        """Seconds after ``epoch`` (days of 86,400 s)."""
        return self.days * _SECONDS_PER_DAY + self.ms_of_day / 1000.0 - _epoch_offset(epoch)

    def pack(self) -> bytes:
        """The 7 octets: P-field 0x40, day (16 bits), ms of day (32 bits)."""
        return bytes(CDS_SHORT.build({"p_field": CDS_PFIELD, "days": self.days, "ms_of_day": self.ms_of_day}))

    @classmethod
    def unpack(cls, data: bytes) -> CdsTime:
        """The CDS time in the 7 octets ``data``; a P-field other than 0x40 or a ms of day above
        86,400,999 is a ``header`` error (CCSDS 301.0-B-4 3.3.1, 3.3.2)."""
        if len(data) < CDS_TIME_LENGTH:
            raise PusError("truncated", f"CDS time of {len(data)} octets, expected {CDS_TIME_LENGTH}")
        p_field, days, ms_of_day = _CDS_FAST.unpack_from(data)  # the layout of CDS_SHORT
        if p_field != CDS_PFIELD:
            raise PusError(
                "header",
                f"CDS P-field 0x{p_field:02x}, this profile uses 0x{CDS_PFIELD:02x} "
                "(CDS, CCSDS epoch, 16-bit days, no sub-millisecond; CCSDS 301.0-B-4 3.3.1)",
            )
        if ms_of_day > _MAX_MS_OF_DAY:
            raise PusError("header", f"ms of day {ms_of_day} > {_MAX_MS_OF_DAY} (CCSDS 301.0-B-4 3.3.2)")
        return cls(days, ms_of_day)


def _build_space_packet(packet_type: int, apid: int, sequence_count: int, data_field: bytes) -> bytes:
    """Primary header (sec header flag 1, unsegmented) + data field, then the PEC (7.4.4)."""
    _check_int("apid", apid, 0x7FF)
    _check_int("sequence_count", sequence_count, 0x3FFF)
    if len(data_field) + PEC_LENGTH > 65536:
        raise PusError("length", f"packet data field of {len(data_field) + PEC_LENGTH} octets > 65,536")
    try:
        raw = build_packet(SpacePacket(packet_type, 1, apid, _UNSEGMENTED, sequence_count, data_field + b"\0\0"))
    except FramingError as exc:  # pragma: no cover - ranges checked above
        raise PusError("header", str(exc)) from None
    return with_fecf(raw[:-PEC_LENGTH])


#: Fast path of the TM build (the layouts above, packed with :mod:`struct`): primary header (3 x 16
#: bits), TM secondary header up to the time field, CDS time. ``tests/reference_impl/runtime/
#: test_pus.py`` checks it octet for octet against the construct declarations and spacepackets.
_TM_FAST: Final = struct.Struct(">HHHBBBHHBHI")
#: The same for TC packets: primary header, TC secondary header.
_TC_FAST: Final = struct.Struct(">HHHBBBH")


def _primary_words(packet_type: int, apid: int, sequence_count: int, data_field_length: int) -> tuple[int, int, int]:
    """The three 16-bit words of a PUS packet's primary header (version 000, secondary header
    flag 1, sequence flags 11) for a data field of ``data_field_length`` octets before the PEC."""
    length = data_field_length + PEC_LENGTH - 1
    if length > 0xFFFF:
        raise PusError("length", f"packet data field of {length + 1} octets > 65,536")
    return (packet_type << 12) | (1 << 11) | apid, (_UNSEGMENTED << 14) | sequence_count, length


def _build_tm_fast(tm: PusTm) -> bytes:
    head = _TM_FAST.pack(
        *_primary_words(_TYPE_TM, tm.apid, tm.sequence_count, TM_SECONDARY_HEADER_LENGTH + len(tm.source_data)),
        (PUS_C_VERSION << 4) | tm.time_reference_status,
        tm.service,
        tm.subtype,
        tm.message_counter,
        tm.destination_id,
        CDS_PFIELD,
        tm.time.days,
        tm.time.ms_of_day,
    )
    return with_fecf(head + bytes(tm.source_data))


@dataclass(frozen=True, slots=True)
class PusTc:
    """A PUS-C telecommand packet (ECSS-E-ST-70-41C 7.4.3.1, 7.4.4)."""

    apid: int
    sequence_count: int
    service: int
    subtype: int
    source_id: int = 0
    ack_flags: int = ACK_ALL
    app_data: bytes = b""

    def build(self) -> bytes:
        """Primary header (type 1, secondary header flag 1, sequence flags 11), secondary header,
        application data, packet error control."""
        _check_int("service", self.service, 0xFF)
        _check_int("subtype", self.subtype, 0xFF)
        _check_int("source_id", self.source_id, 0xFFFF)
        _check_int("ack_flags", self.ack_flags, 0xF)
        _check_int("apid", self.apid, 0x7FF)
        _check_int("sequence_count", self.sequence_count, 0x3FFF)
        head = _TC_FAST.pack(
            *_primary_words(_TYPE_TC, self.apid, self.sequence_count, TC_SECONDARY_HEADER_LENGTH + len(self.app_data)),
            (PUS_C_VERSION << 4) | self.ack_flags,
            self.service,
            self.subtype,
            self.source_id,
        )
        return with_fecf(head + bytes(self.app_data))

    def build_declared(self) -> bytes:
        """:meth:`build` through the construct declarations (the definition the fast path is
        checked against)."""
        head = PUS_TC_SECONDARY_HEADER.build(
            {
                "pus_version": PUS_C_VERSION,
                "ack_flags": self.ack_flags,
                "service": self.service,
                "subtype": self.subtype,
                "source_id": self.source_id,
            }
        )
        return _build_space_packet(_TYPE_TC, self.apid, self.sequence_count, bytes(head) + bytes(self.app_data))


@dataclass(frozen=True, slots=True)
class PusTm:
    """A PUS-C telemetry packet (ECSS-E-ST-70-41C 7.4.3.2, 7.4.4) with a CDS time field."""

    apid: int
    sequence_count: int
    service: int
    subtype: int
    message_counter: int
    destination_id: int
    time: CdsTime
    source_data: bytes = b""
    time_reference_status: int = 0

    def build(self) -> bytes:
        """Primary header (type 0, secondary header flag 1, sequence flags 11), secondary header
        with the time field, source data, packet error control."""
        _check_int("service", self.service, 0xFF)
        _check_int("subtype", self.subtype, 0xFF)
        _check_int("message_counter", self.message_counter, 0xFFFF)
        _check_int("destination_id", self.destination_id, 0xFFFF)
        _check_int("time_reference_status", self.time_reference_status, 0xF)
        if not isinstance(self.time, CdsTime):
            raise PusError("header", f"time: expected CdsTime, got {type(self.time).__name__}")
        _check_int("apid", self.apid, 0x7FF)
        _check_int("sequence_count", self.sequence_count, 0x3FFF)
        return _build_tm_fast(self)

    def build_declared(self) -> bytes:
        """:meth:`build` through the construct declarations (the definition the fast path is
        checked against)."""
        head = PUS_TM_SECONDARY_HEADER.build(
            {
                "pus_version": PUS_C_VERSION,
                "time_reference_status": self.time_reference_status,
                "service": self.service,
                "subtype": self.subtype,
                "message_counter": self.message_counter,
                "destination_id": self.destination_id,
            }
        )
        field = bytes(head) + self.time.pack() + bytes(self.source_data)
        return _build_space_packet(_TYPE_TM, self.apid, self.sequence_count, field)


class PrimaryHeader(NamedTuple):
    """The fields of ``optical.packets.SPACE_PACKET_PRIMARY_HEADER`` (CCSDS 133.0-B-2 4.1.3)."""

    version: int
    packet_type: int
    sec_header_flag: int
    apid: int
    sequence_flags: int
    sequence_count: int
    data_length: int


class TcSecondaryHeader(NamedTuple):
    """The fields of :data:`PUS_TC_SECONDARY_HEADER` (ECSS-E-ST-70-41C 7.4.3.1)."""

    pus_version: int
    ack_flags: int
    service: int
    subtype: int
    source_id: int


def unpack_primary_header(raw: bytes) -> PrimaryHeader:
    """The primary header in the first 6 octets of ``raw``: the struct fast path of
    ``optical.packets.SPACE_PACKET_PRIMARY_HEADER`` (checked field for field against it by
    orbitcert's tests)."""
    w0, w1, length = struct.unpack_from(">HHH", raw)
    return PrimaryHeader(w0 >> 13, (w0 >> 12) & 1, (w0 >> 11) & 1, w0 & 0x7FF, w1 >> 14, w1 & 0x3FFF, length)


def unpack_tc_secondary_header(raw: bytes) -> TcSecondaryHeader:
    """The TC secondary header in octets 6..10 of ``raw``: the struct fast path of
    :data:`PUS_TC_SECONDARY_HEADER`."""
    b0, service, subtype, source = struct.unpack_from(">BBBH", raw, PRIMARY_HEADER_LENGTH)
    return TcSecondaryHeader(b0 >> 4, b0 & 0xF, service, subtype, source)


class TmSecondaryHeader(NamedTuple):
    """The fields of :data:`PUS_TM_SECONDARY_HEADER` (ECSS-E-ST-70-41C 7.4.3.2)."""

    pus_version: int
    time_reference_status: int
    service: int
    subtype: int
    message_counter: int
    destination_id: int


def unpack_tm_secondary_header(raw: bytes) -> TmSecondaryHeader:
    """The TM secondary header (up to the time field) in octets 6..12 of ``raw``: the struct fast
    path of :data:`PUS_TM_SECONDARY_HEADER`."""
    b0, service, subtype, counter, destination = struct.unpack_from(">BBBHH", raw, PRIMARY_HEADER_LENGTH)
    return TmSecondaryHeader(b0 >> 4, b0 & 0xF, service, subtype, counter, destination)


def _check_packet(data: Any, packet_type: int, min_length: int) -> tuple[bytes, PrimaryHeader]:
    """Primary header checks then the PEC (see the module docstring for the order)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"packet: expected bytes, got {type(data).__name__}")
    raw = bytes(data)
    if len(raw) < PRIMARY_HEADER_LENGTH:
        raise PusError("truncated", f"{len(raw)} octets: a space packet header has {PRIMARY_HEADER_LENGTH}")
    h = unpack_primary_header(raw)
    if h.version != 0:
        raise PusError("version", f"packet version number {h.version:03b} is not 000 (CCSDS 133.0-B-2 4.1.3.2)")
    if h.packet_type != packet_type:
        want, got = ("TC", "TM") if packet_type == _TYPE_TC else ("TM", "TC")
        raise PusError("type", f"packet type {h.packet_type} ({got}) where a {want} is expected")
    if h.sec_header_flag != 1:
        raise PusError("header", "secondary header flag is 0: a PUS packet has one (ECSS-E-ST-70-41C 7.4.1)")
    total = PRIMARY_HEADER_LENGTH + h.data_length + 1
    if len(raw) < total:
        raise PusError("truncated", f"{len(raw)} octets, the packet data length field announces {total}")
    if len(raw) > total:
        raise PusError("length", f"{len(raw)} octets, the packet data length field announces {total}")
    if total < min_length:
        raise PusError("length", f"a packet of {total} octets cannot hold secondary header and PEC ({min_length})")
    if not check_fecf(raw):
        raise PusError("crc", "packet error control mismatch (ECSS-E-ST-70-41C 7.4.4, Annex B)")
    if h.sequence_flags != _UNSEGMENTED:
        raise PusError("header", f"sequence flags {h.sequence_flags:02b}: PUS packets are unsegmented (11)")
    return raw, h


def parse_tc(data: bytes | bytearray | memoryview) -> PusTc:
    """The PUS-C TC in ``data`` (exactly one packet); raises :class:`PusError` when rejected."""
    raw, h = _check_packet(data, _TYPE_TC, TC_MIN_LENGTH)
    s = unpack_tc_secondary_header(raw)
    if s.pus_version != PUS_C_VERSION:
        raise PusError("version", f"TC PUS version number {s.pus_version}, PUS-C is {PUS_C_VERSION} (7.4.3.1)")
    return PusTc(
        apid=int(h.apid),
        sequence_count=int(h.sequence_count),
        service=int(s.service),
        subtype=int(s.subtype),
        source_id=int(s.source_id),
        ack_flags=int(s.ack_flags),
        app_data=raw[PRIMARY_HEADER_LENGTH + TC_SECONDARY_HEADER_LENGTH : -PEC_LENGTH],
    )


def parse_tm(data: bytes | bytearray | memoryview) -> PusTm:
    """The PUS-C TM in ``data`` (exactly one packet); raises :class:`PusError` when rejected."""
    raw, h = _check_packet(data, _TYPE_TM, TM_MIN_LENGTH)
    start = PRIMARY_HEADER_LENGTH
    s = unpack_tm_secondary_header(raw)
    if s.pus_version != PUS_C_VERSION:
        raise PusError("version", f"TM PUS version number {s.pus_version}, PUS-C is {PUS_C_VERSION} (7.4.3.2)")
    time = CdsTime.unpack(raw[start + 7 : start + TM_SECONDARY_HEADER_LENGTH])
    return PusTm(
        apid=int(h.apid),
        sequence_count=int(h.sequence_count),
        service=int(s.service),
        subtype=int(s.subtype),
        message_counter=int(s.message_counter),
        destination_id=int(s.destination_id),
        time=time,
        source_data=raw[start + TM_SECONDARY_HEADER_LENGTH : -PEC_LENGTH],
        time_reference_status=int(s.time_reference_status),
    )
