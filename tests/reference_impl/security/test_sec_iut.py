"""The reference's test-interface object: factory, spec parameters, registration, ICS, delegation."""

from __future__ import annotations

import importlib.resources
from typing import Any

import pytest
from sec_helpers import make_sa, product, tc_clear

from orbitcert.reference_impl import REFERENCES
from orbitcert.reference_impl.security.errors import ProvisioningError
from orbitcert.reference_impl.security.iut import ReferenceLinkSecurity, create
from orbitcert.reference_impl.security.sa import SecurityParameters, default_parameters
from orbitcert.specs.loader import load_ref

OPERATIONS = ["configure_sa", "load_key", "apply_security", "process_security", "extended_procedure",
              "load_trusted_key", "boot"]


def _spec() -> Any:
    return load_ref("sec-link-security@1.0.0").spec


def test_factory_and_identity() -> None:
    spec = _spec()
    p = create(spec)
    assert isinstance(p, ReferenceLinkSecurity)
    assert (p.name, p.version) == ("orbitcert-reference-security", "1.0.0")
    assert p.params == SecurityParameters.from_spec(spec) == default_parameters()
    assert sorted(op.name for op in spec.interface.operations) == sorted(OPERATIONS)
    for name in OPERATIONS:
        assert callable(getattr(p, name))


def test_registered_with_its_ics() -> None:
    from orbitcert.specs.ics import load_ics

    factory, ics_path = REFERENCES["sec-link-security"]
    assert factory == "orbitcert.reference_impl.security.iut:create"
    path = importlib.resources.files("orbitcert.reference_impl") / ics_path
    latest = load_ref("sec-link-security@latest").spec  # the ICS file answers the latest version
    ics = load_ics(str(path), latest)
    assert set(ics.classes) == {c.id for c in latest.classes}
    assert ics.items["frame_types"] == ["tc", "uslp"]
    assert ics.items["max_sas"] == product().sas.max_sas


def test_parameters_come_from_the_spec() -> None:
    """from_spec_parameters: the status codes, state codes and FECF preset are read, not assumed."""
    values = {name: p.value for name, p in _spec().parameters.items()}
    values["ep_status"] = dict(values["ep_status"], unknown_key_or_sa=9)
    values["sa_state_codes"] = dict(values["sa_state_codes"], operational=7)
    values["crc16_initial"] = 0
    p = ReferenceLinkSecurity(SecurityParameters.from_spec_parameters(values))
    p.load_key(1, bytes(32))
    p.configure_sa(make_sa())
    assert p.extended_procedure(bytes.fromhex("1f00100063")) == bytes.fromhex("9f000809")
    assert p.extended_procedure(bytes.fromhex("1f00100005")) == bytes.fromhex("9f002000000507")
    frame = p.apply_security(tc_clear(b"x"), 5)
    import binascii

    assert binascii.crc_hqx(frame[:-2], 0) == int.from_bytes(frame[-2:], "big")
    with pytest.raises(ProvisioningError, match="key_lengths"):
        SecurityParameters.from_spec_parameters(dict(values, key_lengths={"aes-256-gcm": 16, "sm4-gcm": 16}))
    with pytest.raises(ProvisioningError, match="processing_order"):
        SecurityParameters.from_spec_parameters(dict(values, processing_order=["bad_mac"]))
    with pytest.raises(ProvisioningError, match="spec"):
        SecurityParameters.from_spec("not a spec")  # type: ignore[arg-type]


def test_bad_argument_types_are_security_errors() -> None:
    p = product(make_sa())
    for call in (lambda: p.apply_security("text", 5), lambda: p.process_security(42),
                 lambda: p.extended_procedure(None), lambda: p.configure_sa("sa")):
        with pytest.raises(ValueError):
            call()


def test_boot_is_delegated_to_secure_boot(monkeypatch: pytest.MonkeyPatch) -> None:
    """load_trusted_key and boot call SecureBoot (imported lazily) with the declared algorithms."""
    import orbitcert.reference_impl.security.boot as boot_module

    calls: list[tuple[Any, ...]] = []

    class FakeBoot:
        def __init__(self, signature_algorithms: tuple[str, ...], hashes: tuple[str, ...]) -> None:
            calls.append(("init", signature_algorithms, hashes))

        def load_trusted_key(self, key_id: int, public_key: bytes, algorithm: str) -> None:
            calls.append(("key", key_id, public_key, algorithm))

        def boot(self, image: bytes, signature: bytes) -> dict[str, Any]:
            calls.append(("boot", image, signature))
            return {"accepted": False, "reason": "malformed", "measurements": []}

    monkeypatch.setattr(boot_module, "SecureBoot", FakeBoot)
    p = create()
    p.load_trusted_key(3, b"k" * 32, "ed25519")
    assert p.boot(b"image", b"sig")["reason"] == "malformed"
    assert calls == [("init", ("ed25519", "sm2-sm3"), ("sha-256", "sm3")), ("key", 3, b"k" * 32, "ed25519"),
                     ("boot", b"image", b"sig")]
