"""The command line as a user meets it: version, help, ``specs show`` formats, ``specs freeze``,
``keygen``; in process through the ``cli`` fixture."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from orbitcert.conformance.report import orbitcert_version
from orbitcert.specs.loader import bundled_catalog_dir, load_spec_file

COMMANDS = [
    ["certify"], ["keygen"], ["specs", "list"], ["specs", "show"], ["specs", "lint"], ["specs", "freeze"],
    ["specs", "schema"], ["ics", "template"], ["ics", "validate"], ["report", "verify"], ["report", "diff"],
    ["campaign", "radiation"], ["golden", "optical", "encode"], ["golden", "optical", "decode"],
    ["golden", "optical", "compare"],
]


def test_version(cli: Callable[..., Any]) -> None:
    from orbitcert.reference_impl.optical import kernels

    result = cli("--version")
    lines = result.stdout.strip().splitlines()
    assert result.code == 0 and lines[0] == f"orbitcert {orbitcert_version()}"
    assert lines[1] == kernels.describe() and lines[1].startswith(f"coding kernel: {kernels.active()} ")


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_an_example_and_plain_usage(cli: Callable[..., Any], command: list[str]) -> None:
    text = cli(*command, "--help").stdout
    assert "Example: orbitcert " + " ".join(command) in " ".join(text.split())
    usage = text.splitlines()[0]
    assert usage.startswith("Usage: orbitcert " + " ".join(command) + " [OPTIONS]"), usage
    assert not re.search(r"<[a-z]+\[|[{}]", text), "usage shows REF / PATH, not {ref} or Python types"


def test_certify_help_states_exit_codes(cli: Callable[..., Any]) -> None:
    text = " ".join(cli("certify", "--help").stdout.split())
    assert "Exit codes: 0 every claimed class certified (with --waivers: possibly certified with waivers); 1 not certified; 2 bad input" in text
    assert "3 interrupted" in text


def test_report_verify_help_states_exit_codes_and_keyrings(cli: Callable[..., Any]) -> None:
    text = " ".join(cli("report", "verify", "--help").stdout.split())
    assert "Exit codes: 0 verified" in text and "1 a check failed; 2 unreadable input; 3 intact" in text
    assert "--trusted-keys" in text and "--public-key" not in text


def test_specs_show_text_fits_an_80_column_log(cli: Callable[..., Any]) -> None:
    result = cli("specs", "show", "net-optical-isl@1.0.0")
    assert result.code == 0
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    for needle in ("OISL-COD-012", "rs_interleaving_depths", "attached_sync_marker", "decode", "Berlekamp dual basis"):
        assert needle in " ".join(result.stdout.split()), needle


@pytest.mark.parametrize("fmt", ["json", "yaml", "md"])
def test_specs_show_machine_formats(cli: Callable[..., Any], fmt: str) -> None:
    result = cli("specs", "show", "net-optical-isl@1.0.0", "--format", fmt)
    assert result.code == 0
    if fmt == "md":
        assert result.stdout.startswith("# ") and "\n#### OISL-COD-001\n" in result.stdout
        return
    data = json.loads(result.stdout) if fmt == "json" else yaml.safe_load(result.stdout)
    assert [r["id"] for r in data["requirements"]][:2] == ["OISL-COD-001", "OISL-COD-002"]
    assert data["computed_digest"].startswith("sha256:")


def test_specs_show_refuses_an_unknown_format(cli: Callable[..., Any]) -> None:
    result = cli("specs", "show", "net-optical-isl@1.0.0", "--format", "pdf")
    assert result.code == 2 and "format: unknown format 'pdf'" in result.stderr


def test_specs_freeze_records_the_digest(cli: Callable[..., Any], tmp_path: Path) -> None:
    bundled = bundled_catalog_dir() / "net-optical-isl" / "1.0.0.yaml"
    copy = tmp_path / "1.0.0.yaml"
    copy.write_text(re.sub(r"(?m)^digest: .*\n", "", bundled.read_text()).replace("status: published", "status: draft"))
    result = cli("specs", "freeze", str(copy))
    assert result.code == 2 and "already published" in result.stderr  # the bundled catalog has 1.0.0
    draft = copy.read_text().replace("version: 1.0.0", "version: 1.0.1")
    copy.write_text(draft)
    result = cli("specs", "freeze", str(copy))
    assert result.code == 0
    digest = load_spec_file(copy).digest
    assert digest in result.stdout
    assert copy.read_text().replace(f"digest: {digest}\n", "") == draft.replace("status: draft\n", "status: draft\n")
    published = copy.read_text().replace("status: draft", "status: published")
    copy.write_text(published)
    result = cli("specs", "freeze", str(copy))  # never re-blessed once published
    assert result.code == 2 and "only a draft or a candidate can be frozen" in result.stderr
    assert copy.read_text() == published


def test_keygen_never_overwrites(cli: Callable[..., Any], tmp_path: Path) -> None:
    victim = tmp_path / "victim.pem"
    victim.write_text("precious")
    result = cli("keygen", str(tmp_path / "new.pem"), "--public", str(victim))
    assert result.code == 2 and "refusing to overwrite" in result.stderr
    assert victim.read_text() == "precious" and not (tmp_path / "new.pem").exists()
