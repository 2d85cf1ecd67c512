"""ICS predicate language: evaluation and refusal of anything outside the grammar."""

from __future__ import annotations

import pytest

from orbitcert.specs.errors import PredicateError
from orbitcert.specs.predicate import parse_predicate

VALUES = {"randomizer": True, "rs_interleaving_depths": [1, 5], "max_len": 1115, "mode": "fast"}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("randomizer", True),
        ("not randomizer", False),
        ("5 in rs_interleaving_depths", True),
        ("8 in rs_interleaving_depths", False),
        ("8 not in rs_interleaving_depths", True),
        ("max_len >= 1115 and mode == 'fast'", True),
        ("max_len > 2000 or randomizer", True),
        ("1 < max_len < 1000", False),
        ("absent_item", False),
        ("absent_item or randomizer", True),
        ("mode in ['fast', 'slow']", True),
        ("randomizer == true", True),
    ],
)
def test_evaluates(source: str, expected: bool) -> None:
    assert parse_predicate(source).evaluate(VALUES) is expected


def test_names_are_the_items_read() -> None:
    assert parse_predicate("a and (b or 3 in c) and not true").names == {"a", "b", "c"}


@pytest.mark.parametrize(
    "source",
    ["__import__('os')", "a.b", "a[0]", "lambda: 1", "a + 1 == 2", "", "a ==", "f(x)", "[x for x in y]"],
)
def test_refuses_outside_grammar(source: str) -> None:
    with pytest.raises(PredicateError):
        parse_predicate(source)
