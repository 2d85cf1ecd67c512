"""``sec-link-security`` end to end: the reference is certified for all six classes, and each broken
product is not certified, with the requirement it breaks named (issue 8's "done when")."""

from __future__ import annotations

from pathlib import Path

import pytest

from orbitcert.conformance import Report, run_certification
from orbitcert.conformance.options import RunOptions
from orbitcert.conformance.session import CertificationTarget

SPEC = "sec-link-security@1.0.0"
CLASSES = {"aead-aes", "aead-sm4", "auth-only", "anti-replay", "key-management", "secure-boot"}


def certify(tmp_path: Path, impl: str | None = None, isolate: bool = True) -> Report:
    """Certify sec-link-security@1.0.0 in this process (tests/ is on sys.path for ``products``)."""
    target = CertificationTarget.resolve(SPEC, impl=impl)
    options = RunOptions.create(out=tmp_path, examples=25, formats="json", isolate=isolate)
    return run_certification(target, options).report


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return certify(tmp_path_factory.mktemp("sec-ref"))


def test_the_reference_is_certified_for_every_class(reference: Report) -> None:
    assert reference.decision.value == "certified", [(q.id, q.verdict.value, q.reason) for q in reference.not_passed()]
    assert {c.id: c.decision.value for c in reference.classes} == dict.fromkeys(CLASSES, "certified")
    assert all(q.verdict.value == "pass" for q in reference.requirements), [
        (q.id, q.verdict.value) for q in reference.requirements if q.verdict.value != "pass"
    ]
    assert reference.implementation.name == "orbitcert-reference-security"
    assert not reference.misdeclared


@pytest.mark.parametrize(
    ("factory", "must_fail"),
    [
        ("products.broken_security:replay_accepting", {"SEC-ARP-001"}),
        pytest.param("products.broken_security:abm_ignoring", {"SEC-AES-003"}, marks=pytest.mark.slow),
        pytest.param("products.broken_security:deactivated_key_using", {"SEC-KEY-001"}, marks=pytest.mark.slow),
        pytest.param("products.broken_security:sm4_wrong_aad", {"SEC-SM4-002"}, marks=pytest.mark.slow),
        pytest.param("products.broken_security:iv_reusing", {"SEC-AES-006"}, marks=pytest.mark.slow),
        pytest.param("products.broken_security:state_changing_on_reject", {"SEC-ARP-003"}, marks=pytest.mark.slow),
        pytest.param("products.broken_security:otar_unauthenticated", {"SEC-KEY-002"}, marks=pytest.mark.slow),
        ("products.broken_boot:rollback_accepting", {"SEC-BOOT-003"}),
    ],
)
def test_broken_products_are_not_certified(tmp_path: Path, factory: str, must_fail: set[str]) -> None:
    r = certify(tmp_path, impl=factory)
    assert r.decision.value == "not-certified"
    failed = {q.id for q in r.requirements if q.verdict.value == "fail"}
    assert must_fail <= failed, (failed, [(q.id, q.verdict.value, q.reason) for q in r.not_passed()])
    for rid in must_fail:
        cls = next(c for c in r.classes if rid in c.failed)
        assert cls.decision.value == "not-certified" and rid in cls.reason
