"""``sec-link-security`` 1.1.0 end to end, class ``aead-ccm``: the reference is certified for every
class of 1.1.0 (1.0.0's six and aead-ccm), a 1.0.0 run selects no SEC-CCM test, and each broken
CCM product (``tests/products/broken_ccm.py``) is not certified for aead-ccm, failing exactly the
one SEC-CCM requirement it breaks.

The broken products are certified with an ICS that claims aead-ccm alone (it depends on no other
class) and with the suite cut to ``conftest.py`` and a copy of ``test_aead_ccm.py`` (a suite override,
which the report records): seconds per product instead of the whole suite.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest
import yaml

from orbitcert.conformance import Report, run_certification
from orbitcert.conformance.options import RunOptions
from orbitcert.conformance.run import selected_tests
from orbitcert.conformance.session import SUITES_DIR, CertificationTarget
from orbitcert.specs.loader import load_ref

SPEC = "sec-link-security@1.1.0"
CLASSES = {"aead-aes", "aead-sm4", "aead-ccm", "auth-only", "anti-replay", "key-management", "secure-boot"}
CCM_REQUIREMENTS = {f"SEC-CCM-00{i}" for i in range(1, 7)}
_COPIES = itertools.count()


def certify(tmp_path: Path, spec: str = SPEC, impl: str | None = None, classes: list[str] | None = None,
            ccm_only: bool = False) -> Report:
    """Certify ``spec`` in this process (tests/ is on sys.path for ``products``); with ``classes``,
    under an ICS claiming only those classes (the reference's items otherwise); with ``ccm_only``,
    running the CCM test file alone."""
    suite = None
    if ccm_only:
        suite = tmp_path / "sec-link-security"
        suite.mkdir()
        # A module name of its own, not the bundled file's nor an earlier copy's: this process may
        # have imported those (suite collection runs in process), and a suite module must load
        # from its own file.
        shutil.copy(SUITES_DIR / "sec-link-security" / "conftest.py", suite / "conftest.py")
        shutil.copy(SUITES_DIR / "sec-link-security" / "test_aead_ccm.py", suite / f"test_ccm_copy{next(_COPIES)}.py")
    ics = None
    if classes is not None:
        ics = tmp_path / "ics.yaml"
        ics.write_text(yaml.safe_dump({
            "spec": "sec-link-security",
            "product": {"name": impl or "reference", "version": "1"},
            "classes": classes,
            "items": {"frame_types": ["tc", "uslp"], "segment_header": True, "fecf": True, "max_sas": 256,
                      "max_anti_replay_window": 4294967295},
        }))
    target = CertificationTarget.resolve(spec, impl=impl, ics_path=ics, suite=suite, allow_draft=True)
    options = RunOptions.create(out=tmp_path / "out", examples=25, formats="json")
    return run_certification(target, options).report


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return certify(tmp_path_factory.mktemp("ccm-ref"))


def test_the_reference_is_certified_for_every_class_of_1_1_0(reference: Report) -> None:
    assert {c.id: c.decision.value for c in reference.classes} == dict.fromkeys(CLASSES, "certified"), [
        (q.id, q.verdict.value, q.reason) for q in reference.not_passed()
    ]
    assert all(q.verdict.value == "pass" for q in reference.requirements), [
        (q.id, q.verdict.value) for q in reference.requirements if q.verdict.value != "pass"
    ]
    assert CCM_REQUIREMENTS <= {q.id for q in reference.requirements}
    ccm_tests = [t for t in reference.tests if set(t.requirements) & CCM_REQUIREMENTS]
    assert ccm_tests and all(t.nodeid.startswith("test_aead_ccm.py::") for t in ccm_tests)
    if load_ref(SPEC).spec.status.value == "published":  # a draft's report never certifies
        assert reference.decision.value == "certified"
    assert not reference.misdeclared


@pytest.mark.parametrize("version", ["1.0.0", "1.1.0"])
def test_ccm_tests_selected_only_for_1_1_0(tmp_path: Path, version: str) -> None:
    """1.0.0 defines no SEC-CCM requirement: the harness deselects test_aead_ccm.py entirely there
    (collection only, no product), and selects it, with every other file, for 1.1.0."""
    target = CertificationTarget.resolve(f"sec-link-security@{version}", allow_draft=True)
    selected = selected_tests(target, RunOptions.create(out=tmp_path, formats="json"))
    ccm = {nodeid for nodeid, reqs in selected.items() if "aead_ccm" in nodeid or set(reqs) & CCM_REQUIREMENTS}
    assert any(nodeid.startswith("test_aead.py::") for nodeid in selected)
    if version == "1.0.0":
        assert not ccm, sorted(ccm)[:5]
    else:
        assert ccm and all(nodeid.startswith("test_aead_ccm.py::") for nodeid in ccm)
        assert {r for nodeid in ccm for r in selected[nodeid]} == CCM_REQUIREMENTS


@pytest.mark.parametrize(
    ("factory", "must_fail"),
    [
        ("products.broken_ccm:gcm_substituted", "SEC-CCM-001"),
        pytest.param("products.broken_ccm:tag_truncated", "SEC-CCM-001", marks=pytest.mark.slow),
        pytest.param("products.broken_ccm:abm_ignoring", "SEC-CCM-002", marks=pytest.mark.slow),
        ("products.broken_ccm:mac_unchecked", "SEC-CCM-003"),
        pytest.param("products.broken_ccm:nonce_from_transmitted_octets", "SEC-CCM-004", marks=pytest.mark.slow),
        pytest.param("products.broken_ccm:any_aes_key", "SEC-CCM-006", marks=pytest.mark.slow),
    ],
)
def test_broken_ccm_products_are_not_certified(tmp_path: Path, factory: str, must_fail: str) -> None:
    r = certify(tmp_path, impl=factory, classes=["aead-ccm"], ccm_only=True)
    assert r.decision.value == "not-certified"
    failed = {q.id for q in r.requirements if q.verdict.value == "fail"}
    assert failed & CCM_REQUIREMENTS == {must_fail}, (failed, [(q.id, q.verdict.value, q.reason) for q in r.not_passed()])
    ccm = next(c for c in r.classes if c.id == "aead-ccm")
    assert ccm.decision.value == "not-certified" and must_fail in ccm.failed and must_fail in ccm.reason
