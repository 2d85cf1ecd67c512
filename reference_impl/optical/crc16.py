"""Frame error control field of CCSDS 132.0-B-3 4.1.6 (CRC-16-CCITT).

The 16-bit CRC of a TM transfer frame: generator polynomial x^16+x^12+x^5+1 (spec parameter
``crc16_polynomial`` 0x1021), register preset to all ones (``crc16_initial`` 0xFFFF), data
processed MSB first, no final XOR. Check value: ``crc16(b"123456789") == 0x29B1``. The
``framing`` class of later ``net-optical-isl`` versions uses it.
"""

from __future__ import annotations

import binascii
import functools

from .parameters import CodingParameters, as_octets, resolve_params

__all__ = ["crc16", "crc16_table_driven"]


@functools.cache
def _crc16_table(polynomial: int) -> tuple[int, ...]:
    table = []
    for byte in range(256):
        reg = byte << 8
        for _ in range(8):
            reg = ((reg << 1) ^ polynomial) if reg & 0x8000 else (reg << 1)
        table.append(reg & 0xFFFF)
    return tuple(table)


def crc16_table_driven(data: bytes, polynomial: int, initial: int) -> int:
    """CRC-16 of ``data`` for any 16-bit ``polynomial`` and preset ``initial`` (MSB first, table-driven)."""
    table = _crc16_table(polynomial)
    reg = initial
    for byte in data:
        reg = ((reg << 8) & 0xFFFF) ^ table[(reg >> 8) ^ byte]
    return reg


def crc16(data: bytes, *, params: CodingParameters | None = None) -> int:
    """Frame error control field of CCSDS 132.0-B-3 4.1.6 (CRC-16-CCITT, MSB first, no final XOR).

    Table-driven over the spec's polynomial and preset (0x1021, 0xFFFF): ``crc16(b"123456789")
    == 0x29B1``. For the CCITT polynomial the identical computation of the standard library
    (``binascii.crc_hqx``, C speed) is used; the tests check both agree. ``data`` must be
    bytes-like (an integer is not a length): anything else raises :class:`CodingError`.
    """
    p = resolve_params(params)
    buf = as_octets(data, "data")
    if p.crc16_polynomial == 0x1021:
        return binascii.crc_hqx(buf, p.crc16_initial)
    return crc16_table_driven(buf, p.crc16_polynomial, p.crc16_initial)
