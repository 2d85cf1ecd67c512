"""Conformance suite of sec-link-security, classes ``aead-aes`` and ``aead-sm4`` (CCSDS 355.0-B-2
sections 3 and 4 with AES-256-GCM, NIST SP 800-38D, and SM4-GCM, RFC 8998).

Every expected octet is computed by the suite's own oracle (``conftest.py``) from the spec text
and parameters with the ``cryptography`` package; the reference implementation is not used.
Frames are TC (with and without segment header) and USLP, with and without FECF, each variant
gated by the ICS items it needs; TM and AOS frames are not exercised by this suite version.
"""

from __future__ import annotations

from typing import Any

import pytest

from orbitcert.conformance import refusal

AES = "aes-256-gcm"
SM4 = "sm4-gcm"
#: (iv_length, sequence_number_length, pad_length_length) of the SAs of the layout tests.
SHAPES = [(12, 4, 0), (4, 2, 1), (8, 0, 2)]
SHAPE_IDS = [f"iv{a}-sn{b}-pl{c}" for a, b, c in SHAPES]


def _sa(model: Any, layout: Any, algorithm: str, shape: tuple[int, int, int] = (12, 4, 0), *, clearing: bool = False, **kw: Any) -> Any:
    ivl, snl, pll = shape
    return model.new_sa(layout, algorithm=algorithm, iv_length=ivl, sn_length=snl, pad_length_length=pll, clearing_mask=clearing, **kw)


def _layout_check(model: Any, iut: Any, layout: Any, algorithm: str, shape: tuple[int, int, int], data_field: Any) -> None:
    """SEC-AES-001 / SEC-SM4-001 layout: header, security header fields, data field length,
    trailer and FECF positions, without judging the cryptography."""
    sa = _sa(model, layout, algorithm, shape)
    for n in range(2):
        clear = layout.clear_frame(data_field(12, n))
        iv, sn = (sa.iv + 1) % (1 << 96), (sa.sn + 1) % sa.sn_modulus
        expected = model.expect_apply(clear, sa.spi)
        got = iut.apply_security(clear, sa.spi)
        assert len(got) == len(expected), (
            f"frame {n}: protected frame of {len(got)} octets, expected {len(expected)} "
            f"(header {layout.header_length}, security header {sa.security_header_length}, data 12, MAC {sa.mac_length}"
            f"{', FECF 2' if layout.fecf else ''})"
        )
        hl = layout.header_length
        sec = got[hl : hl + sa.security_header_length]
        fields = {
            "SPI": (sec[:2], sa.spi.to_bytes(2, "big")),
            "transmitted IV": (sec[2 : 2 + sa.iv_length], iv.to_bytes(12, "big")[12 - sa.iv_length :]),
            "sequence number": (sec[2 + sa.iv_length : 2 + sa.iv_length + sa.sequence_number_length], sn.to_bytes(sa.sequence_number_length, "big") if sa.sequence_number_length else b""),
            "pad length": (sec[sa.security_header_length - sa.pad_length_length :] if sa.pad_length_length else b"", bytes(sa.pad_length_length)),
        }
        for name, (observed, want) in fields.items():
            assert observed == want, f"frame {n}: security header {name} is {observed.hex() or '(none)'}, expected {want.hex() or '(none)'} right after the {'segment' if layout.segment_header else 'primary'} header"
        first, nbits = layout.length_field()
        skip = set(range(first, first + nbits))
        for bit in range(8 * hl):
            if bit in skip:
                continue
            if (got[bit // 8] ^ expected[bit // 8]) & (0x80 >> (bit % 8)):
                raise AssertionError(f"frame {n}: header bit {bit} changed by ApplySecurity: {hexdiff(expected[:hl], got[:hl])}")
        if layout.fecf:
            crc = model.p.crc16(got[:-2]).to_bytes(2, "big")
            assert got[-2:] == crc, f"frame {n}: last 2 octets {got[-2:].hex()} are not the FECF {crc.hex()} of the protected frame"


def hexdiff(expected: bytes, observed: bytes) -> str:
    if expected == observed:
        return "identical"
    n = next((i for i, (a, b) in enumerate(zip(expected, observed)) if a != b), min(len(expected), len(observed)))
    return f"expected {expected[n:n + 8].hex()} observed {observed[n:n + 8].hex()} at octet {n}"


def _crypto_check(model: Any, iut: Any, layout: Any, algorithm: str, data_field: Any, *, clearing: bool) -> None:
    """The protected data field and MAC of two consecutive frames equal the oracle's."""
    sa = _sa(model, layout, algorithm, (12, 4, 0), clearing=clearing)
    start = layout.header_length + sa.security_header_length
    for n in range(2):
        data = data_field(12 + 5 * n, 10 + n)
        clear = layout.clear_frame(data)
        unmasked = model.expect_apply_unmasked(clear, sa.spi) if clearing else None
        expected = model.expect_apply(clear, sa.spi)
        got = iut.apply_security(clear, sa.spi)
        end = len(expected) - sa.tail_length()
        assert got[start:end] == expected[start:end], (
            f"frame {n}: protected data field is not the {algorithm} encryption of the clear data under the SA's key "
            f"and IV: {hexdiff(expected[start:end], got[start:end])}"
        )
        mac_e, mac_g = expected[end : end + sa.mac_length], got[end : end + sa.mac_length]
        if mac_g != mac_e and unmasked is not None and mac_g == unmasked[end : end + sa.mac_length]:
            raise AssertionError(f"frame {n}: the MAC covers the unmasked header: the authentication bit mask was ignored (MAC {mac_g.hex()}, expected {mac_e.hex()})")
        assert mac_g == mac_e, f"frame {n}: MAC {mac_g.hex()}, expected {mac_e.hex()} (leftmost {sa.mac_length} octets of the GCM tag over the masked AAD)"
        assert got == expected, f"frame {n}: protected frame differs: {hexdiff(expected, got)}"


def _accept_check(model: Any, iut: Any, layout: Any, algorithm: str, data_field: Any) -> None:
    """Frames protected by the oracle, and one protected by the product itself, are accepted and
    deliver their clear data field (all-ones mask: the mask is SEC-AES-003's)."""
    sa = _sa(model, layout, algorithm, (12, 4, 0), clearing=False)
    for n in range(3):
        model.process(model.protect(sa.spi, data_field(12, 20 + n)), f"frame {n}: ")
    base = model.snapshot(sa.spi)
    clear = layout.clear_frame(data_field(12, 30))
    own = model.apply(clear, sa.spi, "round trip: ")
    model.configure(base)  # back to the state before the apply: the frame is new to the receiver
    model.process(own, "the product's own protected frame: ")


def _tamper_check(model: Any, layout: Any, algorithm: str, data_field: Any) -> None:
    """Every single-bit change of an authenticated or encrypted bit is rejected: with bad_mac when
    sequence number and IV stay within the window and the SPI still names the SA (the exact other
    reasons are checked by the SEC-AES-007 and anti-replay tests)."""
    sa = _sa(model, layout, algorithm, (12, 2, 1), clearing=False, sn=0x0100, window=8)
    frame = model.protect(sa.spi, data_field(8, 40))
    regions = model.regions(sa.spi, frame)
    bits = regions["header_kept"] + regions["spi"] + regions["iv"] + regions["sn"] + regions["pad"] + regions["data"] + regions["mac"]
    seen = model.flips(sa.spi, frame, bits, "tamper: ", only_mac=True)
    assert "accepted" not in seen
    model.process(frame, "the untampered frame after all the rejections: ")


def _cleared_bits_check(model: Any, layout: Any, algorithm: str, data_field: Any) -> None:
    """Flips of header bits the ABM clears do not cause a rejection (they are not authenticated)."""
    sa = _sa(model, layout, algorithm, (12, 4, 0), clearing=True)
    frame = model.protect(sa.spi, data_field(12, 50))
    cleared = model.regions(sa.spi, frame)["header_cleared"]
    assert cleared, "internal: the clearing mask clears no header bit"
    seen = model.flips(sa.spi, frame, cleared, "cleared bit: ")
    assert set(seen) == {"accepted"}


# --- aead-aes ----------------------------------------------------------------------------------


@pytest.mark.requirement("SEC-AES-001")
@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_aes_security_header_and_trailer_layout(model: Any, iut: Any, layout: Any, shape: tuple[int, int, int], data_field: Any) -> None:
    """355.0-B-2 3.2: SPI, IV octets, sequence number, pad length after the (segment) header; MAC
    after the data field; FECF last."""
    _layout_check(model, iut, layout, AES, shape, data_field)


@pytest.mark.requirement("SEC-AES-002")
def test_aes_ciphertext_and_mac_known_answer(model: Any, iut: Any, layout: Any, data_field: Any) -> None:
    """355.0-B-2 4.2.2, SP 800-38D 7.1: AES-256-GCM ciphertext and 16-octet tag (all-ones mask)."""
    _crypto_check(model, iut, layout, AES, data_field, clearing=False)


@pytest.mark.requirement("SEC-AES-003")
def test_aes_mac_covers_masked_header(model: Any, iut: Any, layout: Any, data_field: Any) -> None:
    """355.0-B-2 4.2.2.3: the AAD is the header and security header ANDed with the ABM; the mask
    clears the spare bits, frame length and TC FSN / USLP VC frame count, all non-zero here."""
    _crypto_check(model, iut, layout, AES, data_field, clearing=True)


@pytest.mark.requirement("SEC-AES-003")
def test_aes_cleared_header_bits_not_authenticated(model: Any, layout: Any, data_field: Any) -> None:
    """355.0-B-2 4.2.2.3: a received frame whose only changes are in bits the ABM clears is accepted."""
    _cleared_bits_check(model, layout, AES, data_field)


@pytest.mark.requirement("SEC-AES-004")
@pytest.mark.parametrize("data_length", [20, 300])
def test_aes_frame_length_and_fecf_recomputed(model: Any, iut: Any, layout: Any, data_length: int, data_field: Any) -> None:
    """355.0-B-2 4.2.2.5, 232.0-B-4 4.1.2.7 / 4.1.4: the input's frame length field and FECF are
    wrong on purpose; the output has the protected frame's length - 1 (beyond 255 too: every bit
    of the field) and its CRC-16."""
    sa = _sa(model, layout, AES, (12, 4, 0))
    data = data_field(data_length, 60)
    clear = layout.clear_frame(data, length_field=3)
    if layout.fecf:
        clear = clear[:-2] + b"\x00\x00"
    expected = model.expect_apply(clear, sa.spi)
    got = iut.apply_security(clear, sa.spi)
    first, n = layout.length_field()
    length = (int.from_bytes(got, "big") >> (8 * len(got) - first - n)) & ((1 << n) - 1)
    assert length == len(got) - 1, f"frame length field {length}, protected frame has {len(got)} octets (expected {len(got) - 1})"
    if layout.fecf:
        crc = model.p.crc16(got[:-2])
        assert int.from_bytes(got[-2:], "big") == crc, f"FECF {got[-2:].hex()}, CRC-16 of the protected frame is {crc:04x}"
    assert got == expected, f"protected frame differs: {hexdiff(expected, got)}"


@pytest.mark.requirement("SEC-AES-005")
def test_aes_process_accepts_and_delivers(model: Any, iut: Any, layout: Any, data_field: Any) -> None:
    """355.0-B-2 4.2.3: valid frames (the oracle's and the product's own) are accepted with their clear data."""
    _accept_check(model, iut, layout, AES, data_field)


@pytest.mark.requirement("SEC-AES-005")
def test_aes_every_single_bit_change_rejected(model: Any, layout: Any, data_field: Any) -> None:
    """355.0-B-2 4.2.3: each flip of a kept header bit, security header, data or MAC bit is rejected:
    bad_mac within the window, else the reason of the processing order (invalid_spi, malformed,
    bad_sequence_number, bad_iv)."""
    _tamper_check(model, layout, AES, data_field)


@pytest.mark.requirement("SEC-AES-006")
def test_aes_fresh_iv_per_frame(model: Any, iut: Any, ftype: Any, data_field: Any) -> None:
    """355.0-B-2 4.2.2.2, SP 800-38D 8.2.1: each apply uses the SA's IV + 1 (96-bit, big-endian)."""
    sa = _sa(model, ftype, AES, (12, 4, 0), iv=0x00000000000000000000FFFE)
    hl = ftype.header_length
    ivs = []
    for n in range(4):
        out = model.iut.apply_security(ftype.clear_frame(data_field(12, 70)), sa.spi)
        ivs.append(int.from_bytes(out[hl + 2 : hl + 14], "big"))
    want = [0xFFFF, 0x10000, 0x10001, 0x10002]
    assert ivs == want, f"transmitted IVs {[hex(v) for v in ivs]}, expected {[hex(v) for v in want]} (last + 1 each frame, same data)"


@pytest.mark.requirement("SEC-AES-006")
@pytest.mark.parametrize("iv_length", [12, 4])
def test_aes_iv_increment_carries_and_wraps(model: Any, iut: Any, ftype: Any, iv_length: int, data_field: Any) -> None:
    """SEC-AES-006: the increment is on the full 96-bit IV: a carry out of the transmitted octets
    reaches the untransmitted ones (seen in the ciphertext and MAC), and 2^96 - 1 wraps to 0."""
    start = (1 << 96) - 2 if iv_length == 12 else 0x0A0B0C0D0E0F1011FFFFFFFE
    sa = _sa(model, ftype, AES, (iv_length, 4, 0), iv=start)
    for n in range(3):
        model.apply(ftype.clear_frame(data_field(12, 80 + n)), sa.spi, f"frame {n} (IV {(start + n + 1) % (1 << 96):024x}): ")


@pytest.mark.requirement("SEC-AES-006")
def test_aes_no_iv_reuse(model: Any, iut: Any, ftype: Any, data_field: Any) -> None:
    """SEC-AES-006: 16 applies under one SA and key use 16 distinct, consecutive IVs."""
    sa = _sa(model, ftype, AES, (12, 4, 0))
    hl = ftype.header_length
    seen = [int.from_bytes(iut.apply_security(ftype.clear_frame(data_field(8, 90)), sa.spi)[hl + 2 : hl + 14], "big") for _ in range(16)]
    assert len(set(seen)) == len(seen), f"IVs reused: {[hex(v) for v in seen]}"
    assert seen == [sa.iv + 1 + i for i in range(16)], f"IVs {[hex(v) for v in seen[:4]]}..., expected {hex(sa.iv + 1)} onwards"


@pytest.mark.requirement("SEC-AES-007")
@pytest.mark.parametrize("state", ["keyed", "unkeyed", "expired"])
def test_aes_sa_not_operational(model: Any, iut: Any, ftype: Any, state: str, data_field: Any) -> None:
    """355.0-B-2 4.2.3.2: an SA that is not operational is refused by ApplySecurity and its frames
    are rejected with sa_not_operational."""
    sa = _sa(model, ftype, AES, (12, 4, 0))
    frame = model.protect(sa.spi, data_field(12, 100))
    changes: dict[str, Any] = {"state": state}
    if state == "unkeyed":
        changes["key_id"] = None
    model.reconfigure(sa.spi, **changes)
    assert refusal(iut.apply_security, ftype.clear_frame(data_field(12, 100)), sa.spi) is not None, f"ApplySecurity used an SA in state {state}"
    model.process(frame, f"SA {state}: ")


@pytest.mark.requirement("SEC-AES-007")
def test_aes_invalid_spi(model: Any, ftype: Any, data_field: Any) -> None:
    """355.0-B-2 4.2.3.2: a frame whose SPI names no SA is rejected with invalid_spi."""
    sa = _sa(model, ftype, AES, (12, 4, 0))
    frame = model.protect(sa.spi, data_field(12, 110))
    hl = ftype.header_length
    other = model.alloc.unused_spi()
    bad = model.refecf(sa.spi, frame[:hl] + other.to_bytes(2, "big") + frame[hl + 2 :])
    model.process(bad, f"SPI {other:#06x} (no SA): ")
    model.process(frame, "the valid frame afterwards: ")


@pytest.mark.requirement("SEC-AES-007")
@pytest.mark.applies_if("'tc' in frame_types and 'uslp' in frame_types and max_sas >= 2")
def test_aes_spi_of_another_frame_type(model: Any, oracle: Any, data_field: Any) -> None:
    """SEC-AES-007: the SPI must name an SA *of the frame's type*: a TC frame carrying the SPI of a
    USLP SA, and a USLP frame carrying that of a TC SA, are rejected with invalid_spi."""
    from_types = {}
    for ftype in ("tc", "uslp"):
        from_types[ftype] = _sa(model, oracle.Layout(ftype), AES, (12, 4, 0))
    tc_sa, uslp_sa = from_types["tc"], from_types["uslp"]
    tc_frame = model.protect(tc_sa.spi, data_field(12, 120))
    uslp_frame = model.protect(uslp_sa.spi, data_field(12, 121))
    hl_tc, hl_uslp = tc_sa.layout.header_length, uslp_sa.layout.header_length
    swapped_tc = tc_frame[:hl_tc] + uslp_sa.spi.to_bytes(2, "big") + tc_frame[hl_tc + 2 :]
    swapped_uslp = uslp_frame[:hl_uslp] + tc_sa.spi.to_bytes(2, "big") + uslp_frame[hl_uslp + 2 :]
    model.process(swapped_tc, "TC frame with a USLP SA's SPI: ")
    model.process(swapped_uslp, "USLP frame with a TC SA's SPI: ")


@pytest.mark.requirement("SEC-AES-007")
def test_aes_malformed_frames(model: Any, layout: Any, data_field: Any) -> None:
    """SEC-AES-007 / processing_order: too short for the security header and trailer, a frame
    length field that disagrees, a bad FECF, a non-zero pad length: malformed."""
    sa = _sa(model, layout, AES, (12, 4, 1))
    frame = model.protect(sa.spi, data_field(12, 130))
    hl = layout.header_length
    short = frame[: hl + sa.security_header_length + 8]
    short = set_length(layout, short + (b"\x00\x00" if layout.fecf else b""), len(short) + (2 if layout.fecf else 0) - 1)
    model.process(model.refecf(sa.spi, short), "frame too short for its trailer: ")
    for delta in (+1, -1):
        bad = model.refecf(sa.spi, set_length(layout, frame, len(frame) - 1 + delta))
        model.process(bad, f"frame length field {delta:+d}: ")
    if layout.fecf:
        model.process(frame[:-1] + bytes([frame[-1] ^ 0x01]), "FECF does not verify: ")
    model.process(model.protect(sa.spi, data_field(12, 130), pad=1), "pad length 1: ")
    model.process(frame, "the valid frame afterwards: ")


def set_length(layout: Any, frame: bytes, value: int) -> bytes:
    first, n = layout.length_field()
    as_int = int.from_bytes(frame, "big")
    shift = 8 * len(frame) - first - n
    as_int = (as_int & ~(((1 << n) - 1) << shift)) | ((value & ((1 << n) - 1)) << shift)
    return bytes(as_int.to_bytes(len(frame), "big"))


@pytest.mark.requirement("SEC-AES-007")
def test_aes_mask_shorter_than_aad_is_malformed(model: Any, ftype: Any, data_field: Any) -> None:
    """processing_order: an ABM shorter than the additional authenticated data makes the frame malformed."""
    sa = _sa(model, ftype, AES, (12, 4, 0))
    frame = model.protect(sa.spi, data_field(12, 140))
    model.reconfigure(sa.spi, abm=b"\xff" * ftype.header_length)
    model.process(frame, "ABM covering only the primary header: ")


@pytest.mark.requirement("SEC-AES-007")
def test_aes_apply_refuses_a_mask_shorter_than_aad(model: Any, iut: Any, ftype: Any, data_field: Any) -> None:
    """SEC-AES-007: ApplySecurity refuses a frame whose additional authenticated data is longer
    than the SA's authentication bit mask (it would otherwise authenticate bits nobody masked)."""
    sa = _sa(model, ftype, AES, (12, 4, 0))
    model.reconfigure(sa.spi, abm=b"\xff" * ftype.header_length)
    clear = ftype.clear_frame(data_field(12, 141))
    assert refusal(iut.apply_security, clear, sa.spi) is not None, (
        f"ApplySecurity protected a frame although the SA's mask ({ftype.header_length} octets) is shorter than its AAD"
    )


# --- aead-sm4 ----------------------------------------------------------------------------------


@pytest.mark.requirement("SEC-SM4-001")
@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_sm4_layout(model: Any, iut: Any, layout: Any, shape: tuple[int, int, int], data_field: Any) -> None:
    """RFC 8998 3.2 with the layout of SEC-AES-001."""
    _layout_check(model, iut, layout, SM4, shape, data_field)


@pytest.mark.requirement("SEC-SM4-001")
def test_sm4_ciphertext_and_mac_known_answer(model: Any, iut: Any, layout: Any, data_field: Any) -> None:
    """RFC 8998 3.2, GB/T 32907: SM4-GCM ciphertext and 16-octet tag (all-ones mask)."""
    _crypto_check(model, iut, layout, SM4, data_field, clearing=False)


@pytest.mark.requirement("SEC-SM4-002")
def test_sm4_mac_covers_masked_header(model: Any, iut: Any, layout: Any, data_field: Any) -> None:
    """355.0-B-2 4.2.2.3: the SM4-GCM tag covers the masked AAD (mask clearing non-zero bits)."""
    _crypto_check(model, iut, layout, SM4, data_field, clearing=True)


@pytest.mark.requirement("SEC-SM4-002")
def test_sm4_cleared_header_bits_not_authenticated(model: Any, layout: Any, data_field: Any) -> None:
    """355.0-B-2 4.2.2.3: changes confined to bits the ABM clears are accepted under SM4-GCM."""
    _cleared_bits_check(model, layout, SM4, data_field)


@pytest.mark.requirement("SEC-SM4-003")
def test_sm4_process_accepts_and_delivers(model: Any, iut: Any, layout: Any, data_field: Any) -> None:
    """355.0-B-2 4.2.3 with SM4-GCM."""
    _accept_check(model, iut, layout, SM4, data_field)


@pytest.mark.requirement("SEC-SM4-003")
def test_sm4_every_single_bit_change_rejected(model: Any, layout: Any, data_field: Any) -> None:
    """355.0-B-2 4.2.3 with SM4-GCM: each flip of an authenticated or encrypted bit is rejected."""
    _tamper_check(model, layout, SM4, data_field)


# --- exact reasons of header changes, OCF, SA lookup ---------------------------------------------


@pytest.mark.requirement("SEC-AES-007")
def test_aes_header_field_changes_give_their_reason(model: Any, layout: Any, data_field: Any) -> None:
    """SEC-AES-007 / processing_order: an SPI bit flipped names no SA (invalid_spi: pool SPIs differ
    in two bits or more); a frame length bit or a pad length bit flipped, or an FECF bit flipped
    (FECF not recomputed), makes the frame malformed."""
    sa = _sa(model, layout, AES, (12, 4, 1))
    frame = model.protect(sa.spi, data_field(12, 150))
    r = model.regions(sa.spi, frame)
    seen = model.flips(sa.spi, frame, r["spi"] + r["length"] + r["pad"], "header field: ")
    assert set(seen) <= {"invalid_spi", "malformed"}
    for bit in r["fecf"]:
        model.process(model.oracle_flip(frame, bit), f"FECF bit {bit} flipped: ")
    model.process(frame, "the untampered frame afterwards: ")


@pytest.mark.requirement("SEC-AES-001", "SEC-AES-004")
@pytest.mark.applies_if("'uslp' in frame_types")
@pytest.mark.parametrize("fecf", [False, pytest.param(True, marks=pytest.mark.applies_if("fecf"))], ids=["no-fecf", "fecf"])
def test_aes_uslp_ocf_follows_trailer(model: Any, iut: Any, oracle: Any, fecf: bool, data_field: Any) -> None:
    """uslp_primary_header: with the OCF flag set, the 4-octet OCF of the clear frame follows the
    security trailer in the protected frame, before the FECF, neither encrypted nor authenticated."""
    layout = oracle.Layout("uslp", fecf=fecf, ocf=True)
    sa = _sa(model, layout, AES, (12, 4, 0))
    clear = layout.clear_frame(data_field(12, 160), ocf=b"\x01\x02\x03\x04")
    expected = model.expect_apply(clear, sa.spi)
    got = iut.apply_security(clear, sa.spi)
    assert got == expected, f"protected USLP frame with OCF differs: {hexdiff(expected, got)}"


@pytest.mark.requirement("SEC-AES-005")
@pytest.mark.applies_if("'uslp' in frame_types")
def test_aes_uslp_ocf_not_authenticated(model: Any, oracle: Any, data_field: Any) -> None:
    """uslp_primary_header: the payload excludes the OCF, and a change to the OCF alone does not
    cause a rejection (it is not authenticated); a change to the data field still does."""
    layout = oracle.Layout("uslp", ocf=True)
    sa = _sa(model, layout, AES, (12, 4, 0))
    frame = model.protect(sa.spi, data_field(12, 170))
    r = model.regions(sa.spi, frame)
    seen = model.flips(sa.spi, frame, r["ocf"][::3], "OCF: ")
    assert set(seen) == {"accepted"}
    model.flips(sa.spi, frame, r["data"][:8], "data: ")


@pytest.mark.requirement("SEC-AES-005", "SEC-AES-007")
@pytest.mark.applies_if("'tc' in frame_types and segment_header and max_sas >= 2")
def test_aes_spi_lookup_with_and_without_segment_header(model: Any, oracle: Any, data_field: Any) -> None:
    """spi_lookup: TC SAs with and without segment header coexist, each frame is processed under
    the SA whose SPI is at that SA's own offset; an SPI at the other offset names no SA."""
    seg = _sa(model, oracle.Layout("tc", segment_header=True), AES, (12, 4, 0))
    plain = _sa(model, oracle.Layout("tc"), AES, (12, 4, 0))
    for n in range(2):
        model.process(model.protect(seg.spi, data_field(12, 180 + n)), f"frame {n} with segment header: ")
        model.process(model.protect(plain.spi, data_field(12, 182 + n)), f"frame {n} without segment header: ")
    f = model.protect(seg.spi, data_field(12, 184))
    moved = model.oracle_set_length(seg.layout, f[:5] + f[6:], len(f) - 2)
    model.process(moved, "the segment-header SA's SPI right after the primary header: ")
