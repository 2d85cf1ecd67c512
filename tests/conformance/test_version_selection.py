"""One suite, several spec versions: a test of a requirement only another version defines is
deselected (not an error, not in the report); a requirement id no version defines stays an error;
lint of each version agrees."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from orbitcert.conformance.traceability import lint_specs

from test_plugin import DEMO, _pytest

NEW_TEST = '''
import pytest


@pytest.mark.requirement("DEMO-008")
def test_added_in_1_1():
    assert True


@pytest.mark.requirement("DEMO-008", "DEMO-001")
def test_spans_versions():
    assert True
'''


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cat") / "demo"
    shutil.copytree(DEMO, root)
    text = (root / "demo-spec" / "1.0.0.yaml").read_text()
    text = text.replace("version: 1.0.0", "version: 1.1.0", 1)
    text = text.replace("requirements:\n", "requirements:\n  - {id: DEMO-008, level: SHALL, class: base, text: Added in 1.1.0.}\n", 1)
    (root / "demo-spec" / "1.1.0.yaml").write_text(text)
    (root / "suites" / "demo-spec" / "test_v11.py").write_text(NEW_TEST)
    return root


def _run(tmp: Path, catalog: Path, version: str) -> dict[str, Any]:
    ics = tmp / "ics.yaml"
    ics.write_text((catalog / "ics.yaml").read_text().replace("demo-spec@1.0.0", f"demo-spec@{version}"))
    proc = _pytest(
        tmp,
        "--orbitcert-spec", f"demo-spec@{version}",
        "--orbitcert-catalog", str(catalog),
        "--orbitcert-impl", "builtins:dict",
        "--orbitcert-ics", str(ics),
        "--orbitcert-out", str(tmp / "out"),
        "--orbitcert-timeout", "1",
        "--orbitcert-allow-draft",  # the demo spec is a draft (its lint findings are on purpose)
        "-k", "not hangs",
    )
    assert proc.returncode == 1, proc.stdout  # the demo suite has failing tests on purpose
    data: dict[str, Any] = json.loads((tmp / "out" / f"demo-spec-{version}.json").read_text())
    return {t["nodeid"].rsplit("::", 1)[1]: t for t in data["tests"]}


def test_the_older_version_runs_without_the_newer_tests(tmp_path: Path, catalog: Path) -> None:
    tests = _run(tmp_path, catalog, "1.0.0")
    assert "test_added_in_1_1" not in tests, "a test of a 1.1.0-only requirement is not part of 1.0.0"
    # Naming a requirement of this version too, it runs, and the other version's id is unknown here.
    assert tests["test_spans_versions"]["verdict"] == "error"
    assert "DEMO-008" in tests["test_spans_versions"]["message"]
    assert tests["test_names_unknown_requirement"]["verdict"] == "error", "an id no version defines stays an error"


def test_the_newer_version_runs_them(tmp_path: Path, catalog: Path) -> None:
    tests = _run(tmp_path, catalog, "1.1.0")
    assert tests["test_added_in_1_1"]["verdict"] == "pass"
    assert tests["test_spans_versions"]["verdict"] == "pass"
    assert tests["test_names_unknown_requirement"]["verdict"] == "error"


def test_lint_of_each_version_ignores_the_other_versions_tests(catalog: Path) -> None:
    for version in ("1.0.0", "1.1.0"):
        _, findings = lint_specs([catalog / "demo-spec" / f"{version}.yaml"], catalogs=[catalog])
        unknown = [f.message for f in findings if f.code == "OC202"]
        assert any("DEMO-999" in m for m in unknown), unknown
        assert not any("'DEMO-008'" in m and "test_added_in_1_1" in m for m in unknown), (version, unknown)
