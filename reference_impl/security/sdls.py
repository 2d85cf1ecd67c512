"""ApplySecurity and ProcessSecurity of CCSDS 355.0-B-2 for TC and USLP frames (GCM and CCM suites).

Protected frame layout (SEC-AES-001; 355.0-B-2 3.2, 232.0-B-4 4.1.3.2, 732.1-B-2 4.1.2)::

    primary header | [segment header] | SPI (2) | IV (iv_length) | SN (sequence_number_length)
    | pad length (pad_length_length, 0) | data field (encrypted, or clear for authentication)
    | MAC (mac_length) | [USLP OCF (4)] | [FECF (2)]

* The additional authenticated data (355.0-B-2 4.2.2.3) is the primary header, the segment header
  and the security header, each octet ANDed with the SA's authentication bit mask; for the
  authentication service (4.2.2.4) it runs on to the last octet of the data field and the MAC is
  the GMAC of it. With aes-256-ccm (sec-link-security 1.1.0) the same masked AAD is CCM's
  associated data and the full 12-octet IV its nonce (NIST SP 800-38C; SEC-CCM-001..004).
* ApplySecurity (4.2.2) increments the SA's IV (mod 2^96, SEC-AES-006) and sequence number
  (mod 2^(8 n), SEC-ARP-004), rewrites the frame length field and recomputes the FECF (SEC-AES-004).
* ProcessSecurity (4.2.3) finds the SA by the spec's ``spi_lookup`` and checks, in the order of the
  spec parameter ``processing_order``: invalid_spi, sa_not_operational, key_not_active, malformed,
  bad_sequence_number, bad_iv, bad_mac. The anti-replay checks are those of 4.2.3.3 with the
  exact formulas of SEC-ARP-001/002. A rejected frame changes no SA state (SEC-ARP-003); an
  accepted one stores its sequence number and full IV.
* Every result carries the frame security report (355.0-B-2 Annex, SEC-KEY-008).

The per-frame path uses slices and ``int.from_bytes`` only (the layouts are declared once with
construct in :mod:`orbitcert.reference_impl.frames`); :meth:`SdlsEngine.protect_batch` protects
many frames under one SA for throughput. The public hook methods (:meth:`SdlsEngine.mask`,
:meth:`SdlsEngine.additional_data`, :meth:`SdlsEngine.next_iv`, :meth:`SdlsEngine.nonce`,
:meth:`SdlsEngine.window_accepts`) are the seams the deliberately broken test products override.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, Protocol

from .crypto import Buffer

from ..frames import (
    TC_MAX_FRAME_LENGTH,
    USLP_MAX_FRAME_LENGTH,
    fecf,
    frame_type_of,
    set_frame_length_fast,
)
from .crypto import AeadCipher
from .errors import FrameError, KeyStateError, SaStateError, UnknownSaError
from .keys import KeyStore
from .sa import SaRecord, SaTable, SecurityParameters

__all__ = [
    "BatchProtector",
    "FrameSecurityReport",
    "ProcessResult",
    "SdlsEngine",
    "SecurityHeader",
    "parse_security_header",
    "protect_batch",
]

_IV_MODULUS: Final = 1 << 96
_USLP_OCF_LENGTH: Final = 4
_REJECTIONS: Final = frozenset(
    {"invalid_spi", "sa_not_operational", "key_not_active", "bad_sequence_number", "bad_iv", "bad_mac", "malformed"}
)


@dataclass(frozen=True, slots=True)
class SecurityHeader:
    """The security header of 355.0-B-2 3.2 as an SA lays it out (SEC-AES-001)."""

    spi: int
    iv: bytes  # the transmitted iv_length octets
    sequence_number: int | None  # None when the SA's sequence_number_length is 0
    pad_length: int | None  # None when the SA's pad_length_length is 0


def parse_security_header(data: bytes, sa: SaRecord) -> SecurityHeader:
    """The security header at the start of ``data`` in ``sa``'s layout: SPI (2), IV
    (iv_length), SN (sequence_number_length), pad length (pad_length_length), big-endian.
    Raises only :class:`FrameError` (too short, not bytes)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise FrameError(f"data: expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) < sa.security_header_length:
        raise FrameError(
            f"security header: SA {sa.spi} needs {sa.security_header_length} octets, got {len(data)}"
        )
    iv_end = 2 + sa.iv_length
    sn_end = iv_end + sa.sn_length
    return SecurityHeader(
        int.from_bytes(data[:2], "big"),
        data[2:iv_end],
        int.from_bytes(data[iv_end:sn_end], "big") if sa.sn_length else None,
        int.from_bytes(data[sn_end : sa.security_header_length], "big") if sa.pad_length_length else None,
    )


@dataclass(frozen=True, slots=True)
class FrameSecurityReport:
    """The frame security report of one ProcessSecurity call (355.0-B-2 Annex; SEC-KEY-008)."""

    alarm: bool
    bad_sn: bool
    bad_mac: bool
    invalid_spi: bool
    last_spi: int
    sn_lsb: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "alarm": self.alarm, "bad_sn": self.bad_sn, "bad_mac": self.bad_mac,
            "invalid_spi": self.invalid_spi, "last_spi": self.last_spi, "sn_lsb": self.sn_lsb,
        }


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """What ProcessSecurity made of one frame: accepted, the clear data field, the reason, the FSR."""

    accepted: bool
    payload: bytes | None
    reason: str | None
    fsr: FrameSecurityReport

    def as_dict(self) -> dict[str, Any]:
        """The ``process_security`` result shape of the spec's interface."""
        return {"accepted": self.accepted, "payload": self.payload, "reason": self.reason, "fsr": self.fsr.as_dict()}


class SdlsEngine:
    """ApplySecurity / ProcessSecurity over a :class:`KeyStore` and an :class:`SaTable`.

    Holds the FSR's sticky alarm flag and last SPI (reset by the alarm flag reset procedure).
    """

    def __init__(self, keys: KeyStore, sas: SaTable, params: SecurityParameters | None = None) -> None:
        self.keys = keys
        self.sas = sas
        self.params = params if params is not None else SecurityParameters()
        self.alarm = False
        self.last_spi = 0
        self._crc_poly = self.params.crc16_polynomial
        self._crc_init = self.params.crc16_initial

    # -- hooks --------------------------------------------------------------------------------

    def mask(self, sa: SaRecord, aad: bytes) -> bytes:
        """``aad`` ANDed octet by octet with the SA's authentication bit mask (355.0-B-2 4.2.2.3)."""
        n = len(aad)
        if n <= sa.full_mask_length:  # the mask keeps every bit of the AAD
            return aad
        return (int.from_bytes(aad, "big") & sa.mask_int(n)).to_bytes(n, "big")

    def additional_data(self, sa: SaRecord, headers: bytes, security_header: bytes, data: Buffer) -> bytes:
        """The unmasked AAD: headers and security header (AEAD), plus the data field (authentication)."""
        if sa.aead:
            return headers + security_header
        return headers + security_header + data

    def next_iv(self, sa: SaRecord) -> int:
        """The IV of the next protected frame: the SA's IV + 1 mod 2^96 (SEC-AES-006)."""
        return (sa.iv + 1) % _IV_MODULUS

    def nonce(self, sa: SaRecord, iv: int) -> bytes:
        """The 12 octets the cipher takes for the frame whose full IV is ``iv``: the GCM IV
        (SEC-AES-002) or the CCM nonce N (SEC-CCM-004), always the full IV, whatever the SA's
        iv_length. A hook, so a test product can deviate."""
        return iv.to_bytes(12, "big")

    def before_mac(self, sa: SaRecord, iv: int, sn: int) -> None:
        """Between the window checks and the MAC check, the SA must stay as it is: a frame that
        then fails its MAC leaves no trace (SEC-ARP-003). A hook, so a test product can deviate."""

    def window_accepts(self, delta: int, window: int) -> bool:
        """SEC-ARP-001/002: 1 <= delta <= window."""
        return 1 <= delta <= window

    # -- helpers ------------------------------------------------------------------------------

    def _crc(self, data: Any) -> int:
        return self._crc_continue(data, self._crc_init)

    def _crc_continue(self, data: Any, register: int) -> int:
        """The CRC-16 register after ``data``, starting from ``register`` (232.0-B-4 4.1.4.2)."""
        return fecf(data, self._crc_poly, register)

    def _resolve_for_apply(self, spi: int) -> tuple[SaRecord, AeadCipher]:
        if isinstance(spi, bool) or not isinstance(spi, int):
            raise UnknownSaError(f"spi: expected an integer, got {spi!r}")
        sa = self.sas.get(spi)
        if sa is None:
            raise UnknownSaError(f"spi: {spi} names no SA")
        if sa.state != "operational":
            raise SaStateError(f"spi {spi}: the SA is {sa.state}, not operational (CCSDS 355.0-B-2 2.3.3)")
        cipher = self.keys.cipher(sa.key_id, sa.algorithm)
        if cipher is None:
            raise KeyStateError(
                f"spi {spi}: key {sa.key_id} is not an active {sa.algorithm} key (CCSDS 355.1-B-1 3.2)"
            )
        return sa, cipher

    # -- ApplySecurity ------------------------------------------------------------------------

    def apply_security(self, frame: bytes, spi: int) -> bytes:
        """The protected frame of the clear ``frame`` under SA ``spi`` (355.0-B-2 4.2.2).

        ``frame`` is primary header, segment header where the SA has one, data field (then the
        USLP OCF where the header's OCF flag is set) and the FECF where the SA has one; its frame
        length field and FECF are not checked. Raises a :class:`SecurityError` subclass (unknown
        SA, SA not operational, key not active, frame of another type or too short or too long).
        """
        if not isinstance(frame, (bytes, bytearray, memoryview)):
            raise FrameError(f"frame: expected bytes, got {type(frame).__name__}")
        sa, cipher = self._resolve_for_apply(spi)
        return self._apply(sa, cipher, bytes(frame))

    def protect_batch(self, frames: Iterable[bytes], spi: int) -> list[bytes]:
        """ApplySecurity of every frame of ``frames`` in order under SA ``spi`` (one SA/key lookup)."""
        sa, cipher = self._resolve_for_apply(spi)
        apply = self._apply
        return [apply(sa, cipher, frame if isinstance(frame, bytes) else bytes(frame)) for frame in frames]

    def _apply(self, sa: SaRecord, cipher: AeadCipher, frame: bytes) -> bytes:
        n = len(frame)
        frame_type = sa.frame_type
        if frame_type_of(frame) != frame_type:
            raise FrameError(f"frame: not a {frame_type} transfer frame (version field), as SA {sa.spi} requires")
        ocf = b""
        if frame_type == "tc":
            header_length = 5
            limit = TC_MAX_FRAME_LENGTH
        else:
            if n < 7:
                raise FrameError(f"frame: {n} octets is shorter than a USLP primary header")
            header_length = 7 + (frame[6] & 0x07)
            limit = USLP_MAX_FRAME_LENGTH
        head = header_length + sa.segment_length
        tail = 2 if sa.fecf else 0
        if frame_type == "uslp" and frame[6] & 0x08:
            tail += _USLP_OCF_LENGTH
        if n < head + tail:
            raise FrameError(f"frame: {n} octets is shorter than its headers and trailer ({head + tail})")
        if frame_type == "uslp":
            if frame[3] & 0x01:
                raise FrameError("frame: truncated USLP primary header (end of frame primary header flag set)")
            if tail > (2 if sa.fecf else 0):
                ocf = frame[n - tail : n - tail + _USLP_OCF_LENGTH]
        total = n + sa.security_header_length + sa.mac_length
        if total > limit:
            raise FrameError(f"frame: the protected frame would be {total} octets, more than {limit}")
        headers = bytearray(frame[:head])
        set_frame_length_fast(headers, frame_type, total)
        iv = self.next_iv(sa)
        sn = (sa.sn + 1) % sa.sn_modulus if sa.sn_length else 0
        iv_bytes = iv.to_bytes(12, "big")
        security_header = (
            sa.spi_bytes
            + iv_bytes[12 - sa.iv_length :]
            + (sn.to_bytes(sa.sn_length, "big") if sa.sn_length else b"")
            + bytes(sa.pad_length_length)
        )
        view = memoryview(frame)
        data = view[head : n - tail]  # no copy: the ciphers read buffers
        header_bytes = bytes(headers)
        aad = self.additional_data(sa, header_bytes, security_header, data)
        if len(sa.mask) < len(aad):
            raise FrameError(
                f"SA {sa.spi}: authentication_bit_mask has {len(sa.mask)} octets, the AAD {len(aad)} (355.0-B-2 4.2.2.3)"
            )
        masked = self.mask(sa, aad)
        prefix = header_bytes + security_header
        nonce = self.nonce(sa, iv)
        if sa.aead:
            sealed = cipher.seal(nonce, data, masked)  # ciphertext || 16-octet tag
            parts: list[Any] = [prefix, sealed if sa.mac_length == 16 else sealed[: len(sealed) - 16 + sa.mac_length]]
        else:
            parts = [prefix, data, cipher.gmac(nonce, masked)[: sa.mac_length]]
        if ocf:
            parts.append(ocf)
        if sa.fecf:
            crc = self._crc_init
            for part in parts:  # the CRC register runs on across the parts: one copy of the frame in all
                crc = self._crc_continue(part, crc)
            parts.append(crc.to_bytes(2, "big"))
        out = b"".join(parts)
        sa.iv = iv
        sa.sn = sn
        return out

    # -- ProcessSecurity ----------------------------------------------------------------------

    def _report(self, reason: str | None) -> FrameSecurityReport:
        bad_sn = reason == "bad_sequence_number" or reason == "bad_iv"
        bad_mac = reason == "bad_mac"
        invalid_spi = reason == "invalid_spi"
        if bad_sn or bad_mac or invalid_spi:
            self.alarm = True
        last = self.sas.get(self.last_spi) if self.last_spi else None
        return FrameSecurityReport(self.alarm, bad_sn, bad_mac, invalid_spi, self.last_spi, last.sn & 0xFF if last else 0)

    def _reject(self, reason: str) -> ProcessResult:
        return ProcessResult(False, None, reason, self._report(reason))

    def find_sa(self, frame: bytes) -> tuple[SaRecord | None, int]:
        """The frame's SA by the spec's ``spi_lookup`` and its primary header length (0 when none)."""
        frame_type = frame_type_of(frame)
        n = len(frame)
        if frame_type == "tc":
            header_length = 5
        elif frame_type == "uslp" and n >= 7:
            header_length = 7 + (frame[6] & 0x07)
        else:
            return None, 0
        for candidate in self.sas.of_type(frame_type):
            offset = header_length + candidate.segment_length
            if n >= offset + 2 and frame[offset : offset + 2] == candidate.spi_bytes:
                return candidate, header_length
        return None, header_length

    def process_security(self, frame: bytes) -> ProcessResult:
        """ProcessSecurity of one received frame (355.0-B-2 4.2.3), checks in ``processing_order``."""
        if not isinstance(frame, (bytes, bytearray, memoryview)):
            raise FrameError(f"frame: expected bytes, got {type(frame).__name__}")
        frame = bytes(frame)
        sa, header_length = self.find_sa(frame)
        if sa is None:
            return self._reject("invalid_spi")
        self.last_spi = sa.spi
        if sa.state != "operational":
            return self._reject("sa_not_operational")
        cipher = self.keys.cipher(sa.key_id, sa.algorithm)
        if cipher is None:
            return self._reject("key_not_active")

        # malformed: lengths, frame length field, FECF, pad length, ABM length (processing_order)
        n = len(frame)
        head = header_length + sa.segment_length
        header_end = head + sa.security_header_length
        tail = sa.mac_length + (2 if sa.fecf else 0)
        if sa.frame_type == "tc":
            length_field = ((frame[2] & 0x03) << 8) | frame[3]
            truncated = False
        else:
            length_field = (frame[4] << 8) | frame[5]
            truncated = bool(frame[3] & 0x01)
            if frame[6] & 0x08:
                tail += _USLP_OCF_LENGTH
        if truncated or n < header_end + tail or length_field != n - 1:
            return self._reject("malformed")
        view = memoryview(frame)
        if sa.fecf and self._crc(view[:-2]) != (frame[-2] << 8 | frame[-1]):
            return self._reject("malformed")
        if sa.pad_length_length and any(frame[header_end - sa.pad_length_length : header_end]):
            return self._reject("malformed")
        data_end = n - tail
        aad_length = header_end if sa.aead else data_end
        if len(sa.mask) < aad_length:
            return self._reject("malformed")

        # anti-replay: sequence number first, then IV (SEC-ARP-001, SEC-ARP-002)
        iv_offset = head + 2
        sn_offset = iv_offset + sa.iv_length
        sn = sa.sn
        if sa.sn_length:
            sn = int.from_bytes(frame[sn_offset : sn_offset + sa.sn_length], "big")
            if not self.window_accepts((sn - sa.sn) % sa.sn_modulus, sa.window):
                return self._reject("bad_sequence_number")
        transmitted = int.from_bytes(frame[iv_offset:sn_offset], "big")
        delta = (transmitted - sa.iv) % sa.iv_modulus
        if not self.window_accepts(delta, sa.window):
            return self._reject("bad_iv")
        iv = (sa.iv + delta) % _IV_MODULUS
        self.before_mac(sa, iv, sn)

        # MAC (SEC-AES-005, SEC-AUTH-002, SEC-CCM-003)
        iv_bytes = self.nonce(sa, iv)
        data = view[header_end:data_end]
        mac_end = data_end + sa.mac_length
        masked = self.mask(sa, self.additional_data(sa, frame[:head], frame[head:header_end], data))
        if sa.aead:
            payload = cipher.open(iv_bytes, view[header_end:mac_end], masked)  # ciphertext || MAC, no copy
            if payload is None:
                return self._reject("bad_mac")
        else:
            if not hmac.compare_digest(cipher.gmac(iv_bytes, masked)[: sa.mac_length], frame[data_end:mac_end]):
                return self._reject("bad_mac")
            payload = bytes(data)
        sa.iv, sa.sn = iv, sn
        return ProcessResult(True, payload, None, self._report(None))

    def reset_alarm(self) -> None:
        """The alarm flag reset procedure (355.1-B-1 5; SEC-KEY-008)."""
        self.alarm = False


class BatchProtector(Protocol):
    """Anything with a ``protect_batch`` (an :class:`SdlsEngine`, or the reference product)."""

    def protect_batch(self, frames: Iterable[bytes], spi: int) -> list[bytes]: ...


def protect_batch(protector: BatchProtector, frames: Iterable[bytes], spi: int) -> list[bytes]:
    """ApplySecurity of every frame of ``frames`` under SA ``spi`` of ``protector`` (an
    :class:`SdlsEngine` or the reference product): the benchmark's entry point."""
    return protector.protect_batch(frames, spi)
