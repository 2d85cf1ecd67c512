"""USLP transfer frames of CCSDS 732.1-B-2 (Unified Space Data Link Protocol), build and parse.

Profile of ``net-optical-isl`` class ``framing`` (spec parameters ``uslp_*``):

* primary header (732.1-B-2 4.1.2), non-truncated only: declared once with ``construct`` in
  :data:`orbitcert.reference_impl.frames.USLP_PRIMARY_HEADER` (7 + c octets, c = VC frame count
  length 0..7);
* no insert zone; the transfer frame data field header (4.1.4.2, :data:`TFDF_HEADER`): construction
  rule (3 bits), USLP protocol identifier (5 bits) and, for rules 000/001/010 only (fixed-length
  TFDZ, 4.1.4.2.4), the 16-bit first header pointer / last valid octet pointer;
* the transfer frame data zone; the 4-octet operational control field (4.1.5) iff the OCF flag;
* the frame error control field (4.1.6), always present: CRC-16 (x^16 + x^12 + x^5 + 1, preset all
  ones; :func:`orbitcert.reference_impl.frames.fecf`, i.e. ``fastcrc``) or, as a profile option, the
  32-bit FECF of USLP issue 1 (732.1-B-1 4.1.6; issue 2 and later define only the 16-bit FECF): the
  Proximity-1 CRC-32 of CCSDS 211.2-B-3 annex C, generator x^32 + x^23 + x^21 + x^11 + x^2 + 1,
  preset zero, no reflection, no final XOR. No maintained Python CRC library among this project's
  dependencies has that CRC (``fastcrc``'s CRC-32 variants use other generators), so
  :func:`crc32_rows` computes it with numpy position tables; the tests check it against a
  bit-at-a-time CRC and the check values published with two independent implementations.

Two APIs: one frame at a time (:func:`build_frame` / :func:`parse_frame`, with the
:class:`UslpFrame` dataclass), and batches of fixed-length frames as 2-D ``uint8`` arrays
(:func:`build_frames_batch` / :func:`parse_frames_batch`): header template built once, counts and
pointers stamped with numpy, header checks vectorized, CRC per row with ``fastcrc``.

Decoders raise only :class:`FramingError` (a :class:`~orbitcert.reference_impl.frames.FrameError`,
so a ``ValueError``) with a stable ``code``; the codes of a frame that is not well formed are
:data:`DECODE_ERROR_CODES`, checked in this order (spec parameter ``uslp_decode_error_codes``):

1. ``truncated``: fewer than 7 octets;
2. ``version``: transfer frame version number not 1100 (4.1.2.2.2);
3. ``header``: end of frame primary header flag 1 (a truncated header, not in this profile) or
   reserve spares not 00 (4.1.2.9);
4. ``truncated``: fewer than 7 + c octets or fewer octets than the frame length field announces;
   ``length``: more octets than it announces, or an announced length too small for the primary
   header, TFDF header, OCF and FECF the frame announces (4.1.2.7);
5. ``fecf``: the frame error control field does not match (4.1.6).

Builders raise :class:`FramingError` with code ``argument`` for a field out of range.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import fastcrc
import numpy as np
import numpy.typing as npt
from construct import BitsInteger, BitStruct, ConstructError, If, Int16ub, Struct, this

from ..frames import (
    USLP_MAX_FRAME_LENGTH,
    USLP_PRIMARY_HEADER_FIXED,
    USLP_PRIMARY_HEADER_FIXED_LENGTH,
    UslpPrimaryHeader,
    build_uslp_primary_header,
    fecf as crc16_fecf,
)
from ..security.errors import FrameError

__all__ = [
    "ALL_ONES",
    "DECODE_ERROR_CODES",
    "OCF_LENGTH",
    "TFDF_HEADER",
    "FramingError",
    "FramingParameters",
    "ParsedBatch",
    "UslpFrame",
    "build_frame",
    "build_frames_batch",
    "crc32",
    "crc32_rows",
    "fecf_length",
    "fecf_rows",
    "frame_overhead",
    "parse_frame",
    "parse_frames_batch",
    "tfdf_header_length",
]

U8Array = npt.NDArray[np.uint8]

#: The decode error codes (spec parameter ``uslp_decode_error_codes``).
DECODE_ERROR_CODES: Final = ("truncated", "version", "header", "length", "fecf")
#: CCSDS 732.1-B-2 4.1.4.2.4.4: first header pointer of a TFDZ in which no packet header starts.
ALL_ONES: Final = 0xFFFF
#: CCSDS 732.1-B-2 4.1.5: the operational control field is 4 octets.
OCF_LENGTH: Final = 4

#: CCSDS 732.1-B-2 4.1.4.2: the TFDF header, 1 octet, or 3 with the pointer of rules 000/001/010.
TFDF_HEADER: Final = Struct(
    "octet" / BitStruct("construction_rule" / BitsInteger(3), "protocol_id" / BitsInteger(5)),
    "pointer" / If(this.octet.construction_rule <= 2, Int16ub),
)

_CRC16_POLY = 0x1021
_CRC16_INIT = 0xFFFF
_CRC32_POLY = 0x00A00805
_CRC32_INIT = 0


class FramingError(FrameError):
    """Bytes that are not a well-formed USLP frame or space packet, or a field out of range.

    ``code`` is one of :data:`DECODE_ERROR_CODES` for a decode error, ``argument`` for a bad
    argument of a builder.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True, slots=True)
class FramingParameters:
    """The normative constants of class ``framing`` (defaults: ``net-optical-isl`` 1.1.0)."""

    version: int = 0b1100
    max_frame_length: int = USLP_MAX_FRAME_LENGTH
    pointer_rules: tuple[int, ...] = (0, 1, 2)
    construction_rule_packets: int = 0
    protocol_id_space_packets: int = 0
    fhp_no_header: int = ALL_ONES
    crc16_polynomial: int = _CRC16_POLY
    crc16_initial: int = _CRC16_INIT
    crc32_polynomial: int = _CRC32_POLY
    crc32_initial: int = _CRC32_INIT
    idle_apid: int = 0x7FF
    max_packet_length: int = 65542

    @classmethod
    def from_spec(cls, spec: Any) -> FramingParameters:
        """Read the ``uslp_*`` / ``space_packet_*`` parameters a spec defines (others default)."""
        if spec is None:
            return cls()
        values = {name: p.value for name, p in spec.parameters.items()}
        names = {
            "version": "uslp_transfer_frame_version",
            "max_frame_length": "uslp_max_frame_length",
            "construction_rule_packets": "uslp_construction_rule_packets",
            "protocol_id_space_packets": "uslp_protocol_id_space_packets",
            "fhp_no_header": "uslp_fhp_no_header",
            "crc16_polynomial": "uslp_fecf_crc16_polynomial",
            "crc16_initial": "uslp_fecf_crc16_initial",
            "crc32_polynomial": "uslp_fecf_crc32_polynomial",
            "crc32_initial": "uslp_fecf_crc32_initial",
            "idle_apid": "space_packet_idle_apid",
            "max_packet_length": "space_packet_max_length",
        }
        kwargs: dict[str, Any] = {}
        for attr, name in names.items():
            if name in values:
                value = values[name]
                if isinstance(value, bool) or not isinstance(value, int):
                    raise FramingError("argument", f"spec parameter {name!r}: expected an integer, got {value!r}")
                kwargs[attr] = value
        if "uslp_pointer_construction_rules" in values:
            kwargs["pointer_rules"] = tuple(int(v) for v in values["uslp_pointer_construction_rules"])
        return cls(**kwargs)


DEFAULT_PARAMETERS: Final = FramingParameters()


# ---------------------------------------------------------------------------------------------
# Frame error control field (CCSDS 732.1-B-2 4.1.6)
# ---------------------------------------------------------------------------------------------


def fecf_length(fecf: str) -> int:
    """Octets of the FECF: 2 for ``crc16``, 4 for ``crc32``."""
    if fecf == "crc16":
        return 2
    if fecf == "crc32":
        return 4
    raise FramingError("argument", f"fecf: expected 'crc16' or 'crc32', got {fecf!r}")


_CRC32_BLOCK = 1024


@functools.cache
def _crc32_position_table(polynomial: int, block: int = _CRC32_BLOCK) -> npt.NDArray[np.uint32]:
    """``T[i, b]``: CRC-32 (preset 0) of a ``block``-octet message that is ``b`` at position i and
    zero elsewhere, i.e. b * x^(8 (block - 1 - i)) * x^32 mod g(x). The CRC of any block is the XOR
    of ``T[i, m_i]`` (the CRC is linear over GF(2) when the preset is zero)."""
    base = np.zeros(256, dtype=np.uint64)
    for b in range(256):
        reg = b << 24
        for _ in range(8):
            reg = ((reg << 1) ^ polynomial) if reg & 0x80000000 else (reg << 1)
        base[b] = reg & 0xFFFFFFFF
    table = np.empty((block, 256), dtype=np.uint64)
    table[block - 1] = base
    for i in range(block - 2, -1, -1):
        prev = table[i + 1]
        table[i] = ((prev << np.uint64(8)) & np.uint64(0xFFFFFFFF)) ^ base[(prev >> np.uint64(24)).astype(np.intp)]
    return table.astype(np.uint32)


def crc32_rows(rows: U8Array, polynomial: int = _CRC32_POLY, initial: int = _CRC32_INIT) -> npt.NDArray[np.uint32]:
    """The CRC-32 (MSB first, no reflection, no final XOR) of every row of a 2-D uint8 array.

    Blocks of 1024 columns: a gather of per-position tables and an XOR reduction per block, the
    register carried from block to block by multiplying it by x^(8k) (the CRC of the register
    octets followed by k - 4 zero octets). 211.2-B-3 annex C: polynomial 0x00A00805, preset 0.
    """
    rows = np.ascontiguousarray(rows, dtype=np.uint8)
    if rows.ndim != 2:
        raise FramingError("argument", f"rows: expected a 2-D uint8 array, got shape {rows.shape}")
    table = _crc32_position_table(polynomial)
    n, length = rows.shape
    reg = np.full(n, initial & 0xFFFFFFFF, dtype=np.uint32)
    base = table[_CRC32_BLOCK - 1]
    slab = max(1, (1 << 22) // max(1, min(length, _CRC32_BLOCK)))
    for start in range(0, length, _CRC32_BLOCK):
        k = min(_CRC32_BLOCK, length - start)
        tk = table[_CRC32_BLOCK - k :]
        positions = np.arange(k)[None, :]
        part = np.empty(n, dtype=np.uint32)
        for r0 in range(0, n, slab):
            chunk = rows[r0 : r0 + slab, start : start + k]
            part[r0 : r0 + slab] = np.bitwise_xor.reduce(tk[positions, chunk], axis=1)
        if k >= 4:
            shifted = tk[0][reg >> 24] ^ tk[1][(reg >> 16) & 0xFF] ^ tk[2][(reg >> 8) & 0xFF] ^ tk[3][reg & 0xFF]
        else:
            shifted = reg
            for _ in range(k):
                shifted = (shifted << np.uint32(8)) ^ base[shifted >> 24]
        reg = shifted ^ part
    return reg


def crc32(data: bytes | bytearray | memoryview, polynomial: int = _CRC32_POLY, initial: int = _CRC32_INIT) -> int:
    """The CRC-32 of ``data`` (see :func:`crc32_rows`); ``crc32(b"123456789") == 0x51693C0C``."""
    row = np.frombuffer(bytes(data), dtype=np.uint8)[None, :]
    return int(crc32_rows(row, polynomial, initial)[0])


def fecf_rows(rows: U8Array, fecf: str, params: FramingParameters = DEFAULT_PARAMETERS) -> npt.NDArray[np.uint32]:
    """The FECF value (CRC-16 or CRC-32) of every row of ``rows`` (2-D uint8)."""
    if fecf == "crc32":
        return crc32_rows(rows, params.crc32_polynomial, params.crc32_initial)
    fecf_length(fecf)
    out = np.empty(rows.shape[0], dtype=np.uint32)
    if params.crc16_polynomial == _CRC16_POLY:
        calc = fastcrc.crc16.ibm_3740
        init = params.crc16_initial
        blob = np.ascontiguousarray(rows).tobytes()
        width = rows.shape[1]
        for i in range(rows.shape[0]):
            out[i] = calc(blob[i * width : (i + 1) * width], init)
    else:
        for i in range(rows.shape[0]):
            out[i] = crc16_fecf(rows[i].tobytes(), params.crc16_polynomial, params.crc16_initial)
    return out


def _fecf_value(data: bytes, fecf: str, params: FramingParameters) -> bytes:
    if fecf == "crc16":
        return crc16_fecf(data, params.crc16_polynomial, params.crc16_initial).to_bytes(2, "big")
    if fecf == "crc32":
        return crc32(data, params.crc32_polynomial, params.crc32_initial).to_bytes(4, "big")
    raise FramingError("argument", f"fecf: expected 'crc16' or 'crc32', got {fecf!r}")


# ---------------------------------------------------------------------------------------------
# One frame
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UslpFrame:
    """The fields of one USLP transfer frame ("FrameFields" of the test interface).

    ``first_header_pointer`` is present (not None) iff ``construction_rule`` is 000, 001 or 010;
    ``data`` is the transfer frame data zone; ``ocf`` the 4-octet OCF or None.
    """

    scid: int = 0
    source_dest: int = 0
    vcid: int = 0
    map_id: int = 0
    bypass: int = 0
    protocol_command: int = 0
    vcf_count_length: int = 0
    vcf_count: int = 0
    construction_rule: int = 0
    protocol_id: int = 0
    first_header_pointer: int | None = ALL_ONES
    data: bytes = b""
    ocf: bytes | None = None

    def as_fields(self) -> dict[str, Any]:
        """The FrameFields dict of the test interface."""
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any]) -> UslpFrame:
        """A frame from a FrameFields mapping; a missing, unknown or mistyped key is an ``argument`` error."""
        if not isinstance(fields, Mapping):
            raise FramingError("argument", f"frame: expected a mapping of fields, got {type(fields).__name__}")
        names = cls.__slots__
        unknown = set(fields) - set(names) - {"error"}
        if unknown:
            raise FramingError("argument", f"frame: unknown fields {sorted(unknown)}")
        missing = [n for n in names if n not in fields]
        if missing:
            raise FramingError("argument", f"frame: missing fields {missing}")
        kwargs: dict[str, Any] = {}
        for name in names:
            value = fields[name]
            if name == "data":
                value = _octets(value, "data")
            elif name == "ocf":
                value = None if value is None else _octets(value, "ocf")
            elif name == "first_header_pointer":
                value = None if value is None else _integer(value, name)
            else:
                value = _integer(value, name)
            kwargs[name] = value
        return cls(**kwargs)


def _integer(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise FramingError("argument", f"{name}: expected an integer, got {value!r}")
    return int(value)


def _octets(value: Any, name: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise FramingError("argument", f"{name}: expected bytes, got {type(value).__name__}")


def _check_range(value: int, low: int, high: int, name: str) -> None:
    if not low <= value <= high:
        raise FramingError("argument", f"{name}={value} is out of range {low}..{high} (CCSDS 732.1-B-2 4.1)")


def tfdf_header_length(construction_rule: int, params: FramingParameters = DEFAULT_PARAMETERS) -> int:
    """Octets of the TFDF header: 3 for the pointer rules (000, 001, 010), else 1 (4.1.4.2.4)."""
    return 3 if construction_rule in params.pointer_rules else 1


def frame_overhead(vcf_count_length: int, construction_rule: int, ocf: bool, fecf: str) -> int:
    """Octets of a frame other than its TFDZ: primary header, TFDF header, OCF, FECF."""
    return (
        USLP_PRIMARY_HEADER_FIXED_LENGTH
        + vcf_count_length
        + tfdf_header_length(construction_rule)
        + (OCF_LENGTH if ocf else 0)
        + fecf_length(fecf)
    )


def _validate(frame: UslpFrame, params: FramingParameters) -> None:
    _check_range(frame.scid, 0, 0xFFFF, "scid")
    _check_range(frame.source_dest, 0, 1, "source_dest")
    _check_range(frame.vcid, 0, 63, "vcid")
    _check_range(frame.map_id, 0, 15, "map_id")
    _check_range(frame.bypass, 0, 1, "bypass")
    _check_range(frame.protocol_command, 0, 1, "protocol_command")
    _check_range(frame.vcf_count_length, 0, 7, "vcf_count_length")
    _check_range(frame.vcf_count, 0, (1 << (8 * frame.vcf_count_length)) - 1, "vcf_count")
    _check_range(frame.construction_rule, 0, 7, "construction_rule")
    _check_range(frame.protocol_id, 0, 31, "protocol_id")
    has_pointer = frame.construction_rule in params.pointer_rules
    if has_pointer != (frame.first_header_pointer is not None):
        raise FramingError(
            "argument",
            f"first_header_pointer must be {'an integer' if has_pointer else 'None'} for construction rule "
            f"{frame.construction_rule:03b} (CCSDS 732.1-B-2 4.1.4.2.4)",
        )
    if frame.first_header_pointer is not None:
        _check_range(frame.first_header_pointer, 0, 0xFFFF, "first_header_pointer")
    if frame.ocf is not None and len(frame.ocf) != OCF_LENGTH:
        raise FramingError(
            "argument", f"ocf: expected {OCF_LENGTH} octets, got {len(frame.ocf)} (CCSDS 732.1-B-2 4.1.5)"
        )


def build_frame(frame: UslpFrame, fecf: str = "crc16", params: FramingParameters = DEFAULT_PARAMETERS) -> bytes:
    """The octets of ``frame`` (CCSDS 732.1-B-2 4.1): frame length computed, FECF appended."""
    if not isinstance(frame, UslpFrame):
        raise FramingError("argument", f"frame: expected UslpFrame, got {type(frame).__name__}")
    _validate(frame, params)
    total = frame_overhead(frame.vcf_count_length, frame.construction_rule, frame.ocf is not None, fecf) + len(
        frame.data
    )
    if total > params.max_frame_length:
        raise FramingError(
            "argument", f"frame of {total} octets exceeds {params.max_frame_length} (CCSDS 732.1-B-2 4.1.2.7)"
        )
    header = UslpPrimaryHeader(
        version=params.version,
        spacecraft_id=frame.scid,
        source_or_destination_id=bool(frame.source_dest),
        virtual_channel_id=frame.vcid,
        map_id=frame.map_id,
        end_of_frame_primary_header_flag=False,
        frame_length=total - 1,
        bypass_sequence_control_flag=bool(frame.bypass),
        protocol_control_command_flag=bool(frame.protocol_command),
        spare=0,
        ocf_flag=frame.ocf is not None,
        vc_frame_count_length=frame.vcf_count_length,
        vc_frame_count=frame.vcf_count,
    )
    try:
        tfdf = bytes(
            TFDF_HEADER.build(
                {
                    "octet": {"construction_rule": frame.construction_rule, "protocol_id": frame.protocol_id},
                    "pointer": frame.first_header_pointer,
                }
            )
        )
    except ConstructError as exc:  # pragma: no cover - ranges are checked above
        raise FramingError("argument", f"TFDF header: {exc}") from None
    body = build_uslp_primary_header(header) + tfdf + frame.data + (frame.ocf or b"")
    return body + _fecf_value(body, fecf, params)


def parse_frame(frame: Any, fecf: str = "crc16", params: FramingParameters = DEFAULT_PARAMETERS) -> UslpFrame:
    """The fields of one USLP frame; :class:`FramingError` with a decode error code otherwise."""
    fecf_len = fecf_length(fecf)
    if not isinstance(frame, (bytes, bytearray, memoryview)):
        raise FramingError("argument", f"frame: expected bytes, got {type(frame).__name__}")
    data = bytes(frame)
    n = len(data)
    if n < USLP_PRIMARY_HEADER_FIXED_LENGTH:
        raise FramingError("truncated", f"{n} octets: shorter than the 7-octet primary header")
    fixed = USLP_PRIMARY_HEADER_FIXED.parse(data[:USLP_PRIMARY_HEADER_FIXED_LENGTH])
    if fixed.version != params.version:
        raise FramingError("version", f"transfer frame version number {fixed.version:04b} is not 1100")
    if fixed.end_of_frame_primary_header_flag:
        raise FramingError("header", "end of frame primary header flag set (truncated primary header)")
    if fixed.spare:
        raise FramingError("header", f"reserve spares {fixed.spare:02b} are not 00 (CCSDS 732.1-B-2 4.1.2.9)")
    c = fixed.vc_frame_count_length
    header_len = USLP_PRIMARY_HEADER_FIXED_LENGTH + c
    declared = fixed.frame_length + 1
    if n < header_len:
        raise FramingError("truncated", f"{n} octets: shorter than the {header_len}-octet primary header")
    if n < declared:
        raise FramingError("truncated", f"{n} octets, the frame length field announces {declared}")
    if n > declared:
        raise FramingError("length", f"{n} octets, the frame length field announces {declared}")
    ocf_len = OCF_LENGTH if fixed.ocf_flag else 0
    if declared < header_len + 1 + ocf_len + fecf_len:
        raise FramingError("length", f"frame length {declared} is too small for its header, TFDF header, OCF and FECF")
    rule = data[header_len] >> 5
    tfdf_len = tfdf_header_length(rule, params)
    if declared < header_len + tfdf_len + ocf_len + fecf_len:
        raise FramingError("length", f"frame length {declared} is too small for a {tfdf_len}-octet TFDF header")
    body = data[:-fecf_len]
    if _fecf_value(body, fecf, params) != data[-fecf_len:]:
        raise FramingError("fecf", "frame error control field does not match (CCSDS 732.1-B-2 4.1.6)")
    tfdf = TFDF_HEADER.parse(data[header_len : header_len + tfdf_len])
    zone_end = n - fecf_len - ocf_len
    return UslpFrame(
        scid=fixed.spacecraft_id,
        source_dest=int(fixed.source_or_destination_id),
        vcid=fixed.virtual_channel_id,
        map_id=fixed.map_id,
        bypass=int(fixed.bypass_sequence_control_flag),
        protocol_command=int(fixed.protocol_control_command_flag),
        vcf_count_length=c,
        vcf_count=int.from_bytes(data[USLP_PRIMARY_HEADER_FIXED_LENGTH:header_len], "big"),
        construction_rule=tfdf.octet.construction_rule,
        protocol_id=tfdf.octet.protocol_id,
        first_header_pointer=tfdf.pointer,
        data=data[header_len + tfdf_len : zone_end],
        ocf=data[zone_end : zone_end + ocf_len] if ocf_len else None,
    )


# ---------------------------------------------------------------------------------------------
# Batches of fixed-length frames
# ---------------------------------------------------------------------------------------------


def build_frames_batch(
    template: UslpFrame,
    zones: U8Array,
    vcf_counts: npt.ArrayLike | None = None,
    pointers: npt.ArrayLike | None = None,
    fecf: str = "crc16",
    params: FramingParameters = DEFAULT_PARAMETERS,
) -> U8Array:
    """N frames of one layout as an (N, L) uint8 array: ``template``'s header fields, row i of
    ``zones`` (N, T) as TFDZ, ``vcf_counts[i]`` (default: the template's count) and, for the pointer
    rules, ``pointers[i]`` (default: the template's pointer). The header is built once with
    construct (:func:`build_frame` of an empty-zone template); counts, pointers and FECFs are stamped
    per row.
    """
    zones = np.asarray(zones)
    if zones.ndim != 2 or zones.dtype != np.uint8:
        raise FramingError("argument", f"zones: expected a 2-D uint8 array, got {zones.dtype} {zones.shape}")
    n, t = zones.shape
    fecf_len = fecf_length(fecf)
    proto = build_frame(
        UslpFrame(**{**template.as_fields(), "data": bytes(t)}), fecf, params
    )  # validates the template and the total length
    length = len(proto)
    c = template.vcf_count_length
    header_len = USLP_PRIMARY_HEADER_FIXED_LENGTH + c
    tfdf_len = tfdf_header_length(template.construction_rule, params)
    zone0 = header_len + tfdf_len
    out = np.empty((n, length), dtype=np.uint8)
    out[:] = np.frombuffer(proto, dtype=np.uint8)
    out[:, zone0 : zone0 + t] = zones
    if c and vcf_counts is not None:
        counts = np.asarray(vcf_counts, dtype=np.uint64).reshape(-1)
        if counts.shape[0] != n:
            raise FramingError("argument", f"vcf_counts: expected {n} counts, got {counts.shape[0]}")
        if c < 8 and np.any(counts >> np.uint64(8 * c)):
            raise FramingError("argument", f"vcf_counts: a count does not fit in {c} octets")
        shifts = np.arange(8 * (c - 1), -1, -8, dtype=np.uint64)
        out[:, USLP_PRIMARY_HEADER_FIXED_LENGTH:header_len] = ((counts[:, None] >> shifts) & np.uint64(0xFF)).astype(
            np.uint8
        )
    if tfdf_len == 3 and pointers is not None:
        ptr = np.asarray(pointers, dtype=np.int64).reshape(-1)
        if ptr.shape[0] != n or np.any((ptr < 0) | (ptr > 0xFFFF)):
            raise FramingError("argument", f"pointers: expected {n} values in 0..65535")
        out[:, header_len + 1] = (ptr >> 8).astype(np.uint8)
        out[:, header_len + 2] = (ptr & 0xFF).astype(np.uint8)
    values = fecf_rows(out[:, : length - fecf_len], fecf, params)
    for k in range(fecf_len):
        out[:, length - fecf_len + k] = ((values >> np.uint32(8 * (fecf_len - 1 - k))) & np.uint32(0xFF)).astype(
            np.uint8
        )
    return out


@dataclass(frozen=True, slots=True)
class ParsedBatch:
    """Vectorized parse of N fixed-length frames (:func:`parse_frames_batch`).

    ``error`` holds per row the index into :data:`DECODE_ERROR_CODES` or -1 for a good frame; the
    field arrays are meaningful for good rows only. ``zone_start`` / ``zone_end`` delimit each row's
    TFDZ; ``pointer`` is -1 where the construction rule has none.
    """

    frames: U8Array
    error: npt.NDArray[np.int8]
    scid: npt.NDArray[np.int64]
    source_dest: npt.NDArray[np.int64]
    vcid: npt.NDArray[np.int64]
    map_id: npt.NDArray[np.int64]
    bypass: npt.NDArray[np.int64]
    protocol_command: npt.NDArray[np.int64]
    ocf_flag: npt.NDArray[np.bool_]
    vcf_count_length: npt.NDArray[np.int64]
    vcf_count: npt.NDArray[np.uint64]
    construction_rule: npt.NDArray[np.int64]
    protocol_id: npt.NDArray[np.int64]
    pointer: npt.NDArray[np.int64]
    zone_start: npt.NDArray[np.int64]
    zone_end: npt.NDArray[np.int64]

    def frame(self, i: int) -> UslpFrame:
        """Row ``i`` as a :class:`UslpFrame` (FramingError with its code when it is bad)."""
        if self.error[i] >= 0:
            code = DECODE_ERROR_CODES[int(self.error[i])]
            raise FramingError(code, f"frame {i}: {code}")
        row = self.frames[i]
        zs, ze = int(self.zone_start[i]), int(self.zone_end[i])
        ocf_len = OCF_LENGTH if self.ocf_flag[i] else 0
        return UslpFrame(
            scid=int(self.scid[i]),
            source_dest=int(self.source_dest[i]),
            vcid=int(self.vcid[i]),
            map_id=int(self.map_id[i]),
            bypass=int(self.bypass[i]),
            protocol_command=int(self.protocol_command[i]),
            vcf_count_length=int(self.vcf_count_length[i]),
            vcf_count=int(self.vcf_count[i]),
            construction_rule=int(self.construction_rule[i]),
            protocol_id=int(self.protocol_id[i]),
            first_header_pointer=None if self.pointer[i] < 0 else int(self.pointer[i]),
            data=row[zs:ze].tobytes(),
            ocf=row[ze : ze + ocf_len].tobytes() if ocf_len else None,
        )


def parse_frames_batch(
    frames: U8Array, fecf: str = "crc16", params: FramingParameters = DEFAULT_PARAMETERS
) -> ParsedBatch:
    """Parse an (N, L) uint8 array of frames with vectorized header checks (same codes and order
    as :func:`parse_frame`, which the tests check row by row)."""
    frames = np.asarray(frames)
    if frames.ndim != 2 or frames.dtype != np.uint8:
        raise FramingError("argument", f"frames: expected a 2-D uint8 array, got {frames.dtype} {frames.shape}")
    fecf_len = fecf_length(fecf)
    n, length = frames.shape
    err = np.full(n, -1, dtype=np.int8)
    zeros = np.zeros(n, dtype=np.int64)

    def mark(mask: npt.NDArray[np.bool_], code: str) -> None:
        err[(err < 0) & mask] = DECODE_ERROR_CODES.index(code)

    if length < USLP_PRIMARY_HEADER_FIXED_LENGTH:
        err[:] = DECODE_ERROR_CODES.index("truncated")
        z64 = np.zeros(n, dtype=np.uint64)
        return ParsedBatch(
            frames,
            err,
            zeros,
            zeros,
            zeros,
            zeros,
            zeros,
            zeros,
            zeros.astype(bool),
            zeros,
            z64,
            zeros,
            zeros,
            zeros - 1,
            zeros,
            zeros,
        )
    h = frames[:, :USLP_PRIMARY_HEADER_FIXED_LENGTH].astype(np.int64)
    version = h[:, 0] >> 4
    scid = ((h[:, 0] & 0x0F) << 12) | (h[:, 1] << 4) | (h[:, 2] >> 4)
    source_dest = (h[:, 2] >> 3) & 1
    vcid = ((h[:, 2] & 0x07) << 3) | (h[:, 3] >> 5)
    map_id = (h[:, 3] >> 1) & 0x0F
    eofph = h[:, 3] & 1
    declared = ((h[:, 4] << 8) | h[:, 5]) + 1
    bypass = h[:, 6] >> 7
    pcc = (h[:, 6] >> 6) & 1
    spare = (h[:, 6] >> 4) & 3
    ocf_flag = ((h[:, 6] >> 3) & 1).astype(bool)
    c = h[:, 6] & 7
    mark(version != params.version, "version")
    mark((eofph != 0) | (spare != 0), "header")
    header_len = USLP_PRIMARY_HEADER_FIXED_LENGTH + c
    mark(length < header_len, "truncated")
    mark(length < declared, "truncated")
    mark(length > declared, "length")
    ocf_len = np.where(ocf_flag, OCF_LENGTH, 0)
    mark(declared < header_len + 1 + ocf_len + fecf_len, "length")
    rule_at = np.minimum(header_len, length - 1)
    tfdf0 = frames[np.arange(n), rule_at].astype(np.int64)
    rule = tfdf0 >> 5
    protocol_id = tfdf0 & 0x1F
    has_ptr = np.isin(rule, params.pointer_rules)
    tfdf_len = np.where(has_ptr, 3, 1)
    mark(declared < header_len + tfdf_len + ocf_len + fecf_len, "length")
    # VC frame counts: c octets after the fixed header (big-endian), gathered per row.
    count = np.zeros(n, dtype=np.uint64)
    for k in range(7):
        col = min(USLP_PRIMARY_HEADER_FIXED_LENGTH + k, length - 1)
        take = c > k
        count = np.where(take, (count << np.uint64(8)) | frames[:, col].astype(np.uint64), count)
    p_hi = frames[np.arange(n), np.minimum(header_len + 1, length - 1)].astype(np.int64)
    p_lo = frames[np.arange(n), np.minimum(header_len + 2, length - 1)].astype(np.int64)
    pointer = np.where(has_ptr, (p_hi << 8) | p_lo, -1)
    ok = err < 0
    if ok.any():
        idx = np.flatnonzero(ok)
        residue = fecf_rows(frames[idx], fecf, params)
        if (fecf == "crc16" and params.crc16_initial == _CRC16_INIT) or (
            fecf == "crc32" and params.crc32_initial == _CRC32_INIT
        ):
            # a CRC without final XOR leaves a zero register after the message and its own CRC
            bad = residue != 0
        else:  # pragma: no cover - other presets: recompute over the body
            body = fecf_rows(frames[idx, : length - fecf_len], fecf, params)
            stored = np.zeros(idx.shape[0], dtype=np.uint32)
            for k in range(fecf_len):
                stored = (stored << np.uint32(8)) | frames[idx, length - fecf_len + k].astype(np.uint32)
            bad = body != stored
        err[idx[bad]] = DECODE_ERROR_CODES.index("fecf")
    zone_start = header_len + tfdf_len
    zone_end = length - fecf_len - ocf_len
    return ParsedBatch(
        frames=frames,
        error=err,
        scid=scid,
        source_dest=source_dest,
        vcid=vcid,
        map_id=map_id,
        bypass=bypass,
        protocol_command=pcc,
        ocf_flag=ocf_flag,
        vcf_count_length=c,
        vcf_count=count,
        construction_rule=rule,
        protocol_id=protocol_id,
        pointer=pointer,
        zone_start=zone_start,
        zone_end=zone_end,
    )


def parse_frames(
    frames: Sequence[Any], fecf: str = "crc16", params: FramingParameters = DEFAULT_PARAMETERS
) -> list[UslpFrame | FramingError]:
    """Each frame parsed, or the :class:`FramingError` it raised (one bad frame fails only itself).

    Frames of equal length go through :func:`parse_frames_batch` together."""
    fecf_length(fecf)
    out: list[UslpFrame | FramingError] = [FramingError("truncated", "unparsed")] * len(frames)
    groups: dict[int, list[int]] = {}
    for i, f in enumerate(frames):
        if not isinstance(f, (bytes, bytearray, memoryview)):
            out[i] = FramingError("argument", f"frame {i}: expected bytes, got {type(f).__name__}")
            continue
        groups.setdefault(len(f), []).append(i)
    for length, idx in groups.items():
        if length == 0:
            for i in idx:
                out[i] = FramingError("truncated", "empty frame")
            continue
        rows = np.frombuffer(b"".join(bytes(frames[i]) for i in idx), dtype=np.uint8).reshape(len(idx), length)
        parsed = parse_frames_batch(rows, fecf, params)
        for j, i in enumerate(idx):
            try:
                out[i] = parsed.frame(j)
            except FramingError as exc:
                out[i] = exc
    return out
