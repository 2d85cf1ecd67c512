"""The life of a spec version (specs/lifecycle.py, specs/lint.py version_findings): publishing,
and stable ids across versions. What certify does with each status: tests/conformance/test_lifecycle_certify.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orbitcert.conformance.traceability import lint_specs
from orbitcert.specs.errors import SpecError
from orbitcert.specs.lifecycle import publish_spec_file
from orbitcert.specs.loader import load_spec_file

BASE = """\
# yaml-language-server: $schema=../../schema/spec.schema.json
id: demo-life
version: {version}
status: {status}
title: Lifecycle demo
classes:
  - {{id: base, title: Base}}
requirements:
{requirements}
ics:
{ics}
{extra}
"""
REQS = {
    "LIFE-001": "  - {id: LIFE-001, level: SHALL, class: base, text: One.}",
    "LIFE-002": "  - {id: LIFE-002, level: SHALL, class: base, text: Two.}",
    "LIFE-003": "  - {id: LIFE-003, level: SHOULD, class: base, text: Three.}",
}
ITEMS = {
    "speed": "  - {id: speed, question: 'How fast?', status: O, type: integer}",
    "mode": "  - {id: mode, question: 'Which mode?', status: O, type: enum, values: [a, b]}",
}


def _write(cat: Path, version: str, status: str = "draft", reqs: tuple[str, ...] = ("LIFE-001", "LIFE-002"),
           items: tuple[str, ...] = ("speed",), extra: str = "", ics_override: dict[str, str] | None = None) -> Path:
    ics = {**ITEMS, **(ics_override or {})}
    text = BASE.format(
        version=version, status=status, requirements="\n".join(REQS[r] for r in reqs),
        ics="\n".join(ics[i] for i in items) or "  []", extra=extra,
    ).replace("ics:\n  []", "ics: []")
    path = cat / "demo-life" / f"{version}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _lint(path: Path, cat: Path) -> list[str]:
    return [f"{f.code} {f.message}" for f in lint_specs([path], [cat], check_suite=False)[1]]


def _publish(path: Path, cat: Path, on: str = "2026-01-02") -> Any:
    return publish_spec_file(path, lambda p: lint_specs([p], [cat], check_suite=False)[1], [cat], on)


# --- publish ---------------------------------------------------------------------------------------


def test_publish_sets_status_date_and_digest_in_one_step(tmp_path: Path) -> None:
    path = _write(tmp_path, "1.0.0")
    before = path.read_text()
    done = _publish(path, tmp_path)
    loaded = load_spec_file(path)
    assert loaded.spec.status.value == "published" and loaded.spec.published == "2026-01-02"
    assert loaded.spec.digest == loaded.digest == done.digest
    # Only the three lifecycle lines changed; the comment line and the rest are intact.
    after = path.read_text()
    kept = [ln for ln in after.splitlines() if not ln.startswith(("status:", "published:", "digest:"))]
    assert kept == [ln for ln in before.splitlines() if not ln.startswith("status:")]
    assert _lint(path, tmp_path) == []


def test_publish_refuses_a_published_file_and_a_reused_version(tmp_path: Path) -> None:
    path = _write(tmp_path, "1.0.0")
    _publish(path, tmp_path)
    with pytest.raises(SpecError, match="is published: only a draft or a candidate can be published"):
        _publish(path, tmp_path)
    other = tmp_path / "elsewhere" / "demo-life" / "1.0.0.yaml"
    other.parent.mkdir(parents=True)
    other.write_text(path.read_text().replace("status: published", "status: draft").replace("One.", "Uno."))
    with pytest.raises(SpecError, match="already published in .* with other content"):
        _publish(other, tmp_path)


def test_publish_refuses_when_lint_finds_anything_and_writes_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path, "1.0.0", extra="  # nothing")
    text = path.read_text().replace("class: base, text: Two.", "class: nope, text: Two.")
    path.write_text(text)
    with pytest.raises(SpecError, match="(?s)not published: lint reports 1 finding.*OC102"):
        _publish(path, tmp_path)
    assert path.read_text() == text


def test_freeze_then_publish_keeps_the_digest(tmp_path: Path, cli: Callable[..., Any]) -> None:
    """The README's order: freeze the draft for review, publish it later; no OC107 or OC108."""
    path = _write(tmp_path, "1.0.0")
    frozen = cli("specs", "freeze", str(path), "--catalog", str(tmp_path))
    assert frozen.code == 0, frozen.stderr
    digest = load_spec_file(path).spec.digest
    published = cli("specs", "publish", str(path), "--catalog", str(tmp_path), "--no-suite", "--date", "2026-02-03")
    assert published.code == 0, published.stderr
    assert load_spec_file(path).spec.digest == digest
    assert cli("specs", "lint", str(path), "--catalog", str(tmp_path), "--no-suite").code == 0


def test_publish_cli_exit_codes(tmp_path: Path, cli: Callable[..., Any]) -> None:
    path = _write(tmp_path, "1.0.0")
    path.write_text(path.read_text().replace("class: base, text: Two.", "class: nope, text: Two."))
    result = cli("specs", "publish", str(path), "--catalog", str(tmp_path), "--no-suite")
    assert result.code == 1 and "OC102" in result.stderr
    result = cli("specs", "publish", str(tmp_path / "missing.yaml"), "--no-suite")
    assert result.code == 2 and "cannot read" in result.stderr
    other = tmp_path / "other"
    good = _write(other, "1.1.0")
    result = cli("specs", "publish", str(good), "--catalog", str(other), "--no-suite", "--date", "26/11/2026")
    assert result.code == 2 and "not a date" in result.stderr


# --- stable ids and versions across the catalog ----------------------------------------------------


def test_a_dropped_id_must_be_listed_as_retired(tmp_path: Path) -> None:
    _publish(_write(tmp_path, "1.0.0"), tmp_path)
    new = _write(tmp_path, "2.0.0", reqs=("LIFE-001",), items=())
    found = _lint(new, tmp_path)
    assert any(f.startswith("OC113 requirement id LIFE-002 of demo-life@1.0.0") for f in found)
    assert any(f.startswith("OC113 ics id speed of demo-life@1.0.0") for f in found)
    retired = "retired:\n  - {id: LIFE-002, retired_in: 2.0.0, reason: merged}\n  - {id: speed, kind: ics, retired_in: 2.0.0}"
    new = _write(tmp_path, "2.0.0", reqs=("LIFE-001",), items=(), extra=retired)
    assert _lint(new, tmp_path) == []


def test_a_retired_id_is_never_reused(tmp_path: Path) -> None:
    _publish(_write(tmp_path, "1.0.0"), tmp_path)
    retired = "retired:\n  - {id: LIFE-002, retired_in: 2.0.0}"
    _publish(_write(tmp_path, "2.0.0", reqs=("LIFE-001",), extra=retired), tmp_path)
    back = _write(tmp_path, "3.0.0", reqs=("LIFE-001", "LIFE-002"), extra=retired)
    found = _lint(back, tmp_path)
    assert any(f.startswith("OC112 requirement id LIFE-002 was retired in 2.0.0") for f in found), found
    assert any(f.startswith("OC114 retired requirement id LIFE-002 is still defined") for f in found), found
    gone = _write(tmp_path, "3.0.0", reqs=("LIFE-001",))
    assert any(f.startswith("OC113 requirement id LIFE-002 retired in 2.0.0 is no longer listed") for f in _lint(gone, tmp_path))


def test_an_ics_item_keeps_its_type(tmp_path: Path) -> None:
    _publish(_write(tmp_path, "1.0.0"), tmp_path)
    changed = _write(
        tmp_path, "2.0.0", ics_override={"speed": "  - {id: speed, question: 'How fast?', status: O, type: string}"}
    )
    assert any(f.startswith("OC112 ICS item speed is a integer in demo-life@1.0.0") for f in _lint(changed, tmp_path))


def test_wrong_retired_entries(tmp_path: Path) -> None:
    _publish(_write(tmp_path, "1.0.0"), tmp_path)
    extra = (
        "retired:\n  - {id: LIFE-002, retired_in: 2.0.0, replaced_by: LIFE-009}\n"
        "  - {id: LIFE-077, retired_in: 2.0.0}\n  - {id: LIFE-001, retired_in: 9.0.0}"
    )
    found = _lint(_write(tmp_path, "2.0.0", reqs=("LIFE-001",), extra=extra), tmp_path)
    assert any("OC114 LIFE-002 is replaced by LIFE-009, which this version does not define" in f for f in found)
    assert any("OC114 retired requirement id LIFE-077 is not defined by any earlier version" in f for f in found)
    assert any("OC114 LIFE-001 is retired in 9.0.0, after this version" in f for f in found)


def test_a_draft_whose_bump_is_too_small_is_flagged_and_not_published(tmp_path: Path) -> None:
    _publish(_write(tmp_path, "1.0.0"), tmp_path)
    retired = "retired:\n  - {id: LIFE-002, retired_in: 1.1.0}"
    minor = _write(tmp_path, "1.1.0", reqs=("LIFE-001",), extra=retired)  # removing a requirement is MAJOR
    found = _lint(minor, tmp_path)
    assert any(f.startswith("OC115 demo-life@1.1.0 is a MINOR bump of demo-life@1.0.0 but its changes require MAJOR") for f in found)
    with pytest.raises(SpecError, match="OC115"):
        _publish(minor, tmp_path)
    additive = _write(tmp_path, "1.2.0", reqs=("LIFE-001", "LIFE-002", "LIFE-003"))  # a SHOULD: MINOR
    assert _lint(additive, tmp_path) == []


def test_lifecycle_fields_are_checked(tmp_path: Path) -> None:
    old = _write(tmp_path, "1.0.0")
    _publish(old, tmp_path)
    old.write_text(old.read_text().replace("status: published", "status: withdrawn"))
    assert any(f.startswith("OC116 a withdrawn version names no replacement") for f in _lint(old, tmp_path))
    old.write_text(old.read_text().replace("status: withdrawn", "status: withdrawn\nreplaced_by: demo-life@1.5.0"))
    assert any(f.startswith("OC116 replacement demo-life@1.5.0 is not in the catalog") for f in _lint(old, tmp_path))
    _publish(_write(tmp_path, "1.5.0", reqs=("LIFE-001", "LIFE-002", "LIFE-003")), tmp_path)
    assert _lint(old, tmp_path) == []  # withdrawing changes no digest: the content is the same
    assert load_spec_file(old).spec.digest == load_spec_file(old).digest
