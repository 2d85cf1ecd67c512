"""Key lifecycle and the 355.1-B-1 extended procedures of the reference (SEC-KEY-001..008):
OTAR, activate/deactivate/destroy (all or nothing), verify, SA rekey/start/stop/expire/status,
set/read ARSN, alarm flag reset, and PDUs that are truncated or of the wrong length."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given
from hypothesis import strategies as st
from sec_helpers import AES_KEY, MASTER, MASTER_ID, SM4_KEY, make_sa, otar_pdu, product, tc_clear

from orbitcert.reference_impl.security import crypto
from orbitcert.reference_impl.security.iut import ReferenceLinkSecurity
from orbitcert.reference_impl.security.procedures import parse_pdu
from orbitcert.reference_impl.security.errors import ProcedureError

STATUS = {"success": 0, "malformed": 1, "unknown_procedure": 2, "unknown_key_or_sa": 3, "invalid_state": 4,
          "authentication_failed": 5}


def pdu(tag: int, value: bytes) -> bytes:
    return bytes([tag]) + (8 * len(value)).to_bytes(2, "big") + value


def status_of(reply: bytes | None, tag: int) -> int:
    assert reply is not None and reply[0] == tag | 0x80
    assert int.from_bytes(reply[1:3], "big") == 8 * (len(reply) - 3)
    return reply[3]


def _state(p: ReferenceLinkSecurity) -> Any:
    keys = {k: (v.value, v.state) for k, v in p.keys._keys.items()}
    sas = [(r.spi, r.iv, r.sn, r.state, r.ekid, r.akid) for r in p.sas]
    return copy.deepcopy((keys, sas, p.engine.alarm))


def _fresh() -> ReferenceLinkSecurity:
    p = product(make_sa(), make_sa(spi=6, state="unkeyed", ekid=None), make_sa(spi=7, state="keyed"))
    p.load_key(MASTER_ID, MASTER)
    p.load_key(30, AES_KEY, "pre-activation")
    p.load_key(31, AES_KEY, "deactivated")
    p.load_key(32, b"", "destroyed")
    return p


# -- key states (SEC-KEY-001) ------------------------------------------------------------------


@pytest.mark.parametrize("state", ["pre-activation", "deactivated", "destroyed"])
def test_inactive_keys_are_never_used(state: str) -> None:
    """SEC-KEY-001: apply refuses and process rejects key_not_active; the SA is unchanged."""
    frame = product(make_sa()).apply_security(tc_clear(b"data"), 5)
    p = product(make_sa())
    p.load_key(1, AES_KEY, state)
    with pytest.raises(Exception, match="not an active"):
        p.apply_security(tc_clear(b"data"), 5)
    result = p.process_security(frame)
    assert (result["accepted"], result["reason"]) == (False, "key_not_active")
    record = p.sas.get(5)
    assert record is not None and (record.iv, record.sn) == (0, 0)
    unknown = product(make_sa(ekid=999))
    assert unknown.process_security(frame)["reason"] == "key_not_active"


def test_load_key_refusals() -> None:
    p = product()
    with pytest.raises(Exception, match="key_id"):
        p.load_key(70000, AES_KEY)
    with pytest.raises(Exception, match="state"):
        p.load_key(3, AES_KEY, "asleep")
    with pytest.raises(Exception, match="key"):
        p.load_key(3, "not bytes")  # type: ignore[arg-type]


# -- OTAR (SEC-KEY-002) ------------------------------------------------------------------------


def test_otar_installs_keys_in_pre_activation() -> None:
    p = _fresh()
    new = [(40, bytes([40]) * 32), (41, bytes([41]) * 32)]
    assert status_of(p.extended_procedure(otar_pdu(new)), 0x01) == STATUS["success"]
    for kid, value in new:
        key = p.keys.get(kid)
        assert key is not None and key.value == value and key.state.value == "pre-activation"


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"corrupt_mac": True}, "authentication_failed"),
        ({"master": bytes(32)}, "authentication_failed"),
        ({"master_id": 31, "master": AES_KEY}, "invalid_state"),
        ({"master_id": 99}, "unknown_key_or_sa"),
    ],
    ids=["wrong-mac", "wrong-master-key", "master-deactivated", "master-unknown"],
)
def test_otar_failures_install_nothing(kwargs: dict[str, Any], status: str) -> None:
    p = _fresh()
    before = _state(p)
    reply = p.extended_procedure(otar_pdu([(40, bytes(32)), (41, bytes(32))], **kwargs))
    assert status_of(reply, 0x01) == STATUS[status]
    assert _state(p) == before


@pytest.mark.parametrize("ids", [[40, 30], [40, 40], [32]], ids=["one-in-use", "repeated", "destroyed-id"])
def test_otar_with_a_key_id_in_use_installs_nothing(ids: list[int]) -> None:
    p = _fresh()
    before = _state(p)
    reply = p.extended_procedure(otar_pdu([(k, bytes([k]) * 32) for k in ids]))
    assert status_of(reply, 0x01) == STATUS["invalid_state"]
    assert _state(p) == before


# -- activate / deactivate / destroy (SEC-KEY-003) -----------------------------------------------


def test_key_lifecycle_procedures() -> None:
    p = _fresh()
    assert status_of(p.extended_procedure(pdu(0x02, bytes.fromhex("001e"))), 0x02) == 0  # activate 30
    assert p.keys.state(30) is not None and p.keys.state(30).value == "active"  # type: ignore[union-attr]
    assert status_of(p.extended_procedure(pdu(0x03, bytes.fromhex("001e"))), 0x03) == 0  # deactivate 30
    assert status_of(p.extended_procedure(pdu(0x06, bytes.fromhex("001e001f"))), 0x06) == 0  # destroy 30, 31
    assert p.keys.get(30).state.value == "destroyed" and p.keys.get(30).value == b""  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("tag", "ids", "status"),
    [
        (0x02, [30, 1], "invalid_state"),  # 1 is active, cannot be activated
        (0x02, [30, 999], "unknown_key_or_sa"),
        (0x03, [1, 30], "invalid_state"),
        (0x06, [31, 1], "invalid_state"),  # 1 is active, not deactivated
        (0x06, [32], "invalid_state"),
    ],
)
def test_multi_key_procedures_are_all_or_nothing(tag: int, ids: list[int], status: str) -> None:
    p = _fresh()
    before = _state(p)
    value = b"".join(i.to_bytes(2, "big") for i in ids)
    assert status_of(p.extended_procedure(pdu(tag, value)), tag) == STATUS[status]
    assert _state(p) == before


# -- verify (SEC-KEY-004) ----------------------------------------------------------------------


def test_key_verification_reply() -> None:
    p = _fresh()
    p.load_key(50, SM4_KEY, "deactivated")
    challenges = [(1, b"A" * 16), (30, b"B" * 16)] + ([(50, b"C" * 16)] if crypto.sm4_gcm_supported() else [])
    value = b"".join(k.to_bytes(2, "big") + c for k, c in challenges)
    reply = p.extended_procedure(pdu(0x04, value))
    assert status_of(reply, 0x04) == 0
    data = reply[4:]  # type: ignore[index]
    assert len(data) == 46 * len(challenges)
    for i, (kid, challenge) in enumerate(challenges):
        block = data[46 * i : 46 * (i + 1)]
        assert int.from_bytes(block[:2], "big") == kid
        iv, sealed = block[2:14], block[14:]
        if kid == 50:
            decryptor = Cipher(algorithms.SM4(SM4_KEY), modes.GCM(iv, sealed[16:])).decryptor()
            assert decryptor.update(sealed[:16]) + decryptor.finalize() == challenge
        else:
            assert AESGCM(AES_KEY).decrypt(iv, sealed, b"") == challenge
    for bad, status in ((32, "invalid_state"), (999, "unknown_key_or_sa")):
        reply = p.extended_procedure(pdu(0x04, bad.to_bytes(2, "big") + b"x" * 16))
        assert status_of(reply, 0x04) == STATUS[status]


# -- SA management (SEC-KEY-005, SEC-KEY-006) ----------------------------------------------------


def _sa_state(p: ReferenceLinkSecurity, spi: int) -> int:
    reply = p.extended_procedure(pdu(0x1F, spi.to_bytes(2, "big")))
    assert status_of(reply, 0x1F) == 0 and reply is not None and reply[4:6] == spi.to_bytes(2, "big")
    return reply[6]


def test_sa_lifecycle() -> None:
    """rekey (unkeyed -> keyed, SN zeroed, IV running on), start, stop, expire, rekey again; status codes."""
    p = _fresh()
    spi = (6).to_bytes(2, "big")
    assert _sa_state(p, 6) == 1
    assert status_of(p.extended_procedure(pdu(0x16, spi + (1).to_bytes(2, "big") + b"\xff\xff")), 0x16) == 0
    record = p.sas.get(6)
    assert record is not None and (record.state, record.ekid, record.akid, record.iv, record.sn) == (
        "keyed", 1, None, 0, 0)
    assert _sa_state(p, 6) == 2
    assert status_of(p.extended_procedure(pdu(0x1B, spi)), 0x1B) == 0
    assert _sa_state(p, 6) == 3
    frame = p.apply_security(tc_clear(b"x"), 6)
    assert frame[6:8] == spi
    assert status_of(p.extended_procedure(pdu(0x1E, spi)), 0x1E) == 0
    assert _sa_state(p, 6) == 2
    assert status_of(p.extended_procedure(pdu(0x19, spi)), 0x19) == 0
    assert _sa_state(p, 6) == 4
    assert status_of(p.extended_procedure(pdu(0x16, spi + b"\x00\x01\xff\xff")), 0x16) == 0
    assert _sa_state(p, 6) == 2 and record.sn == 0
    assert record.iv == 1, "rekey must not restart the IV: IV 1 was used under key 1 and would recur (SEC-KEY-005)"


@pytest.mark.parametrize(
    ("tag", "spi", "status"),
    [
        (0x1B, 5, "invalid_state"),  # start an operational SA
        (0x1E, 7, "invalid_state"),  # stop a keyed SA
        (0x19, 5, "invalid_state"),  # expire an operational SA
        (0x1B, 6, "invalid_state"),  # start an unkeyed SA
        (0x1B, 99, "unknown_key_or_sa"),
    ],
)
def test_invalid_sa_transitions_change_nothing(tag: int, spi: int, status: str) -> None:
    p = _fresh()
    before = _state(p)
    assert status_of(p.extended_procedure(pdu(tag, spi.to_bytes(2, "big"))), tag) == STATUS[status]
    assert _state(p) == before
    rekey = pdu(0x16, (5).to_bytes(2, "big") + b"\x00\x01\x00\x01")
    assert status_of(p.extended_procedure(rekey), 0x16) == STATUS["invalid_state"]
    assert _state(p) == before


def test_set_and_read_arsn() -> None:
    """SEC-KEY-006: set ARSN replaces the SN; read ARSN replies it; processing uses the value set."""
    p = _fresh()
    frame = product(make_sa()).apply_security(tc_clear(b"x"), 5)  # SN 0001
    assert status_of(p.extended_procedure(pdu(0x1A, bytes.fromhex("00050100"))), 0x1A) == 0
    reply = p.extended_procedure(pdu(0x10, bytes.fromhex("0005")))
    assert reply is not None and status_of(reply, 0x10) == 0 and reply[4:] == bytes.fromhex("00050100")
    assert p.process_security(frame)["reason"] == "bad_sequence_number"
    p.extended_procedure(pdu(0x1A, bytes.fromhex("00050000")))
    assert p.process_security(frame)["accepted"]
    before = _state(p)
    for wrong in ("000501", "0005010203", "0005"):
        assert status_of(p.extended_procedure(pdu(0x1A, bytes.fromhex(wrong))), 0x1A) == STATUS["malformed"]
    assert _state(p) == before


# -- PDU format (SEC-KEY-007) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (bytes.fromhex("1b0010"), "malformed"),  # start: length says 2 octets, none present
        (bytes.fromhex("1b00080005"), "malformed"),  # length 1 octet, 2 present
        (bytes.fromhex("1b000f0005"), "malformed"),  # length not a multiple of 8
        (bytes.fromhex("1b001000050000"), "malformed"),  # 3 octets, length says 2
        (bytes.fromhex("1b0018000500"), "malformed"),  # start with a 3-octet value
        (bytes.fromhex("1b"), "malformed"),
        (bytes.fromhex("1b00"), "malformed"),
        (b"", "malformed"),
        (bytes.fromhex("0500100005"), "unknown_procedure"),
        (bytes.fromhex("5b00100005"), "unknown_procedure"),  # user flag set
        (bytes.fromhex("2100100005"), "unknown_procedure"),  # service group 2
        (bytes.fromhex("02000f0005"), "malformed"),
        (bytes.fromhex("020000"), "malformed"),  # activate: no key ids
        (bytes.fromhex("02001800050a"), "malformed"),  # activate: 3 octets
        (bytes.fromhex("370008ff"), "malformed"),  # alarm flag reset with a value
    ],
)
def test_bad_pdus_get_an_error_reply_and_change_nothing(raw: bytes, status: str) -> None:
    p = _fresh()
    p.engine.alarm = True
    before = _state(p)
    reply = p.extended_procedure(raw)
    assert reply is not None and reply[0] == (raw[0] if raw else 0) | 0x80
    assert reply[3] == STATUS[status]
    assert _state(p) == before


def test_truncated_otar_changes_nothing() -> None:
    p = _fresh()
    good = otar_pdu([(40, bytes(32))])
    before = _state(p)
    for cut in (1, 16, 34, 40):
        truncated = good[: len(good) - cut]
        assert status_of(p.extended_procedure(truncated), 0x01) == STATUS["malformed"]
        relabelled = pdu(0x01, truncated[3:])  # a consistent length field, but not 30 + 34n octets
        assert status_of(p.extended_procedure(relabelled), 0x01) in (STATUS["malformed"], STATUS["authentication_failed"])
    assert _state(p) == before


def test_a_reply_pdu_gets_no_reply() -> None:
    assert _fresh().extended_procedure(bytes.fromhex("9b00080000")) is None


@given(st.binary(max_size=80))
def test_arbitrary_pdus(raw: bytes) -> None:
    """Any octets: a reply with a status octet (or None for a reply PDU); no exception; an error
    reply changes nothing."""
    p = _fresh()
    before = _state(p)
    reply = p.extended_procedure(raw)
    if raw and raw[0] & 0x80:
        assert reply is None
        return
    assert reply is not None and len(reply) >= 4 and reply[3] in STATUS.values()
    if reply[3] != 0:
        assert _state(p) == before


@given(st.binary(max_size=40))
def test_pdu_decoder_raises_only_procedure_error(raw: bytes) -> None:
    try:
        tag, value = parse_pdu(raw)
    except ProcedureError as error:
        assert error.status == "malformed"
    else:
        assert len(value) == len(raw) - 3 and tag == raw[0]
