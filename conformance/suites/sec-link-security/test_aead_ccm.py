"""Conformance suite of sec-link-security, class ``aead-ccm`` (new in 1.1.0): the frames of
``aead-aes`` (CCSDS 355.0-B-2 sections 3 and 4) protected with AES-256 in CCM mode (NIST
SP 800-38C), requirements SEC-CCM-001..006.

Every expected octet is computed here with the ``cryptography`` package's ``AESCCM`` (the
generation-encryption and decryption-verification processes of SP 800-38C 6.1 / 6.2), an
implementation independent of any product; the reference implementation is not used. The suite's
oracle (``conftest.py``, shared with the GCM classes and left unchanged so that the verdicts of
the other test files carry over between versions) is extended for aes-256-ccm SAs by
:func:`ccm_oracle`: a CCM SA's protected data field and MAC come from ``AESCCM`` with the full
12-octet IV as nonce and Tlen = 8 * mac_length; every other judgement (SPI lookup, processing
order, windows, lengths, FECF) is the oracle's own.

The tests of one requirement do not judge the others: where a test needs another requirement's
behaviour to observe its own (a correct ApplySecurity of a 12-octet-IV SA, a rejected tampered
MAC), it checks that first and is inconclusive, naming the requirement that judges it, when the
product does not show it. Only ``sec-link-security`` versions that define SEC-CCM-* select these
tests (1.0.0 deselects them: the harness drops tests of requirements only other versions define).
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESCCM

from orbitcert.conformance import inconclusive, refusal

CCM = "aes-256-ccm"
GCM = "aes-256-gcm"
AE = "authenticated_encryption"
#: The CCM profile this suite version builds frames for (spec parameter ``ccm_parameters``).
BUILT_FOR = {"nonce_length": 12, "length_field_length": 3, "tag_length": 16, "b0_flags": 0x7A}
#: (iv_length, sequence_number_length, pad_length_length) of the SAs whose IV is transmitted in part.
SHORT_IV_SHAPES = [(4, 2, 1), (8, 0, 2)]


# --------------------------------------------------------------------------------------------------
# The oracle for aes-256-ccm SAs


def ccm_seal(key: bytes, nonce: bytes, data: bytes, aad: bytes, tag_length: int) -> tuple[bytes, bytes]:
    """(ciphertext, tag) of SP 800-38C 6.1 with ``cryptography``'s AESCCM."""
    sealed = AESCCM(key, tag_length=tag_length).encrypt(nonce, data, aad)
    return sealed[: len(data)], sealed[len(data) :]


def ccm_open(key: bytes, nonce: bytes, sealed: bytes, aad: bytes, tag_length: int) -> bytes | None:
    """The payload of SP 800-38C 6.2, or None (INVALID)."""
    try:
        return AESCCM(key, tag_length=tag_length).decrypt(nonce, sealed, aad)
    except (InvalidTag, ValueError):
        return None


def _masked(data: bytes, abm: bytes) -> bytes:
    return bytes(a & m for a, m in zip(data, abm, strict=False))


_CCM_MODELS: dict[type, type] = {}


def _ccm_model_class(base: type) -> type:
    """The suite's model class extended for aes-256-ccm SAs (created once per base class)."""
    cls = _CCM_MODELS.get(base)
    if cls is not None:
        return cls

    class CcmModel(base):  # type: ignore[misc]
        """:meth:`mac_and_body` and :meth:`_judge` of the oracle for aes-256-ccm SAs."""

        def mac_and_body(self, sa: Any, key: bytes, header: bytes, sec_header: bytes, data: bytes, iv: int) -> tuple[bytes, bytes]:
            """SEC-CCM-001/002/004: CCM under the SA's key, nonce the full IV, associated data the masked AAD."""
            if sa.algorithm != CCM:
                return super().mac_and_body(sa, key, header, sec_header, data, iv)  # type: ignore[no-any-return]
            nonce = (iv % (1 << 96)).to_bytes(12, "big")
            return ccm_seal(key, nonce, data, _masked(header + sec_header, sa.abm), sa.mac_length)

        def _judge(self, sa: Any, frame: bytes) -> Any:
            """ProcessSecurity's answer for a frame of an aes-256-ccm SA: the oracle's own checks in
            the processing order (judged on a GCM twin of the SA: same key, lengths, windows), and
            then, when all of them pass, SP 800-38C 6.2 decryption-verification."""
            if sa.algorithm != CCM:
                return super()._judge(sa, frame)
            out = super()._judge(replace(sa, algorithm=GCM), frame)
            if out.accepted or out.reason != "bad_mac":
                # Only a CCM frame whose GCM tag verifies (probability 2^-128) could be accepted here.
                return out if not out.accepted else type(out)(False, "bad_mac")
            key = self.key_usable(sa)
            assert key is not None, "internal: the GCM twin had a usable key"
            lay = sa.layout
            ocf = lay.frame_type == "uslp" and bool(frame[6] & 0x08)
            hlen = (7 + (frame[6] & 0x07) if lay.frame_type == "uslp" else 5) + (1 if lay.segment_header else 0)
            start = hlen + sa.security_header_length
            data_end = len(frame) - sa.mac_length - (4 if ocf else 0) - (2 if lay.fecf else 0)
            sec = frame[hlen:start]
            t = int.from_bytes(sec[2 : 2 + sa.iv_length], "big")
            s = int.from_bytes(sec[2 + sa.iv_length : 2 + sa.iv_length + sa.sequence_number_length], "big")
            full_iv = (sa.iv + (t - sa.iv) % (1 << (8 * sa.iv_length))) % (1 << 96)
            payload = ccm_open(key, full_iv.to_bytes(12, "big"), frame[start : data_end + sa.mac_length], _masked(frame[:start], sa.abm), sa.mac_length)
            if payload is None:
                return out
            return type(out)(True, None, payload, sn_after=s if sa.sequence_number_length else sa.sn, iv_after=full_iv)

    _CCM_MODELS[base] = CcmModel
    return CcmModel


@pytest.fixture
def ccm(model: Any, spec: Any) -> Any:
    """The suite's model of this test's SAs, its oracle extended for aes-256-ccm SAs."""
    params = spec.parameters.get("ccm_parameters")
    if params is None or CCM not in model.p.key_lengths:
        inconclusive(f"{spec.ref} defines no aes-256-ccm (parameters ccm_parameters and key_lengths)")
    values = {str(k): int(v) for k, v in dict(params.value).items()}
    if values != BUILT_FOR:
        inconclusive(f"the spec under test sets ccm_parameters = {values}; this suite builds CCM frames for {BUILT_FOR}")
    model.__class__ = _ccm_model_class(type(model))
    return model


def _sa(model: Any, layout: Any, shape: tuple[int, int, int] = (12, 4, 0), **kw: Any) -> Any:
    ivl, snl, pll = shape
    return model.new_sa(layout, algorithm=CCM, iv_length=ivl, sn_length=snl, pad_length_length=pll, **kw)


def hexdiff(expected: bytes, observed: bytes) -> str:
    if expected == observed:
        return "identical"
    n = next((i for i, (a, b) in enumerate(zip(expected, observed)) if a != b), min(len(expected), len(observed)))
    return f"{len(expected)} octets expected, {len(observed)} observed; expected {expected[n:n + 8].hex()} observed {observed[n:n + 8].hex()} at octet {n}"


def _gcm_tag(key: bytes, nonce: bytes, data: bytes, aad: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key).encrypt(nonce, data, aad)[len(data) :]


def _diagnose_mac(sa: Any, key: bytes, expected: bytes, got: bytes, header: bytes, sec: bytes, data: bytes, iv: int) -> str:
    """Why a product's MAC differs from the CCM tag, when a common mistake explains it."""
    nonce = iv.to_bytes(12, "big")
    aad = _masked(header + sec, sa.abm)
    if got[: sa.mac_length] == _gcm_tag(key, nonce, data, aad)[: sa.mac_length]:
        return "it is the AES-256-GCM tag: GCM was used where the SA says aes-256-ccm"
    for t in (4, 6, 8, 10, 12, 14):
        if got[:t] == ccm_seal(key, nonce, data, aad, t)[1]:
            return f"it starts with the CCM tag of Tlen = {8 * t}: a {t}-octet tag, not Tlen = {8 * sa.mac_length}"
    if got[: sa.mac_length] == ccm_seal(key, nonce, data, header + sec, sa.mac_length)[1]:
        return "it is the CCM tag over the unmasked header: the authentication bit mask was ignored"
    return f"MAC {got[: sa.mac_length].hex()}, expected the CCM tag {expected.hex()}"


def _check_apply(model: Any, iut: Any, layout: Any, spi: int, data: bytes, what: str) -> bytes:
    """ApplySecurity of ``data`` on CCM SA ``spi`` equals the oracle's protected frame."""
    sa = model.sas[spi]
    iv = (sa.iv + 1) % (1 << 96)
    clear = layout.clear_frame(data)
    expected = model.expect_apply(clear, spi)
    got = bytes(iut.apply_security(clear, spi))
    if got == expected:
        return got
    hl = layout.header_length
    start = hl + sa.security_header_length
    end = len(expected) - sa.tail_length()
    key = model.keys[sa.key_id][0]
    if len(got) != len(expected):
        why = ""
        if start + len(data) <= len(got) - (sa.tail_length() - sa.mac_length):
            got_mac = got[start + len(data) : len(got) - (sa.tail_length() - sa.mac_length)]
            why = "; " + _diagnose_mac(sa, key, expected[end : end + sa.mac_length], got_mac, expected[:hl], expected[hl:start], data, iv)
        raise AssertionError(
            f"{what}protected frame of {len(got)} octets, expected {len(expected)} (data field {len(data)} octets, "
            f"MAC {sa.mac_length} octets: Tlen = {8 * sa.mac_length}){why}"
        )
    assert got[:start] == expected[:start], f"{what}headers differ (SEC-AES-001 layout, SEC-AES-004 length): {hexdiff(expected[:start], got[:start])}"
    assert got[start:end] == expected[start:end], (
        f"{what}protected data field is not the AES-256-CCM ciphertext of the clear data under the SA's key with the "
        f"full IV {iv:024x} as nonce: {hexdiff(expected[start:end], got[start:end])}"
    )
    mac_e, mac_g = expected[end : end + sa.mac_length], got[end : end + sa.mac_length]
    assert mac_g == mac_e, f"{what}" + _diagnose_mac(sa, key, mac_e, mac_g, expected[:hl], expected[hl:start], data, iv)
    raise AssertionError(f"{what}protected frame differs: {hexdiff(expected, got)}")


def _apply_premise(model: Any, iut: Any, layout: Any, data: bytes, what: str) -> None:
    """Premise: a 12-octet-IV, all-ones-mask CCM SA of ``layout`` is applied as the spec says."""
    sa = _sa(model, layout)
    clear = layout.clear_frame(data)
    expected = model.expect_apply(clear, sa.spi)
    got = bytes(iut.apply_security(clear, sa.spi))
    if got != expected:
        inconclusive(f"{what}ApplySecurity of a 12-octet-IV aes-256-ccm SA with an all-ones mask differs from the spec's frame (judged by SEC-CCM-001): this test cannot go on")


def _mac_check_premise(model: Any, layout: Any, data: bytes, what: str) -> None:
    """Premise: a frame of a CCM SA is accepted untampered and rejected with one MAC bit flipped."""
    sa = _sa(model, layout)
    base = model.snapshot(sa.spi)
    frame = model.protect(sa.spi, data)
    mac_bit = model.regions(sa.spi, frame)["mac"][5]
    model.process(model.refecf(sa.spi, model.oracle_flip(frame, mac_bit)), f"{what}premise, a MAC bit flipped: ", premise="SEC-CCM-003")
    model.configure(copy.deepcopy(base))
    model.process(frame, f"{what}premise, the valid frame: ", premise="SEC-CCM-003")


# --------------------------------------------------------------------------------------------------
# SEC-CCM-001: CCM ciphertext and tag, layout, length and FECF


@pytest.mark.requirement("SEC-CCM-001")
@pytest.mark.parametrize("data_length", [1, 16, 300], ids=["data1", "data16", "data300"])
def test_ccm_ciphertext_and_tag_known_answer(ccm: Any, iut: Any, layout: Any, data_length: int, data_field: Any) -> None:
    """SP 800-38C 6.1 with the full 12-octet IV as nonce and a 16-octet tag; the frame as SEC-AES-001
    lays it out, frame length and FECF as SEC-AES-004 (all-ones mask); two consecutive frames."""
    sa = _sa(ccm, layout)
    for n in range(2):
        _check_apply(ccm, iut, layout, sa.spi, data_field(data_length + n, 200 + n), f"frame {n}: ")


@pytest.mark.requirement("SEC-CCM-001")
def test_ccm_fresh_iv_per_frame(ccm: Any, iut: Any, ftype: Any, data_field: Any) -> None:
    """SEC-CCM-001 via SEC-AES-006: each frame takes the SA's IV + 1 as IV and nonce, also across
    the 2^96 wrap; eight frames of the same data give eight different ciphertexts."""
    sa = _sa(ccm, ftype, iv=(1 << 96) - 3)
    bodies = set()
    hl = ftype.header_length
    for n in range(8):
        got = _check_apply(ccm, iut, ftype, sa.spi, data_field(16, 210), f"frame {n} (IV {(sa.iv + 1) % (1 << 96):024x}): ")
        bodies.add(got[hl + sa.security_header_length :])
    assert len(bodies) == 8, "equal protected data fields and MACs for the same data: a nonce was used twice"


# --------------------------------------------------------------------------------------------------
# SEC-CCM-002: the associated data is the masked AAD


@pytest.mark.requirement("SEC-CCM-002")
def test_ccm_tag_covers_masked_header(ccm: Any, iut: Any, layout: Any, data_field: Any) -> None:
    """SP 800-38C A.2.2 with the AAD of SEC-AES-003: the mask clears the spare bits, the frame length
    and the TC frame sequence number / USLP VC frame count, all non-zero in these frames."""
    _apply_premise(ccm, iut, layout, data_field(12, 220), "")
    sa = _sa(ccm, layout, clearing_mask=True)
    for n in range(2):
        _check_apply(ccm, iut, layout, sa.spi, data_field(12 + 5 * n, 221 + n), f"frame {n}, clearing mask: ")


@pytest.mark.requirement("SEC-CCM-002")
def test_ccm_cleared_header_bits_not_authenticated(ccm: Any, layout: Any, data_field: Any) -> None:
    """A received frame whose only changes are in bits the mask clears is accepted (and one whose
    kept header bits changed is rejected: the mask clears no more than it says)."""
    _mac_check_premise(ccm, layout, data_field(12, 229), "")
    sa = _sa(ccm, layout, clearing_mask=True)
    frame = ccm.protect(sa.spi, data_field(12, 230))
    base = ccm.snapshot(sa.spi)
    ccm.process(frame, "the untampered frame (the MAC over the masked header): ")
    ccm.configure(copy.deepcopy(base))
    regions = ccm.regions(sa.spi, frame)
    assert regions["header_cleared"], "internal: the clearing mask clears no header bit"
    seen = ccm.flips(sa.spi, frame, regions["header_cleared"], "cleared bit: ")
    assert set(seen) == {"accepted"}
    seen = ccm.flips(sa.spi, frame, regions["header_kept"][::3], "kept bit: ", only_mac=True)
    assert "accepted" not in seen


# --------------------------------------------------------------------------------------------------
# SEC-CCM-003: decryption-verification


@pytest.mark.requirement("SEC-CCM-003")
def test_ccm_process_accepts_and_delivers(ccm: Any, iut: Any, layout: Any, data_field: Any) -> None:
    """SP 800-38C 6.2: frames protected by the oracle, and then one protected by the product itself
    (when its ApplySecurity is right: SEC-CCM-001), are accepted with their clear data field."""
    sa = _sa(ccm, layout)
    for n, length in enumerate((1, 12, 300)):
        ccm.process(ccm.protect(sa.spi, data_field(length, 240 + n)), f"frame {n} ({length} octets of data): ")
    base = ccm.snapshot(sa.spi)
    clear = layout.clear_frame(data_field(12, 245))
    expected = ccm.expect_apply(clear, sa.spi)
    own = bytes(iut.apply_security(clear, sa.spi))
    if own != expected:
        inconclusive("the product's own protected frame differs from the spec's (judged by SEC-CCM-001): the round trip cannot be judged")
    ccm.configure(base)
    ccm.process(own, "the product's own protected frame: ")


@pytest.mark.requirement("SEC-CCM-003")
def test_ccm_every_single_bit_change_rejected(ccm: Any, ftype: Any, data_field: Any) -> None:
    """Each flip of a kept header bit, security header, data or MAC bit is rejected, with no payload:
    bad_mac within the window, else the reason of the processing order."""
    sa = _sa(ccm, ftype, (12, 2, 1), sn=0x0100, window=8)
    frame = ccm.protect(sa.spi, data_field(8, 250))
    regions = ccm.regions(sa.spi, frame)
    bits = regions["header_kept"] + regions["spi"] + regions["iv"] + regions["sn"] + regions["pad"] + regions["data"] + regions["mac"]
    seen = ccm.flips(sa.spi, frame, bits, "tamper: ", only_mac=True)
    assert "accepted" not in seen
    ccm.process(frame, "the untampered frame after all the rejections: ")


@pytest.mark.requirement("SEC-CCM-003")
def test_ccm_gcm_frame_rejected(ccm: Any, ftype: Any, data_field: Any) -> None:
    """A frame whose data field and MAC are AES-256-GCM under the CCM SA's key and IV is not a CCM
    frame: bad_mac (a product must run the algorithm the SA names)."""
    sa = _sa(ccm, ftype)
    base = ccm.snapshot(sa.spi)
    gcm_frame = ccm.protect(sa.spi, data_field(12, 255))  # built as CCM, then its body replaced by GCM
    key = ccm.keys[sa.key_id][0]
    start = ftype.header_length + sa.security_header_length
    iv = (sa.iv + 1) % (1 << 96)
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    body = AESGCM(key).encrypt(iv.to_bytes(12, "big"), data_field(12, 255), _masked(gcm_frame[:start], sa.abm))
    gcm_frame = ccm.refecf(sa.spi, gcm_frame[:start] + body + gcm_frame[start + len(body) :])
    ccm.process(gcm_frame, "AES-256-GCM frame on an aes-256-ccm SA: ")
    ccm.configure(base)
    ccm.process(ccm.protect(sa.spi, data_field(12, 255)), "the CCM frame afterwards: ")


# --------------------------------------------------------------------------------------------------
# SEC-CCM-004: the nonce is the full 12-octet IV


def _nonce_of_transmitted_octets(sa: Any, iv: int) -> int:
    return int(iv % (1 << (8 * sa.iv_length)))


@pytest.mark.requirement("SEC-CCM-004")
@pytest.mark.parametrize("shape", SHORT_IV_SHAPES, ids=[f"iv{a}-sn{b}-pl{c}" for a, b, c in SHORT_IV_SHAPES])
def test_ccm_nonce_is_the_full_iv_on_apply(ccm: Any, iut: Any, ftype: Any, shape: tuple[int, int, int], data_field: Any) -> None:
    """With only iv_length IV octets transmitted, ApplySecurity's nonce is still the full IV, with the
    carry out of the transmitted octets into the untransmitted ones."""
    _apply_premise(ccm, iut, ftype, data_field(12, 260), "")
    ivl = shape[0]
    start = 0x0A0B0C0D0E0F101112131415 | ((1 << (8 * ivl)) - 2)  # the transmitted octets ...FE
    sa = _sa(ccm, ftype, shape, iv=start)
    for n in range(3):
        iv = (sa.iv + 1) % (1 << 96)
        _check_apply(ccm, iut, ftype, sa.spi, data_field(12, 261 + n), f"frame {n} (IV {iv:024x}, {ivl} octets transmitted): ")


@pytest.mark.requirement("SEC-CCM-004")
@pytest.mark.parametrize("shape", SHORT_IV_SHAPES, ids=[f"iv{a}-sn{b}-pl{c}" for a, b, c in SHORT_IV_SHAPES])
def test_ccm_nonce_is_the_full_iv_on_process(ccm: Any, ftype: Any, shape: tuple[int, int, int], data_field: Any) -> None:
    """ProcessSecurity verifies under the IV formed as SEC-ARP-002 forms it (carry included): frames
    protected under it are accepted, a frame protected under its transmitted octets alone as nonce
    is rejected with bad_mac."""
    _mac_check_premise(ccm, ftype, data_field(12, 270), "")
    ivl = shape[0]
    sa = _sa(ccm, ftype, shape, iv=0x0A0B0C0D0E0F101112131415 | ((1 << (8 * ivl)) - 1), window=4)
    for n in range(3):
        ccm.process(ccm.protect(sa.spi, data_field(12, 271 + n)), f"frame {n} (IV {(sa.iv + 1) % (1 << 96):024x}): ")
    base = ccm.snapshot(sa.spi)
    iv = (sa.iv + 1) % (1 << 96)
    wrong = _nonce_of_transmitted_octets(sa, iv)
    forged = ccm.protect(sa.spi, data_field(12, 275), iv=wrong, transmitted_iv=iv)
    ccm.process(forged, f"a frame whose nonce is the transmitted IV octets alone ({wrong:024x}, not {iv:024x}): ")
    ccm.configure(base)
    ccm.process(ccm.protect(sa.spi, data_field(12, 275)), "the frame under the full IV afterwards: ")


# --------------------------------------------------------------------------------------------------
# SEC-CCM-005: authenticated encryption only


@pytest.mark.requirement("SEC-CCM-005")
@pytest.mark.parametrize("service", ["authentication", "encryption"])
def test_ccm_other_services_refused(ccm: Any, iut: Any, ftype: Any, service: str) -> None:
    """configure_sa refuses an aes-256-ccm SA of the authentication or encryption service (an
    authenticated-encryption one is accepted: the refusal is about the service)."""
    sa = _sa(ccm, ftype)
    other = replace(sa, service_type=service, spi=ccm.alloc.spi())
    assert refusal(iut.configure_sa, other.to_dict()) is not None, f"configure_sa accepted an aes-256-ccm SA of service {service}"


# --------------------------------------------------------------------------------------------------
# SEC-CCM-006: AES-256 keys only


@pytest.mark.requirement("SEC-CCM-006")
@pytest.mark.parametrize("key_length", [16, 24])
def test_ccm_key_of_another_length_unusable(ccm: Any, iut: Any, ftype: Any, key_length: int, data_field: Any) -> None:
    """A 16-octet (AES-128) or 24-octet (AES-192) key under an aes-256-ccm SA is not usable:
    ApplySecurity refuses, and a frame protected with AES-128/192-CCM under it is rejected with
    key_not_active."""
    key_id, _ = ccm.new_key(CCM, length=key_length)
    sa = _sa(ccm, ftype, key_id=key_id)
    assert ccm.expect_apply(ftype.clear_frame(data_field(12, 280)), sa.spi) is None, "internal: the oracle would use the key"
    assert refusal(iut.apply_security, ftype.clear_frame(data_field(12, 280)), sa.spi) is not None, (
        f"ApplySecurity protected a frame of an aes-256-ccm SA with a {key_length}-octet key (AES-{8 * key_length}-CCM)"
    )
    ccm.process(ccm.protect(sa.spi, data_field(12, 281)), f"AES-{8 * key_length}-CCM frame: ")
