"""``orbitcert specs show`` output (specs/render.py): complete, 80-column plain text, safe on hostile specs."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

import pytest
import yaml

from orbitcert.specs.digest import content_digest
from orbitcert.specs.loader import LoadedSpec, load_ref
from orbitcert.specs.model import Spec
from orbitcert.specs.pages import render_spec_markdown
from orbitcert.specs.render import render_spec

REF = "net-optical-isl@1.0.0"


@pytest.fixture(scope="module")
def loaded() -> LoadedSpec:
    return load_ref(REF)


@pytest.fixture(scope="module")
def text(loaded: LoadedSpec) -> str:
    return render_spec(loaded, "text")


def _normalized(s: str) -> str:
    return " ".join(s.split())


def _with(loaded: LoadedSpec, **changes: Any) -> LoadedSpec:
    """The bundled spec with top-level fields replaced, as a LoadedSpec (not from a file)."""
    data = dict(loaded.document.data)
    data.update(changes)
    return LoadedSpec(Spec.model_validate(data), loaded.document, content_digest(data))


def test_text_names_every_requirement_ics_item_parameter_and_operation(loaded: LoadedSpec, text: str) -> None:
    s = loaded.spec
    names = (
        [r.id for r in s.requirements]
        + [i.id for i in s.ics]
        + list(s.parameters)
        + [op.name for op in s.interface.operations]
        + [c.id for c in s.classes]
        + [r.id for r in s.references]
    )
    assert len(names) > 30
    words = set(re.findall(r"[\w.@-]+", text))
    missing = [n for n in names if n not in words and n not in text]
    assert not missing


def test_text_header_facts(loaded: LoadedSpec, text: str) -> None:
    lines = text.splitlines()
    assert lines[0] == f"{REF} (published)"
    assert f"digest: {loaded.digest}" in lines
    assert "published: 2026-11-24" in lines
    assert "supersedes: -" in lines
    assert "MISMATCH" not in text  # the bundled file matches its recorded digest


def test_requirement_block_has_the_full_text_of_oisl_cod_004(loaded: LoadedSpec, text: str) -> None:
    req = loaded.spec.requirement("OISL-COD-004")
    lines = text.splitlines()
    start = lines.index("  OISL-COD-004  SHALL  coding  test  [CCSDS 131.0-B-3 4.3.9, Annex F]")
    block = []
    for line in lines[start + 1 :]:
        if not line.startswith("    "):
            break
        block.append(line)
    assert _normalized(" ".join(block)) == _normalized(req.text)
    # Every requirement's text is there in full, not cut to a column.
    for r in loaded.spec.requirements:
        assert _normalized(r.text) in _normalized(text)


def test_applies_if_gates_and_conditions_are_shown(text: str) -> None:
    block = text[text.index("  OISL-COD-002") :].split("\n\n")[0]
    assert "    applies if: randomizer" in block.splitlines()
    item = text[text.index("  randomizer  O  boolean") :].split("\n\n")[0]
    assert "    gates: OISL-COD-002" in item.splitlines()
    conditional = text[text.index("  shortened_min_information_symbols") :].split("\n\n")[0]
    assert "C (if shortened_codeblocks)" in _normalized(conditional)
    assert "1..222" in conditional
    assert "subset of {1, 2, 3, 4, 5, 8}" in text


def test_parameters_polynomials_and_seeds_in_hex(text: str) -> None:
    lines = text.splitlines()
    for expected in (
        "  rs_field_polynomial = 0x187",
        "  randomizer_polynomial = 0x1A9",
        "  randomizer_seed = 0xFF",
        "  crc16_initial = 0xFFFF",
        "  rs_codeword_length = 255",
        '  attached_sync_marker = "1ACFFC1D"',
    ):
        assert expected in lines


def test_interface_arguments_summarised_one_line_per_property(text: str) -> None:
    lines = text.splitlines()
    assert "      frames: array of base64 string (required)" in lines
    assert "      interleave: integer in {1, 2, 3, 4, 5, 8} (required)" in lines
    assert "      randomize: boolean, default true" in lines
    assert "      frame_length: integer >= 1 (required)" in lines
    assert "    result: base64 string" in lines
    decode = text[text.index("  decode  (class coding)") :]
    assert "result: array of object {data: base64 string or null (required), corrected: integer >= 0 (required)}" in (
        _normalized(decode)
    )


def test_text_fits_80_columns_and_has_no_markup(text: str) -> None:
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "\x1b" not in text and "[bold]" not in text
    assert text.endswith("\n") and not text.endswith("\n\n")


@pytest.mark.parametrize("width", [20, 40, 60, 100])
def test_other_widths_only_an_unbreakable_token_overflows(loaded: LoadedSpec, width: int) -> None:
    out = render_spec(loaded, "text", width=width)
    long = [line for line in out.splitlines() if len(line) > width]
    assert all(" " not in line for line in long), long
    if width < 71:  # the digest does not fit: alone on its line, whole
        assert loaded.digest in long
    else:
        assert not long
    assert _normalized(loaded.spec.requirement("OISL-COD-004").text) in _normalized(out)


def test_width_below_minimum_and_unknown_format_are_value_errors(loaded: LoadedSpec) -> None:
    with pytest.raises(ValueError, match="width"):
        render_spec(loaded, "text", width=5)
    with pytest.raises(ValueError, match="unknown format"):
        render_spec(loaded, "html")  # type: ignore[arg-type]


def test_json_round_trips_with_the_spec_content_and_computed_digest(loaded: LoadedSpec) -> None:
    data = json.loads(render_spec(loaded, "json"))
    s = loaded.spec
    assert data["computed_digest"] == loaded.digest
    assert data["requirements"] == [r.model_dump(mode="json", by_alias=True, exclude_none=True) for r in s.requirements]
    assert [r["id"] for r in data["requirements"]] == [r.id for r in s.requirements]
    assert list(data)[:4] == ["id", "version", "status", "title"]  # model field order, not sorted
    del data["computed_digest"]
    assert Spec.model_validate(data) == s


def test_yaml_parses_to_the_same_data_as_json(loaded: LoadedSpec) -> None:
    data = yaml.safe_load(render_spec(loaded, "yaml"))
    assert data == json.loads(render_spec(loaded, "json"))


def test_markdown_is_the_site_page(loaded: LoadedSpec) -> None:
    md = render_spec(loaded, "md")
    assert md == render_spec_markdown(loaded)
    # The page's layout (tests/docs/test_spec_pages.py checks it through Python-Markdown): one block
    # per requirement under its id, and the changes since the previous version (none for 1.0.0).
    assert [line[5:] for line in md.splitlines() if line.startswith("#### ")] == [r.id for r in loaded.spec.requirements]
    assert "## Changes since the previous version" in md and "first version" in md


def test_recorded_digest_mismatch_is_flagged(loaded: LoadedSpec) -> None:
    changed = _with(loaded, title="Changed after freezing")
    out = render_spec(changed)
    assert f"digest: {changed.digest}" in out.splitlines()
    assert "MISMATCH" in out and loaded.digest in out
    unrecorded = {k: v for k, v in loaded.document.data.items() if k != "digest"}
    out = render_spec(LoadedSpec(Spec.model_validate(unrecorded), loaded.document, loaded.digest))
    assert "not recorded in the file" in out


HOSTILE = "Evil\x1b[2J\x1b]0;owned\x07 title\r\x00\x7f\x9b31m\u2028next\u202eredro\ttab\nnewline"


def _unsafe(out: str) -> list[str]:
    bidi = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    return [c for c in out if c not in "\n\t" and (unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in bidi)]


@pytest.mark.parametrize("fmt", ["text", "md", "json", "yaml"])
def test_control_characters_in_a_spec_never_reach_the_output(loaded: LoadedSpec, fmt: str) -> None:
    reqs = [dict(r) for r in loaded.document.data["requirements"]]
    reqs[0]["text"] = "Shall\x1b[8m hide\x1b[0m this.\x85"
    hostile = _with(loaded, title=HOSTILE, requirements=reqs)
    out = render_spec(hostile, fmt)  # type: ignore[arg-type]
    assert "\x1b" not in out
    assert _unsafe(out) == []
    if fmt == "text":
        escaped = "Evil\\x1b[2J\\x1b]0;owned\\x07 title\\r\\x00\\x7f\\x9b31m\\u2028next\\u202eredro tab newline"
        assert escaped in _normalized(out)
        assert max(len(line) for line in out.splitlines()) <= 80
    if fmt == "json":
        assert json.loads(out)["title"] == HOSTILE  # escaped, not altered
    if fmt == "yaml":
        assert yaml.safe_load(out)["title"] == HOSTILE
