"""ApplySecurity / ProcessSecurity of the reference: layout against cryptography alone, single-bit
tampering of every protected octet (AES and SM4, AEAD and GMAC, TC and USLP), the processing
order, the frame security report, and the refusals of configure_sa / apply_security."""

from __future__ import annotations

import itertools

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sec_helpers import AES_KEY, make_sa, product, refix_fecf, tc_clear, uslp_clear

from orbitcert.reference_impl.security import crypto
from orbitcert.reference_impl.security.errors import (
    FrameError,
    KeyStateError,
    ProvisioningError,
    SaStateError,
    SecurityError,
    UnknownSaError,
)

DATA = bytes(range(0x30, 0x3B))
COMBOS = list(itertools.product(["aes-256-gcm", "sm4-gcm"], ["authenticated_encryption", "authentication"], ["tc", "uslp"]))


def _skip_without_sm4(algorithm: str) -> None:
    if algorithm == "sm4-gcm" and not crypto.sm4_gcm_supported():
        pytest.skip("SM4-GCM not provided by this OpenSSL")


def test_layout_against_cryptography_alone() -> None:
    """SEC-AES-001/002/003/004: the protected TC frame is header (length rewritten) | segment |
    SPI | IV | SN | pad | AES-256-GCM(data) | tag | FECF, the AAD being the masked headers."""
    mask = "ff" * 4 + "00" + "ff" * 30  # clears the frame sequence number octet
    sa = make_sa(pad_length_length=1, iv="0000000000000000000000ff", sequence_number="00ff", authentication_bit_mask=mask)
    p = product(sa)
    clear = tc_clear(DATA)
    out = p.apply_security(clear, 5)
    assert len(out) == len(clear) + 2 + 12 + 2 + 1 + 16
    assert (((out[2] & 3) << 8) | out[3]) == len(out) - 1
    assert out[:2] == clear[:2] and out[4:6] == clear[4:6] and out[2] & 0xFC == clear[2] & 0xFC
    sec = out[6:23]
    assert sec == bytes.fromhex("0005" "000000000000000000000100" "0100" "00")
    aad = bytearray(out[:23])
    aad[4] = 0
    sealed = out[23:-2]
    assert AESGCM(AES_KEY).decrypt(bytes.fromhex("000000000000000000000100"), sealed, bytes(aad)) == DATA
    assert out == refix_fecf(out)


@pytest.mark.parametrize(("algorithm", "service", "frame_type"), COMBOS)
def test_roundtrip_and_every_single_bit_flip(algorithm: str, service: str, frame_type: str) -> None:
    """SEC-AES-005, SEC-SM4-003, SEC-AUTH-002, SEC-ARP-003: every single-bit change of a protected
    frame (FECF recomputed) is rejected with the reason the processing order gives; the SA is
    unchanged by every rejection and the untouched frame is accepted afterwards."""
    _skip_without_sm4(algorithm)
    window = 4
    sa = make_sa(algorithm=algorithm, service_type=service, frame_type=frame_type, anti_replay_window=window,
                 iv="00000000000000000000fffe", sequence_number="00fe")
    tx, rx = product(sa), product(sa)
    clear = tc_clear(DATA) if frame_type == "tc" else uslp_clear(DATA)
    frame = tx.apply_security(clear, 5)
    record = rx.sas.get(5)
    assert record is not None
    before = (record.iv, record.sn, record.state)
    head = 6 if frame_type == "tc" else 9
    iv_at, sn_at, data_at = head + 2, head + 14, head + 16

    def expected(octet: int, bit: int) -> str:
        if frame_type == "tc":
            if octet == 0 and bit >= 6:
                return "invalid_spi"
            if (octet == 2 and bit < 2) or octet == 3:
                return "malformed"
        else:
            if octet == 0 and bit >= 4:
                return "invalid_spi"
            if (octet == 3 and bit == 0) or octet in (4, 5):
                return "malformed"
            if octet == 6 and bit < 3:
                return "invalid_spi"
        if head <= octet < iv_at:
            return "invalid_spi"
        if sn_at <= octet < data_at:
            sn = int.from_bytes(frame[sn_at:data_at], "big") ^ (1 << (8 * (data_at - 1 - octet) + bit))
            if not 1 <= (sn - record.sn) % (1 << 16) <= window:
                return "bad_sequence_number"
        if iv_at <= octet < sn_at:
            t = int.from_bytes(frame[iv_at:sn_at], "big") ^ (1 << (8 * (sn_at - 1 - octet) + bit))
            if not 1 <= (t - record.iv) % (1 << 96) <= window:
                return "bad_iv"
        return "bad_mac"

    for octet in range(len(frame) - 2):
        for bit in range(8):
            tampered = bytearray(frame)
            tampered[octet] ^= 1 << bit
            result = rx.process_security(refix_fecf(bytes(tampered)))
            assert not result["accepted"], (octet, bit)
            assert result["reason"] == expected(octet, bit), (octet, bit, result)
            assert (record.iv, record.sn, record.state) == before
            fsr = result["fsr"]
            assert fsr["bad_mac"] == (result["reason"] == "bad_mac")
            assert fsr["bad_sn"] == (result["reason"] in ("bad_sequence_number", "bad_iv"))
            assert fsr["invalid_spi"] == (result["reason"] == "invalid_spi")
    bad_fecf = bytearray(frame)
    bad_fecf[-1] ^= 1
    assert rx.process_security(bytes(bad_fecf))["reason"] == "malformed"
    result = rx.process_security(frame)
    assert result["accepted"] and result["payload"] == DATA and result["reason"] is None
    assert (record.iv, record.sn) == (0x00000000000000000000FFFF, 0x00FF)
    assert result["fsr"]["sn_lsb"] == 0xFF and result["fsr"]["last_spi"] == 5


@pytest.mark.parametrize("service", ["authenticated_encryption", "authentication"])
def test_bits_the_mask_clears_are_not_authenticated(service: str) -> None:
    """SEC-AES-003 / SEC-AUTH-002: with the FSN octet (and, for GMAC, the first data octet)
    cleared by the ABM, flipping those bits is accepted."""
    mask = "ff" * 4 + "00" + "ff" * 17 + "00" + "ff" * 40
    sa = make_sa(service_type=service, authentication_bit_mask=mask)
    tx = product(sa)
    frame = tx.apply_security(tc_clear(DATA), 5)
    cleared = [4] + ([22] if service == "authentication" else [])
    for octet in cleared:
        for bit in range(8):
            rx = product(sa)
            tampered = bytearray(frame)
            tampered[octet] ^= 1 << bit
            result = rx.process_security(refix_fecf(bytes(tampered)))
            assert result["accepted"], (octet, bit, result)


def test_uslp_ocf_is_neither_encrypted_nor_authenticated() -> None:
    """Spec parameter uslp_primary_header: the OCF follows the trailer, precedes the FECF, and a
    change of it does not cause a rejection."""
    sa = make_sa(frame_type="uslp")
    ocf = bytes.fromhex("01020304")
    frame = product(sa).apply_security(uslp_clear(DATA, ocf=ocf), 5)
    assert frame[-6:-2] == ocf
    tampered = bytearray(frame)
    tampered[-3] ^= 0xFF
    result = product(sa).process_security(refix_fecf(bytes(tampered)))
    assert result["accepted"] and result["payload"] == DATA


def test_processing_order() -> None:
    """processing_order: invalid_spi, sa_not_operational, key_not_active, malformed,
    bad_sequence_number, bad_iv, bad_mac - the first failing check is the reason."""
    sa = make_sa()
    frame = product(sa).apply_security(tc_clear(DATA), 5)
    broken_fecf = frame[:-1] + bytes([frame[-1] ^ 1])
    # not operational beats malformed
    assert product(make_sa(state="keyed")).process_security(broken_fecf)["reason"] == "sa_not_operational"
    # key not active beats malformed
    p = product(sa)
    p.load_key(1, AES_KEY, "deactivated")
    assert p.process_security(broken_fecf)["reason"] == "key_not_active"
    # a key of the wrong length is not usable
    p.load_key(1, AES_KEY[:16])
    assert p.process_security(frame)["reason"] == "key_not_active"
    # malformed beats bad sequence number (SA already past the frame's SN)
    late = product(make_sa(sequence_number="0010"))
    assert late.process_security(broken_fecf)["reason"] == "malformed"
    assert late.process_security(frame)["reason"] == "bad_sequence_number"
    # bad sequence number beats bad IV; bad IV beats bad MAC
    both = product(make_sa(sequence_number="0010", iv="00" * 11 + "10"))
    assert both.process_security(frame)["reason"] == "bad_sequence_number"
    tampered = bytearray(frame)
    tampered[25] ^= 1
    assert product(make_sa(iv="00" * 11 + "10")).process_security(refix_fecf(bytes(tampered)))["reason"] == "bad_iv"


def test_malformed_cases() -> None:
    """SEC-AES-007 / processing_order 'malformed': short frame, length field, pad length, short ABM."""
    sa = make_sa(pad_length_length=1)
    frame = product(sa).apply_security(tc_clear(DATA), 5)
    p = product(sa)
    assert p.process_security(frame[:30])["reason"] == "malformed"
    assert p.process_security(frame[:-3] + frame[-2:])["reason"] == "malformed"  # length field disagrees
    padded = bytearray(frame)
    padded[22] = 1
    assert p.process_security(refix_fecf(bytes(padded)))["reason"] == "malformed"
    short_mask = make_sa(authentication_bit_mask="ff" * 10)
    assert product(short_mask).process_security(frame)["reason"] == "malformed"
    with pytest.raises(FrameError, match="authentication_bit_mask"):
        product(short_mask).apply_security(tc_clear(DATA), 5)
    assert p.process_security(frame)["accepted"]


def test_invalid_spi_and_fsr() -> None:
    """SEC-AES-007 invalid_spi and SEC-KEY-008: the alarm is sticky until the alarm flag reset
    procedure; last_spi is the last SPI that named an SA."""
    p = product(make_sa())
    frame = product(make_sa()).apply_security(tc_clear(DATA), 5)
    for junk in (b"", b"\x20", bytes(4), b"\x80" + bytes(40), frame[:6] + b"\x00\x06" + frame[8:]):
        result = p.process_security(junk)
        assert result["reason"] == "invalid_spi" and result["fsr"]["invalid_spi"]
        assert result["fsr"]["last_spi"] == 0
    ok = p.process_security(frame)
    assert ok["accepted"] and ok["fsr"]["alarm"] and not ok["fsr"]["invalid_spi"]
    assert ok["fsr"]["last_spi"] == 5 and ok["fsr"]["sn_lsb"] == 1
    assert p.extended_procedure(bytes([0x37, 0, 0])) == bytes([0xB7, 0, 8, 0])
    assert p.process_security(frame)["fsr"]["alarm"] is True  # the replay raises it again
    p.extended_procedure(bytes([0x37, 0, 0]))
    again = p.process_security(frame[:6] + b"\x00\x05" + frame[8:])
    assert again["reason"] != "invalid_spi"


def test_spi_lookup_tries_sas_in_ascending_spi_order() -> None:
    """spi_lookup: SAs with and without a segment header over the same VC; each frame finds its own."""
    with_seg, without = make_sa(spi=0x0105), make_sa(spi=0xC505, segment_header=False)
    tx = product(with_seg, without)
    rx = product(with_seg, without)
    a = tx.apply_security(tc_clear(DATA), 0x0105)
    b = tx.apply_security(tc_clear(DATA, segment=False), 0xC505)
    assert rx.process_security(b)["fsr"]["last_spi"] == 0xC505
    assert rx.process_security(a)["fsr"]["last_spi"] == 0x0105


def test_apply_refusals() -> None:
    """ApplySecurity refuses: unknown SA, SA not operational, key not active, wrong frame type,
    a frame too short or one whose protected form exceeds 1024 octets."""
    p = product(make_sa(), make_sa(spi=6, state="keyed"))
    with pytest.raises(UnknownSaError):
        p.apply_security(tc_clear(DATA), 7)
    with pytest.raises(SaStateError):
        p.apply_security(tc_clear(DATA), 6)
    with pytest.raises(FrameError, match="tc"):
        p.apply_security(uslp_clear(DATA), 5)
    with pytest.raises(FrameError, match="shorter"):
        p.apply_security(b"\x20\x00\x00", 5)
    with pytest.raises(FrameError, match="1024"):
        p.apply_security(tc_clear(bytes(1000)), 5)
    with pytest.raises(FrameError, match="frame"):
        p.apply_security("not bytes", 5)  # type: ignore[arg-type]
    for state in ("pre-activation", "deactivated", "destroyed"):
        p.load_key(1, AES_KEY, state)
        with pytest.raises(KeyStateError):
            p.apply_security(tc_clear(DATA), 5)
    assert issubclass(KeyStateError, SecurityError)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("frame_type", "tm", "frame_type"),
        ("frame_type", "aos", "frame_type"),
        ("service_type", "encryption", "service_type"),
        ("sequence_number", "00", "sequence_number"),
        ("mac_length", 8, "mac_length"),
        ("iv", "00", "iv"),
        ("spi", 0, "spi"),
        ("spi", True, "spi"),
        ("colour", "red", "colour"),
    ],
)
def test_configure_sa_refusals(field: str, value: object, match: str) -> None:
    """configure_sa refuses an SA the reference cannot hold, naming the field."""
    with pytest.raises(ProvisioningError, match=match):
        product(make_sa(**{field: value}))


def test_max_sas() -> None:
    p = product()
    p.sas.max_sas = 3
    for spi in (1, 2, 3):
        p.configure_sa(make_sa(spi=spi))
    p.configure_sa(make_sa(spi=2))  # replacing does not count
    with pytest.raises(ProvisioningError, match="max_sas"):
        p.configure_sa(make_sa(spi=4))


def test_protect_batch_equals_single_applies() -> None:
    sa = make_sa()
    frames = [tc_clear(bytes([i]) * (i + 1)) for i in range(20)]
    one, many = product(sa), product(sa)
    assert many.engine.protect_batch(frames, 5) == [one.apply_security(f, 5) for f in frames]
