"""Shared builders for the conformance tests: new spec versions in an outside catalog, and
reports built in memory from synthetic results (milliseconds, no pytest run)."""

from __future__ import annotations

import re
from pathlib import Path

from orbitcert.conformance.report import Implementation, Report, SuiteBinding, Thoroughness, build_report
from orbitcert.conformance.results import TestResult, Verdict
from orbitcert.specs.lifecycle import publish_spec_file
from orbitcert.specs.ics import full_ics
from orbitcert.specs.loader import bundled_catalog_dir, load_ref

BUNDLED_SPEC = bundled_catalog_dir() / "net-optical-isl" / "1.0.0.yaml"


def new_optical_version(catalog: Path, version: str = "2.0.0", marker: str = "352EF853") -> Path:
    """A copy of net-optical-isl 1.0.0 published as ``version`` in ``catalog`` with another
    attached sync marker (the CCSDS 131.0-B marker of other codes), published with
    :func:`publish_spec_file` (status, date and digest; lint is not the point here)."""
    text = re.sub(r"(?m)^digest: .*\n", "", BUNDLED_SPEC.read_text())  # a new version: not yet frozen
    text = text.replace("status: published", "status: draft")
    text = re.sub(r"(?m)^version: 1\.0\.0$", f"version: {version}", text)
    text = text.replace('value: "1ACFFC1D"', f'value: "{marker}"')
    text = text.replace("marker\n      0x1ACFFC1D (parameter", f"marker\n      0x{marker} (parameter")
    path = catalog / "net-optical-isl" / f"{version}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    publish_spec_file(path, lambda p: [], [catalog], on="2026-01-01")
    return path


def synthetic_report(verdicts: dict[str, Verdict] | None = None, version: str = "2.0", examples: int = 50) -> Report:
    """A report of net-optical-isl 1.0.0 whose tests pass except those named in ``verdicts``
    (test name -> verdict); one test per requirement, named after it."""
    loaded = load_ref("net-optical-isl@1.0.0")
    verdicts = verdicts or {}
    tests = [
        TestResult(
            nodeid=f"test_coding.py::test_{r.id}",
            requirements=[r.id],
            verdict=verdicts.get(r.id, Verdict.passed),
            duration=0.01,
            message="" if verdicts.get(r.id, Verdict.passed) is Verdict.passed else f"{r.id} broke",
        )
        for r in loaded.spec.requirements
    ]
    return build_report(
        loaded,
        full_ics(loaded.spec),
        tests,
        Implementation(name="acme-modem", version=version, factory="acme:create", shared_process=False),
        SuiteBinding(path="suites/net-optical-isl", origin="bundled", digest="sha256:" + "0" * 64),
        started="2026-11-25T00:00:00Z",
        thoroughness=Thoroughness(examples=examples, minimum_examples=25, derandomized=True, timeout=300.0),
    )


# ---- a tiny published spec with its own suite, in an outside catalog --------------------------------

GATE_SPEC = """\
id: gate-demo
version: 1.0.0
status: draft
title: Gate demo
classes:
  - {id: core, title: Core}
  - {id: extra, title: Extra, kind: extended, depends_on: [core]}
requirements:
  - {id: GATE-001, level: SHALL, class: core, text: The product accepts the name alpha.}
  - {id: GATE-002, level: SHALL, class: core, text: The product accepts every beta name.}
  - {id: GATE-003, level: SHALL, class: extra, text: The product accepts gamma.}
  - {id: GATE-004, level: SHOULD, class: core, text: The product accepts delta.}
interface:
  operations:
    - name: check
      class: core
      description: Whether the product accepts a name.
      arguments: {type: object, required: [name], additionalProperties: false, properties: {name: {type: string}}}
      result: {type: boolean}
"""

GATE_SUITE = '''\
import pytest


@pytest.mark.requirement("GATE-001")
def test_alpha(iut):
    assert iut.check(name="alpha"), "refused alpha"


@pytest.mark.requirement("GATE-002")
@pytest.mark.parametrize("n", range(12))
def test_beta(iut, n):
    assert iut.check(name=f"beta-{n}"), "refused a <b>|beta|</b> *name*"


@pytest.mark.requirement("GATE-003")
def test_gamma(iut):
    assert iut.check(name="gamma"), "refused gamma"


@pytest.mark.requirement("GATE-004")
def test_delta(iut):
    assert iut.check(name="delta"), "refused delta"
'''

GATE_PRODUCTS = '''\
class Product:
    def __init__(self, refuse=()):
        self.refuse = tuple(refuse)

    def check(self, name):
        return not name.startswith(self.refuse) if self.refuse else True


def good(spec=None):
    return Product()


def broken(spec=None):
    return Product(["beta"])
'''


def gate_catalog(root: Path) -> Path:
    """``root/catalog`` holding ``gate-demo`` 1.0.0 (published: 4 requirements, classes core and
    extra, 15 tests) and its suite, and ``root/gate_products.py`` (factories ``good`` and
    ``broken``, which refuses every beta name: GATE-002 fails). Put ``root`` on the import path."""
    catalog = root / "catalog"
    spec = catalog / "gate-demo" / "1.0.0.yaml"
    spec.parent.mkdir(parents=True)
    spec.write_text(GATE_SPEC)
    (catalog / "suites" / "gate-demo").mkdir(parents=True)
    (catalog / "suites" / "gate-demo" / "test_gate.py").write_text(GATE_SUITE)
    publish_spec_file(spec, lambda p: [], [catalog], on="2026-01-01")
    (root / "gate_products.py").write_text(GATE_PRODUCTS)
    return catalog


# ---- real signed reports of the gate-demo spec, and keyrings ------------------------------------


def orbitcert_in_process(*args: str) -> int:
    """``orbitcert ARGS`` in this process, for module-scoped fixtures (the ``cli`` fixture is
    function-scoped); the exit code."""
    import sys

    import pytest

    from orbitcert.conformance.cli import main

    with pytest.MonkeyPatch.context() as m:
        m.setattr(sys, "argv", ["orbitcert", *args])
        try:
            main()
        except SystemExit as exc:
            return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def key_in_keyring(root: Path, name: str) -> tuple[Path, Path]:
    """An Ed25519 key pair: the private key ``root/NAME.pem`` and a keyring folder
    ``root/NAME-ring`` holding only its public key (``NAME.pub``). Returns (key, keyring)."""
    from orbitcert.conformance.signing import write_key_pair

    ring = root / f"{name}-ring"
    ring.mkdir(parents=True)
    write_key_pair(root / f"{name}.pem", ring / f"{name}.pub")
    return root / f"{name}.pem", ring


def certify_gate(root: Path, out: Path, impl: str = "good", sign_key: Path | None = None, *extra: str) -> int:
    """Certify ``gate-demo@1.0.0`` of :func:`gate_catalog` (made under ``root`` if it is not
    there yet) with the product ``gate_products:IMPL`` into ``out`` (JSON only), signed with
    ``sign_key`` (None: a one-time key); the exit code. A few seconds."""
    import os

    import pytest

    catalog = root / "catalog"
    if not catalog.exists():
        gate_catalog(root)
    args = ["certify", "--catalog", str(catalog), "--spec", "gate-demo@1.0.0", "--impl", f"gate_products:{impl}"]
    args += ["--out", str(out), "--format", "json", *extra]
    if sign_key is not None:
        args += ["--sign-key", str(sign_key)]
    with pytest.MonkeyPatch.context() as m:
        m.syspath_prepend(str(root))
        m.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH", "")) if p))
        m.delenv("ORBITCERT_TRUSTED_KEYS", raising=False)
        return orbitcert_in_process(*args)
