"""The site's page of a spec version (specs/pages.py), checked through an independent Markdown engine.

The oracle for layout and escaping is Python-Markdown itself, with the extensions of mkdocs.yml:
each page is converted to HTML and read back, so "the text of every requirement is on the page,
whole, as a paragraph" is checked on what a reader sees, not on the Markdown source. Python types
are checked against the hand-written typing Protocols of ``orbitcert.conformance.interfaces``,
wire examples against the operations' JSON Schemas with jsonschema, hexadecimal parameters
against the values printed in CCSDS 131.0-B-3.
"""

from __future__ import annotations

import collections.abc
import html
import json
import re
import types
import typing
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from orbitcert.conformance.interfaces import CLASS_PROTOCOLS, PROTOCOLS
from orbitcert.specs.digest import content_digest
from orbitcert.specs.loader import Catalog, LoadedSpec
from orbitcert.specs.model import Spec
from orbitcert.specs.pages import LONG_VALUE, previous_version, python_type, render_spec_markdown
from orbitcert.specs.render import render_spec

# Python-Markdown and pymdown-extensions come with the docs extra (pip install -e ".[docs]").
markdown = pytest.importorskip("markdown")
pytest.importorskip("pymdownx")

EXTENSIONS = ["admonition", "pymdownx.details", "pymdownx.superfences", "tables", "toc"]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.discover()


@pytest.fixture(scope="module")
def pages(catalog: Catalog) -> dict[str, tuple[LoadedSpec, str]]:
    """Every catalog version's page: ref -> (loaded, Markdown)."""
    return {ld.spec.ref: (ld, render_spec_markdown(ld, catalog)) for ld in catalog.all_loaded()}


def _html(md: str) -> str:
    return str(markdown.markdown(md, extensions=EXTENSIONS))


def _text(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _norm(s: str) -> str:
    return " ".join(s.split())


def _with(loaded: LoadedSpec, **changes: Any) -> LoadedSpec:
    data = dict(loaded.document.data)
    data.update(changes)
    return LoadedSpec(Spec.model_validate(data), loaded.document, content_digest(data))


def _requirement_blocks(page_html: str) -> dict[str, tuple[str, str]]:
    """h4 id -> (facts line, text) for every requirement block of a page."""
    out = {}
    for m in re.finditer(r'<h4 id="([^"]+)">(.*?)</h4>\s*<p>(.*?)</p>\s*<p>(.*?)</p>', page_html, re.S):
        out[m.group(1)] = (_text(m.group(3)), _text(m.group(4)))
    return out


def test_every_requirement_is_a_block_with_its_facts_and_whole_text(pages: dict[str, tuple[LoadedSpec, str]]) -> None:
    for ref, (loaded, md) in pages.items():
        blocks = _requirement_blocks(_html(md))
        for r in loaded.spec.requirements:
            assert r.id.lower() in blocks, (ref, r.id)
            facts, text = blocks[r.id.lower()]
            assert text == _norm(r.text), (ref, r.id)
            assert facts.startswith(f"{r.level.value} · class {r.class_} · verified by {r.verification.value}"), facts
            if r.clause:
                assert f"clause {_norm(r.clause)}" in facts
            if r.applies_if:
                assert f"applies if {r.applies_if}" in facts


def test_requirements_are_grouped_under_their_class(pages: dict[str, tuple[LoadedSpec, str]]) -> None:
    loaded, md = pages["net-optical-isl@1.1.0"]
    headings = re.findall(r"^(###|####) (.*)$", md[md.index("## Requirements") : md.index("## ICS proforma")], re.M)
    current = None
    seen = []
    for level, title in headings:
        if level == "###":
            current = re.match(r"Class `([^`]+)`", title).group(1)  # type: ignore[union-attr]
        else:
            assert loaded.spec.requirement(title).class_ == current
            seen.append(title)
    assert sorted(seen) == sorted(r.id for r in loaded.spec.requirements)


def test_markdown_in_spec_strings_is_shown_as_text(pages: dict[str, tuple[LoadedSpec, str]]) -> None:
    loaded, _ = pages["net-optical-isl@1.0.0"]
    reqs = [dict(r) for r in loaded.document.data["requirements"]]
    hostile = "1. Use *bold*, _x_ and j*I + k*2 <script>alert(1)</script> <b>tag</b> # not a heading, `a*b_`"
    reqs[0]["text"] = hostile
    items = [dict(i) for i in loaded.document.data["ics"]]
    items[0]["question"] = "Pipe | in a cell *and* <i>html</i>?"
    page = _html(render_spec_markdown(_with(loaded, requirements=reqs, ics=items)))
    facts, text = _requirement_blocks(page)[reqs[0]["id"].lower()]
    assert text == hostile.replace("`", "")  # every character shown; the backticks made a code span
    block = page[page.index(f'id="{reqs[0]["id"].lower()}"') :].split("<h4")[0]
    text_html = block.split("</p>")[1]  # the paragraph after the facts line
    for tag in ("<em>", "<strong>", "<script", "<b>", "<ol>", "<h1"):
        assert tag not in text_html
    assert "<code>a*b_</code>" in text_html  # the author's code span is kept as it is
    row = next(r for r in re.findall(r"<tr>.*?</tr>", page, re.S) if "Pipe" in r)
    assert "Pipe | in a cell *and* <i>html</i>?" in _text(row)
    assert len(re.findall(r"<td", row)) == 4  # the pipe did not split the cell


def test_facts_table_has_a_header_and_the_digest(pages: dict[str, tuple[LoadedSpec, str]]) -> None:
    loaded, md = pages["net-optical-isl@1.1.0"]
    page = _html(md)
    table = re.search(r"<table>.*?</table>", page, re.S).group(0)  # type: ignore[union-attr]
    assert re.search(r"<th[^>]*>Field</th>\s*<th[^>]*>Value</th>", table)
    assert all(_text(th) for th in re.findall(r"<th[^>]*>.*?</th>", table))  # no empty header row
    assert loaded.digest in table and "net-optical-isl@1.0.0" in _text(table)


def test_lifecycle_banner(pages: dict[str, tuple[LoadedSpec, str]]) -> None:
    loaded, md = pages["net-optical-isl@1.0.0"]
    assert 'class="admonition' not in _html(md).split("<h2")[0]  # published: no banner
    expected = {"draft": "warning", "candidate": "note", "deprecated": "warning", "withdrawn": "danger"}
    for status, kind in expected.items():
        changes: dict[str, Any] = {"status": status}
        if status in ("deprecated", "withdrawn"):
            changes |= {"replaced_by": "net-optical-isl@1.1.0", "notice": "Superseded: the *framing* class."}
        page = _html(render_spec_markdown(_with(loaded, **changes)))
        top = page.split("<h2")[0]
        banner = re.search(r'<div class="admonition ([a-z]+)">(.*?)</div>', top, re.S)
        assert banner and banner.group(1) == kind, status
        text = _text(banner.group(2))
        assert text.startswith(status.capitalize())
        if status in ("deprecated", "withdrawn"):
            assert "Use net-optical-isl@1.1.0 instead." in text
            assert 'href="1.1.0.md"' in banner.group(2)  # a link to the replacement's page
            assert "Superseded: the *framing* class." in text
        else:
            assert "--allow-draft" in text


def test_changes_since_the_previous_version(pages: dict[str, tuple[LoadedSpec, str]], catalog: Catalog) -> None:
    first = pages["net-optical-isl@1.0.0"][1]
    assert "## Changes since the previous version" in first and "first version" in first
    loaded, md = pages["net-optical-isl@1.1.0"]
    assert previous_version(catalog, loaded.spec) == "1.0.0"
    section = md[md.index("## Changes since 1.0.0") :]
    page = _html(section)
    rows = [_text(r) for r in re.findall(r"<tr>.*?</tr>", page, re.S)][1:]
    # 1.0.0 has the class coding only; 1.1.0 adds four (read from the two catalog files).
    added = {r.split()[2] for r in rows if r.split()[1] == "class.added"}
    assert added == {c.id for c in loaded.spec.classes} - {"coding"} == {"framing", "reliable", "acquisition", "budget"}
    new_ids = {r.id for r in loaded.spec.requirements} - {r.id for r in pages["net-optical-isl@1.0.0"][0].spec.requirements}
    assert {r.split()[2] for r in rows if r.split()[1] == "requirement.added"} == new_ids
    assert '<details class="info">' in page  # a long table is collapsed
    for ref, (ld, text) in pages.items():
        assert re.search(r"^## Changes since ", text, re.M), ref


def test_parameters_in_hex_and_long_values_round_trip(pages: dict[str, tuple[LoadedSpec, str]]) -> None:
    md = pages["net-optical-isl@1.0.0"][1]
    # CCSDS 131.0-B-3 4.3: F(x) = x^8+x^7+x^2+x+1; 10.4: h(x) = x^8+x^7+x^5+x^3+1, seed all ones.
    for name, shown in (("rs_field_polynomial", "0x187"), ("randomizer_polynomial", "0x1A9"), ("randomizer_seed", "0xFF")):
        assert f"| `{name}` | `{shown}` |" in md
    checked = 0
    for ref, (loaded, text) in pages.items():
        for name, p in loaded.spec.parameters.items():
            block = re.search(rf'\?\?\? example "Value of {name}"\n\n    ```json\n(.*?)\n    ```', text, re.S)
            if block is None:
                assert len(json.dumps(p.value)) <= LONG_VALUE or not isinstance(p.value, (dict, list, str)), (ref, name)
                continue
            assert json.loads(block.group(1).replace("\n    ", "\n")) == p.value
            checked += 1
    assert checked >= 20


def _hint_text(hint: Any) -> str:
    """A type hint of the interfaces' Protocols in the page's notation."""
    if hint is type(None):
        return "None"
    if hint is Any:
        return "Any"
    if typing.is_typeddict(hint):
        return "dict[str, Any]"
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        parts = [_hint_text(a) for a in args]
        return " | ".join([p for p in parts if p != "None"] + (["None"] if "None" in parts else []))
    if origin is collections.abc.Sequence:
        return f"Sequence[{_hint_text(args[0])}]"
    if origin is list:
        return f"list[{_hint_text(args[0])}]"
    if origin is dict:
        return "dict[str, Any]"
    return hint.__name__ if isinstance(hint, type) else str(hint)


def test_python_types_match_the_typing_protocols(catalog: Catalog) -> None:
    compared = 0
    for loaded in catalog.all_loaded():
        s = loaded.spec
        protocols = list(CLASS_PROTOCOLS.get(s.id, {}).values()) or ([PROTOCOLS[s.id]] if s.id in PROTOCOLS else [])
        methods = {name: m for proto in protocols for name, m in vars(proto).items() if callable(m)}
        for op in s.interface.operations:
            if op.name not in methods:
                continue
            hints = typing.get_type_hints(methods[op.name])
            for arg, schema in op.arguments.get("properties", {}).items():
                want = _hint_text(hints[arg])
                got = python_type(schema, argument=True)
                # A Protocol may ask for a list where any sequence is accepted.
                assert got == want or got.replace("Sequence[", "list[") == want, (s.ref, op.name, arg, got, want)
                compared += 1
            assert python_type(op.result) == _hint_text(hints["return"]), (s.ref, op.name)
            compared += 1
    assert compared > 50


def test_wire_examples_validate_against_the_argument_schemas(pages: dict[str, tuple[LoadedSpec, str]]) -> None:
    for ref, (loaded, md) in pages.items():
        for op in loaded.spec.interface.operations:
            m = re.search(r'    \{"id": 1, "op": "' + op.name + r'", "args": (.*)\}\n', md)
            assert m, (ref, op.name)
            args = json.loads(m.group(1))
            errors = list(Draft202012Validator(op.arguments).iter_errors(args))
            assert not errors, (ref, op.name, [e.message for e in errors])


def test_show_md_is_the_page(pages: dict[str, tuple[LoadedSpec, str]], catalog: Catalog) -> None:
    loaded, md = pages["net-optical-isl@1.1.0"]
    assert render_spec(loaded, "md", catalog=catalog) == md
    assert md.endswith("\n") and not md.endswith("\n\n")
