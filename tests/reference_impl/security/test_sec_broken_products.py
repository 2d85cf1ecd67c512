"""Each deliberately broken product of tests/products/broken_security.py shows its one
deviation with plain calls, where the reference behaves as the spec says."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sec_helpers import AES_KEY, MASTER, MASTER_ID, make_sa, otar_pdu, product, refix_fecf, tc_clear

from orbitcert.reference_impl.security import crypto
from orbitcert.reference_impl.security.errors import KeyStateError
from orbitcert.reference_impl.security.iut import create


def _load() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "products" / "broken_security.py"
    spec = importlib.util.spec_from_file_location("broken_security", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BROKEN = _load()
DATA = b"broken products"


def _factory(name: str) -> Any:
    return getattr(BROKEN, name)


def test_every_factory_names_its_requirement() -> None:
    expected = {
        "replay_accepting": "SEC-ARP-001", "abm_ignoring": "SEC-AES-003", "deactivated_key_using": "SEC-KEY-001",
        "sm4_wrong_aad": "SEC-SM4-002", "iv_reusing": "SEC-AES-006", "state_changing_on_reject": "SEC-ARP-003",
        "otar_unauthenticated": "SEC-KEY-002",
    }
    for name, requirement in expected.items():
        factory = _factory(name)
        assert requirement in factory.__doc__
        assert type(factory()).__doc__ and requirement in type(factory()).__doc__
        assert factory(spec=None).name.startswith("broken-")


def test_replay_accepting() -> None:
    sa = make_sa()
    frame = product(sa).apply_security(tc_clear(DATA), 5)
    for factory, replay_accepted in ((create, False), (_factory("replay_accepting"), True)):
        rx = product(sa, factory=factory)
        assert rx.process_security(frame)["accepted"]
        assert rx.process_security(frame)["accepted"] is replay_accepted


def test_abm_ignoring() -> None:
    sa = make_sa(authentication_bit_mask="ff" * 4 + "00" + "ff" * 40)  # clears the FSN (0x42 here)
    frame = product(sa).apply_security(tc_clear(DATA), 5)
    assert product(sa).process_security(frame)["accepted"]
    assert product(sa, factory=_factory("abm_ignoring")).process_security(frame)["reason"] == "bad_mac"


def test_deactivated_key_using() -> None:
    sa = make_sa()
    for factory, uses in ((create, False), (_factory("deactivated_key_using"), True)):
        p = product(sa, factory=factory)
        p.load_key(1, AES_KEY, "deactivated")
        if uses:
            assert p.apply_security(tc_clear(DATA), 5)
        else:
            with pytest.raises(KeyStateError):
                p.apply_security(tc_clear(DATA), 5)


def test_sm4_wrong_aad() -> None:
    if not crypto.sm4_gcm_supported():
        pytest.skip("SM4-GCM not provided by this OpenSSL")
    sm4, aes = make_sa(algorithm="sm4-gcm"), make_sa(spi=6)
    tx = product(sm4, aes)
    sm4_frame, aes_frame = tx.apply_security(tc_clear(DATA), 5), tx.apply_security(tc_clear(DATA), 6)
    rx = product(sm4, aes, factory=_factory("sm4_wrong_aad"))
    assert rx.process_security(sm4_frame)["reason"] == "bad_mac"
    assert rx.process_security(aes_frame)["accepted"]


def test_iv_reusing() -> None:
    for factory, same in ((create, False), (_factory("iv_reusing"), True)):
        tx = product(make_sa(), factory=factory)
        a, b = tx.apply_security(tc_clear(DATA), 5), tx.apply_security(tc_clear(DATA), 5)
        assert (a[8:20] == b[8:20]) is same


def test_state_changing_on_reject() -> None:
    sa = make_sa()
    frame = bytearray(product(sa).apply_security(tc_clear(DATA), 5))
    frame[-5] ^= 1  # a MAC bit
    for factory, changed in ((create, False), (_factory("state_changing_on_reject"), True)):
        rx = product(sa, factory=factory)
        result = rx.process_security(refix_fecf(bytes(frame)))
        assert result["reason"] == "bad_mac"
        record = rx.sas.get(5)
        assert record is not None and ((record.iv, record.sn) != (0, 0)) is changed


def test_otar_unauthenticated() -> None:
    bad = otar_pdu([(40, bytes([7]) * 32)], corrupt_mac=True)
    for factory, installed in ((create, False), (_factory("otar_unauthenticated"), True)):
        p = product(factory=factory)
        p.load_key(MASTER_ID, MASTER)
        p.extended_procedure(bad)
        key = p.keys.get(40)
        assert (key is not None) is installed
        if key is not None:
            assert key.value == bytes([7]) * 32
