"""What ``orbitcert certify`` does with each status of a spec version (specs/lifecycle.py): a
withdrawn version is refused naming its replacement, a draft needs --allow-draft and its report
never certifies (and says so in every format), a deprecated one certifies with a warning."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orbitcert.specs.lifecycle import status_blocker

from helpers import key_in_keyring, new_optical_version


def _optical(catalog: Path, status: str, extra: str = "") -> None:
    path = new_optical_version(catalog, "2.0.0")
    path.write_text(re.sub(r"(?m)^status: published$", f"status: {status}{extra}", path.read_text()))


def test_withdrawn_is_refused_naming_the_replacement(tmp_path: Path, cli: Callable[..., Any]) -> None:
    _optical(tmp_path, "withdrawn", "\nreplaced_by: net-optical-isl@1.1.0\nnotice: erratum in the marker")
    result = cli("certify", "--spec", "net-optical-isl@2.0.0", "--catalog", str(tmp_path), "-o", str(tmp_path / "r"))
    assert result.code == 2
    assert "net-optical-isl@2.0.0 is withdrawn (erratum in the marker)" in result.stderr
    assert "use net-optical-isl@1.1.0" in result.stderr


def test_a_draft_needs_allow_draft_and_its_report_never_certifies(tmp_path: Path, cli: Callable[..., Any]) -> None:
    _optical(tmp_path, "draft")
    out = tmp_path / "r"
    refused = cli("certify", "--spec", "net-optical-isl@2.0.0", "--catalog", str(tmp_path), "-o", str(out))
    assert refused.code == 2 and "--allow-draft" in refused.stderr
    key, ring = key_in_keyring(tmp_path / "keys", "vendor")
    result = cli(
        "certify", "--spec", "net-optical-isl@2.0.0", "--catalog", str(tmp_path), "-o", str(out), "--allow-draft",
        "--sign-key", str(key),
    )
    # The reference reads the marker from the spec's parameters: it passes 2.0.0's suite, so only
    # the draft status stands between this report and a certification.
    assert result.code == 1, result.stdout + result.stderr
    data = json.loads((out / "net-optical-isl-2.0.0.json").read_text())
    assert data["spec"]["status"] == "draft" and data["decision"] == "not-certified"
    assert data["blockers"] == [status_blocker("draft")]
    assert all(c["decision"] == "certified" for c in data["classes"] if c["claimed"])
    assert "DRAFT SPECIFICATION" in (out / "net-optical-isl-2.0.0.html").read_text()
    assert "Cannot certify: the spec version is a draft" in (out / "net-optical-isl-2.0.0.md").read_text()
    assert 'name="spec_status" value="draft"' in (out / "net-optical-isl-2.0.0.junit.xml").read_text()
    # An honest draft report is intact and, signed by a trusted key, verifies (it just never certifies).
    verified = cli("report", "verify", str(out / "net-optical-isl-2.0.0.json"), "--catalog", str(tmp_path), "--trusted-keys", str(ring))
    assert verified.code == 0, verified.stdout
    assert "VERIFIED:" in verified.stdout and "(not-certified)" in verified.stdout


def test_deprecated_is_certified_with_a_warning(tmp_path: Path, cli: Callable[..., Any]) -> None:
    _optical(tmp_path, "deprecated", "\nreplaced_by: net-optical-isl@1.1.0")
    result = cli("certify", "--spec", "net-optical-isl@2.0.0", "--catalog", str(tmp_path), "-o", str(tmp_path / "r"))
    assert result.code == 0, result.stdout + result.stderr
    assert "warning: net-optical-isl@2.0.0 is deprecated; its replacement is net-optical-isl@1.1.0" in result.stderr
