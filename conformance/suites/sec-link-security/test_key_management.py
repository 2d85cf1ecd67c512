"""Conformance suite of sec-link-security, class ``key-management`` (CCSDS 355.1-B-1 sections 3
to 6, 355.0-B-2 2.3.3 and its frame security report annex).

Procedure PDUs are built and replies parsed by the suite's oracle (``conftest.py``, parameters
``ep_pdu``, ``ep_status``, ``ep_procedures``, ``ep_otar``, ``ep_key_list``, ``ep_verify``,
``ep_sa``, ``sa_state_codes``); OTAR key blocks are encrypted and verification replies decrypted
with ``cryptography``. Key states are observed through their use (an active key protects frames,
others give key_not_active) and through key verification (destroyed or unknown keys get an
error). AES-256-GCM authenticated-encryption SAs on TC and USLP frames; TM and AOS are not
exercised by this suite version.

Reading of ep_otar taken here (the text is ambiguous): each key block is the key id, in the
clear, and the encrypted 32-octet key; the plaintext of the one GCM encryption is the
concatenation of the delivered keys.
"""

from __future__ import annotations

from typing import Any

import pytest

from orbitcert.conformance import inconclusive, refusal

PREMISE = "the SEC-AES, SEC-ARP and SEC-KEY-001 tests"
OTAR_IV = bytes.fromhex("a0a1a2a3a4a5a6a7a8a9aaab")


def _usable(model: Any, iut: Any, ftype: Any, key_id: int, data: bytes, what: str, spi: int | None = None) -> bool:
    """Whether key ``key_id`` (an AES key the model knows) protects frames: an SA (the test's probe
    SPI, or ``spi``) configured with it accepts a frame protected with it (active) or rejects it
    with key_not_active (any other state), and ApplySecurity works or is refused accordingly.
    When a key the model holds inactive is used, a control key provisioned in that same state
    tells a product that ignores key states (SEC-KEY-001: inconclusive here) from one whose
    procedure changed the key's state (a failure)."""
    probe = model.probe_spi() if spi is None else spi
    sa = model.new_sa(ftype, key_id=key_id, spi=probe)
    key, state = model.keys[key_id]
    got = iut.process_security(model.protect(sa.spi, data, key=key))
    active = state == "active"
    want = "accepted" if active else "rejected (key_not_active)"
    seen = "accepted" if got["accepted"] else f"rejected ({got['reason']})"
    applied = refusal(iut.apply_security, ftype.clear_frame(data), sa.spi) is None
    if not active and (got["accepted"] or applied):
        _control_inactive(model, iut, ftype, state, data, probe)
    assert seen == want, f"{what}: frame under key {key_id} (state {state}) expected {want}, observed {seen}"
    assert applied == active, f"{what}: ApplySecurity {'refused' if active else 'used'} key {key_id} in state {state}"
    live = model.sas[sa.spi]
    for moved in (got["accepted"], applied):
        if moved:
            live.iv, live.sn = live.iv + 1, (live.sn + 1) % live.sn_modulus
    return bool(active)


def _control_inactive(model: Any, iut: Any, ftype: Any, state: str, data: bytes, spi: int) -> None:
    kid, key = model.new_key(state=state)
    sa = model.new_sa(ftype, key_id=kid, spi=spi)
    got = iut.process_security(model.protect(sa.spi, data, key=key))
    if got["accepted"] or refusal(iut.apply_security, ftype.clear_frame(data), sa.spi) is None:
        inconclusive(f"the product uses a key provisioned {state} (SEC-KEY-001 fails it): its key states cannot be observed through their use")


def _verifiable(ep: Any, key_id: int, what: str, expect: bool) -> None:
    r = ep.call(ep.verify([(key_id, bytes(16))]), what + "verify: ")
    ok = r.status == ep.p.ep_status["success"]
    assert ok == expect, f"{what}: verification of key {key_id} replied {ep.status_name(r.status)}, expected {'success' if expect else 'an error'}"


# --- SEC-KEY-001 ---------------------------------------------------------------------------------


@pytest.mark.requirement("SEC-KEY-001")
@pytest.mark.parametrize("state", ["pre-activation", "deactivated", "destroyed", "unknown", "wrong-length"])
def test_inactive_key_never_used(model: Any, iut: Any, ftype: Any, state: str, data_field: Any, oracle: Any) -> None:
    """355.1-B-1 3.2: a key not active (or of the wrong length for the algorithm: parameter
    key_lengths) is never used: ApplySecurity refuses and ProcessSecurity says key_not_active."""
    kid = model.alloc.key_id()
    key = oracle.suite_key(kid, 32)
    if state == "wrong-length":
        model.load_key(kid, key[:16], "active")
    elif state != "unknown":
        model.load_key(kid, key, state)
    sa = model.new_sa(ftype, key_id=kid)
    frame = model.protect(sa.spi, data_field(12, 400), key=key)
    assert refusal(iut.apply_security, ftype.clear_frame(data_field(12, 400)), sa.spi) is not None, f"ApplySecurity used a key that is {state}"
    model.process(frame, f"frame under a key that is {state}: ")


@pytest.mark.requirement("SEC-KEY-001", "SEC-KEY-003")
def test_key_deactivated_by_procedure_no_longer_used(model: Any, iut: Any, ep: Any, ftype: Any, data_field: Any) -> None:
    """355.1-B-1 3.2, 3.5: once deactivated (and then destroyed), a key that protected frames is used no more."""
    kid, _ = model.new_key()
    sa = model.new_sa(ftype, key_id=kid)
    model.process(model.protect(sa.spi, data_field(12, 410)), "key active: ")
    ep.ok(ep.keys("deactivate", [kid]), "deactivate: ")
    model.keys[kid] = (model.keys[kid][0], "deactivated")
    assert refusal(iut.apply_security, ftype.clear_frame(data_field(12, 411)), sa.spi) is not None, "ApplySecurity used a deactivated key"
    model.process(model.protect(sa.spi, data_field(12, 412)), "key deactivated: ")
    ep.ok(ep.keys("destroy", [kid]), "destroy: ")
    model.keys[kid] = (model.keys[kid][0], "destroyed")
    assert refusal(iut.apply_security, ftype.clear_frame(data_field(12, 413)), sa.spi) is not None, "ApplySecurity used a destroyed key"
    model.process(model.protect(sa.spi, data_field(12, 414)), "key destroyed: ")


# --- SEC-KEY-002 OTAR ----------------------------------------------------------------------------


def _new_master(model: Any, state: str = "active") -> tuple[int, bytes]:
    kid, key = model.new_key("aes-256-gcm", state)
    return int(kid), bytes(key)


@pytest.mark.requirement("SEC-KEY-002")
def test_otar_naming_a_key_twice_installs_nothing(model: Any, ep: Any, oracle: Any) -> None:
    """ep_otar: an OTAR naming one key id twice (two different keys for it) is refused with
    invalid_state and installs neither, whatever the order the product would take them in."""
    mid, mkey = _new_master(model)
    kid = model.alloc.key_id()
    keys = [(kid, oracle.suite_key(kid, 32, "first")), (kid, oracle.suite_key(kid, 32, "second"))]
    ep.error(ep.otar(mid, mkey, keys, OTAR_IV), "OTAR naming a key id twice: ", "invalid_state")
    ep.error(ep.keys("activate", [kid]), "activating the key id the refused OTAR named twice: ", "unknown_key_or_sa")


@pytest.mark.requirement("SEC-KEY-002")
def test_otar_installs_keys_pre_activation(model: Any, iut: Any, ep: Any, ftype: Any, oracle: Any, data_field: Any) -> None:
    """355.1-B-1 3.3: an authentic OTAR installs each delivered key, in the pre-activation state."""
    mid, mkey = _new_master(model)
    k1, k2 = model.alloc.key_id(), model.alloc.key_id()
    keys = [(k1, oracle.suite_key(k1, 32, "otar")), (k2, oracle.suite_key(k2, 32, "otar"))]
    r = ep.ok(ep.otar(mid, mkey, keys, OTAR_IV), "OTAR: ")
    assert r.data == b"", f"OTAR reply data {r.data.hex()}, expected none"
    for kid, key in keys:
        model.keys[kid] = (key, "pre-activation")
        _usable(model, iut, ftype, kid, data_field(12, 420), f"delivered key {kid} before activation")
    ep.ok(ep.keys("activate", [k1, k2]), "activate the delivered keys: ")
    for kid, key in keys:
        model.keys[kid] = (key, "active")
        _usable(model, iut, ftype, kid, data_field(12, 421), f"delivered key {kid} after activation")
    _check_verify(ep, oracle, [(k2, keys[1][1], bytes(range(16)))], "delivered key: ")


@pytest.mark.requirement("SEC-KEY-002")
@pytest.mark.parametrize("fault", ["bad-mac", "master-pre-activation", "master-deactivated", "master-destroyed", "master-unknown", "master-16-octets", "key-id-in-use"])
def test_otar_refused_installs_nothing(model: Any, iut: Any, ep: Any, ftype: Any, oracle: Any, fault: str, data_field: Any) -> None:
    """355.1-B-1 3.3: an OTAR whose MAC does not verify, whose master key is not active, or naming
    a key id in use gets an error reply with the status ep_otar lists and installs no key (not
    even the other delivered ones);
    the key in use is unchanged. A 16-octet master key is not the active 32-octet key ep_otar asks."""
    mstate = fault.removeprefix("master-") if fault.startswith("master-") else "active"
    if mstate == "unknown":
        mid = model.alloc.key_id()
        mkey = oracle.suite_key(mid, 32)
    elif mstate == "16-octets":  # ep_otar: the master key is an active 32-octet key
        mid, mkey = model.new_key("aes-256-gcm", "active", length=16)
    else:
        mid, mkey = _new_master(model, mstate)
    k1 = model.alloc.key_id()
    keys = [(k1, oracle.suite_key(k1, 32, "otar"))]
    in_use = None
    if fault == "key-id-in-use":
        in_use, old = model.new_key()
        keys.append((in_use, oracle.suite_key(in_use, 32, "otar-new")))
    status = {"bad-mac": "authentication_failed", "master-unknown": "unknown_key_or_sa"}.get(fault, "invalid_state")
    ep.error(ep.otar(mid, mkey, keys, OTAR_IV, corrupt_mac=fault == "bad-mac"), f"OTAR with {fault}: ", status)
    ep.error(ep.keys("activate", [k1]), "activating a key the refused OTAR named: ", "unknown_key_or_sa")
    _verifiable(ep, k1, "a key the refused OTAR named", False)
    if in_use is not None:
        _usable(model, iut, ftype, in_use, data_field(12, 430), f"key {in_use} in use, after the refused OTAR")


@pytest.mark.requirement("SEC-KEY-002", "SEC-KEY-004")
def test_otar_delivered_key_verifies(model: Any, ep: Any, oracle: Any) -> None:
    """355.1-B-1 3.3, 3.8: a delivered key (pre-activation) verifies to the key the OTAR carried."""
    mid, mkey = _new_master(model)
    k1 = model.alloc.key_id()
    key = oracle.suite_key(k1, 32, "otar-verify")
    ep.ok(ep.otar(mid, mkey, [(k1, key)], OTAR_IV), "OTAR: ")
    _check_verify(ep, oracle, [(k1, key, b"challenge-0123ab")], "delivered key: ")


# --- SEC-KEY-003 ---------------------------------------------------------------------------------


@pytest.mark.requirement("SEC-KEY-003")
def test_key_lifecycle(model: Any, iut: Any, ep: Any, ftype: Any, data_field: Any) -> None:
    """355.1-B-1 3.4-3.7: pre-activation -> active -> deactivated -> destroyed."""
    kid, key = model.new_key(state="pre-activation")
    _usable(model, iut, ftype, kid, data_field(12, 440), "pre-activation")
    for proc, state in (("activate", "active"), ("deactivate", "deactivated"), ("destroy", "destroyed")):
        ep.ok(ep.keys(proc, [kid]), f"{proc}: ")
        model.keys[kid] = (key, state)
        _usable(model, iut, ftype, kid, data_field(12, 441), f"after {proc}")
        _verifiable(ep, kid, f"after {proc}", state != "destroyed")


INVALID_KEY_TRANSITIONS = [
    ("active", "activate"),
    ("deactivated", "activate"),
    ("destroyed", "activate"),
    ("unknown", "activate"),
    ("pre-activation", "deactivate"),
    ("deactivated", "deactivate"),
    ("destroyed", "deactivate"),
    ("unknown", "deactivate"),
    ("pre-activation", "destroy"),
    ("active", "destroy"),
    ("destroyed", "destroy"),
    ("unknown", "destroy"),
]


def _state_still(model: Any, iut: Any, ep: Any, ftype: Any, kid: int, state: str, data: bytes, what: str) -> None:
    """Check that key ``kid`` is still in ``state`` (observing it may move it on, at the end)."""
    if state == "unknown":
        _verifiable(ep, kid, what, False)
        return
    _usable(model, iut, ftype, kid, data, what)
    _verifiable(ep, kid, what, state != "destroyed")
    if state == "pre-activation":
        ep.ok(ep.keys("activate", [kid]), f"{what}: the key is still pre-activation, so activating it: ")
    elif state == "deactivated":
        ep.ok(ep.keys("destroy", [kid]), f"{what}: the key is still deactivated, so destroying it: ")


@pytest.mark.requirement("SEC-KEY-003")
@pytest.mark.parametrize(("state", "proc"), INVALID_KEY_TRANSITIONS, ids=[f"{p}-{s}" for s, p in INVALID_KEY_TRANSITIONS])
def test_invalid_key_transition_refused(model: Any, iut: Any, ep: Any, ftype: Any, oracle: Any, state: str, proc: str, data_field: Any) -> None:
    """355.1-B-1 3.4-3.7: a procedure naming a key in another state, or an unknown key, gets an
    error reply and changes no key."""
    if state == "unknown":
        kid = model.alloc.key_id()
    else:
        kid, _ = model.new_key(state=state)
    ep.error(ep.keys(proc, [kid]), f"{proc} of a key that is {state}: ", "unknown_key_or_sa" if state == "unknown" else "invalid_state")
    _state_still(model, iut, ep, ftype, kid, state, data_field(12, 450), f"key {state} after a refused {proc}")


ALL_OR_NOTHING = [("activate", "pre-activation", "active"), ("deactivate", "active", "pre-activation"), ("destroy", "deactivated", "active")]


@pytest.mark.requirement("SEC-KEY-003")
@pytest.mark.parametrize(("proc", "good", "bad"), ALL_OR_NOTHING, ids=[p for p, _, _ in ALL_OR_NOTHING])
def test_key_list_all_or_nothing(model: Any, iut: Any, ep: Any, ftype: Any, proc: str, good: str, bad: str, data_field: Any) -> None:
    """355.1-B-1 3.4-3.7: a PDU naming a key the procedure applies to and one it does not (in
    either order) gets an error reply and changes neither."""
    k_good, _ = model.new_key(state=good)
    k_bad, _ = model.new_key(state=bad)
    k_good2, _ = model.new_key(state=good)
    ep.error(ep.keys(proc, [k_good, k_bad, k_good2]), f"{proc} of keys {good}, {bad}, {good}: ", "invalid_state")
    data = data_field(12, 460)
    for kid, state in ((k_good, good), (k_bad, bad), (k_good2, good)):
        _state_still(model, iut, ep, ftype, kid, state, data, f"key {kid} ({state}) after the refused {proc}")


# --- SEC-KEY-004 ---------------------------------------------------------------------------------


def _check_verify(ep: Any, oracle: Any, items: list[tuple[int, bytes, bytes]], what: str) -> None:
    """Send a verification PDU for ``items`` (key id, key, challenge); the reply must hold, per
    item, the key id, an IV and the GCM encryption of the challenge with its tag (ep_verify)."""
    r = ep.ok(ep.verify([(kid, ch) for kid, _, ch in items]), what)
    assert len(r.data) == 46 * len(items), f"{what}verification reply data of {len(r.data)} octets, expected {46 * len(items)} (46 per key)"
    for i, (kid, key, challenge) in enumerate(items):
        block = r.data[46 * i : 46 * (i + 1)]
        assert block[:2] == kid.to_bytes(2, "big"), f"{what}reply block {i} names key {block[:2].hex()}, expected {kid:04x}"
        alg = oracle.AES if len(key) == 32 else oracle.SM4
        plain = oracle.gcm_decrypt(alg, key, block[2:14], block[14:30], block[30:46])
        assert plain is not None, f"{what}key {kid}: the reply's tag {block[30:46].hex()} does not verify under the key with IV {block[2:14].hex()} ({alg})"
        assert plain == challenge, f"{what}key {kid}: the reply decrypts to {plain.hex()}, not the challenge {challenge.hex()}"


@pytest.mark.requirement("SEC-KEY-004")
def test_verify_keys_of_each_verifiable_state(model: Any, ep: Any, oracle: Any) -> None:
    """355.1-B-1 3.8: keys in pre-activation, active and deactivated state are verified, one PDU, one reply block each."""
    items = []
    for n, state in enumerate(("pre-activation", "active", "deactivated")):
        kid, key = model.new_key(state=state)
        items.append((kid, key, bytes([0x10 * n + i for i in range(16)])))
    _check_verify(ep, oracle, items, "verification: ")


@pytest.mark.requirement("SEC-KEY-004")
def test_verification_ivs_are_never_reused(model: Any, ep: Any, oracle: Any, ftype: Any, data_field: Any) -> None:
    """SEC-KEY-004, NIST SP 800-38D 8: the reply's IV is new under the key: verifications of one
    key use different IVs, and none reuses an IV the key's SA protected a frame with (a reused GCM
    nonce leaks the keystream and the authentication subkey). The SA is set to protect its next
    frame with the IV a verification counter would use next."""
    kid, key = model.new_key()

    def verification_iv(n: int) -> bytes:
        challenge = bytes([n]) * 16
        r = ep.ok(ep.verify([(kid, challenge)]), f"verification {n}: ")
        block = bytes(r.data[:46])
        plain = oracle.gcm_decrypt(oracle.AES, key, block[2:14], block[14:30], block[30:46])
        assert plain == challenge, f"verification {n}: the reply does not decrypt to the challenge under key {kid}"
        return block[2:14]

    ivs = [verification_iv(0), verification_iv(1)]
    assert ivs[0] != ivs[1], f"two verifications of key {kid} used the same IV {ivs[0].hex()}"
    last = max(int.from_bytes(iv, "big") for iv in ivs)
    sa = model.new_sa(ftype, key_id=kid, iv=last % (1 << 96))
    model.apply(ftype.clear_frame(data_field(12, 490)), sa.spi, "frame under the verified key: ")
    used = model.sas[sa.spi].iv.to_bytes(12, "big")
    ivs.append(verification_iv(2))
    assert len(set(ivs)) == 3, f"verifications of key {kid} repeated an IV: {[iv.hex() for iv in ivs]}"
    assert used not in ivs, f"a verification reply reused IV {used.hex()}, which ApplySecurity used under key {kid}"


@pytest.mark.requirement("SEC-KEY-004")
@pytest.mark.applies_if("'sm4-gcm' in gmac_algorithms")
def test_verify_sm4_key(model: Any, ep: Any, oracle: Any) -> None:
    """355.1-B-1 3.8, ep_verify: a 16-octet key is verified with SM4-GCM."""
    oracle.need_sm4()
    kid, key = model.new_key("sm4-gcm")
    _check_verify(ep, oracle, [(kid, key, b"sm4-challenge-16")], "SM4 key verification: ")


@pytest.mark.requirement("SEC-KEY-004")
@pytest.mark.parametrize("state", ["destroyed", "unknown"])
def test_verify_destroyed_or_unknown_refused(model: Any, ep: Any, state: str) -> None:
    """355.1-B-1 3.8: destroyed and unknown keys get an error reply (alone or beside a good one)."""
    good, _ = model.new_key()
    kid = model.alloc.key_id() if state == "unknown" else model.new_key(state="destroyed")[0]
    ep.error(ep.verify([(kid, bytes(16))]), f"verification of a {state} key: ")
    ep.error(ep.verify([(good, bytes(16)), (kid, bytes(16))]), f"verification of an active and a {state} key: ")


# --- SEC-KEY-005 ---------------------------------------------------------------------------------


@pytest.mark.requirement("SEC-KEY-005")
def test_sa_lifecycle(model: Any, iut: Any, ep: Any, ftype: Any, params: Any, data_field: Any) -> None:
    """355.1-B-1 4, 355.0-B-2 2.3.3: unkeyed -rekey-> keyed -start-> operational -stop-> keyed
    -expire-> expired -rekey-> keyed; rekey resets the sequence number to zero and leaves the IV
    to run on (no IV recurs under a key the SA used before); status reports each state code."""
    codes = params.sa_state_codes
    k1, _ = model.new_key()
    k2, _ = model.new_key()
    sa = model.new_sa(ftype, key_id=None, state="unkeyed", iv=0x55, sn=0x66)
    spi = sa.spi
    assert ep.state_of(spi) == codes["unkeyed"], "status of an unkeyed SA"
    for kid, rnd in ((k1, 0), (k2, 1)):
        ep.ok(ep.rekey(spi, kid, None), f"rekey {rnd}: ")
        live = model.sas[spi]
        live.key_id, live.sn, live.state = kid, 0, "keyed"  # the IV runs on
        assert ep.state_of(spi) == codes["keyed"], f"status after rekey {rnd}"
        assert refusal(iut.apply_security, ftype.clear_frame(data_field(12, 470)), spi) is not None, "ApplySecurity used a keyed (not operational) SA"
        ep.ok(ep.sa("start", spi), f"start {rnd}: ")
        live.state = "operational"
        assert ep.state_of(spi) == codes["operational"], f"status after start {rnd}"
        model.apply(ftype.clear_frame(data_field(12, 471)), spi, f"after rekey {rnd} and start (sequence number from zero, IV running on, new key): ")
        ep.ok(ep.sa("stop", spi), f"stop {rnd}: ")
        live.state = "keyed"
        assert ep.state_of(spi) == codes["keyed"], f"status after stop {rnd}"
        ep.ok(ep.sa("expire", spi), f"expire {rnd}: ")
        live.state = "expired"
        assert ep.state_of(spi) == codes["expired"], f"status after expire {rnd}"
        model.process(model.protect(spi, data_field(12, 472)), f"frame for the expired SA {rnd}: ")


INVALID_SA_TRANSITIONS = [
    ("unkeyed", "start"),
    ("unkeyed", "stop"),
    ("unkeyed", "expire"),
    ("keyed", "rekey"),
    ("keyed", "stop"),
    ("operational", "rekey"),
    ("operational", "start"),
    ("operational", "expire"),
    ("expired", "start"),
    ("expired", "stop"),
    ("expired", "expire"),
]


@pytest.mark.requirement("SEC-KEY-005")
@pytest.mark.parametrize(("state", "proc"), INVALID_SA_TRANSITIONS, ids=[f"{p}-{s}" for s, p in INVALID_SA_TRANSITIONS])
def test_invalid_sa_transition_refused(model: Any, ep: Any, ftype: Any, params: Any, state: str, proc: str, data_field: Any) -> None:
    """SEC-KEY-005: any other transition gets an error reply and changes nothing (state code,
    sequence number; an operational SA still accepts its next frame)."""
    kid, _ = model.new_key()
    sa = model.new_sa(ftype, key_id=None if state == "unkeyed" else kid, state=state, sn=0x0A0B0C0D)
    other, _ = model.new_key()
    pdu = ep.rekey(sa.spi, other, None) if proc == "rekey" else ep.sa(proc, sa.spi)
    ep.error(pdu, f"{proc} of a {state} SA: ", "invalid_state")
    assert ep.state_of(sa.spi) == params.sa_state_codes[state], f"state code changed by a refused {proc}"
    assert ep.arsn_of(sa.spi, 4) == bytes.fromhex("0a0b0c0d"), f"ARSN changed by a refused {proc}"
    if state == "operational":
        model.process(model.protect(sa.spi, data_field(12, 480)), f"next frame after a refused {proc}: ")


@pytest.mark.requirement("SEC-KEY-005")
@pytest.mark.parametrize("proc", ["rekey", "start", "stop", "expire", "status", "read_arsn"])
def test_sa_procedure_on_unknown_spi(model: Any, ep: Any, proc: str) -> None:
    """SEC-KEY-005: a procedure naming an SPI with no SA gets an error reply."""
    spi = model.alloc.unused_spi()
    kid, _ = model.new_key()
    pdu = ep.rekey(spi, kid, None) if proc == "rekey" else ep.sa(proc, spi)
    ep.error(pdu, f"{proc} of SPI {spi:#06x} (no SA): ", "unknown_key_or_sa")


# --- SEC-KEY-006 ---------------------------------------------------------------------------------


@pytest.mark.requirement("SEC-KEY-006")
@pytest.mark.parametrize("sn_length", [4, 2])
def test_set_and_read_arsn(model: Any, ep: Any, ftype: Any, sn_length: int, data_field: Any) -> None:
    """355.1-B-1 4.6, 4.7: set ARSN replaces the sequence number, read ARSN replies with it, and
    ProcessSecurity judges by it (the value set is a replay, the next one accepted)."""
    sa = model.new_sa(ftype, sn_length=sn_length, sn=0x100)
    model.window_premise(sa.spi, data_field(12, 490))
    value = (1 << (8 * sn_length)) - 2
    r = ep.ok(ep.sa("set_arsn", sa.spi, value.to_bytes(sn_length, "big")), "set ARSN: ")
    assert r.data == b"", f"set ARSN reply data {r.data.hex()}, expected none"
    model.sas[sa.spi].sn = value
    got = ep.arsn_of(sa.spi, sn_length)
    assert got == value.to_bytes(sn_length, "big"), f"read ARSN {got.hex()}, expected {value.to_bytes(sn_length, 'big').hex()}"
    model.process(model.protect(sa.spi, data_field(12, 490), sn=0x101), "the sequence number that followed the old ARSN: ")
    model.process(model.protect(sa.spi, data_field(12, 491), sn=value), "the ARSN set: ")
    model.process(model.protect(sa.spi, data_field(12, 492)), "the ARSN set + 1: ")
    model.process(model.protect(sa.spi, data_field(12, 493)), "and + 2 (wrapping to 0): ")
    assert ep.arsn_of(sa.spi, sn_length) == bytes(sn_length), "read ARSN after accepting sequence number 0"


@pytest.mark.requirement("SEC-KEY-006", "SEC-KEY-007")
def test_set_arsn_without_sequence_numbers_takes_no_octets(model: Any, ep: Any, ftype: Any) -> None:
    """SEC-KEY-006/007: set ARSN carries exactly sequence_number_length octets, none for an SA
    without sequence numbers: one ARSN octet there is a value of the wrong size (malformed)."""
    sa = model.new_sa(ftype, sn_length=0, sn=0)
    ep.error(ep.sa("set_arsn", sa.spi, b"\x01"), "set ARSN with one octet on an SA without sequence numbers: ", "malformed")


@pytest.mark.requirement("SEC-KEY-006", "SEC-ARP-004")
def test_read_arsn_after_apply(model: Any, ep: Any, ftype: Any, data_field: Any) -> None:
    """SEC-KEY-006 with SEC-ARP-004: after two applies the ARSN read is the last sequence number sent."""
    sa = model.new_sa(ftype, sn_length=4, sn=0x000000FF)
    for n in range(2):
        model.apply(ftype.clear_frame(data_field(12, 495 + n)), sa.spi, f"apply {n}: ")
    assert ep.arsn_of(sa.spi, 4) == bytes.fromhex("00000101"), "ARSN after two applies from 000000ff"


# --- SEC-KEY-007 ---------------------------------------------------------------------------------


MALFORMED = [
    "tag-only",
    "tag-and-one-length-octet",
    "length-longer-than-value",
    "length-shorter-than-value",
    "length-not-whole-octets",
    "activate-odd-value",
    "activate-empty-value",
    "verify-17-octets",
    "start-3-octets",
    "start-1-octet",
    "rekey-5-octets",
    "set-arsn-too-short",
    "set-arsn-too-long",
    "alarm-reset-with-value",
    "otar-partial-key-block",
]


@pytest.mark.requirement("SEC-KEY-007")
@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_pdu_changes_nothing(model: Any, iut: Any, ep: Any, ftype: Any, params: Any, oracle: Any, case: str, data_field: Any) -> None:
    """355.1-B-1 6: a truncated PDU, a length field that disagrees or is not whole octets, or a
    value of the wrong size gets an error reply with status malformed, and changes no key and no
    SA (the PDUs name a pre-activation key, a keyed SA, an SA's ARSN)."""
    pre, _ = model.new_key(state="pre-activation")
    kid, _ = model.new_key()
    sa = model.new_sa(ftype, key_id=kid, state="keyed", sn=0x01020304)
    keyed = sa.spi
    kpre = pre.to_bytes(2, "big")
    act = ep.tag("key_management", "activate")
    start = ep.tag("sa_management", "start")
    spi2 = keyed.to_bytes(2, "big")
    mid, mkey = model.new_key()
    otar = ep.otar(mid, mkey, [(model.alloc.key_id(), oracle.suite_key(1, 32))], OTAR_IV)
    pdus = {
        "tag-only": bytes([act]),
        "tag-and-one-length-octet": bytes([act, 0x00]),
        "length-longer-than-value": bytes([act]) + (8 * 4).to_bytes(2, "big") + kpre,
        "length-shorter-than-value": bytes([act]) + (8 * 2).to_bytes(2, "big") + kpre + kpre,
        "length-not-whole-octets": bytes([act]) + (15).to_bytes(2, "big") + kpre,
        "activate-odd-value": ep.pdu("key_management", "activate", kpre + b"\x00"),
        "activate-empty-value": ep.pdu("key_management", "activate", b""),
        "verify-17-octets": ep.pdu("key_management", "verify", kpre + bytes(15)),
        "start-3-octets": bytes([start]) + (24).to_bytes(2, "big") + spi2 + b"\x00",
        "start-1-octet": bytes([start]) + (8).to_bytes(2, "big") + spi2[:1],
        "rekey-5-octets": ep.sa("rekey", keyed, kid.to_bytes(2, "big") + b"\x00"),
        "set-arsn-too-short": ep.sa("set_arsn", keyed, b"\x00\x00\x00"),
        "set-arsn-too-long": ep.sa("set_arsn", keyed, b"\x00\x00\x00\x00\x00"),
        "alarm-reset-with-value": ep.pdu("monitoring_control", "alarm_flag_reset", b"\x00"),
        "otar-partial-key-block": otar[:1] + (8 * (len(otar) - 3 - 1)).to_bytes(2, "big") + otar[3:-17] + otar[-16:],
    }
    ep.error(pdus[case], f"{case}: ", "malformed")
    # nothing changed: the keyed SA and its ARSN, the pre-activation key (probed on the same SPI)
    assert ep.state_of(keyed) == params.sa_state_codes["keyed"], f"SA state changed by {case}"
    assert ep.arsn_of(keyed, 4) == bytes.fromhex("01020304"), f"ARSN changed by {case}"
    _usable(model, iut, ftype, pre, data_field(12, 500), f"pre-activation key after {case}", spi=keyed)
    ep.ok(ep.keys("activate", [pre]), f"after {case}, activating the still pre-activation key: ")


def _unknown_tags(params: Any) -> list[int]:
    defined = set()
    for group in params.ep_procedures.values():
        sg = group["service_group"]
        for name, pid in group.items():
            if name != "service_group":
                defined.add((sg << 4) | pid)
    groups = sorted({g["service_group"] for g in params.ep_procedures.values()})
    missing_group = next(g for g in range(4) if g not in groups)
    picks = [next(t for t in range(16 * g, 16 * g + 16) if t not in defined) for g in groups]
    return picks + [missing_group << 4]


@pytest.mark.requirement("SEC-KEY-007")
def test_unknown_procedure(model: Any, ep: Any, params: Any) -> None:
    """355.1-B-1 6: a tag naming no procedure of ep_procedures (in each service group, and a
    service group the profile does not define) gets an error reply with status unknown_procedure."""
    pre, _ = model.new_key(state="pre-activation")
    for tag in _unknown_tags(params):
        ep.error(bytes([tag]) + (16).to_bytes(2, "big") + pre.to_bytes(2, "big"), f"tag {tag:#04x}: ", "unknown_procedure")
    ep.ok(ep.keys("activate", [pre]), "activating the pre-activation key named by the unknown procedures: ")


@pytest.mark.requirement("SEC-KEY-007")
@pytest.mark.parametrize("flag", ["reply", "user"])
def test_reply_and_user_flag_pdus_change_nothing(model: Any, iut: Any, ep: Any, flag: str) -> None:
    """355.1-B-1 6, ep_pdu: a PDU whose type bit says reply gets no reply and is not carried out;
    a command with the user flag set is no procedure of this profile (unknown_procedure)."""
    pre, _ = model.new_key(state="pre-activation")
    tag = ep.tag("key_management", "activate") | (0x80 if flag == "reply" else 0x40)
    pdu = bytes([tag]) + (16).to_bytes(2, "big") + pre.to_bytes(2, "big")
    if flag == "reply":
        raw = iut.extended_procedure(pdu)
        assert raw is None, f"a reply-type PDU got a reply ({bytes(raw).hex()}); ep_pdu: no reply (null)"
    else:
        ep.error(pdu, "activate with the user flag set: ", "unknown_procedure")
    ep.ok(ep.keys("activate", [pre]), f"the key named by the {flag}-flag PDU is still pre-activation, so activating it: ")


# --- SEC-KEY-008 ---------------------------------------------------------------------------------


@pytest.mark.requirement("SEC-KEY-008")
def test_frame_security_report(model: Any, iut: Any, ep: Any, ftype: Any, data_field: Any) -> None:
    """355.0-B-2 annex: per-frame flags (bad_sn for bad sequence number or IV, bad_mac,
    invalid_spi), the alarm latched until the alarm flag reset, last_spi, sn_lsb."""
    sa = model.new_sa(ftype, sn_length=4, sn=0x123456F0, window=8)
    spi = sa.spi
    model.arsn_reader = ep.arsn_of
    r = ep.ok(ep.alarm_reset(), "alarm flag reset: ")
    assert r.data == b"", f"alarm flag reset reply data {r.data.hex()}, expected none"
    model.alarm = False
    data = data_field(12, 510)

    def frame(dsn: int, div: int, corrupt: bool = False) -> bytes:
        live = model.sas[spi]
        f = model.protect(spi, data, iv=live.iv + div, sn=live.sn + dsn)
        if corrupt:
            end = len(f) - live.tail_length()
            f = model.refecf(spi, f[:end] + bytes([f[end] ^ 0x80]) + f[end + 1 :])
        return bytes(f)

    model.process(frame(1, 1), "accepted frame after the reset: ", fsr=True, premise=PREMISE)
    model.process(frame(1, 1, corrupt=True), "bad MAC: ", fsr=True, premise=PREMISE)
    model.process(frame(1, 1), "accepted frame after a bad MAC (alarm latched): ", fsr=True, premise=PREMISE)
    model.process(frame(0, 1), "replayed sequence number: ", fsr=True, premise=PREMISE)
    model.process(frame(1, 0), "replayed IV: ", fsr=True, premise=PREMISE)
    hl = ftype.header_length
    good = frame(1, 1)
    model.process(good[:hl] + model.alloc.unused_spi().to_bytes(2, "big") + good[hl + 2 :], "invalid SPI: ", fsr=True, premise=PREMISE)
    model.process(frame(3, 3), "accepted frame (last+3): ", fsr=True, premise=PREMISE)
    ep.ok(ep.alarm_reset(), "second alarm flag reset: ")
    model.alarm = False
    model.process(good[:hl] + model.alloc.unused_spi().to_bytes(2, "big") + good[hl + 2 :],
                  "invalid SPI right after the reset (the reset clears the alarm, not last_spi or sn_lsb): ",
                  fsr=True, premise=PREMISE)
    ep.ok(ep.alarm_reset(), "third alarm flag reset: ")
    model.alarm = False
    model.process(frame(1, 1), "accepted frame after the second reset: ", fsr=True, premise=PREMISE)
    bad_len = frame(1, 1)
    first, n = ftype.length_field()
    bad_len = (int.from_bytes(bad_len, "big") ^ (1 << (8 * len(bad_len) - first - n))).to_bytes(len(bad_len), "big")
    model.process(bad_len, "malformed (frame length field): ", fsr=True, premise=PREMISE)
    key = model.keys[sa.key_id][0]
    model.load_key(sa.key_id, key, "deactivated")
    model.process(frame(1, 1), "key not active: ", fsr=True, premise=PREMISE)
    model.load_key(sa.key_id, key, "active")
    model.reconfigure(spi, state="keyed")
    model.process(frame(1, 1), "SA not operational: ", fsr=True, premise=PREMISE)


@pytest.mark.requirement("SEC-KEY-008")
@pytest.mark.applies_if("max_sas >= 2")
def test_fsr_follows_the_last_sa(model: Any, ep: Any, ftype: Any, data_field: Any) -> None:
    """355.0-B-2 annex: last_spi and sn_lsb are those of the SA of the last frame whose SPI named
    an SA; a frame with an unknown SPI leaves them."""
    a = model.new_sa(ftype, sn_length=2, sn=0x0180)
    b = model.new_sa(ftype, sn_length=4, sn=0x000002FE)
    ep.ok(ep.alarm_reset(), "alarm flag reset: ")
    model.alarm = False
    model.process(model.protect(a.spi, data_field(12, 520)), "frame of SA A: ", fsr=True, premise=PREMISE)
    model.process(model.protect(b.spi, data_field(12, 521)), "frame of SA B: ", fsr=True, premise=PREMISE)
    model.process(model.protect(a.spi, data_field(12, 522), sn=0x0180), "replay on SA A: ", fsr=True, premise=PREMISE)
    f = model.protect(b.spi, data_field(12, 523))
    hl = ftype.header_length
    model.process(f[:hl] + model.alloc.unused_spi().to_bytes(2, "big") + f[hl + 2 :], "unknown SPI: ", fsr=True, premise=PREMISE)
    model.process(f, "frame of SA B: ", fsr=True, premise=PREMISE)
