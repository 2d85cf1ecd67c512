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
        Implementation(name="acme-modem", version=version, factory="acme:create"),
        SuiteBinding(path="suites/net-optical-isl", origin="bundled", digest="sha256:" + "0" * 64),
        started="2026-11-25T00:00:00Z",
        thoroughness=Thoroughness(examples=examples, minimum_examples=25, derandomized=True, timeout=300.0),
    )
