"""Shared builders of the link-security reference tests (SAs, clear frames, FECF repair)."""

from __future__ import annotations

import binascii
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from orbitcert.reference_impl.security.iut import ReferenceLinkSecurity, create

AES_KEY = bytes.fromhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
SM4_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
KEY_ID = {"aes-256-gcm": 1, "sm4-gcm": 2}
KEY = {"aes-256-gcm": AES_KEY, "sm4-gcm": SM4_KEY}


def make_sa(**overrides: Any) -> dict[str, Any]:
    """An operational AEAD AES TC SA with a segment header, FECF, 2-octet SN, full mask."""
    algorithm = overrides.get("algorithm", "aes-256-gcm")
    service = overrides.get("service_type", "authenticated_encryption")
    key = KEY_ID[algorithm]
    sa: dict[str, Any] = {
        "spi": 5,
        "frame_type": "tc",
        "segment_header": True,
        "fecf": True,
        "service_type": service,
        "algorithm": algorithm,
        "ekid": key if service == "authenticated_encryption" else None,
        "akid": key if service == "authentication" else None,
        "iv_length": 12,
        "sequence_number_length": 2,
        "pad_length_length": 0,
        "mac_length": 16,
        "authentication_bit_mask": "ff" * 2048,
        "anti_replay_window": 5,
        "iv": "00" * 12,
        "sequence_number": "0000",
        "state": "operational",
    }
    sa.update(overrides)
    if sa["frame_type"] == "uslp":
        sa["segment_header"] = overrides.get("segment_header", False)
    return sa


def product(*sas: dict[str, Any], factory: Any = create) -> ReferenceLinkSecurity:
    """A fresh reference (or ``factory()`` product) with both test keys active and ``sas`` configured."""
    p = factory()
    p.load_key(1, AES_KEY)
    p.load_key(2, SM4_KEY)
    for sa in sas:
        p.configure_sa(sa)
    return p


def fecf_of(data: bytes) -> bytes:
    return binascii.crc_hqx(data, 0xFFFF).to_bytes(2, "big")


def refix_fecf(frame: bytes) -> bytes:
    """``frame`` with its last two octets replaced by the FECF of the rest."""
    return frame[:-2] + fecf_of(frame[:-2])


def tc_clear(data: bytes, *, segment: bool = True, fecf: bool = True, scid: int = 0x123, vcid: int = 3,
             fsn: int = 0x42) -> bytes:
    """A clear TC frame (length field computed for the clear frame; apply rewrites it)."""
    body = (bytes([0xC0 | 0x05]) if segment else b"") + data
    total = 5 + len(body) + (2 if fecf else 0)
    octets = bytes([
        (scid >> 8) & 0x03, scid & 0xFF, (vcid << 2) | ((total - 1) >> 8), (total - 1) & 0xFF, fsn,
    ])
    frame = octets + body
    return frame + fecf_of(frame) if fecf else frame


def uslp_clear(data: bytes, *, fecf: bool = True, ocf: bytes | None = None, count_length: int = 2) -> bytes:
    """A clear USLP frame (version 1100, scid 0xABCD, VC 5, MAP 3, c-octet VC count)."""
    tail = (ocf or b"") + (b"\0\0" if fecf else b"")
    total = 7 + count_length + len(data) + len(tail)
    first = (0xC << 28) | (0xABCD << 12) | (0 << 11) | (5 << 5) | (3 << 1) | 0
    octet6 = (0x08 if ocf is not None else 0) | count_length
    header = first.to_bytes(4, "big") + (total - 1).to_bytes(2, "big") + bytes([octet6])
    header += (0x0102030405060708 & ((1 << (8 * count_length)) - 1)).to_bytes(count_length, "big")
    frame = header + data + (ocf or b"")
    return frame + fecf_of(frame) if fecf else frame


MASTER_ID = 10
MASTER = bytes(range(100, 132))


def otar_pdu(keys: list[tuple[int, bytes]], *, master_id: int = MASTER_ID, master: bytes = MASTER,
             iv: bytes = b"\x01" * 12, corrupt_mac: bool = False) -> bytes:
    """ep_otar: master key id, IV, the encrypted (key id, key) blocks, MAC; AAD = tag, length, master id."""
    length = 2 + 12 + 34 * len(keys) + 16
    head = bytes([0x01]) + (8 * length).to_bytes(2, "big")
    plain = b"".join(kid.to_bytes(2, "big") + key for kid, key in keys)
    sealed = AESGCM(master).encrypt(iv, plain, head + master_id.to_bytes(2, "big"))
    blocks, mac = sealed[:-16], sealed[-16:]
    if corrupt_mac:
        mac = bytes([mac[0] ^ 0x80]) + mac[1:]
    value = master_id.to_bytes(2, "big") + iv + blocks + mac
    assert len(value) == length
    return head + value
