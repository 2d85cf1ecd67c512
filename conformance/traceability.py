"""Traceability between a spec and its conformance suite (DESIGN.md "traceability is checked").

The suite is collected with pytest (``--collect-only``, nothing runs) so that parametrization and
module-level markers count exactly as they will in a certification run.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import pytest

from orbitcert.specs.loader import LoadedSpec
from orbitcert.specs.lint import Finding
from orbitcert.specs.model import Verification

from .plugin import requirement_ids


class _Collector:
    def __init__(self) -> None:
        self.tests: dict[str, tuple[str, ...]] = {}
        self.locations: dict[str, tuple[str, int | None]] = {}
        self.errors: list[str] = []
        self.exit_code = 0

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            self.tests[item.nodeid] = requirement_ids(item)
            path, line, _ = item.location
            self.locations[item.nodeid] = (str(Path(item.path)), (line + 1) if line is not None else None)

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.errors.append(f"{report.nodeid}: {str(report.longrepr)[-500:]}")


def no_product() -> None:
    """Stand-in factory for collection: never called."""
    raise RuntimeError("collection only")


def collect_suite(loaded: LoadedSpec, suite: Path, catalogs: list[str] | None = None) -> _Collector:
    """Collect the suite of ``loaded`` without running it."""
    collector = _Collector()
    args = [
        str(suite),
        "--collect-only",
        "-q",
        "-p",
        "no:cacheprovider",
        "--import-mode=importlib",
        "--rootdir",
        str(suite),
        "--orbitcert-spec",
        loaded.spec.ref,
        "--orbitcert-impl",
        "orbitcert.conformance.traceability:no_product",
    ]
    for c in catalogs or []:
        args += ["--orbitcert-catalog", str(c)]
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        collector.exit_code = int(pytest.main(args, plugins=[collector]))
    if collector.exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED) and not collector.errors:
        tail = " ".join(out.getvalue().split())[-400:]
        collector.errors.append(f"collection failed (pytest exit {collector.exit_code}): {tail}")
    return collector


def traceability_findings(loaded: LoadedSpec, suite: Path, catalogs: list[str] | None = None) -> list[Finding]:
    """Requirements verified by test that no test covers; tests naming no or unknown requirements."""
    spec, doc = loaded.spec, loaded.document
    collected = collect_suite(loaded, suite, catalogs)
    out = [Finding(str(suite), None, "OC200", f"suite does not collect: {e}") for e in collected.errors]
    if out:
        return out  # nothing below would mean anything
    known = {r.id for r in spec.requirements}
    covered = {rid for ids in collected.tests.values() for rid in ids}
    for nodeid, ids in sorted(collected.tests.items()):
        path, line = collected.locations[nodeid]
        if not ids:
            out.append(Finding(path, line, "OC201", f"test {nodeid} names no requirement"))
        for rid in ids:
            if rid not in known:
                out.append(Finding(path, line, "OC202", f"test {nodeid} names unknown requirement {rid!r} of {spec.ref}"))
    for ri, r in enumerate(spec.requirements):
        if r.verification is Verification.test and r.id not in covered and r.deprecated_in is None:
            out.append(
                Finding(
                    doc.path,
                    doc.line_of(("requirements", ri)),
                    "OC203",
                    f"{r.level.value} requirement {r.id} is verified by test but no suite test covers it",
                    f"requirements.{ri}",
                )
            )
    return out
