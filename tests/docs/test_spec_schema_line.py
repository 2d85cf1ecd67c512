"""Editor validation: every bundled spec file names the spec JSON Schema in a ``yaml-language-server``
comment on its first line, the schema it names exists and ships, and a real validator (jsonschema,
Draft 2020-12, as the YAML language server uses it) accepts every bundled spec and rejects a broken
one. The line is a comment: it changes no digest.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from orbitcert.specs.digest import content_digest
from orbitcert.specs.loader import Catalog, bundled_catalog_dir

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(r"# yaml-language-server: \$schema=(\S+)\n")


def _spec_files() -> list[Path]:
    files = sorted(bundled_catalog_dir().glob("*/*.yaml"))
    assert len(files) >= 5
    return files


def _schema_of(path: Path) -> tuple[Path, dict[str, Any]]:
    m = LINE.match(path.read_text("utf-8"))
    assert m, f"{path}: the first line is not the yaml-language-server $schema line"
    schema_path = (path.parent / m.group(1)).resolve()
    schema: dict[str, Any] = json.loads(schema_path.read_text("utf-8"))
    return schema_path, schema


@pytest.mark.parametrize("path", _spec_files(), ids=lambda p: f"{p.parent.name}@{p.stem}")
def test_schema_line_names_the_spec_schema_and_it_validates_the_file(path: Path) -> None:
    schema_path, schema = _schema_of(path)
    assert schema_path == (ROOT / "specs" / "schema" / "spec.schema.json").resolve()
    Draft202012Validator.check_schema(schema)
    data = yaml.safe_load(path.read_text("utf-8"))
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in Draft202012Validator(schema).iter_errors(data)]
    assert errors == []
    # A comment is not content: the recorded digest still matches the file.
    loaded = Catalog.discover().load(f"{path.parent.name}@{path.stem}")
    assert content_digest(loaded.document.data) == loaded.digest
    if loaded.spec.digest:
        assert loaded.spec.digest == loaded.digest


def test_the_validator_rejects_a_broken_spec() -> None:
    path = bundled_catalog_dir() / "net-optical-isl" / "1.0.0.yaml"
    _, schema = _schema_of(path)
    data = yaml.safe_load(path.read_text("utf-8"))
    data["requirements"][0]["level"] = "SHOUD"
    data["ics"][0]["status"] = "Y"
    del data["classes"]
    found = {(".".join(map(str, e.absolute_path)), e.validator) for e in Draft202012Validator(schema).iter_errors(data)}
    assert any(p == "requirements.0.level" for p, _ in found)
    assert any(p == "ics.0.status" for p, _ in found)
    assert ("", "required") in found


@pytest.mark.slow
def test_the_wheel_ships_the_schema_where_the_line_points(tmp_path: Path) -> None:
    """Built as a vendor installs it: in the wheel, each catalog file's relative ``$schema``
    path reaches ``orbitcert/specs/schema/spec.schema.json``."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, timeout=600,
    )
    (wheel,) = tmp_path.glob("orbitcert-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    specs = [n for n in names if re.fullmatch(r"orbitcert/specs/catalog/[^/]+/[^/]+\.yaml", n)]
    assert len(specs) >= 5
    for name in specs:
        text = zipfile.ZipFile(wheel).read(name).decode("utf-8")
        m = LINE.match(text)
        assert m, name
        target = Path(name).parent / m.group(1)
        resolved = _normpath(target)
        assert str(resolved) == "orbitcert/specs/schema/spec.schema.json" and str(resolved) in names, name


def _normpath(p: Path) -> Path:
    parts: list[str] = []
    for part in p.parts:
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return Path(*parts)
