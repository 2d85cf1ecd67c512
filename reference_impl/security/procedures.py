"""SDLS extended procedures of CCSDS 355.1-B-1 as the ``sec-link-security`` profile fixes them.

PDU (spec parameter ``ep_pdu``; 355.1-B-1 6)::

    tag (1: type 1 bit, user flag 1 bit, service group 2 bits, procedure id 4 bits)
    | length (2, big-endian, bits of the value, a multiple of 8) | value

Every command gets a reply PDU: the tag with the type bit set, the length, and a value starting
with the status octet of ``ep_status`` followed, on success, by the reply data. A PDU that is
truncated, whose length disagrees with its size or is not whole octets, or whose value has the
wrong size for its procedure gets ``malformed``; an unknown procedure ``unknown_procedure``; and
nothing changes (SEC-KEY-007). Procedures naming several keys change all of them or none.

Procedures (``ep_procedures``): key management (3: OTAR 3.3, activate 3.4, deactivate 3.5,
verify 3.8, destroy 3.7), SA management (4: rekey, expire, set ARSN, start, stop, read ARSN,
status) and monitoring and control (5: alarm flag reset). Values per ``ep_otar``,
``ep_key_list``, ``ep_verify``, ``ep_sa``; SA state codes per ``sa_state_codes``.

A PDU whose type bit says it is itself a reply is not a command: it gets no reply (None).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Final

from .crypto import GcmCipher
from .errors import ProcedureError
from .keys import KeyState, KeyStore
from .sa import SaRecord, SaTable, SecurityParameters
from .sdls import SdlsEngine

__all__ = ["NO_KEY", "ExtendedProcedures", "parse_pdu"]

#: ep_sa: key id 65535 in a rekey PDU means "no key".
NO_KEY: Final = 0xFFFF
_OTAR_FIXED: Final = 2 + 12 + 16  # master key id, IV, MAC
_OTAR_BLOCK: Final = 2 + 32  # key id and 32-octet key, encrypted together
_VERIFY_BLOCK: Final = 2 + 16  # key id, challenge


def parse_pdu(pdu: bytes) -> tuple[int, bytes]:
    """(tag, value) of a procedure PDU (355.1-B-1 6); :class:`ProcedureError` ``malformed`` when
    it is shorter than tag and length, the length is not whole octets, or disagrees with the size."""
    if len(pdu) < 3:
        raise ProcedureError("malformed", f"pdu: {len(pdu)} octets, shorter than tag and length (3)")
    bits = int.from_bytes(pdu[1:3], "big")
    if bits % 8:
        raise ProcedureError("malformed", f"pdu: length field {bits} bits is not a whole number of octets")
    if bits // 8 != len(pdu) - 3:
        raise ProcedureError("malformed", f"pdu: length field says {bits // 8} octets, the value has {len(pdu) - 3}")
    return pdu[0], pdu[3:]


class ExtendedProcedures:
    """The procedure handler over the product's keys, SAs and SDLS engine (for the FSR alarm)."""

    def __init__(self, keys: KeyStore, sas: SaTable, engine: SdlsEngine, params: SecurityParameters) -> None:
        self.keys = keys
        self.sas = sas
        self.engine = engine
        self.params = params
        self._status = dict(params.ep_status)
        self._state_codes = dict(params.sa_state_codes)
        groups = params.ep_procedures
        handlers: dict[str, Callable[[bytes, bytes], bytes]] = {
            "otar": self._otar,
            "activate": lambda tag, v: self._key_list("activate", v),
            "deactivate": lambda tag, v: self._key_list("deactivate", v),
            "destroy": lambda tag, v: self._key_list("destroy", v),
            "verify": self._verify,
            "rekey": self._rekey,
            "expire": lambda tag, v: self._sa_transition(v, "expire", ("keyed",), "expired"),
            "start": lambda tag, v: self._sa_transition(v, "start", ("keyed",), "operational"),
            "stop": lambda tag, v: self._sa_transition(v, "stop", ("operational",), "keyed"),
            "set_arsn": self._set_arsn,
            "read_arsn": self._read_arsn,
            "status": self._sa_status,
            "alarm_flag_reset": self._alarm_flag_reset,
        }
        self._handlers: dict[tuple[int, int], tuple[str, Callable[[bytes, bytes], bytes]]] = {}
        for group in groups.values():
            service_group = group["service_group"]
            for name, procedure_id in group.items():
                if name != "service_group" and name in handlers:
                    self._handlers[(service_group, procedure_id)] = (name, handlers[name])

    # -- entry point --------------------------------------------------------------------------

    def handle(self, pdu: bytes) -> bytes | None:
        """The reply PDU to the command ``pdu`` (None when ``pdu`` is itself a reply)."""
        pdu = bytes(pdu)
        tag = pdu[0] if pdu else 0
        if tag & 0x80:
            return None
        try:
            tag, value = parse_pdu(pdu)
            if tag & 0x40:
                raise ProcedureError("unknown_procedure", "pdu: user-defined procedures are not provided")
            entry = self._handlers.get(((tag >> 4) & 0x03, tag & 0x0F))
            if entry is None:
                raise ProcedureError("unknown_procedure", f"pdu: no procedure with tag {tag:#04x}")
            data = entry[1](pdu[:3], value)
        except ProcedureError as error:
            return self._reply(tag, self._status[error.status], b"")
        return self._reply(tag, self._status["success"], data)

    @staticmethod
    def _reply(tag: int, status: int, data: bytes) -> bytes:
        value = bytes([status]) + data
        return bytes([tag | 0x80]) + (8 * len(value)).to_bytes(2, "big") + value

    # -- key management (355.1-B-1 3) ---------------------------------------------------------

    def decrypt_otar(self, cipher: GcmCipher, iv: bytes, sealed: bytes, aad: bytes) -> bytes | None:
        """The delivered keys (concatenated) of an OTAR PDU, None when the MAC does not verify."""
        return cipher.open(iv, sealed, aad)

    def _otar(self, head: bytes, value: bytes) -> bytes:
        """OTAR (3.3, ``ep_otar``): master key id, IV, the encrypted (key id, key) blocks, MAC."""
        blocks, rest = divmod(len(value) - _OTAR_FIXED, _OTAR_BLOCK)
        if len(value) < _OTAR_FIXED + _OTAR_BLOCK or rest:
            raise ProcedureError("malformed", f"otar: a value of {len(value)} octets is not 30 + 34 n octets, n >= 1")
        master_id = int.from_bytes(value[:2], "big")
        iv = value[2:14]
        sealed = value[14:]  # the key blocks' ciphertext, then the MAC (the GCM tag)
        master = self.keys.get(master_id)
        if master is None:
            raise ProcedureError("unknown_key_or_sa", f"otar: master key {master_id} is unknown")
        cipher = self.keys.cipher(master_id, "aes-256-gcm")
        if not isinstance(cipher, GcmCipher):  # None: not an active 32-octet key
            raise ProcedureError("invalid_state", f"otar: master key {master_id} is not an active 32-octet key")
        plain = self.decrypt_otar(cipher, iv, sealed, head + value[:2])
        if plain is None:
            raise ProcedureError("authentication_failed", "otar: the MAC does not verify")
        delivered = [plain[i * _OTAR_BLOCK : (i + 1) * _OTAR_BLOCK] for i in range(blocks)]
        self.keys.install([(int.from_bytes(block[:2], "big"), block[2:]) for block in delivered])
        return b""

    @staticmethod
    def _key_ids(procedure: str, value: bytes) -> list[int]:
        if not value or len(value) % 2:
            raise ProcedureError("malformed", f"{procedure}: a value of {len(value)} octets is not one or more key ids")
        return [int.from_bytes(value[i : i + 2], "big") for i in range(0, len(value), 2)]

    def _key_list(self, procedure: str, value: bytes) -> bytes:
        """Activate / deactivate / destroy (3.4, 3.5, 3.7; ``ep_key_list``), all keys or none."""
        self.keys.transition(procedure, self._key_ids(procedure, value))
        return b""

    def verification_iv(self) -> bytes:
        """The 12-octet IV of one key verification reply (chosen by the product: random)."""
        return os.urandom(12)

    def _verify(self, head: bytes, value: bytes) -> bytes:
        """Key verification (3.8, ``ep_verify``): per (key id, challenge) the GCM of the challenge."""
        if not value or len(value) % _VERIFY_BLOCK:
            raise ProcedureError("malformed", f"verify: a value of {len(value)} octets is not 18 n octets, n >= 1")
        out = bytearray()
        for offset in range(0, len(value), _VERIFY_BLOCK):
            key_id = int.from_bytes(value[offset : offset + 2], "big")
            challenge = value[offset + 2 : offset + _VERIFY_BLOCK]
            key = self.keys.get(key_id)
            if key is None:
                raise ProcedureError("unknown_key_or_sa", f"verify: key {key_id} is unknown")
            if key.state is KeyState.DESTROYED:
                raise ProcedureError("invalid_state", f"verify: key {key_id} is destroyed")
            algorithm = {32: "aes-256-gcm", 16: "sm4-gcm"}.get(len(key.value))
            if algorithm is None:
                raise ProcedureError("invalid_state", f"verify: key {key_id} has {len(key.value)} octets, not 32 or 16")
            try:
                cipher = GcmCipher(algorithm, key.value)
            except Exception:  # noqa: BLE001 - SM4 absent on this platform: the key cannot be verified
                raise ProcedureError("invalid_state", f"verify: {algorithm} is not available") from None
            iv = self.verification_iv()
            out += key_id.to_bytes(2, "big") + iv + cipher.seal(iv, challenge, b"")
        return bytes(out)

    # -- SA management (355.1-B-1 4) ----------------------------------------------------------

    def _sa(self, procedure: str, value: bytes, size: int | None) -> SaRecord:
        if len(value) < 2 or (size is not None and len(value) != size):
            expected = "at least 2" if size is None else str(size)
            raise ProcedureError("malformed", f"{procedure}: a value of {len(value)} octets, expected {expected}")
        spi = int.from_bytes(value[:2], "big")
        sa = self.sas.get(spi)
        if sa is None:
            raise ProcedureError("unknown_key_or_sa", f"{procedure}: SPI {spi} names no SA")
        return sa

    def _rekey(self, head: bytes, value: bytes) -> bytes:
        """Rekey: SPI, ekid, akid (65535: none); unkeyed or expired -> keyed, SN reset to zero, the IV
        running on (SEC-KEY-005: an IV never recurs under a key the SA used before)."""
        sa = self._sa("rekey", value, 6)
        if sa.state not in ("unkeyed", "expired"):
            raise ProcedureError("invalid_state", f"rekey: SA {sa.spi} is {sa.state}, not unkeyed or expired")
        ekid = int.from_bytes(value[2:4], "big")
        akid = int.from_bytes(value[4:6], "big")
        sa.ekid = None if ekid == NO_KEY else ekid
        sa.akid = None if akid == NO_KEY else akid
        sa.sn = 0
        sa.state = "keyed"
        return b""

    def _sa_transition(self, value: bytes, procedure: str, sources: tuple[str, ...], target: str) -> bytes:
        sa = self._sa(procedure, value, 2)
        if sa.state not in sources:
            raise ProcedureError("invalid_state", f"{procedure}: SA {sa.spi} is {sa.state}, not {' or '.join(sources)}")
        sa.state = target
        return b""

    def _set_arsn(self, head: bytes, value: bytes) -> bytes:
        """Set ARSN (4.6): SPI and exactly sequence_number_length octets."""
        sa = self._sa("set_arsn", value, None)
        if len(value) != 2 + sa.sn_length:
            raise ProcedureError(
                "malformed", f"set_arsn: SA {sa.spi} needs a {sa.sn_length}-octet ARSN, got {len(value) - 2}"
            )
        sa.sn = int.from_bytes(value[2:], "big") if sa.sn_length else 0
        return b""

    def _read_arsn(self, head: bytes, value: bytes) -> bytes:
        """Read ARSN (4.7): reply SPI and the ARSN."""
        sa = self._sa("read_arsn", value, 2)
        return sa.spi_bytes + (sa.sn.to_bytes(sa.sn_length, "big") if sa.sn_length else b"")

    def _sa_status(self, head: bytes, value: bytes) -> bytes:
        """SA status request: reply SPI and the state code (``sa_state_codes``)."""
        sa = self._sa("status", value, 2)
        return sa.spi_bytes + bytes([self._state_codes[sa.state]])

    # -- monitoring and control (355.1-B-1 5) -------------------------------------------------

    def _alarm_flag_reset(self, head: bytes, value: bytes) -> bytes:
        if value:
            raise ProcedureError("malformed", f"alarm_flag_reset: the value must be empty, got {len(value)} octets")
        self.engine.reset_alarm()
        return b""
