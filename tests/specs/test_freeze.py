"""Freezing (specs/freeze.py): only the top-level digest entry changes, the file's bytes otherwise survive."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orbitcert.specs.errors import InputFileError, SpecError
from orbitcert.specs.freeze import freeze_spec_file, freeze_text
from orbitcert.specs.loader import bundled_catalog_dir, load_spec_file
from orbitcert.specs.yamlio import load_yaml_text

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
BUNDLED = bundled_catalog_dir() / "net-optical-isl" / "1.0.0.yaml"


def _data(text: str) -> dict[str, object]:
    data = load_yaml_text(text).data
    assert isinstance(data, dict)
    return data


# --- freeze_text -----------------------------------------------------------------------------------


def test_digest_inserted_after_status_keeping_comments() -> None:
    text = "# header\nid: x\nversion: 1.0.0\nstatus: draft  # not yet\ntitle: t\n"
    assert freeze_text(text, D1) == f"# header\nid: x\nversion: 1.0.0\nstatus: draft  # not yet\ndigest: {D1}\ntitle: t\n"


def test_existing_digest_replaced_in_place() -> None:
    text = f"id: x\nstatus: published\ndigest: {D2}  # frozen 2026\ntitle: t\n"
    assert freeze_text(text, D1) == f"id: x\nstatus: published\ndigest: {D1}  # frozen 2026\ntitle: t\n"


def test_empty_and_block_scalar_digest_values_replaced() -> None:
    assert freeze_text("id: x\ndigest:\ntitle: t\n", D1) == f"id: x\ndigest: {D1}\ntitle: t\n"
    assert freeze_text("id: x\ndigest: |-\n  old\ntitle: t\n", D1) == f"id: x\ndigest: {D1}\ntitle: t\n"
    crlf = "id: x\r\ndigest: >\r\n  old\r\ntitle: t\r\n"
    assert freeze_text(crlf, D1) == f"id: x\r\ndigest: {D1}\r\ntitle: t\r\n"


def test_crlf_file_stays_crlf() -> None:
    text = "# c\r\nid: x\r\nstatus: draft\r\ntitle: t\r\n"
    out = freeze_text(text, D1)
    assert out == f"# c\r\nid: x\r\nstatus: draft\r\ndigest: {D1}\r\ntitle: t\r\n"
    assert out.count("\n") == out.count("\r\n")
    replaced = freeze_text(out, D2)
    assert replaced == out.replace(D1, D2)


def test_nested_digest_keys_comments_and_block_scalars_are_not_touched() -> None:
    text = (
        "# digest: sha256:in-a-comment\n"
        "id: x\n"
        "version: 1.0.0\n"
        "status: draft\n"
        "title: |\n"
        "  digest: a line of a block scalar\n"
        "parameters:\n"
        "  p:\n"
        "    value: 1\n"
        "    description: >-\n"
        "      digest: inside a folded description\n"
        "    digest: nested key\n"
    )
    out = freeze_text(text, D1)
    assert out == text.replace("status: draft\n", f"status: draft\ndigest: {D1}\n")
    data = _data(out)
    assert data["digest"] == D1
    assert data["parameters"] == _data(text)["parameters"]


def test_column_0_line_inside_a_quoted_scalar_is_not_a_key() -> None:
    # YAML lets a double-quoted scalar continue at column 0: a line-based edit would rewrite the title.
    text = 'id: x\nstatus: draft\ntitle: "first line\ndigest: part of the title"\n'
    out = freeze_text(text, D1)
    assert out == f'id: x\nstatus: draft\ndigest: {D1}\ntitle: "first line\ndigest: part of the title"\n'
    assert _data(out)["title"] == "first line digest: part of the title"


def test_without_status_after_version_else_at_the_top_after_comments() -> None:
    assert freeze_text("id: x\nversion: 1.0.0\ntitle: t\n", D1) == f"id: x\nversion: 1.0.0\ndigest: {D1}\ntitle: t\n"
    text = "# lead\n\n---\n# more\nid: x\ntitle: t\n"
    assert freeze_text(text, D1) == f"# lead\n\n---\n# more\ndigest: {D1}\nid: x\ntitle: t\n"


def test_final_line_break_added_when_missing_and_nothing_removed() -> None:
    assert freeze_text("id: x\nstatus: draft", D1) == f"id: x\nstatus: draft\ndigest: {D1}\n"
    assert freeze_text(f"id: x\ndigest: {D2}", D1) == f"id: x\ndigest: {D1}\n"
    keep = "id: x\nstatus: draft\nnote: |+\n  kept\n\n\n"
    out = freeze_text(keep, D1)
    assert out.endswith("  kept\n\n\n")
    assert _data(out)["note"] == "kept\n\n\n"


def test_indented_root_mapping_gets_an_indented_line() -> None:
    assert freeze_text("  id: x\n  status: draft\n", D1) == f"  id: x\n  status: draft\n  digest: {D1}\n"


def test_bad_digest_and_non_mappings_are_refused() -> None:
    with pytest.raises(ValueError):
        freeze_text("id: x\n", "sha256:XYZ")
    with pytest.raises(SpecError, match="mapping"):
        freeze_text("- a\n- b\n", D1)
    with pytest.raises(SpecError, match="flow style"):
        freeze_text("{id: x, status: draft}\n", D1)
    with pytest.raises(InputFileError):
        freeze_text("id: [unclosed\n", D1)
    with pytest.raises(SpecError, match="alias"):
        freeze_text(f"a: &d {D2}\ndigest: *d\n", D1)


@st.composite
def spec_like_texts(draw: st.DrawFn) -> str:
    lines = ["# leading comment"] if draw(st.booleans()) else []
    keys = draw(st.permutations(["id: x", "version: 1.0.0", "status: draft", "title: t"]))
    keys = keys[: draw(st.integers(1, 4))]
    if draw(st.booleans()):
        hexdigits = draw(st.text("0123456789abcdef", min_size=64, max_size=64))
        keys.insert(draw(st.integers(0, len(keys))), f"digest: sha256:{hexdigits}")
    for key in keys:
        lines.append(key)
        if draw(st.booleans()):
            lines.append("# between")
    if draw(st.booleans()):
        lines += ["parameters:", "  p:", "    value: 0x1A9", "    description: |", "      digest: no", "    digest: no"]
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    return nl.join(lines) + draw(st.sampled_from(["", nl, nl + nl]))


@given(spec_like_texts(), st.sampled_from([D1, D2]), st.sampled_from([D1, D2]))
def test_freeze_text_is_idempotent_and_only_the_digest_changes(text: str, first: str, second: str) -> None:
    once = freeze_text(text, first)
    assert freeze_text(once, first) == once
    assert freeze_text(once, second) == freeze_text(text, second)  # refreezing replaces, never adds
    before, after = _data(text), _data(once)
    assert after.pop("digest") == first
    before.pop("digest", None)
    assert after == before
    assert once.endswith("\n")
    if "\r\n" in text:
        assert once.count("\n") == once.count("\r\n")
    # Every byte of the input survives, in order, apart from a replaced digest line.
    old_lines = [ln for ln in text.replace("\r\n", "\n").split("\n") if not ln.startswith("digest:")]
    new_lines = [ln for ln in once.replace("\r\n", "\n").split("\n") if not ln.startswith("digest:")]
    assert [ln for ln in new_lines if ln] == [ln for ln in old_lines if ln]


# --- freeze_spec_file ------------------------------------------------------------------------------


def _draft_text(text: str) -> str:
    """The bundled 1.0.0 file as the draft of a new version 9.0.0 (another content digest)."""
    return text.replace("status: published", "status: draft").replace("version: 1.0.0", "version: 9.0.0")


def _copy_without_digest(tmp_path: Path, transform: str = "") -> Path:
    """The bundled file as a draft of 9.0.0 with its digest line removed."""
    text = _draft_text(BUNDLED.read_text(encoding="utf-8"))
    lines = [ln for ln in text.splitlines(keepends=True) if not ln.startswith("digest:")]
    assert len(lines) == len(text.splitlines()) - 1
    target = tmp_path / "net-optical-isl" / "9.0.0.yaml"
    target.parent.mkdir()
    out = "".join(lines)
    if transform == "crlf":
        out = out.replace("\n", "\r\n")
    target.write_bytes(out.encode("utf-8"))
    return target


def _expected(digest: str) -> bytes:
    """The draft copy with ``digest`` on the line where the bundled file has its own."""
    recorded = load_spec_file(BUNDLED).spec.digest
    assert recorded is not None
    return _draft_text(BUNDLED.read_text(encoding="utf-8")).replace(recorded, digest).encode("utf-8")


def test_freeze_puts_the_digest_line_back_where_it_was(tmp_path: Path) -> None:
    target = _copy_without_digest(tmp_path)
    digest = freeze_spec_file(target)
    assert digest == load_spec_file(target).digest != load_spec_file(BUNDLED).digest
    assert target.read_bytes() == _expected(digest)
    assert [p.name for p in target.parent.iterdir()] == ["9.0.0.yaml"]  # no temporary file left


def test_freeze_keeps_crlf_and_file_mode(tmp_path: Path) -> None:
    target = _copy_without_digest(tmp_path, "crlf")
    os.chmod(target, 0o640)
    digest = freeze_spec_file(target)
    raw = target.read_bytes()
    assert raw == _expected(digest).replace(b"\n", b"\r\n")
    assert f"digest: {digest}\r\n".encode() in raw
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_freeze_of_a_frozen_file_does_not_rewrite_it(tmp_path: Path) -> None:
    target = _copy_without_digest(tmp_path)
    freeze_spec_file(target)
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    freeze_spec_file(target)
    assert target.stat().st_mtime_ns == 1_000_000_000


def test_freeze_follows_a_symlink(tmp_path: Path) -> None:
    target = _copy_without_digest(tmp_path)
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    digest = freeze_spec_file(link)
    assert link.is_symlink()
    assert target.read_bytes() == _expected(digest)


def test_digest_survives_publication_fields(tmp_path: Path) -> None:
    """Freezing a draft, then publishing it (status, date) keeps the digest: the lifecycle fields
    are not content (the README's order of authoring works)."""
    target = _copy_without_digest(tmp_path)
    digest = freeze_spec_file(target)
    text = target.read_text(encoding="utf-8").replace("status: draft", "status: published")
    target.write_text(text, encoding="utf-8")
    loaded = load_spec_file(target)
    assert loaded.digest == loaded.spec.digest == digest


@pytest.mark.parametrize("status", ["published", "deprecated", "withdrawn"])
def test_published_deprecated_and_withdrawn_specs_are_refused(tmp_path: Path, status: str) -> None:
    target = _copy_without_digest(tmp_path)
    text = target.read_text(encoding="utf-8").replace("status: draft", f"status: {status}")
    target.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError, match=status) as info:
        freeze_spec_file(target)
    assert str(target) in str(info.value)
    assert target.read_text(encoding="utf-8") == text


def test_published_spec_changed_after_freezing_is_refused(tmp_path: Path) -> None:
    """The gap of the issue: a published file, edited, is never re-blessed with a new digest."""
    target = tmp_path / "1.0.0.yaml"
    text = BUNDLED.read_text(encoding="utf-8").replace("in the Berlekamp dual basis", "in the conventional basis")
    target.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError, match="immutable") as info:
        freeze_spec_file(target)
    assert "content changed after its digest was recorded" in info.value.message
    assert info.value.path == str(target)
    assert target.read_text(encoding="utf-8") == text


def test_a_published_version_number_is_not_refrozen_as_a_draft(tmp_path: Path) -> None:
    """Setting a published version back to draft elsewhere and freezing it is refused: the
    catalog already holds that ID@VERSION published."""
    target = tmp_path / "net-optical-isl" / "1.0.0.yaml"
    target.parent.mkdir()
    text = BUNDLED.read_text(encoding="utf-8").replace("status: published", "status: draft")
    target.write_text(text.replace("in the Berlekamp dual basis", "in the conventional basis"), encoding="utf-8")
    with pytest.raises(SpecError, match="already published .* with other content"):
        freeze_spec_file(target)


def test_unreadable_and_invalid_files_are_typed_errors(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="cannot read"):
        freeze_spec_file(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nstatus: draft\n", encoding="utf-8")
    with pytest.raises(SpecError) as info:
        freeze_spec_file(bad)
    assert info.value.path == str(bad)
    assert bad.read_text(encoding="utf-8") == "id: x\nstatus: draft\n"
