"""Issue 6 in ``specs``: YAML that JSON cannot hold, special files, control characters shown to a
terminal, predicates that parse but cannot be evaluated, and unanswered ICS options."""

from __future__ import annotations

import contextlib
import copy
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from guards import guarded
import yaml

from orbitcert.specs.errors import InputFileError, PredicateError
from orbitcert.specs.fsutil import read_bounded
from orbitcert.specs.ics import full_ics, ics_template, load_ics_text
from orbitcert.specs.lint import lint_spec
from orbitcert.specs.loader import bundled_catalog_dir, load_ref, load_spec_document, load_spec_file
from orbitcert.specs.model import Spec
from orbitcert.specs.predicate import parse_predicate
from orbitcert.specs.safetext import clean_data, clean_text, printable, xml_text
from orbitcert.specs.yamlio import load_yaml_file, load_yaml_text

BUNDLED = bundled_catalog_dir() / "net-optical-isl" / "1.0.0.yaml"
SPEC: Spec = load_ref("net-optical-isl@1.0.0").spec

# --- YAML that JSON cannot hold -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        pytest.param("a: 1\nx: .nan\n", 2, "x", ".nan is not allowed (JSON has no NaN)", id="nan"),
        pytest.param("a:\n  b: [1, .inf]\n", 2, "a.b.1", ".inf is not allowed (JSON has no infinity)", id="inf"),
        pytest.param("a: -.Inf\n", 1, "a", "-.Inf is not allowed", id="minus-inf"),
        pytest.param("a: !!float nan\n", 1, "a", "JSON has no NaN", id="explicit-float-nan"),
        pytest.param("a: 1.0e+400\n", 1, "a", "JSON has no infinity", id="float-overflow"),
        pytest.param("a: 1152921504606846976\n", 1, "a", "at most 2^53-1", id="int-2^60"),
        pytest.param("a: -9007199254740992\n", 1, "a", "at most 2^53-1", id="int-minus-2^53"),
        pytest.param("a: " + "9" * 5000 + "\n", 1, "a", "at most 2^53-1", id="int-5000-digits"),
        pytest.param("a: !!binary aGVsbG8=\n", 1, "a", "!!binary is not allowed", id="binary"),
        pytest.param("a: !!set {x, y}\n", 1, "a", "!!set is not allowed", id="set"),
        pytest.param("a: !!timestamp 2026-11-24\n", 1, "a", "!!timestamp is not allowed", id="timestamp"),
        pytest.param("a: !!omap [x: 1]\n", 1, "a", "!!omap is not allowed", id="omap"),
        pytest.param("a: !!pairs [x: 1]\n", 1, "a", "!!pairs is not allowed", id="pairs"),
        pytest.param("a:\n  1: one\n", 2, "a", "mapping key 1 is not a string", id="int-key"),
        pytest.param("a:\n  null: x\n", 2, "a", "mapping key null is not a string", id="null-key"),
        pytest.param("true: 1\n", 1, None, "mapping key true is not a string", id="bool-key"),
        pytest.param("? [a]\n: 1\n", 1, None, "must be a string", id="collection-key"),
        pytest.param("a: !!int abc\n", 1, "a", "is not an integer", id="bad-explicit-int"),
        pytest.param("a: [" * 150 + "]" * 150 + "\n", 1, None, "nested more than", id="deep"),
        pytest.param("d: &d {x: 1}\ne:\n  <<: *d\n", 3, "e", "merge keys", id="merge-key"),
    ],
)
def test_yaml_json_cannot_hold_is_refused_naming_line_and_field(
    text: str, line: int, field: str | None, message: str
) -> None:
    with pytest.raises(InputFileError) as info:
        load_yaml_text(text, "spec.yaml")
    err = info.value
    assert message in err.message and err.path == "spec.yaml" and err.line == line
    if field is not None:
        assert err.field == field
    assert str(err).startswith(f"spec.yaml:{line}: ")


def test_json_data_still_loads() -> None:
    doc = load_yaml_text('a: 9007199254740991\nb: -1.5e+300\nc: [1, "2", null, true]\n"1": x\nd: &x {y: 1}\ne: *x\n')
    assert doc.data == {"a": 2**53 - 1, "b": -1.5e300, "c": [1, "2", None, True], "1": "x", "d": {"y": 1}, "e": {"y": 1}}


@pytest.mark.parametrize(
    ("text", "line", "shown"),
    [
        pytest.param("a: b\x00\n", 1, "\\x00", id="nul"),
        pytest.param("a: 1\nb: \x07\n", 2, "\\x07", id="bel"),
        pytest.param("a: 1\n\nc: x\x1b[31m\n", 3, "\\x1b", id="esc"),
        pytest.param("a: \x9b\n", 1, "\\x9b", id="c1"),
        pytest.param("a: \ud800\n", 1, "\\ud800", id="lone-surrogate"),
    ],
)
def test_control_characters_are_a_located_input_error(text: str, line: int, shown: str) -> None:
    with pytest.raises(InputFileError) as info:
        load_yaml_text(text, "ics.yaml")
    assert info.value.line == line and shown in info.value.message and "not allowed" in info.value.message


def test_control_byte_in_a_file(tmp_path: Path) -> None:
    p = tmp_path / "spec.yaml"
    p.write_bytes(b"id: x\ntitle: \x00\n")
    with pytest.raises(InputFileError) as info:
        load_yaml_file(p)
    assert info.value.path == str(p) and info.value.line == 2


# --- special files ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda p: os.mkfifo(p), "not a regular file (a FIFO)", id="fifo"),
        pytest.param(lambda p: p.symlink_to("/dev/zero"), "not a regular file (a character device)", id="devzero"),
        pytest.param(lambda p: p.mkdir(), "not a regular file (a directory)", id="directory"),
        pytest.param(lambda p: None, "No such file", id="missing"),
        pytest.param(lambda p: p.write_bytes(b"x" * 1001), "larger than the limit of 1000 bytes", id="too-large"),
    ],
)
def test_read_bounded_refuses(make: Callable[[Path], None], message: str, tmp_path: Path) -> None:
    p = tmp_path / "in.yaml"
    make(p)
    with _guarded(), pytest.raises(InputFileError) as info:
        read_bounded(p, 1000, "spec")
    assert info.value.path == str(p) and message in info.value.message and "cannot read spec" in info.value.message


def test_read_bounded_reads_a_file_at_the_limit(tmp_path: Path) -> None:
    p = tmp_path / "in.yaml"
    p.write_bytes(b"x" * 1000)
    assert read_bounded(p, 1000) == b"x" * 1000


def _guarded(seconds: float = 10.0, headroom: int = 2**30) -> contextlib.AbstractContextManager[None]:
    return guarded(seconds, headroom)


@pytest.mark.parametrize("make", [lambda p: os.mkfifo(p), lambda p: p.symlink_to("/dev/zero")], ids=["fifo", "devzero"])
def test_yaml_loader_does_not_block_or_read_forever(make: Callable[[Path], None], tmp_path: Path) -> None:
    p = tmp_path / "spec.yaml"
    make(p)
    with _guarded(), pytest.raises(InputFileError, match="not a regular file"):
        load_yaml_file(p)


# --- text shown to people ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain [bold] text: [/] :warning:", "plain [bold] text: [/] :warning:"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("esc \x1b[31mred", "esc \\x1b[31mred"),
        ("nul \x00 bel \x07 cr \r del \x7f", "nul \\x00 bel \\x07 cr \\x0d del \\x7f"),
        ("c1 \x85 \x9b", "c1 \\x85 \\x9b"),
        ("bidi \u202e evil \u2066", "bidi \\u202e evil \\u2066"),
        ("lone \ud800", "lone \\ud800"),
        ("ünïcödé — ok ✓", "ünïcödé — ok ✓"),
    ],
)
def test_printable(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_clean_and_xml_text() -> None:
    assert clean_text("a\ud800b\udfff") == "a\ufffdb\ufffd"
    assert clean_data({"k\ud800": ["x\udc80", 1, None, {"y": "\ud800"}]}) == {"k\ufffd": ["x\ufffd", 1, None, {"y": "\ufffd"}]}
    assert xml_text("a\x1b\x00\tb\n\ud800\ufffe") == "a\\x1b\\x00\tb\n\ufffd\\ufffe"


def test_say_and_errors_print_untrusted_text_verbatim_but_escaped(
    tmp_path: Path, cli: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from orbitcert.conformance.cli._common import say

    capsys.readouterr()
    say("[/] [bold]x[/bold] \x1b[2J :warning: \ud800")
    assert capsys.readouterr().out == "[/] [bold]x[/bold] \\x1b[2J :warning: \\ud800\n"
    bad = tmp_path / "[/]x[bold]\x1b.yaml"
    result = cli("specs", "lint", str(bad))
    assert result.code == 2 and "Traceback" not in result.stderr
    assert str(tmp_path / "[/]x[bold]\\x1b.yaml") in result.stderr and "\x1b" not in result.stderr


def test_spec_title_with_markup_and_escape_is_listed_verbatim(tmp_path: Path, cli: Callable[..., Any]) -> None:
    text = BUNDLED.read_text(encoding="utf-8").replace("version: 1.0.0", "version: 1.2.0", 1)
    text = re.sub(r"(?m)^title: .*$", lambda m: 'title: "[/][b]\\e:ok:"', text, count=1)
    p = tmp_path / "net-optical-isl" / "1.2.0.yaml"
    p.parent.mkdir()
    p.write_text(text, encoding="utf-8")
    result = cli("specs", "list", "--catalog", str(tmp_path))
    assert result.code == 0, result.stderr
    assert "[/][b]\\x1b:ok:" in result.stdout and "\x1b" not in result.stdout


# --- predicates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "values"),
    [
        ("randomizer in 5", {"randomizer": True}),
        ('rs_interleaving_depths > "a"', {"rs_interleaving_depths": [1]}),
        ("1 in randomizer", {"randomizer": True}),
        ("a < [1]", {"a": 1}),
    ],
)
def test_evaluate_raises_only_predicate_error(source: str, values: dict[str, Any]) -> None:
    with pytest.raises(PredicateError, match="cannot evaluate"):
        parse_predicate(source).evaluate(values)


def test_parse_refuses_a_nul_character_as_predicate_error() -> None:
    with pytest.raises(PredicateError, match="malformed predicate"):
        parse_predicate("randomizer\x00")


def _data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))
    return copy.deepcopy(data)


def _lint(tmp_path: Path, data: dict[str, Any]) -> list[Any]:
    p = tmp_path / data["id"] / f"{data['version']}.yaml"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return [f for f in lint_spec(load_spec_file(p)) if f.code == "OC111"]


@pytest.mark.parametrize("source", ["randomizer in 5", 'rs_interleaving_depths > "a"', "shortened_codeblocks < [1]"])
def test_lint_finds_a_predicate_of_the_wrong_type(source: str, tmp_path: Path) -> None:
    data = _data()
    data["requirements"][1]["applies_if"] = source
    (finding,) = _lint(tmp_path, data)
    assert finding.field == "requirements.1.applies_if" and finding.line is not None
    assert "applies_if of OISL-COD-002" in finding.message and "cannot evaluate" in finding.message
    text = (tmp_path / "net-optical-isl" / "1.0.0.yaml").read_text()
    assert text.splitlines()[finding.line - 1].strip().startswith("applies_if:")


def test_lint_finds_a_wrong_type_reached_only_when_an_option_is_unanswered(tmp_path: Path) -> None:
    data = _data()
    data["requirements"][1]["applies_if"] = "randomizer or rs_interleaving_depths > 0"  # list > int
    (finding,) = _lint(tmp_path, data)
    assert "OISL-COD-002" in finding.message and "every optional item unanswered" in finding.message


def test_lint_finds_an_ics_condition_of_the_wrong_type(tmp_path: Path) -> None:
    data = _data()
    data["ics"][3]["condition"] = "shortened_codeblocks in 5"
    (finding,) = _lint(tmp_path, data)
    assert finding.field == "ics.3.condition" and "condition of ICS item shortened_min_information_symbols" in finding.message


def test_lint_cli_reports_oc111_with_exit_1(tmp_path: Path, cli: Callable[..., Any]) -> None:
    data = _data()
    data["requirements"][1]["applies_if"] = "randomizer in 5"
    p = tmp_path / "net-optical-isl" / "1.0.0.yaml"
    p.parent.mkdir()
    p.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = cli("specs", "lint", "--no-suite", str(p))
    assert result.code == 1 and "OC111" in result.stdout and str(p) in result.stdout


def test_bundled_spec_has_no_oc111() -> None:
    assert [f for f in lint_spec(load_spec_file(BUNDLED)) if f.code == "OC111"] == []


# --- unanswered ICS options are not supported -------------------------------------------------------------

MINIMAL = "spec: net-optical-isl@1.0.0\nclasses: [coding]\nitems:\n  rs_interleaving_depths: [1]\n"


def test_unanswered_optional_booleans_resolve_to_false() -> None:
    ics = load_ics_text(MINIMAL, SPEC, "min.yaml")
    assert ics.items == {"rs_interleaving_depths": [1], "randomizer": False, "shortened_codeblocks": False}
    assert parse_predicate("not randomizer").evaluate(ics.items) is True
    assert parse_predicate("randomizer").evaluate(ics.items) is False
    assert "shortened_min_information_symbols" not in ics.items  # an integer has no "not supported" value


def _spec_with_more_items() -> Spec:
    data = load_spec_document(load_yaml_file(BUNDLED)).document.data
    data = copy.deepcopy(data)
    data["ics"] += [
        {"id": "extras", "question": "Which extras?", "status": "O", "type": "set", "values": ["a", "b"]},
        {"id": "legacy_mode", "question": "Legacy mode?", "status": "X", "type": "boolean"},
        {"id": "no_random_detail", "question": "Why not?", "status": "C", "type": "boolean", "condition": "not randomizer"},
        {"id": "random_detail", "question": "Which?", "status": "C", "type": "boolean", "condition": "randomizer"},
    ]
    return Spec.model_validate(data)


def test_unanswered_sets_x_and_false_conditionals_resolve_to_not_supported() -> None:
    spec = _spec_with_more_items()
    ics = load_ics_text(MINIMAL + "  no_random_detail: true\n", spec, "min.yaml")
    assert ics.items["extras"] == [] and ics.items["legacy_mode"] is False and ics.items["random_detail"] is False
    assert ics.items["no_random_detail"] is True, "'not randomizer' holds for an unanswered option"


def test_a_conditional_on_not_option_is_required_when_the_option_is_unanswered() -> None:
    from orbitcert.specs.errors import IcsError

    with pytest.raises(IcsError, match="required because 'not randomizer' holds"):
        load_ics_text(MINIMAL, _spec_with_more_items(), "min.yaml")


def test_full_ics_and_template_agree_with_the_new_meaning() -> None:
    spec = _spec_with_more_items()
    full = full_ics(spec)
    assert full.items["legacy_mode"] is False and full.items["random_detail"] is True
    assert "no_random_detail" in full.items and full.items["no_random_detail"] is False
    template = ics_template(spec)
    assert "taken as not supported" in template and "counts as false" in template
    assert "  # legacy_mode:" in template and "  # no_random_detail:" in template
    assert load_ics_text(template, spec).items == full.items
