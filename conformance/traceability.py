"""Spec lint with traceability between a spec and its conformance suite (``orbitcert specs lint``).

The suite is collected with pytest (``--collect-only``, nothing runs) so that parametrization and
module-level markers count exactly as they will in a certification run.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from orbitcert.specs.errors import OrbitcertError, SuiteError
from orbitcert.specs.lint import Finding, lint_spec, schema_findings, version_findings
from orbitcert.specs.loader import Catalog, LoadedSpec, load_spec_document
from orbitcert.specs.model import Verification
from orbitcert.specs.yamlio import load_yaml_file

from .session import suite_dir, suite_location_args
from .suite import applies_if_predicates, requirement_ids


class _Collector:
    def __init__(self) -> None:
        self.tests: dict[str, tuple[str, ...]] = {}
        self.predicates: dict[str, tuple[str, ...]] = {}
        self.locations: dict[str, tuple[str, int | None]] = {}
        self.errors: list[str] = []
        self.exit_code = 0

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # After every plugin's selection: tests of other versions' requirements are deselected.
        for item in session.items:
            self.tests[item.nodeid] = requirement_ids(item)
            self.predicates[item.nodeid] = applies_if_predicates(item)
            path, line, _ = item.location
            self.locations[item.nodeid] = (str(Path(item.path)), (line + 1) if line is not None else None)

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.errors.append(f"{report.nodeid}: {str(report.longrepr)[-500:]}")


def no_product() -> None:
    """Stand-in factory for collection: never called."""
    raise RuntimeError("collection only")


@contextlib.contextmanager
def _without_env(names: Sequence[str]) -> Iterator[None]:
    """Remove ``names`` from the environment for the block (pytest reads PYTEST_ADDOPTS there)."""
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def collect_suite(loaded: LoadedSpec, suite: Path, catalogs: list[str] | None = None) -> _Collector:
    """Collect the suite of ``loaded`` without running it."""
    # Only the harness's plugins (no autoloaded plugin is rewritten, ~0.8 s), and none of a CI job's
    # PYTEST_ADDOPTS: the collection is the one a certification's child makes.
    from .run import CHILD_ENV_DROPPED, plugin_args

    collector = _Collector()
    args = [
        *plugin_args(),
        str(suite),
        "--collect-only",
        "-q",
        "-p",
        "no:cacheprovider",
        "--import-mode=importlib",
        *suite_location_args(suite),  # as run_certification does: module names <spec-id>.test_x
        "--orbitcert-spec",
        loaded.spec.ref,
        "--orbitcert-impl",
        "orbitcert.conformance.traceability:no_product",
        "--orbitcert-any-status",  # a draft's or a withdrawn version's suite is linted all the same
    ]
    for c in catalogs or []:
        args += ["--orbitcert-catalog", str(c)]
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out), _without_env(CHILD_ENV_DROPPED):
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


def _other_versions(
    loaded: LoadedSpec, catalogs: Sequence[str | Path], seen: dict[tuple[str, ...], Catalog]
) -> list[LoadedSpec]:
    """Every version of ``loaded``'s spec in the catalog plus the file's own catalog root, other
    than the file itself (a version that does not load is left to its own lint)."""
    root = Path(loaded.path).absolute().parent.parent  # a symlinked file belongs to the catalog it sits in
    key = tuple(str(c) for c in [*catalogs, root])
    if key not in seen:
        try:
            seen[key] = Catalog.discover([*catalogs, root])
        except OrbitcertError:
            seen[key] = Catalog.discover(catalogs)
    cat = seen[key]
    out = []
    for version in cat.versions(loaded.spec.id):
        if version == loaded.spec.version:
            continue
        try:
            out.append(cat.load(f"{loaded.spec.id}@{version}"))
        except OrbitcertError:
            continue
    return out


def lint_specs(
    paths: Sequence[str | Path] = (), catalogs: Sequence[str | Path] = (), check_suite: bool = True
) -> tuple[int, list[Finding]]:
    """Lint spec files (default: the whole catalog): schema, consistency, and, with
    ``check_suite``, traceability against each spec's suite. Returns (files linted, findings).

    Unreadable or malformed YAML raises its typed error (the CLI's exit 2); everything else is a
    finding (exit 1).
    """
    findings: list[Finding] = []
    if paths:
        files = [Path(p) for p in paths]
    else:
        cat = Catalog.discover(catalogs)
        files = list(cat.entries.values())
        findings += [
            Finding(str(f), None, "OC110", "not found as a spec: a catalog file must be <spec-id>/<semver>.yaml")
            for f in cat.misplaced
        ]
    roots = [str(c) for c in catalogs]
    catalogs_seen: dict[tuple[str, ...], Catalog] = {}
    for f in files:
        doc = load_yaml_file(f)
        schema = schema_findings(doc)
        if schema:
            findings += schema
            continue
        loaded = load_spec_document(doc)
        findings += lint_spec(loaded)
        findings += version_findings(loaded, _other_versions(loaded, catalogs, catalogs_seen))
        if not check_suite:
            continue
        try:
            suite, _ = suite_dir(loaded)
        except SuiteError:
            findings.append(Finding(str(f), None, "OC204", f"no conformance suite for {loaded.spec.id}"))
            continue
        # The file's own catalog root, so a spec outside the configured catalogs can be linted.
        findings += traceability_findings(loaded, suite, [*roots, str(Path(f).resolve().parent.parent)])
    return len(files), findings
