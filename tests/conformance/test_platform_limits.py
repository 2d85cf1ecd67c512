"""What the reference cannot do on a platform (SM4-GCM where OpenSSL lacks it) is not applicable,
with the reason, instead of failed; and an ICS may say why a class is not claimed."""

from __future__ import annotations

from pathlib import Path

import pytest

from orbitcert.conformance.session import CertificationTarget
from orbitcert.conformance.verdicts import requirement_applicability
from orbitcert.reference_impl import REFERENCES, platform_limits
from orbitcert.reference_impl.security import crypto
from orbitcert.specs.errors import IcsError
from orbitcert.specs.ics import load_ics_text
from orbitcert.specs.loader import load_ref

SPEC = "sec-link-security@1.0.0"


def test_this_platform_has_sm4_gcm_so_the_reference_claims_every_class() -> None:
    assert crypto.sm4_gcm_supported()
    target = CertificationTarget.resolve(SPEC)
    assert "aead-sm4" in target.ics.classes and not target.ics.not_claimed
    assert platform_limits("net-optical-isl") == {}


def test_without_sm4_gcm_the_sm4_class_is_not_applicable_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crypto, "sm4_gcm_supported", lambda: False)
    for target in (
        CertificationTarget.resolve(SPEC),  # the parent: no product given
        CertificationTarget.resolve(SPEC, impl=REFERENCES["sec-link-security"][0],  # the child run: both explicit
                                    ics_path=CertificationTarget.resolve(SPEC).ics_path),
    ):
        ics = target.ics
        assert "aead-sm4" not in ics.classes and "aead-aes" in ics.classes
        assert "SM4-GCM" in ics.not_claimed["aead-sm4"]
        assert ics.items["gmac_algorithms"] == ["aes-256-gcm"]
        why = requirement_applicability(target.loaded.spec, ics, "SEC-SM4-001")
        assert why is not None and "not claimed" in why and "does not provide SM4-GCM" in why
        assert requirement_applicability(target.loaded.spec, ics, "SEC-AES-001") is None


def test_a_product_with_the_reference_factory_but_its_own_ics_is_not_adjusted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(crypto, "sm4_gcm_supported", lambda: False)
    ics = tmp_path / "ics.yaml"
    ics.write_text("spec: sec-link-security@1.0.0\nclasses: [aead-sm4]\nitems: {frame_types: [tc], max_sas: 4, max_anti_replay_window: 8}\n")
    target = CertificationTarget.resolve(SPEC, impl=REFERENCES["sec-link-security"][0], ics_path=ics)
    assert target.ics.classes == ["aead-sm4"], "a vendor's declaration is never rewritten"


def test_an_ics_may_say_why_a_class_is_not_claimed() -> None:
    spec = load_ref(SPEC).spec
    base = "spec: sec-link-security@1.0.0\nclasses: [aead-aes]\nitems: {frame_types: [tc], max_sas: 4, max_anti_replay_window: 8}\n"
    ics = load_ics_text(base + "not_claimed: {secure-boot: no boot ROM in this unit}\n", spec)
    assert requirement_applicability(spec, ics, "SEC-BOOT-001") == "class 'secure-boot' is not claimed in the ICS: no boot ROM in this unit"
    with pytest.raises(IcsError, match=r"ics\.yaml:5: not_claimed\.warp: unknown conformance class 'warp'"):
        load_ics_text(base + "not_claimed:\n  warp: x\n", spec, "ics.yaml")
    with pytest.raises(IcsError, match="both claimed and not claimed"):
        load_ics_text(base + "not_claimed: {aead-aes: x}\n", spec)
