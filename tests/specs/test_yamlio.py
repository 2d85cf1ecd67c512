"""Safe bounded YAML loading: data only, bounded size and alias expansion, positions in errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from orbitcert.specs.errors import InputFileError
from orbitcert.specs.yamlio import MAX_FILE_BYTES, load_yaml_file, load_yaml_text

BILLION_LAUGHS = """
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_billion_laughs_is_refused_before_expansion() -> None:
    with pytest.raises(InputFileError, match="alias bomb"):
        load_yaml_text(BILLION_LAUGHS, "bomb.yaml")


def test_modest_aliases_are_allowed() -> None:
    doc = load_yaml_text("a: &x [1, 2]\nb: *x\n")
    assert doc.data == {"a": [1, 2], "b": [1, 2]}


def test_python_object_tags_are_refused() -> None:
    with pytest.raises(InputFileError, match="malformed YAML"):
        load_yaml_text("x: !!python/object/apply:os.system ['true']\n", "evil.yaml")


def test_yaml11_booleans_and_dates_stay_strings() -> None:
    doc = load_yaml_text("country: no\nflag: on\nwhen: 2026-11-24\nreal: true\nhexa: 0x1A9\n")
    assert doc.data == {"country": "no", "flag": "on", "when": "2026-11-24", "real": True, "hexa": 0x1A9}


def test_malformed_yaml_names_file_and_line() -> None:
    with pytest.raises(InputFileError) as info:
        load_yaml_text("id: x\nclasses:\n  - id: [unclosed\n", "bad.yaml")
    assert info.value.path == "bad.yaml" and info.value.line in (3, 4)
    assert str(info.value).startswith("bad.yaml:")


def test_line_of_field_path() -> None:
    doc = load_yaml_text("a: 1\nitems:\n  - x: 1\n  - x: 2\n    y: 3\n")
    assert doc.line_of(("items", 1, "y")) == 5
    assert doc.line_of(("items", 0)) == 3
    assert doc.line_of(("missing",)) == 1


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(InputFileError, match="limit"):
        load_yaml_file(big)


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="cannot read"):
        load_yaml_file(tmp_path / "absent.yaml")
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputFileError, match="UTF-8"):
        load_yaml_file(binary)


def test_duplicate_keys_are_refused_naming_both_lines() -> None:
    with pytest.raises(InputFileError) as info:
        load_yaml_text("id: a\nversion: 1.0.0\nversion: 2.0.0\n", "dup.yaml")
    assert info.value.line == 3 and "duplicate key 'version' (first at line 2)" in info.value.message
