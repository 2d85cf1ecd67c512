"""ICS validation against the proforma (ISO/IEC 9646-7 statuses M/O/C/X) and the template."""

from __future__ import annotations

import pytest

from orbitcert.specs.loader import load_ref
from orbitcert.specs.errors import IcsError
from orbitcert.specs.ics import full_ics, ics_template, load_ics_text
from orbitcert.specs.model import Spec

SPEC: Spec = load_ref("net-optical-isl@1.0.0").spec

GOOD = """\
spec: net-optical-isl@1.0.0
product: {name: acme, version: "2.1"}
classes: [coding]
items:
  rs_interleaving_depths: [1, 5]
  randomizer: true
  shortened_codeblocks: true
  shortened_min_information_symbols: 16
"""


def test_valid_ics_resolves_values() -> None:
    ics = load_ics_text(GOOD, SPEC, "acme.yaml")
    assert ics.classes == ["coding"]
    assert ics.items["rs_interleaving_depths"] == [1, 5]
    assert ics.product is not None and ics.product.model_dump() == {"name": "acme", "version": "2.1", "supplier": None}
    assert ics.source == "acme.yaml", "a report never carries the directory of the ICS file"


@pytest.mark.parametrize(
    ("mutation", "item", "line", "message"),
    [
        (("  randomizer: true\n", "  randomizer: true\n  warp_drive: true\n"), "items.warp_drive", 7, "unknown ICS item"),
        (("  rs_interleaving_depths: [1, 5]\n", ""), "items", None, "missing answer: the item is mandatory"),
        (("[1, 5]", "[1, 6]"), "items.rs_interleaving_depths", 5, "not among the allowed values"),
        (("randomizer: true", "randomizer: 1"), "items.randomizer", 6, "expected true or false"),
        (("shortened_codeblocks: true", "shortened_codeblocks: false"), "items.shortened_min_information_symbols", 8,
         "condition 'shortened_codeblocks' is false"),
        (("  shortened_min_information_symbols: 16\n", ""), "items.shortened_min_information_symbols", None,
         "required because 'shortened_codeblocks' holds"),
        (("information_symbols: 16", "information_symbols: 300"), "items.shortened_min_information_symbols", 8, "above the maximum"),
        (("classes: [coding]", "classes: [coding, warp]"), "classes", 3, "unknown conformance class 'warp'"),
        (("spec: net-optical-isl@1.0.0", "spec: net-optical-isl@9.0.0"), "spec", 1, "answers net-optical-isl@9.0.0"),
    ],
)
def test_contradictions_name_the_item(mutation: tuple[str, str], item: str, line: int | None, message: str) -> None:
    text = GOOD.replace(*mutation)
    assert text != GOOD
    with pytest.raises(IcsError) as info:
        load_ics_text(text, SPEC, "acme.yaml")
    err = info.value
    assert message in err.message
    if line is not None:
        assert err.line == line
    assert err.field is not None and err.field.startswith(item.split(".")[0])
    assert str(err).startswith("acme.yaml:")


def test_template_is_a_valid_ics_claiming_everything() -> None:
    text = ics_template(SPEC)
    for item in SPEC.ics:
        assert f"  {item.id}:" in text
    assert "gates: OISL-COD-002" in text
    ics = load_ics_text(text, SPEC)
    assert ics.items == full_ics(SPEC).items
    assert set(ics.classes) == {c.id for c in SPEC.classes}


def test_full_ics_claims_every_class_and_option() -> None:
    ics = full_ics(SPEC)
    assert ics.generated
    assert ics.items["rs_interleaving_depths"] == [1, 2, 3, 4, 5, 8]
    assert ics.items["randomizer"] is True and ics.items["shortened_codeblocks"] is True


def test_mandatory_set_cannot_be_empty() -> None:
    with pytest.raises(IcsError, match="at least one value"):
        load_ics_text(GOOD.replace("[1, 5]", "[]"), SPEC, "acme.yaml")
