"""Spec model, catalog resolution, digests and lint findings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from orbitcert.conformance.schemas import generated_schemas, load_schema
from orbitcert.specs.loader import Catalog, bundled_catalog_dir, load_spec_file

#: Bundled versions of net-optical-isl, and the newest published one (``@latest``).
BUNDLED_VERSIONS = Catalog.discover().versions("net-optical-isl")
LATEST_PUBLISHED = Catalog.discover().load("net-optical-isl@latest").spec.version
from orbitcert.specs.digest import content_digest
from orbitcert.specs.errors import CatalogError, InputFileError, SpecError, SpecNotFoundError
from orbitcert.specs.model import Spec
from orbitcert.specs.lint import lint_spec, schema_findings
from orbitcert.specs.yamlio import load_yaml_file

BUNDLED = bundled_catalog_dir() / "net-optical-isl" / "1.0.0.yaml"


def _data() -> dict[str, Any]:
    return yaml.safe_load(BUNDLED.read_text())


def _write(tmp_path: Path, data: dict[str, Any], version: str | None = None) -> Path:
    d = tmp_path / data["id"]
    d.mkdir(parents=True, exist_ok=True)
    p = d / f"{version or data['version']}.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    return p


def test_committed_schemas_equal_generated() -> None:
    """specs/schema/*.json are generated from the models: regenerate with `orbitcert specs schema`."""
    schema_dir = bundled_catalog_dir().parent / "schema"
    for name, text in generated_schemas().items():
        assert (schema_dir / name).read_text() == text, f"{name} is stale: run `orbitcert specs schema`"


def test_bundled_specs_validate_against_json_schema() -> None:
    validator = Draft202012Validator(load_schema("spec.schema.json"))
    for f in sorted(bundled_catalog_dir().glob("*/*.yaml")):
        errors = list(validator.iter_errors(load_yaml_file(f).data))
        assert not errors, f"{f}: {errors[0].message}"


def test_json_schema_and_model_agree_on_a_bad_document() -> None:
    data = _data()
    data["requirements"][0]["level"] = "MUST"
    assert list(Draft202012Validator(load_schema("spec.schema.json")).iter_errors(data))
    with pytest.raises(ValidationError):
        Spec.model_validate(data)


def test_bundled_catalog_is_lint_clean() -> None:
    cat = Catalog.discover()
    for loaded in cat.all_loaded():
        assert lint_spec(loaded) == [], loaded.path


def test_recorded_digest_matches_content() -> None:
    loaded = load_spec_file(BUNDLED)
    assert loaded.spec.digest == loaded.digest == content_digest(_data())


def test_digest_ignores_formatting_but_not_content(tmp_path: Path) -> None:
    data = _data()
    reformatted = _write(tmp_path, data)
    assert load_spec_file(reformatted).digest == load_spec_file(BUNDLED).digest
    data["requirements"][0]["text"] += " Editorial change."
    assert load_spec_file(_write(tmp_path, data)).digest != load_spec_file(BUNDLED).digest


def test_schema_error_names_file_line_and_field(tmp_path: Path) -> None:
    text = BUNDLED.read_text().replace("    level: SHOULD\n", "    level: MUST\n")
    p = tmp_path / "net-optical-isl" / "1.0.0.yaml"
    p.parent.mkdir()
    p.write_text(text)
    with pytest.raises(SpecError) as info:
        load_spec_file(p)
    err = info.value
    assert err.field == "requirements.11.level"
    assert text.splitlines()[err.line - 1].strip() == "level: MUST"
    assert str(err).startswith(f"{p}:{err.line}: requirements.11.level:")


def _codes(tmp_path: Path, data: dict[str, Any]) -> list[str]:
    path = _write(tmp_path, data)
    doc = load_yaml_file(path)
    schema = schema_findings(doc)
    if schema:
        return [f.code for f in schema]
    return [f.code for f in lint_spec(load_spec_file(path))]


def test_lint_duplicate_requirement_id(tmp_path: Path) -> None:
    data = _data()
    data["requirements"][1]["id"] = data["requirements"][0]["id"]
    assert "OC101" in _codes(tmp_path, data)


def test_lint_requirement_in_unknown_class(tmp_path: Path) -> None:
    data = _data()
    data["requirements"][0]["class"] = "framing"
    assert "OC102" in _codes(tmp_path, data)


def test_lint_applies_if_unknown_item(tmp_path: Path) -> None:
    data = _data()
    data["requirements"][0]["applies_if"] = "warp_drive and randomizer"
    assert "OC103" in _codes(tmp_path, data)


def test_lint_published_spec_changed_after_freeze(tmp_path: Path) -> None:
    data = _data()
    data["requirements"][0]["text"] = "Changed after publication."
    assert "OC107" in _codes(tmp_path, data)


def test_lint_published_without_digest(tmp_path: Path) -> None:
    data = _data()
    del data["digest"]
    assert "OC106" in _codes(tmp_path, data)


def test_lint_invalid_interface_schema(tmp_path: Path) -> None:
    data = _data()
    data["interface"]["operations"][0]["result"] = {"type": "bytes-please"}
    assert "OC105" in _codes(tmp_path, data)


def test_lint_schema_findings_are_all_reported(tmp_path: Path) -> None:
    data = _data()
    data["requirements"][0]["level"] = "MUST"
    data["requirements"][1]["verification"] = "hope"
    data["surprise"] = 1
    assert _codes(tmp_path, data).count("OC100") == 3


def test_catalog_resolves_latest_and_extra_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _data()
    data.update(version="1.2.0", status="draft")
    data.pop("digest")
    _write(tmp_path, data)
    cat = Catalog.discover([tmp_path])
    assert cat.versions("net-optical-isl") == [*BUNDLED_VERSIONS, "1.2.0"]
    assert cat.load("net-optical-isl@latest").spec.version == LATEST_PUBLISHED, "latest = newest *published*"
    assert cat.load("net-optical-isl@1.2.0").spec.status.value == "draft"
    monkeypatch.setenv("ORBITCERT_CATALOG", str(tmp_path))
    assert Catalog.discover().versions("net-optical-isl") == [*BUNDLED_VERSIONS, "1.2.0"]


@pytest.mark.parametrize("ref", ["no-such-spec@1.0.0", "net-optical-isl@9.9.9", "Bad Ref", "net-optical-isl@1.x"])
def test_unknown_refs_are_typed_errors(ref: str) -> None:
    with pytest.raises(SpecNotFoundError):
        Catalog.discover().load(ref)


def test_file_location_must_match_id_and_version(tmp_path: Path) -> None:
    data = _data()
    _write(tmp_path, data, version="2.0.0")
    with pytest.raises(SpecError, match="sits at"):
        Catalog.discover([tmp_path]).load("net-optical-isl@2.0.0")


def test_report_schema_is_valid_json_schema() -> None:
    for name in ("spec.schema.json", "ics.schema.json", "report.schema.json"):
        Draft202012Validator.check_schema(json.loads(generated_schemas()[name]))


def test_conflicting_duplicate_in_extra_catalog_is_refused(tmp_path: Path) -> None:
    data = _data()
    data["title"] = "A different text under the same published version"
    _write(tmp_path, data)
    with pytest.raises(CatalogError, match="defined differently"):
        Catalog.discover([tmp_path]).load("net-optical-isl@1.0.0")
    identical = tmp_path / "same"
    _write(identical, _data())
    assert Catalog.discover([identical]).load("net-optical-isl@1.0.0").spec.title == _data()["title"]


def test_latest_never_skips_a_broken_version(tmp_path: Path) -> None:
    """A broken newer version in an outside catalog is an error, not silently passed over
    (ID@latest would otherwise resolve, and certify, an older version)."""
    bad = tmp_path / "net-optical-isl" / "2.0.0.yaml"
    bad.parent.mkdir(parents=True)
    bad.write_text("id: net-optical-isl\nversion: 2.0.0\nstatus: [unclosed\n")
    with pytest.raises(InputFileError) as info:
        Catalog.discover([tmp_path]).load("net-optical-isl@latest")
    assert str(bad) in str(info.value)


def test_an_operation_may_serve_several_classes(tmp_path: Path) -> None:
    """``class`` of an operation is one class id or a list; lint checks every listed class, and the
    claimed classes need the operations any of their ids appear on."""
    from orbitcert.conformance.interfaces import required_operations

    data = _data()
    data["classes"].append({"id": "aead-aes", "title": "Hyphenated class ids are allowed", "kind": "extended", "description": "x"})
    data["interface"]["operations"][0]["class"] = ["coding", "aead-aes"]
    path = _write(tmp_path, data)
    spec = load_spec_file(path).spec
    assert spec.interface.operations[0].classes == ["coding", "aead-aes"]
    assert required_operations(spec, ["aead-aes"]) == ["encode"]
    assert "OC102" not in _codes(tmp_path, data)
    data["interface"]["operations"][0]["class"] = ["coding", "warp"]
    assert "OC102" in _codes(tmp_path, data)
    data["interface"]["operations"][0]["class"] = []
    with pytest.raises(SpecError):
        load_spec_file(_write(tmp_path, data))
