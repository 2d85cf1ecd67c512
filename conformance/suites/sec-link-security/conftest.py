"""Fixtures of the sec-link-security suite, and its independent oracle.

The oracle computes every expected octet from the spec under test alone (requirement texts and
``parameters``) with the ``cryptography`` package: frame builders (TC with and without segment
header, USLP), the security header and trailer (SEC-AES-001), AES-256-GCM / SM4-GCM / GMAC
(SEC-AES-002, SEC-SM4-001, SEC-AUTH-001), the masked additional authenticated data (SEC-AES-003),
the frame length field and FECF (SEC-AES-004), the ProcessSecurity decision in the spec's
``processing_order`` with the anti-replay windows of SEC-ARP-001/002 and the frame security
report of SEC-KEY-008, and the extended-procedure PDUs of 355.1-B-1 (``ep_*`` parameters). It does
not import the reference implementation.

State: one product instance serves the whole run, so every test provisions the SAs and keys it
uses (:class:`Model`, which mirrors what it provisions). Key ids are fresh per test. SPIs come
from a pool of at most ICS ``max_sas`` values (the product cannot hold more SAs, and the interface
has no way to delete one), reconfigured by each test before use. Pool SPIs are chosen so that no
frame the suite builds can name a pool SA by accident: their high octet is 0x01..0x0F, their low
octet has at least two of its four high bits set and every pool SPI has even parity, so a
single-bit flip of an SPI never gives another pool SPI and an SPI read at the offset of an SA
with (or without) a segment header never is one.
"""

from __future__ import annotations

import binascii
import copy
import hashlib
import itertools
from types import SimpleNamespace
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from orbitcert.conformance import inconclusive
from orbitcert.specs import Ics, Spec

AES = "aes-256-gcm"
SM4 = "sm4-gcm"
AE = "authenticated_encryption"
AUTH = "authentication"

# --------------------------------------------------------------------------------------------------
# Parameters of the spec under test


@dataclass(frozen=True)
class Params:
    """The constants of the spec version under test, read from its ``parameters``."""

    spi_length: int
    iv_full: int
    mac_length: int
    key_lengths: dict[str, int]
    crc_poly: int
    crc_init: int
    fecf_length: int
    ep_status: dict[str, int]
    ep_procedures: dict[str, dict[str, int]]
    sa_state_codes: dict[str, int]
    processing_order: tuple[str, ...]
    frame_type_by_version: dict[str, str]

    @classmethod
    def from_spec(cls, spec: Spec) -> Params:
        return cls(
            spi_length=int(spec.parameter("spi_length")),
            iv_full=int(spec.parameter("gcm_iv_length")),
            mac_length=int(spec.parameter("mac_lengths")[0]),
            key_lengths={str(k): int(v) for k, v in spec.parameter("key_lengths").items()},
            crc_poly=int(spec.parameter("crc16_polynomial")),
            crc_init=int(spec.parameter("crc16_initial")),
            fecf_length=int(spec.parameter("fecf_length")),
            ep_status={str(k): int(v) for k, v in spec.parameter("ep_status").items()},
            ep_procedures={str(g): {str(k): int(v) for k, v in p.items()} for g, p in spec.parameter("ep_procedures").items()},
            sa_state_codes={str(k): int(v) for k, v in spec.parameter("sa_state_codes").items()},
            processing_order=tuple(str(r) for r in spec.parameter("processing_order")),
            frame_type_by_version={str(k): str(v) for k, v in spec.parameter("frame_type_by_version").items()},
        )

    def crc16(self, data: bytes) -> int:
        """CRC-16 of the FECF (crc16_polynomial, preset crc16_initial, no reflection, no final XOR)."""
        if self.crc_poly == 0x1021:
            return binascii.crc_hqx(data, self.crc_init)
        reg = self.crc_init
        for octet in data:
            reg ^= octet << 8
            for _ in range(8):
                reg = ((reg << 1) ^ self.crc_poly) & 0xFFFF if reg & 0x8000 else (reg << 1) & 0xFFFF
        return reg


# --------------------------------------------------------------------------------------------------
# Cryptography


def sm4_available() -> bool:
    try:
        enc = Cipher(algorithms.SM4(bytes(16)), modes.GCM(bytes(12))).encryptor()
        enc.update(b"\x00")
        enc.finalize()
    except (UnsupportedAlgorithm, AttributeError, ValueError):
        return False
    return True


def need_sm4() -> None:
    """Inconclusive when the harness cannot compute SM4-GCM known answers."""
    if not sm4_available():
        inconclusive("the harness's OpenSSL lacks SM4-GCM")


def gcm(algorithm: str, key: bytes, iv: bytes, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
    """(ciphertext, 16-octet tag) of GCM with the block cipher of ``algorithm`` (NIST SP 800-38D 7.1;
    SM4-GCM as RFC 8998 3.2)."""
    if algorithm == SM4:
        need_sm4()
    cipher = algorithms.AES(key) if algorithm == AES else algorithms.SM4(key)
    enc = Cipher(cipher, modes.GCM(iv)).encryptor()
    enc.authenticate_additional_data(aad)
    ct = enc.update(plaintext) + enc.finalize()
    return ct, enc.tag


def gcm_decrypt(algorithm: str, key: bytes, iv: bytes, ciphertext: bytes, tag: bytes, aad: bytes = b"") -> bytes | None:
    """The plaintext of a GCM ciphertext, or None when ``tag`` (16 octets) does not verify."""
    if algorithm == SM4:
        need_sm4()
    cipher = algorithms.AES(key) if algorithm == AES else algorithms.SM4(key)
    dec = Cipher(cipher, modes.GCM(iv, tag)).decryptor()
    dec.authenticate_additional_data(aad)
    try:
        return dec.update(ciphertext) + dec.finalize()
    except InvalidTag:
        return None


def suite_key(key_id: int, length: int, salt: str = "") -> bytes:
    """A deterministic key for ``key_id`` (reproducible runs)."""
    return hashlib.sha256(f"orbitcert sec-link-security suite key {key_id} {salt}".encode()).digest()[:length]


# --------------------------------------------------------------------------------------------------
# Reporting


def hexdiff(expected: bytes, observed: bytes) -> str:
    """Where two octet strings differ: lengths, first differing offset and 8 octets of each there."""
    if expected == observed:
        return "identical"
    n = next((i for i, (a, b) in enumerate(zip(expected, observed)) if a != b), min(len(expected), len(observed)))
    return (
        f"{len(expected)} octets expected, {len(observed)} observed; first difference at octet {n}: "
        f"expected {expected[n:n + 8].hex()} observed {observed[n:n + 8].hex()}"
    )


# --------------------------------------------------------------------------------------------------
# Frames


TC_HEADER_LENGTH = 5


@dataclass(frozen=True)
class Layout:
    """A frame type and the options of its SAs: TC (segment header or not) or USLP, FECF or not,
    and for USLP the VC frame count length ``c`` and whether the OCF is present."""

    frame_type: str
    segment_header: bool = False
    fecf: bool = False
    vcf_length: int = 1
    ocf: bool = False

    @property
    def name(self) -> str:
        return self.frame_type + ("-seg" if self.segment_header else "") + ("-fecf" if self.fecf else "") + ("-ocf" if self.ocf else "")

    @property
    def header_length(self) -> int:
        """Octets of the primary header (and the segment header)."""
        if self.frame_type == "tc":
            return TC_HEADER_LENGTH + (1 if self.segment_header else 0)
        return 7 + self.vcf_length

    def header(self, total_length: int, *, fsn: int = 0x5A, spare: int = 0, bypass: int = 0, cc: int = 0) -> bytes:
        """Primary header (and segment header) of a frame of ``total_length`` octets, MSB first as
        parameters tc_primary_header and uslp_primary_header lay them out."""
        if self.frame_type == "tc":
            scid, vcid = 0x2AB, 0x15
            bits = (0 << 38) | (bypass << 37) | (cc << 36) | (spare << 34) | (scid << 24) | (vcid << 18)
            bits |= ((total_length - 1) & 0x3FF) << 8 | fsn
            out = bits.to_bytes(5, "big")
            return out + (bytes([0xC0 | 0x29]) if self.segment_header else b"")
        scid, vcid, map_id = 0xBEEF, 0x2A, 0x5
        word = (0b1100 << 28) | (scid << 12) | (0 << 11) | (vcid << 5) | (map_id << 1) | 0
        flags = (1 << 7) | (0 << 6) | (spare << 4) | ((1 if self.ocf else 0) << 3) | self.vcf_length
        count = (0x77 + fsn).to_bytes(8, "big")[-self.vcf_length :] if self.vcf_length else b""
        return word.to_bytes(4, "big") + ((total_length - 1) & 0xFFFF).to_bytes(2, "big") + bytes([flags]) + count

    def length_field(self) -> tuple[int, int]:
        """(first bit, number of bits) of the frame length field in the frame."""
        return (22, 10) if self.frame_type == "tc" else (32, 16)

    def mask(self, clearing: bool) -> bytes:
        """The authentication bit mask over the primary (and segment) header: all ones, or one
        that clears the spare bits, the frame length and the TC frame sequence number / USLP VC
        frame count (bits that may change on the way)."""
        if not clearing:
            return b"\xff" * self.header_length
        if self.frame_type == "tc":
            return bytes([0xF3, 0xFF, 0xFC, 0x00, 0x00]) + (b"\xff" if self.segment_header else b"")
        return bytes([0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0xCF]) + bytes(self.vcf_length)

    def flippable_header_bits(self) -> list[int]:
        """Header bit positions whose flip leaves the frame's type and layout alone: not the
        version, nor (USLP) the end-of-header flag, OCF flag or VC frame count length, and not
        the frame length field (checked on its own: malformed)."""
        first, n = self.length_field()
        skip = set(range(first, first + n))
        if self.frame_type == "tc":
            skip |= {0, 1}
        else:
            skip |= {0, 1, 2, 3, 31, 52, 53, 54, 55}
        return [b for b in range(8 * self.header_length) if b not in skip]

    def clear_frame(self, data: bytes, *, ocf: bytes = b"\x0c\xcf\x00\x01", fsn: int = 0x5A, spare: int = 0, bypass: int = 0, cc: int = 0, length_field: int | None = None) -> bytes:
        """A clear frame as ApplySecurity takes it: header, data field, OCF (USLP with OCF) and
        FECF (where the SA has one). ``length_field`` overrides the frame length (octets - 1)."""
        total = self.header_length + len(data) + (4 if self.ocf else 0) + (2 if self.fecf else 0)
        frame = self.header(total if length_field is None else length_field + 1, fsn=fsn, spare=spare, bypass=bypass, cc=cc) + data
        if self.ocf:
            frame += ocf
        if self.fecf:
            frame += binascii.crc_hqx(frame, 0xFFFF).to_bytes(2, "big")
        return frame


def set_length_field(layout: Layout, frame: bytes, value: int) -> bytes:
    first, n = layout.length_field()
    as_int = int.from_bytes(frame, "big")
    shift = 8 * len(frame) - first - n
    as_int = (as_int & ~(((1 << n) - 1) << shift)) | ((value & ((1 << n) - 1)) << shift)
    return as_int.to_bytes(len(frame), "big")


def flip(frame: bytes, bit: int) -> bytes:
    """``frame`` with bit ``bit`` (0 = MSB of octet 0) inverted."""
    out = bytearray(frame)
    out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


LAYOUTS: list[tuple[Layout, str]] = [
    (Layout("tc"), "'tc' in frame_types"),
    (Layout("tc", segment_header=True), "'tc' in frame_types and segment_header"),
    (Layout("tc", fecf=True), "'tc' in frame_types and fecf"),
    (Layout("tc", segment_header=True, fecf=True), "'tc' in frame_types and segment_header and fecf"),
    (Layout("uslp"), "'uslp' in frame_types"),
    (Layout("uslp", fecf=True), "'uslp' in frame_types and fecf"),
]
FRAME_TYPES: list[tuple[Layout, str]] = [(Layout("tc"), "'tc' in frame_types"), (Layout("uslp"), "'uslp' in frame_types")]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``layout``: every TC/USLP variant (segment header, FECF) the spec allows, each gated by the
    ICS items it needs; ``ftype``: plain TC and USLP. TM and AOS are not exercised by this suite
    version. ``gmac_alg``: each algorithm of the authentication-only service, gated by ICS
    ``gmac_algorithms``."""
    if "layout" in metafunc.fixturenames:
        metafunc.parametrize(
            "layout", [pytest.param(lay, id=lay.name, marks=pytest.mark.applies_if(pred)) for lay, pred in LAYOUTS]
        )
    if "ftype" in metafunc.fixturenames:
        metafunc.parametrize(
            "ftype", [pytest.param(lay, id=lay.name, marks=pytest.mark.applies_if(pred)) for lay, pred in FRAME_TYPES]
        )
    if "gmac_alg" in metafunc.fixturenames:
        metafunc.parametrize(
            "gmac_alg",
            [pytest.param(a, id=a, marks=pytest.mark.applies_if(f"'{a}' in gmac_algorithms")) for a in (AES, SM4)],
        )


# --------------------------------------------------------------------------------------------------
# Security associations and the suite's model of the product


@dataclass
class Sa:
    """One SA as the suite provisions it, and its state as the suite expects it."""

    spi: int
    layout: Layout
    service_type: str
    algorithm: str
    key_id: int | None
    iv_length: int
    sequence_number_length: int
    pad_length_length: int
    mac_length: int
    abm: bytes
    window: int
    iv: int
    sn: int
    state: str = "operational"
    #: An active key of the same algorithm named in the SA's other key field (akid of an
    #: authenticated-encryption SA, ekid of an authentication SA): a product must not use it.
    decoy_key_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The SA as configure_sa takes it."""
        return {
            "spi": self.spi,
            "frame_type": self.layout.frame_type,
            "segment_header": self.layout.segment_header,
            "fecf": self.layout.fecf,
            "service_type": self.service_type,
            "algorithm": self.algorithm,
            "ekid": self.key_id if self.service_type == AE else self.decoy_key_id,
            "akid": self.key_id if self.service_type == AUTH else self.decoy_key_id,
            "iv_length": self.iv_length,
            "sequence_number_length": self.sequence_number_length,
            "pad_length_length": self.pad_length_length,
            "mac_length": self.mac_length,
            "authentication_bit_mask": self.abm.hex(),
            "anti_replay_window": self.window,
            "iv": self.iv.to_bytes(12, "big").hex(),
            "sequence_number": self.sn.to_bytes(self.sequence_number_length, "big").hex() if self.sequence_number_length else "",
            "state": self.state,
        }

    @property
    def security_header_length(self) -> int:
        return 2 + self.iv_length + self.sequence_number_length + self.pad_length_length

    @property
    def sn_modulus(self) -> int:
        return 1 << (8 * self.sequence_number_length)

    def security_header(self, iv: int, sn: int, pad: int = 0) -> bytes:
        """SPI, transmitted IV octets, sequence number, pad length (SEC-AES-001), big-endian."""
        ivb = (iv % (1 << 96)).to_bytes(12, "big")[12 - self.iv_length :]
        snb = (sn % self.sn_modulus).to_bytes(self.sequence_number_length, "big") if self.sequence_number_length else b""
        padb = pad.to_bytes(self.pad_length_length, "big") if self.pad_length_length else b""
        return self.spi.to_bytes(2, "big") + ivb + snb + padb

    def tail_length(self) -> int:
        return self.mac_length + (4 if self.layout.ocf else 0) + (2 if self.layout.fecf else 0)


@dataclass
class Outcome:
    """What ProcessSecurity should report for one frame."""

    accepted: bool
    reason: str | None
    payload: bytes | None = None
    spi: int | None = None  # the SA found, if any
    sn_after: int | None = None  # the frame's sequence number and full IV, when accepted
    iv_after: int | None = None

    def describe(self) -> str:
        return "accepted" if self.accepted else f"rejected ({self.reason})"


class SpiPool:
    """Session-wide pool of SPIs (see the module docstring) and fresh key ids."""

    def __init__(self, size: int) -> None:
        self.spis = pool_spis()[: max(1, size)]
        self.unused = [s for s in pool_spis()[-8:] if s not in self.spis]
        self._next = 0
        self._key_ids = itertools.count(0x0100)

    def take(self) -> int:
        spi = self.spis[self._next % len(self.spis)]
        self._next += 1
        return spi

    def key_id(self) -> int:
        kid = next(self._key_ids)
        if kid >= 0xFFFF:
            inconclusive("the suite ran out of fresh key ids")
        return kid


def pool_spis() -> list[int]:
    out = []
    for hi in range(0x01, 0x10):
        for lo in range(0x10, 0x100):
            if bin(lo >> 4).count("1") >= 2 and bin((hi << 8) | lo).count("1") % 2 == 0:
                out.append((hi << 8) | lo)
    return out


class Alloc:
    """Per-test allocator: distinct pool SPIs (at most the pool size), fresh key ids."""

    def __init__(self, pool: SpiPool) -> None:
        self.pool = pool
        self.taken: list[int] = []

    def spi(self) -> int:
        if len(self.taken) >= len(self.pool.spis):
            inconclusive(f"this test needs more SAs than the product holds (ICS max_sas = {len(self.pool.spis)})")
        spi = self.pool.take()
        while spi in self.taken:
            spi = self.pool.take()
        self.taken.append(spi)
        return spi

    def unused_spi(self) -> int:
        """An SPI no SA of this run has (never in the pool)."""
        return self.pool.unused[0]

    def key_id(self) -> int:
        return self.pool.key_id()


class Model:
    """The suite's model of what a test provisioned in the product: SAs, keys, the FSR latch.
    ``expect_apply`` and ``expect_process`` compute the spec's answer for a frame; ``apply`` and
    ``process`` call the product too and keep the model in step."""

    def __init__(self, iut: Any, params: Params, alloc: Alloc, ics: Ics) -> None:
        self.iut = iut
        self.p = params
        self.alloc = alloc
        self.ics = ics
        self.sas: dict[int, Sa] = {}
        self.keys: dict[int, tuple[bytes, str]] = {}
        self.alarm: bool | None = None  # unknown until an alarm flag reset
        self.last_spi: int | None = None
        self._probe_spi: int | None = None
        #: read ARSN (``Ep.arsn_of``), when the test may use it: lets an FSR sn_lsb that differs
        #: from the model's be told apart (the SA state changed: SEC-ARP-003, inconclusive here)
        self.arsn_reader: Callable[[int, int], bytes] | None = None

    def probe_spi(self) -> int:
        """One SPI per test for SAs that only probe a key (configured again at each probe)."""
        if self._probe_spi is None:
            self._probe_spi = self.alloc.spi()
        return self._probe_spi

    # -- provisioning ------------------------------------------------------------------------------
    @property
    def window_limit(self) -> int:
        return int(self.ics.items.get("max_anti_replay_window", 1024))

    def load_key(self, key_id: int, key: bytes, state: str = "active") -> None:
        self.iut.load_key(key_id, key, state)
        self.keys[key_id] = (key, state)

    def new_key(self, algorithm: str = AES, state: str = "active", length: int | None = None) -> tuple[int, bytes]:
        kid = self.alloc.key_id()
        key = suite_key(kid, length or self.p.key_lengths[algorithm])
        self.load_key(kid, key, state)
        return kid, key

    def configure(self, sa: Sa) -> Sa:
        self.iut.configure_sa(sa.to_dict())
        self.sas[sa.spi] = live = copy.deepcopy(sa)
        return live

    def snapshot(self, spi: int) -> Sa:
        """A copy of SA ``spi`` as the model has it now (to configure it again later)."""
        return copy.deepcopy(self.sas[spi])

    def reconfigure(self, spi: int, **changes: Any) -> Sa:
        """Configure again the SA ``spi`` (its provisioned fields with ``changes``)."""
        return self.configure(replace(self.sas[spi], **changes))

    def new_sa(
        self,
        layout: Layout,
        *,
        algorithm: str = AES,
        service_type: str = AE,
        iv_length: int = 12,
        sn_length: int = 4,
        pad_length_length: int = 0,
        window: int = 8,
        iv: int = 0x0102030405060708090A0B00,
        sn: int = 0x10,
        clearing_mask: bool = False,
        data_length: int = 12,
        key_state: str = "active",
        key_id: int | None = -1,
        state: str = "operational",
        spi: int | None = None,
        abm: bytes | None = None,
    ) -> Sa:
        """Provision a fresh key (unless ``key_id`` is given; None: no key) and an SA using it. The ABM covers the header
        (clearing or not), the security header, and for the authentication service the data field
        (``data_length`` octets, whose first octet it clears when ``clearing_mask``)."""
        if algorithm == SM4:
            need_sm4()
        decoy = None
        if key_id == -1:
            key_id, _ = self.new_key(algorithm, key_state)
            # SEC-AES-002 / SEC-AUTH-001: the service's key is ekid (AEAD) or akid (authentication);
            # the other field names a different active key, which the product must ignore.
            decoy, _ = self.new_key(algorithm, "active")
        sec = 2 + iv_length + sn_length + pad_length_length
        if abm is None:
            abm = layout.mask(clearing_mask) + b"\xff" * sec
            if service_type == AUTH:
                abm += (b"\x00" if clearing_mask else b"\xff") + b"\xff" * (data_length - 1)
        sa = Sa(
            spi=self.alloc.spi() if spi is None else spi,
            layout=layout,
            service_type=service_type,
            algorithm=algorithm,
            key_id=key_id,
            iv_length=iv_length,
            sequence_number_length=sn_length,
            pad_length_length=pad_length_length,
            mac_length=self.p.mac_length,
            abm=abm,
            window=min(window, self.window_limit),
            iv=iv,
            sn=sn % (1 << (8 * sn_length)),
            state=state,
            decoy_key_id=decoy,
        )
        return self.configure(sa)

    # -- the oracle --------------------------------------------------------------------------------
    def key_usable(self, sa: Sa) -> bytes | None:
        if sa.key_id is None or sa.key_id not in self.keys:
            return None
        key, state = self.keys[sa.key_id]
        if state != "active" or len(key) != self.p.key_lengths[sa.algorithm]:
            return None
        return key

    def mac_and_body(self, sa: Sa, key: bytes, header: bytes, sec_header: bytes, data: bytes, iv: int) -> tuple[bytes, bytes]:
        """(protected data field, MAC) of SEC-AES-002/003, SEC-SM4-001/002 and SEC-AUTH-001."""
        ivb = (iv % (1 << 96)).to_bytes(12, "big")
        if sa.service_type == AE:
            aad = header + sec_header
            masked = bytes(a & m for a, m in zip(aad, sa.abm, strict=False))
            ct, tag = gcm(sa.algorithm, key, ivb, data, masked)
            return ct, tag[: sa.mac_length]
        aad = header + sec_header + data
        masked = bytes(a & m for a, m in zip(aad, sa.abm, strict=False))
        _, tag = gcm(sa.algorithm, key, ivb, b"", masked)
        return data, tag[: sa.mac_length]

    def protect(self, spi: int, data: bytes, *, iv: int | None = None, sn: int | None = None, pad: int = 0, fsn: int = 0x5A, spare: int = 0, key: bytes | None = None, ocf: bytes = b"\x0c\xcf\x00\x01", transmitted_iv: int | None = None) -> bytes:
        """The protected frame of SA ``spi`` for ``data`` with the given full IV and sequence
        number (default: the SA's next ones), as ApplySecurity must produce it. With
        ``transmitted_iv`` the transmitted IV octets are those of that value instead (the full IV
        used by GCM stays ``iv``)."""
        sa = self.sas[spi]
        iv = (sa.iv + 1) % (1 << 96) if iv is None else iv
        sn = (sa.sn + 1) % sa.sn_modulus if sn is None else sn
        key = key if key is not None else self.keys[sa.key_id][0] if sa.key_id is not None else b""
        lay = sa.layout
        total = lay.header_length + sa.security_header_length + len(data) + sa.tail_length()
        header = lay.header(total, fsn=fsn, spare=spare)
        sec = sa.security_header(iv if transmitted_iv is None else transmitted_iv, sn, pad)
        body, mac = self.mac_and_body(sa, key, header, sec, data, iv)
        frame = header + sec + body + mac + (ocf if lay.ocf else b"")
        if lay.fecf:
            frame += self.p.crc16(frame).to_bytes(2, "big")
        return frame

    def expect_apply_unmasked(self, frame: bytes, spi: int) -> bytes | None:
        """What ApplySecurity would return if SA ``spi``'s mask kept every bit: the frame a product
        ignoring the authentication bit mask sends (SEC-AES-003). The SA model is not advanced."""
        live = self.sas[spi]
        saved = live.abm
        live.abm = b"\xff" * len(saved)
        try:
            return self.expect_apply(frame, spi, update=False)
        finally:
            live.abm = saved

    def expect_apply(self, frame: bytes, spi: int, *, update: bool = True) -> bytes | None:
        """The protected frame ApplySecurity must return for clear ``frame`` on SA ``spi``, or None
        when it must refuse (SA not operational, key not active: SEC-AES-007, SEC-KEY-001)."""
        sa = self.sas[spi]
        key = self.key_usable(sa)
        if sa.state != "operational" or key is None:
            return None
        lay = sa.layout
        data = frame[lay.header_length : len(frame) - (4 if lay.ocf else 0) - (2 if lay.fecf else 0)]
        ocf = frame[len(frame) - (2 if lay.fecf else 0) - 4 : len(frame) - (2 if lay.fecf else 0)] if lay.ocf else b""
        iv, sn = (sa.iv + 1) % (1 << 96), (sa.sn + 1) % sa.sn_modulus
        total = lay.header_length + sa.security_header_length + len(data) + sa.tail_length()
        header = set_length_field(lay, frame[: lay.header_length], total - 1)
        sec = sa.security_header(iv, sn)
        body, mac = self.mac_and_body(sa, key, header, sec, data, iv)
        out = header + sec + body + mac + ocf
        if lay.fecf:
            out += self.p.crc16(out).to_bytes(2, "big")
        if update:
            sa.iv, sa.sn = iv, sn
        return out

    def find_sa(self, frame: bytes) -> Sa | None:
        """The frame's SA by parameter spi_lookup, among the SAs this test provisioned."""
        ftype = None
        bits = "".join(f"{b:08b}" for b in frame[:1])
        for version, name in self.p.frame_type_by_version.items():
            if bits.startswith(version):
                ftype = name
        if ftype is None:
            return None
        if ftype == "uslp":
            if len(frame) < 7:
                return None
            base = 7 + (frame[6] & 0x07)
        elif ftype == "tc":
            base = TC_HEADER_LENGTH
        else:
            base = 6
        for spi in sorted(self.sas):
            sa = self.sas[spi]
            if sa.layout.frame_type != ftype:
                continue
            off = base + (1 if sa.layout.segment_header else 0)
            if frame[off : off + 2] == spi.to_bytes(2, "big"):
                return sa
        return None

    def expect_process(self, frame: bytes, *, update: bool = True) -> Outcome:
        """ProcessSecurity's answer for ``frame`` (parameter processing_order; SEC-ARP-001..003)."""
        sa = self.find_sa(frame)
        if sa is None:
            return Outcome(False, "invalid_spi")
        out = self._judge(sa, frame)
        out.spi = sa.spi
        if out.accepted and update:
            assert out.sn_after is not None and out.iv_after is not None
            sa.sn, sa.iv = out.sn_after, out.iv_after
        return out

    def _judge(self, sa: Sa, frame: bytes) -> Outcome:
        order = self.p.processing_order
        reasons: dict[str, bool] = {}
        reasons["sa_not_operational"] = sa.state != "operational"
        key = self.key_usable(sa)
        reasons["key_not_active"] = key is None
        lay = sa.layout
        ocf = bool(frame[6] & 0x08) if lay.frame_type == "uslp" and len(frame) > 6 else False
        hlen = (7 + (frame[6] & 0x07) if lay.frame_type == "uslp" else TC_HEADER_LENGTH) + (1 if lay.segment_header else 0)
        tail = sa.mac_length + (4 if ocf else 0) + (2 if lay.fecf else 0)
        start = hlen + sa.security_header_length
        malformed = len(frame) < start + tail
        first, n = lay.length_field()
        length_field = (int.from_bytes(frame, "big") >> (8 * len(frame) - first - n)) & ((1 << n) - 1) if len(frame) * 8 >= first + n else -1
        malformed = malformed or length_field != len(frame) - 1
        if lay.fecf and not malformed:
            malformed = self.p.crc16(frame[:-2]) != int.from_bytes(frame[-2:], "big")
        sec = frame[hlen:start]
        if not malformed and sa.pad_length_length:
            malformed = int.from_bytes(sec[-sa.pad_length_length :], "big") != 0
        data_end = len(frame) - tail
        aad_len = start if sa.service_type == AE else data_end
        if not malformed:
            malformed = len(sa.abm) < aad_len
        reasons["malformed"] = malformed
        t = int.from_bytes(sec[2 : 2 + sa.iv_length], "big")
        s = int.from_bytes(sec[2 + sa.iv_length : 2 + sa.iv_length + sa.sequence_number_length], "big")
        if sa.sequence_number_length:
            d = (s - sa.sn) % sa.sn_modulus
            reasons["bad_sequence_number"] = not 1 <= d <= sa.window
        else:
            reasons["bad_sequence_number"] = False
        div = (t - sa.iv) % (1 << (8 * sa.iv_length))
        reasons["bad_iv"] = not 1 <= div <= sa.window
        full_iv = (sa.iv + div) % (1 << 96)
        payload = None
        if not any(reasons.values()):
            assert key is not None
            body = frame[start:data_end]
            mac = frame[data_end : data_end + sa.mac_length]
            ivb = full_iv.to_bytes(12, "big")
            masked = bytes(a & m for a, m in zip(frame[:aad_len], sa.abm, strict=False))
            if sa.service_type == AE:
                plain, _ = gcm(sa.algorithm, key, ivb, body, b"")  # GCM decryption is its CTR keystream
                _, tag = gcm(sa.algorithm, key, ivb, plain, masked)
                ok = tag[: sa.mac_length] == mac
                payload = plain if ok else None
            else:
                _, tag = gcm(sa.algorithm, key, ivb, b"", masked)
                ok = tag[: sa.mac_length] == mac
                payload = body if ok else None
            reasons["bad_mac"] = not ok
        else:
            reasons["bad_mac"] = False
        for r in order:
            if reasons.get(r):
                return Outcome(False, r)
        return Outcome(True, None, payload, sn_after=s if sa.sequence_number_length else sa.sn, iv_after=full_iv)

    # -- tampering ---------------------------------------------------------------------------------
    def regions(self, spi: int, frame: bytes) -> dict[str, list[int]]:
        """Bit positions of a protected frame of SA ``spi`` by region: header bits the ABM keeps
        and clears (flippable ones, see :meth:`Layout.flippable_header_bits`), the frame length
        field, SPI, IV, sequence number, pad length, data field, MAC, OCF and FECF."""
        sa = self.sas[spi]
        lay = sa.layout
        hl = lay.header_length
        kept: list[int] = []
        cleared: list[int] = []
        for b in lay.flippable_header_bits():
            (kept if sa.abm[b // 8] & (0x80 >> (b % 8)) else cleared).append(b)
        first, n = lay.length_field()
        o = hl
        out: dict[str, list[int]] = {"header_kept": kept, "header_cleared": cleared, "length": list(range(first, first + n))}
        for name, size in (("spi", 2), ("iv", sa.iv_length), ("sn", sa.sequence_number_length), ("pad", sa.pad_length_length)):
            out[name] = list(range(8 * o, 8 * (o + size)))
            o += size
        end = len(frame) - sa.tail_length()
        out["data"] = list(range(8 * o, 8 * end))
        out["mac"] = list(range(8 * end, 8 * (end + sa.mac_length)))
        o = end + sa.mac_length
        out["ocf"] = list(range(8 * o, 8 * (o + 4))) if lay.ocf else []
        out["fecf"] = list(range(8 * (len(frame) - 2), 8 * len(frame))) if lay.fecf else []
        if sa.service_type == AUTH:
            data_kept = [b for b in out["data"] if sa.abm[b // 8] & (0x80 >> (b % 8))]
            out["data_cleared"] = [b for b in out["data"] if b not in data_kept]
            out["data"] = data_kept
        return out

    @staticmethod
    def oracle_flip(frame: bytes, bit: int) -> bytes:
        return flip(frame, bit)

    @staticmethod
    def oracle_set_length(layout: Layout, frame: bytes, value: int) -> bytes:
        return set_length_field(layout, frame, value)

    def refecf(self, spi: int, frame: bytes) -> bytes:
        """``frame`` with its FECF recomputed (where SA ``spi`` has one)."""
        if not self.sas[spi].layout.fecf:
            return frame
        return frame[:-2] + self.p.crc16(frame[:-2]).to_bytes(2, "big")

    def flips(self, spi: int, frame: bytes, bits: list[int], what: str = "", *, only_mac: bool = False) -> dict[str, int]:
        """Process ``frame`` with each bit of ``bits`` flipped in turn (FECF recomputed so that the
        MAC is what is tested), each compared with the oracle; the SA is configured again after
        each frame, so that every flip is judged against the same SA state (whether rejections
        leave the state alone is SEC-ARP-003's test). Returns how many flips gave each outcome
        (``only_mac``: see :meth:`process`)."""
        base = copy.deepcopy(self.sas[spi])
        seen: dict[str, int] = {}
        for bit in bits:
            tampered = self.refecf(spi, flip(frame, bit))
            got = self.process(tampered, f"{what}bit {bit} (octet {bit // 8}, mask {0x80 >> (bit % 8):#04x}) flipped: ", only_mac=only_mac)
            key = "accepted" if got["accepted"] else str(got["reason"])
            seen[key] = seen.get(key, 0) + 1
            self.configure(copy.deepcopy(base))
        return seen

    def window_premise(self, spi: int, data: bytes) -> None:
        """Premise of the tests that observe SA state through the windows: on SA ``spi`` as now
        provisioned, a replayed sequence number, one beyond the window and an IV beyond the window
        are rejected (else the test is inconclusive: SEC-ARP-001/002 judge that). The SA is
        configured again afterwards."""
        sa = self.snapshot(spi)
        w = sa.window
        probes = [(0, 1, "a replayed sequence number"), (w + 1, 1, "a sequence number beyond the window"), (1, w + 1, "an IV beyond the window")]
        if not sa.sequence_number_length:
            probes = [(1, 0, "a replayed IV"), (1, w + 1, "an IV beyond the window")]
        for dsn, div, name in probes:
            frame = self.protect(spi, data, iv=(sa.iv + div) % (1 << 96), sn=(sa.sn + dsn) % sa.sn_modulus)
            self.process(frame, f"premise, {name}: ", premise="the SEC-ARP-001/002 tests")
            self.configure(copy.deepcopy(sa))

    # -- product calls, checked --------------------------------------------------------------------
    def apply(self, frame: bytes, spi: int, what: str = "") -> bytes:
        """ApplySecurity on the product, compared octet for octet with the oracle."""
        expected = self.expect_apply(frame, spi)
        assert expected is not None, "internal: expect_apply refused"
        got = self.iut.apply_security(frame, spi)
        assert got == expected, f"{what}ApplySecurity output differs from the spec's protected frame: {hexdiff(expected, got)}"
        return bytes(got)

    def process(self, frame: bytes, what: str = "", *, fsr: bool = False, only_mac: bool = False, premise: str | None = None) -> dict[str, Any]:
        """ProcessSecurity on the product, compared with the oracle (and the FSR when ``fsr``).
        With ``only_mac`` a frame the oracle rejects for another reason than bad_mac need only be
        rejected (for tests of the MAC, whose requirement does not fix the other reasons). With
        ``premise`` (the requirements that judge the verdict) a wrong verdict makes the test
        inconclusive: the test needs that verdict to observe something else."""
        exp = self.expect_process(frame)
        got = self.iut.process_security(frame)
        observed = "accepted" if got["accepted"] else f"rejected ({got['reason']})"
        if premise is not None and (got["accepted"], got["reason"]) != (exp.accepted, exp.reason):
            inconclusive(f"{what}expected {exp.describe()}, observed {observed} (judged by {premise}): this test cannot go on")
        if only_mac and not exp.accepted and exp.reason != "bad_mac":
            assert not got["accepted"], f"{what}expected a rejection ({exp.reason} by the processing order), observed {observed}"
        else:
            assert (got["accepted"], got["reason"]) == (exp.accepted, exp.reason), (
                f"{what}expected {exp.describe()}, observed {observed}"
            )
        if exp.accepted:
            payload = got["payload"]
            assert payload == exp.payload, (
                f"{what}delivered payload differs from the clear data field: "
                + (hexdiff(exp.payload or b"", payload) if payload is not None else "payload null")
            )
        else:
            assert got["payload"] is None, f"{what}a rejected frame delivered a payload ({bytes(got['payload'])[:8].hex()}...)"
        if fsr:
            self.check_fsr(got["fsr"], exp, what)
        self.update_fsr(exp)
        return dict(got)

    def update_fsr(self, exp: Outcome) -> None:
        if exp.reason in ("bad_sequence_number", "bad_iv", "bad_mac", "invalid_spi"):
            self.alarm = True
        if exp.spi is not None:
            self.last_spi = exp.spi

    def check_fsr(self, fsr: dict[str, Any], exp: Outcome, what: str = "") -> None:
        """The frame security report of SEC-KEY-008 for a frame whose expected outcome is ``exp``
        (call before :meth:`update_fsr`)."""
        want = {
            "bad_sn": exp.reason in ("bad_sequence_number", "bad_iv"),
            "bad_mac": exp.reason == "bad_mac",
            "invalid_spi": exp.reason == "invalid_spi",
        }
        for flag, value in want.items():
            assert fsr[flag] == value, f"{what}FSR {flag} is {fsr[flag]}, expected {value} for a frame {exp.describe()}"
        if any(want.values()):
            assert fsr["alarm"], f"{what}FSR alarm not set by a frame {exp.describe()}"
        elif self.alarm is not None:
            assert fsr["alarm"] == self.alarm, f"{what}FSR alarm is {fsr['alarm']}, expected {self.alarm} (latched state)"
        last = exp.spi if exp.spi is not None else self.last_spi
        if last is not None:
            assert fsr["last_spi"] == last, f"{what}FSR last_spi is {fsr['last_spi']}, expected {last}"
            sa = self.sas.get(last)
            if sa is not None and sa.sequence_number_length:
                if fsr["sn_lsb"] != sa.sn & 0xFF and self.arsn_reader is not None:
                    arsn = int.from_bytes(self.arsn_reader(last, sa.sequence_number_length), "big")
                    if arsn != sa.sn and fsr["sn_lsb"] == arsn & 0xFF:
                        inconclusive(f"{what}the SA's sequence number is {arsn:#x}, not {sa.sn:#x}: it changed (SEC-ARP-003 judges that)")
                assert fsr["sn_lsb"] == sa.sn & 0xFF, (
                    f"{what}FSR sn_lsb is {fsr['sn_lsb']:#04x}, expected {sa.sn & 0xFF:#04x} (SA {last} sequence number {sa.sn:#x})"
                )


# --------------------------------------------------------------------------------------------------
# Extended procedures (355.1-B-1, parameters ep_pdu, ep_status, ep_procedures, ep_otar, ep_verify, ep_sa)


@dataclass(frozen=True)
class Reply:
    tag: int
    status: int
    data: bytes
    raw: bytes


@dataclass
class Ep:
    """Builds procedure PDUs and parses replies."""

    iut: Any
    p: Params

    def tag(self, group: str, proc: str) -> int:
        procs = self.p.ep_procedures[group]
        return (procs["service_group"] << 4) | procs[proc]

    def pdu(self, group: str, proc: str, value: bytes, *, length_bits: int | None = None, tag: int | None = None) -> bytes:
        t = self.tag(group, proc) if tag is None else tag
        bits = 8 * len(value) if length_bits is None else length_bits
        return bytes([t]) + bits.to_bytes(2, "big") + value

    def call(self, pdu: bytes, what: str = "") -> Reply:
        """Send ``pdu``; the reply must be a well-formed reply PDU (ep_pdu) echoing the command's
        service group and procedure id with the type bit set."""
        raw = self.iut.extended_procedure(pdu)
        assert raw is not None, f"{what}no reply PDU (every command gets one: parameter ep_pdu)"
        raw = bytes(raw)
        assert len(raw) >= 4, f"{what}reply PDU of {len(raw)} octets ({raw.hex()}): tag, length and status expected"
        length = int.from_bytes(raw[1:3], "big")
        assert length == 8 * (len(raw) - 3), f"{what}reply length field {length} bits, value has {len(raw) - 3} octets"
        assert raw[0] & 0x80, f"{what}reply tag {raw[0]:#04x} lacks the reply type bit"
        if len(pdu) >= 1:
            assert raw[0] & 0x3F == pdu[0] & 0x3F, f"{what}reply tag {raw[0]:#04x} does not echo the command tag {pdu[0]:#04x}"
        return Reply(raw[0], raw[3], raw[4:], raw)

    def ok(self, pdu: bytes, what: str = "") -> Reply:
        r = self.call(pdu, what)
        assert r.status == self.p.ep_status["success"], f"{what}reply status {self.status_name(r.status)}, expected success"
        return r

    def error(self, pdu: bytes, what: str = "", *statuses: str) -> Reply:
        r = self.call(pdu, what)
        assert r.status != self.p.ep_status["success"], f"{what}reply status success, expected an error reply"
        if statuses:
            codes = [self.p.ep_status[s] for s in statuses]
            assert r.status in codes, f"{what}reply status {self.status_name(r.status)}, expected {' or '.join(statuses)}"
        return r

    def status_name(self, code: int) -> str:
        for k, v in self.p.ep_status.items():
            if v == code:
                return f"{k} ({code})"
        return f"unknown status {code}"

    # -- procedures ---------------------------------------------------------------------------------
    def keys(self, proc: str, key_ids: list[int]) -> bytes:
        return self.pdu("key_management", proc, b"".join(k.to_bytes(2, "big") for k in key_ids))

    def otar(self, master_id: int, master_key: bytes, keys: list[tuple[int, bytes]], iv: bytes, *, corrupt_mac: bool = False) -> bytes:
        """OTAR PDU (ep_otar): master key id, IV, the encrypted key blocks (each a key id and its
        32-octet key), then the MAC. The blocks are one AES-256-GCM plaintext under the master key
        with the IV; the AAD is the tag, length and master key id; the MAC is the GCM tag."""
        plain = b"".join(k.to_bytes(2, "big") + key for k, key in keys)
        value_len = 2 + 12 + 34 * len(keys) + 16
        head = bytes([self.tag("key_management", "otar")]) + (8 * value_len).to_bytes(2, "big") + master_id.to_bytes(2, "big")
        ct, tag = gcm(AES, master_key, iv, plain, head)
        if corrupt_mac:
            tag = bytes([tag[0] ^ 0x01]) + tag[1:]
        return head + iv + ct + tag

    def verify(self, pairs: list[tuple[int, bytes]]) -> bytes:
        return self.pdu("key_management", "verify", b"".join(k.to_bytes(2, "big") + c for k, c in pairs))

    def sa(self, proc: str, spi: int, extra: bytes = b"") -> bytes:
        return self.pdu("sa_management", proc, spi.to_bytes(2, "big") + extra)

    def rekey(self, spi: int, ekid: int | None, akid: int | None) -> bytes:
        none = 0xFFFF
        return self.sa("rekey", spi, (none if ekid is None else ekid).to_bytes(2, "big") + (none if akid is None else akid).to_bytes(2, "big"))

    def alarm_reset(self) -> bytes:
        return self.pdu("monitoring_control", "alarm_flag_reset", b"")

    def state_of(self, spi: int, what: str = "") -> int:
        r = self.ok(self.sa("status", spi), what + "status: ")
        assert len(r.data) == 3 and r.data[:2] == spi.to_bytes(2, "big"), f"{what}status reply data {r.data.hex()}, expected SPI {spi:04x} and a state code"
        return r.data[2]

    def arsn_of(self, spi: int, sn_length: int, what: str = "") -> bytes:
        r = self.ok(self.sa("read_arsn", spi), what + "read ARSN: ")
        assert len(r.data) == 2 + sn_length and r.data[:2] == spi.to_bytes(2, "big"), (
            f"{what}read ARSN reply data {r.data.hex()}, expected SPI {spi:04x} and {sn_length} ARSN octets"
        )
        return r.data[2:]


# --------------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="session")
def params(spec: Spec) -> Params:
    """The constants of the spec version under test."""
    return Params.from_spec(spec)


#: Field sizes the frame builders of this suite version are written for (parameters spi_length,
#: gcm_iv_length, fecf_length).
BUILT_FOR = {"spi_length": 2, "iv_full": 12, "fecf_length": 2}


@pytest.fixture
def field_sizes(params: Params) -> None:
    """A spec version with other SPI, IV or FECF sizes needs a newer suite: inconclusive."""
    for name, size in BUILT_FOR.items():
        if getattr(params, name) != size:
            inconclusive(f"the spec under test sets {name} = {getattr(params, name)}; this suite builds frames for {size}")


@pytest.fixture(scope="session")
def spi_pool(ics: Ics) -> SpiPool:
    """The run's SPI pool: at most ICS max_sas SPIs (capped at 32)."""
    return SpiPool(min(int(ics.items.get("max_sas", 16)), 32))


@pytest.fixture
def alloc(spi_pool: SpiPool) -> Alloc:
    """Per-test SPIs and fresh key ids."""
    return Alloc(spi_pool)


@pytest.fixture
def model(iut: Any, params: Params, alloc: Alloc, ics: Ics, field_sizes: None) -> Model:
    """The suite's model of what this test provisions (and the oracle over it)."""
    return Model(iut, params, alloc, ics)


@pytest.fixture
def ep(iut: Any, params: Params, field_sizes: None) -> Ep:
    """Extended-procedure PDU builder and reply checker."""
    return Ep(iut, params)


@pytest.fixture(scope="session")
def oracle() -> SimpleNamespace:
    """The oracle's plain functions and types, for test modules (which cannot import this one)."""
    return SimpleNamespace(
        Layout=Layout,
        Sa=Sa,
        AES=AES,
        SM4=SM4,
        AE=AE,
        AUTH=AUTH,
        flip=flip,
        hexdiff=hexdiff,
        set_length_field=set_length_field,
        gcm=gcm,
        gcm_decrypt=gcm_decrypt,
        need_sm4=need_sm4,
        suite_key=suite_key,
    )


@pytest.fixture(scope="session")
def data_field() -> Callable[[int, int], bytes]:
    """Deterministic data fields: ``data_field(length, seed)``."""

    def make(length: int = 12, seed: int = 0) -> bytes:
        out = b""
        counter = 0
        while len(out) < length:
            out += hashlib.sha256(f"data {seed} {counter}".encode()).digest()
            counter += 1
        return out[:length]

    return make
