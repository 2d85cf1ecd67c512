"""SDLS TC frames from NASA CryptoLib's public unit tests (github.com/nasa/CryptoLib,
test/unit/ut_tc_process.c), the strongest independent oracle of the reference.

Each frame was first checked with ``cryptography`` alone (:func:`test_frames_checked_with_cryptography_alone`):
decrypt and verify the MAC with the AAD CryptoLib's SA implies, before the reference sees it.

CryptoLib conventions versus this spec, and how the SAs below adapt (the spec is never adapted):

* CryptoLib's SAs in these tests carry an all-zero ABM (``abm`` zeroed by ``sa_populate``), so
  the AAD is the right number of zero octets: ``authentication_bit_mask`` is all zeros here.
* Its TC frames carry a segment header (``TC_HAS_SEGMENT_HDRS``): ``segment_header: true``.
* Transmitted IV octets are the low-order octets of the 12-octet IV, as in the spec; with
  ``SA_INCREMENT_NONTRANSMITTED_IV_TRUE`` a wrap carries into the untransmitted part exactly as
  SEC-ARP-002's "last + d mod 2^96"; with ``..._FALSE`` (test HAPPY_PATH_PROCESS_STATIC_IV_ROLLOVER)
  it does not, so that test's third frame is encrypted under a different IV: under this spec it is
  a frame with a wrong MAC (bad_mac), which is what the reference must say.
* CryptoLib checks the IV before the ARSN; the spec checks the sequence number first (SEC-ARP-002),
  which changes no verdict for these frames.
"""

from __future__ import annotations

import binascii

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from orbitcert.reference_impl.security.iut import create

#: CryptoLib key_interface_internal.template.c key 130 (FEDCBA9876543210 x 4).
KEY_130 = bytes.fromhex("FEDCBA9876543210" * 4)
#: The NIST key the tests load into key 136.
KEY_136 = bytes.fromhex("ef9f9284cf599eac3b119905a7d18851e7e374cf63aea04358586b0f757670f8")
PING = "80d2c70008197f0b00310000b1fe"  # CryptoLib's SDLS ping payload

# HAPPY_PATH_PROCESS_NONTRANSMITTED_INCREMENTING_IV_ROLLOVER (and the first two frames of
# HAPPY_PATH_PROCESS_STATIC_IV_ROLLOVER): SA 4, AES-256-GCM, key 130, shivf_len 6, no ARSN,
# 16-octet MAC, FECF, last IV 000000000000FFFFFFFFFFFD.
ROLLOVER_FE = "2003002D00000004FFFFFFFFFFFE610B082EA91C8AA93F08EAA642EA3189128D87159B2354AA753248F050022FD9"
ROLLOVER_FF = "2003002D00000004FFFFFFFFFFFFCECBA30A6E0B54ACE0D5F92D1360084822CFA46240C0CD7D6830A6A7771ECFEC"
ROLLOVER_00_CARRY = "2003002D00000004000000000000CEB2378F0F335664496406AC4F3A2ABFFD8678CB76DD009D7FE5B425BB96F567"
# HAPPY_PATH_PROCESS_STATIC_IV_ROLLOVER third frame: IV 000000000000000000000000 (no carry).
ROLLOVER_00_NO_CARRY = "2003002D0000000400000000000064DB31BBC4656F072A8E4A706F9508C440A003496E8A71FD47621297DDCC393C"

# GCM_IV_AND_ARSN: SA 9, AES-256-GCM, key 136, 12-octet IV, 2-octet ARSN, window 5, no FECF
# (TC_NO_FECF), last IV b6ac8e4963f49207ffd6374b, last ARSN 0123.
_P = "2003003500FF0009B6AC8E4963F49207FFD637"
GOOD_IV_BAD_ARSN = _P + "4C01231224DFEFB72A20D49E0925690887497951E393DBFEB6FBBC2FF8486D8050B099"
BAD_IV_GOOD_ARSN = _P + "4B01241224DFEFB72A20D49E09256908874979ED73F3B3363E24D6A3400BAFA8AE3F86"
GOOD_IV_HIGH_ARSN = _P + "4BFFFE1224DFEFB72A20D49E09256908874979ED73F3B3363E24D6A3400BAFA8AE3F86"
GOOD_IV_GOOD_ARSN = _P + "4C01241224DFEFB72A20D49E0925690887497951E393DBFEB6FBBC2FF8486D8050B099"
GAP_IV_GAP_ARSN = _P + "5101291224DFEFB72A20D49E09256908874979E825D7A95C2A3106D97FA136847968EA"
NIST_PT = "722ee47da4b77424733546c2d400c4e5"

# Malformed inputs (published frames that are not self-consistent):
# TC_PROCESS_IGNORE_SA_STATE runs with TC_CHECK_FECF_FALSE; its frame's FECF does not verify.
BAD_FECF = "2003002719C00004000000000000000000000001ABBA571508526C3B9ED27B938C1B7B5F2343FECF"
# ERROR_TC_INPUT_FRAME_TOO_SHORT_FOR_SPECIFIED_FRAME_LENGTH_HEADER: length field 0x026 (39 octets)
# on a 38-octet frame.
BAD_LENGTH = "200304260000020000000000000000000000309e09deeaa375487983a89f3ed7519a230baf22"


def _sa(spi: int, key_id: int, iv: str, iv_length: int, sn: str, fecf: bool, aad_length: int) -> dict[str, object]:
    return {
        "spi": spi, "frame_type": "tc", "segment_header": True, "fecf": fecf,
        "service_type": "authenticated_encryption", "algorithm": "aes-256-gcm", "ekid": key_id, "akid": None,
        "iv_length": iv_length, "sequence_number_length": len(sn) // 2, "pad_length_length": 0, "mac_length": 16,
        "authentication_bit_mask": "00" * aad_length, "anti_replay_window": 5, "iv": iv, "sequence_number": sn,
        "state": "operational",
    }


def _sa4(iv_length: int = 6) -> dict[str, object]:
    return _sa(4, 130, "000000000000FFFFFFFFFFFD", iv_length, "", True, 64)


def _sa9() -> dict[str, object]:
    return _sa(9, 136, "b6ac8e4963f49207ffd6374b", 12, "0123", False, 64)


def _open(frame_hex: str, key: bytes, iv: str, iv_length: int, sn_length: int, fecf: bool) -> bytes | None:
    frame = bytes.fromhex(frame_hex)
    header_end = 8 + iv_length + sn_length
    end = len(frame) - (2 if fecf else 0)
    if fecf:
        assert binascii.crc_hqx(frame[:-2], 0xFFFF) == int.from_bytes(frame[-2:], "big")
    try:
        return AESGCM(key).decrypt(bytes.fromhex(iv), frame[header_end:end], bytes(header_end))
    except Exception:  # noqa: BLE001 - InvalidTag
        return None


def test_frames_checked_with_cryptography_alone() -> None:
    """Before the reference: each frame decrypts with AESGCM and an all-zero AAD of header length."""
    assert _open(ROLLOVER_FE, KEY_130, "000000000000FFFFFFFFFFFE", 6, 0, True) == bytes.fromhex(PING)
    assert _open(ROLLOVER_FF, KEY_130, "000000000000FFFFFFFFFFFF", 6, 0, True) == bytes.fromhex(PING)
    assert _open(ROLLOVER_00_CARRY, KEY_130, "000000000001000000000000", 6, 0, True) == bytes.fromhex(PING)
    assert _open(ROLLOVER_00_NO_CARRY, KEY_130, "000000000000000000000000", 6, 0, True) == bytes.fromhex(PING)
    assert _open(ROLLOVER_00_NO_CARRY, KEY_130, "000000000001000000000000", 6, 0, True) is None
    assert _open(GOOD_IV_GOOD_ARSN, KEY_136, "b6ac8e4963f49207ffd6374c", 12, 2, False) == bytes.fromhex(NIST_PT)
    assert _open(GAP_IV_GAP_ARSN, KEY_136, "b6ac8e4963f49207ffd63751", 12, 2, False) is not None
    # the IV-replay frame's MAC verifies: only the anti-replay window can reject it
    assert _open(BAD_IV_GOOD_ARSN, KEY_136, "b6ac8e4963f49207ffd6374b", 12, 2, False) is not None
    frame = bytes.fromhex(BAD_FECF)
    assert binascii.crc_hqx(frame[:-2], 0xFFFF) != int.from_bytes(frame[-2:], "big")
    frame = bytes.fromhex(BAD_LENGTH)
    assert (((frame[2] & 3) << 8) | frame[3]) + 1 != len(frame)


def test_iv_rollover_with_carry_nontransmitted_incrementing() -> None:
    """ut_tc_process.c HAPPY_PATH_PROCESS_NONTRANSMITTED_INCREMENTING_IV_ROLLOVER: three frames
    FE, FF, 00 accepted; the SA IV ends at 000000000001000000000000 (SEC-ARP-002 carry)."""
    p = create()
    p.load_key(130, KEY_130)
    p.configure_sa(_sa4())
    for frame in (ROLLOVER_FE, ROLLOVER_FF, ROLLOVER_00_CARRY):
        result = p.process_security(bytes.fromhex(frame))
        assert result["accepted"], result
        assert result["payload"] == bytes.fromhex(PING)
    assert p.sas.get(4) is not None and p.sas.get(4).iv == 0x000000000001000000000000  # type: ignore[union-attr]


def test_iv_rollover_without_carry_is_a_bad_mac_under_this_spec() -> None:
    """ut_tc_process.c HAPPY_PATH_PROCESS_STATIC_IV_ROLLOVER: CryptoLib's no-carry convention
    encrypts the third frame under IV 0; the spec's IV is 000000000001000000000000, so bad_mac."""
    p = create()
    p.load_key(130, KEY_130)
    p.configure_sa(_sa4())
    assert p.process_security(bytes.fromhex(ROLLOVER_FE))["accepted"]
    assert p.process_security(bytes.fromhex(ROLLOVER_FF))["accepted"]
    result = p.process_security(bytes.fromhex(ROLLOVER_00_NO_CARRY))
    assert (result["accepted"], result["reason"]) == (False, "bad_mac")


def test_reference_reproduces_the_rollover_frames() -> None:
    """ApplySecurity of CryptoLib's ping under the same SA gives exactly the published frames."""
    p = create()
    p.load_key(130, KEY_130)
    p.configure_sa(_sa4())
    clear = bytes.fromhex("2003001500" + "00" + PING + "0000")
    out = [p.apply_security(clear, 4).hex().upper() for _ in range(3)]
    assert out == [ROLLOVER_FE, ROLLOVER_FF, ROLLOVER_00_CARRY]


def test_gcm_iv_and_arsn_sequence() -> None:
    """ut_tc_process.c GCM_IV_AND_ARSN in CryptoLib's order: ARSN replay, IV replay (MAC verifies),
    ARSN out of window rejected with the SA unchanged; then next and gap frames accepted."""
    p = create()
    p.load_key(136, KEY_136)
    p.configure_sa(_sa9())
    sa = p.sas.get(9)
    assert sa is not None
    before = (sa.iv, sa.sn, sa.state)
    expected = [
        (GOOD_IV_BAD_ARSN, "bad_sequence_number"),
        (BAD_IV_GOOD_ARSN, "bad_iv"),
        (GOOD_IV_HIGH_ARSN, "bad_sequence_number"),
    ]
    for frame, reason in expected:
        result = p.process_security(bytes.fromhex(frame))
        assert (result["accepted"], result["reason"]) == (False, reason)
        assert result["fsr"]["bad_sn"] and result["fsr"]["alarm"]
        assert (sa.iv, sa.sn, sa.state) == before
    good = p.process_security(bytes.fromhex(GOOD_IV_GOOD_ARSN))
    assert good["accepted"] and good["payload"] == bytes.fromhex(NIST_PT)
    assert (sa.iv & 0xFF, sa.sn) == (0x4C, 0x0124)
    gap = p.process_security(bytes.fromhex(GAP_IV_GAP_ARSN))
    assert gap["accepted"] and gap["fsr"]["sn_lsb"] == 0x29
    assert (sa.iv & 0xFF, sa.sn) == (0x51, 0x0129)


def test_reference_reproduces_the_gcm_iv_and_arsn_frame() -> None:
    """ApplySecurity of the NIST plaintext under SA 9 reproduces GOOD_IV_GOOD_ARSN exactly."""
    p = create()
    p.load_key(136, KEY_136)
    p.configure_sa(_sa9())
    clear = bytes.fromhex("2003001500FF" + NIST_PT)
    assert p.apply_security(clear, 9).hex().upper() == GOOD_IV_GOOD_ARSN.upper()


@pytest.mark.parametrize(
    ("frame", "sa"),
    [(BAD_FECF, _sa(4, 130, "00" * 12, 12, "", True, 64)), (BAD_LENGTH, _sa(0x0200, 130, "00" * 12, 12, "", True, 64))],
    ids=["fecf-does-not-verify", "length-field-disagrees"],
)
def test_malformed_published_frames(frame: str, sa: dict[str, object]) -> None:
    """Published frames with a wrong FECF (TC_PROCESS_IGNORE_SA_STATE, FECF check disabled there)
    or a wrong frame length field (ERROR_TC_INPUT_FRAME_TOO_SHORT_FOR_SPECIFIED_FRAME_LENGTH_HEADER)
    are malformed (SEC-AES-007) and leave the SA unchanged."""
    p = create()
    p.load_key(130, KEY_130)
    p.configure_sa(sa)
    record = p.sas.get(int(sa["spi"]))  # type: ignore[call-overload]
    assert record is not None
    before = (record.iv, record.sn)
    result = p.process_security(bytes.fromhex(frame))
    assert (result["accepted"], result["reason"]) == (False, "malformed")
    assert (record.iv, record.sn) == before
