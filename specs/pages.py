"""The documentation site's page of one spec version, in Markdown (``orbitcert specs show --format md``).

``docs/gen_spec_pages.py`` (an mkdocs-gen-files script) calls :func:`render_spec_markdown` for
every version in the catalog, so the site shows exactly what the catalog holds, and
``orbitcert specs show ID@VERSION --format md`` prints the same page.

The layout is made for reading normative text on a screen of any width:

* a lifecycle banner (an admonition) on a version that is not ``published``: draft, candidate,
  deprecated or withdrawn, naming ``replaced_by`` and ``notice`` when the spec has them;
* the version's facts in a two-column table with a header (status, dates, digest, previous
  version, the certify command);
* requirements grouped by conformance class, one block per requirement: the id as a heading (a
  stable anchor, ``#oisl-cod-004``), a line of facts (level, class, verification, clause,
  ``applies_if``, statistical verdict, deprecation) and the text as a paragraph;
* the ICS proforma and the parameters as tables of at most four columns; a parameter whose value is
  long or structured JSON gets its own block with the value in a collapsible code block;
* each interface operation with its arguments and result as the Python types a product receives
  and returns in process and as the JSON sent on the wire by the product protocol (bytes as
  base64, RFC 4648), and the JSON Schemas in a collapsible block;
* "Changes since the previous version", from :func:`orbitcert.specs.diff.diff_specs` against the
  highest catalog version below this one.

The Markdown uses Python-Markdown with the ``admonition``, ``pymdownx.details``,
``pymdownx.superfences`` and ``tables`` extensions (mkdocs.yml). Strings of the spec are escaped
where Markdown would read them as markup (``*``, word-boundary ``_``, HTML tags, table pipes);
:func:`orbitcert.specs.render.render_spec` then escapes control characters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .errors import OrbitcertError
from .loader import Catalog, LoadedSpec
from .model import IcsItem, IcsStatus, Operation, Parameter, Requirement, Spec, Status, version_key

__all__ = [
    "HEX_SUFFIXES",
    "LONG_VALUE",
    "changes_section",
    "previous_version",
    "python_type",
    "render_spec_markdown",
]

#: Integer parameters whose name ends with one of these are shown in hexadecimal.
HEX_SUFFIXES = ("polynomial", "seed", "initial")
#: A parameter value longer than this (as JSON) gets a block of its own with a collapsible value.
LONG_VALUE = 32
#: A changes table with more rows than this is collapsed.
_COLLAPSE_CHANGES = 12

_BANNERS: dict[Status, tuple[str, str, str]] = {
    Status.draft: (
        "warning",
        "Draft",
        "This version is a draft, not a published standard: its content may change without a new "
        "version number. A certification against it needs `--allow-draft`, and its report never certifies.",
    ),
    Status.candidate: (
        "note",
        "Candidate",
        "This version is a candidate for publication: its content may still change before it is "
        "published. A certification against it needs `--allow-draft`, and its report never certifies.",
    ),
    Status.deprecated: (
        "warning",
        "Deprecated",
        "This version is deprecated: products can still be certified against it, and `orbitcert certify` "
        "warns that it is deprecated and names its replacement. New certifications should use a later version.",
    ),
    Status.withdrawn: (
        "danger",
        "Withdrawn",
        "This version is withdrawn: it is no longer a basis for certification, and `orbitcert certify` "
        "refuses it. Reports made against it earlier stay what they were, a record of that day.",
    ),
}


# --- Markdown escaping ---------------------------------------------------------------------------

_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_CODE_SPAN = re.compile(r"(`[^`]+`)")
_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_LIST_NUMBER = re.compile(r"(\d+)(?=[.)] )")
_BLOCK_MARK = re.compile(r"#|[>+*-] |=+$|-+$")


def _inline(text: Any) -> str:
    """A spec string as inline Markdown: one line, no accidental emphasis or HTML.

    Code spans the author marked with backticks (``now``) are kept as they are; elsewhere ``\\``,
    ``*``, a ``_`` at a word's edge and a ``<`` that could open an HTML tag are escaped (a ``_``
    inside a word, ``edac_code``, is never emphasis in Python-Markdown).
    """
    out = []
    for i, part in enumerate(_CODE_SPAN.split(" ".join(str(text).split()))):
        if i % 2 == 0:
            part = part.replace("\\", "\\\\").replace("*", "\\*")
            part = _TAG_START.sub("&lt;", _EDGE_UNDERSCORE.sub(lambda m: "\\_", part))
        out.append(part)
    return "".join(out)


def _cell(text: Any) -> str:
    """Inline Markdown for a table cell (pipes escaped)."""
    return _inline(text).replace("|", "\\|")


def _paragraphs(text: str) -> list[str]:
    """Free text as Markdown paragraphs: blank lines separate them, line breaks inside one are spaces,
    and a paragraph that would start a list, heading or quote is escaped."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        para = _inline(block)
        if para:
            number = _LIST_NUMBER.match(para)
            if number:  # "1. " would start an ordered list
                para = number.group(1) + "\\" + para[number.end() :]
            elif _BLOCK_MARK.match(para):  # a heading, quote, bullet or setext underline
                para = "\\" + para
            out += [para, ""]
    return out


def _code(text: Any) -> str:
    """An inline code span holding ``text`` (backticks inside get a longer fence)."""
    s = " ".join(str(text).split())
    fence = "`" * (max((len(m) for m in re.findall(r"`+", s)), default=0) + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _indent(lines: Iterable[str], prefix: str = "    ") -> list[str]:
    return [prefix + line if line else "" for line in lines]


def _collapsed(kind: str, title: str, body: Iterable[str]) -> list[str]:
    """A collapsed ``pymdownx.details`` block."""
    return [f'??? {kind} "{title}"', "", *_indent(body), ""]


# --- JSON Schema as Python types -----------------------------------------------------------------

_SIMPLE = {"integer": "int", "number": "float", "boolean": "bool", "string": "str", "null": "None"}
_JSON_TYPES: dict[type, str] = {str: "str", int: "int", float: "float", bool: "bool", type(None): "None"}


def _union(parts: Iterable[str]) -> str:
    seen: list[str] = []
    for part in parts:
        for p in part.split(" | "):
            if p not in seen:
                seen.append(p)
    if "Any" in seen:
        return "Any"
    if "None" in seen:
        seen.remove("None")
        seen.append("None")
    return " | ".join(seen)


def python_type(schema: Any, argument: bool = False) -> str:
    """The Python type of a value of JSON Schema ``schema`` in process: ``bytes`` where the schema
    says ``contentEncoding: base64`` (the product protocol carries them as base64 strings, RFC 4648),
    ``Sequence[...]`` for an array argument (``list[...]`` for a result), ``dict[str, Any]`` for an
    object (the spec's typing Protocol may name a ``TypedDict``), the types of the values of an
    untyped ``enum`` or ``const``, ``Any`` for an unconstrained value."""
    if not isinstance(schema, Mapping):
        return "Any"
    for key in ("oneOf", "anyOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return _union(python_type(branch, argument) for branch in schema[key])
    if schema.get("contentEncoding") == "base64":
        return "bytes"
    kind = schema.get("type")
    if isinstance(kind, list):
        return _union(python_type({**schema, "type": k}, argument) for k in kind)
    if isinstance(kind, str) and kind in _SIMPLE:
        return _SIMPLE[kind]
    if kind == "array":
        item = python_type(schema.get("items", {}), argument)
        return f"Sequence[{item}]" if argument else f"list[{item}]"
    if kind == "object":
        return "dict[str, Any]"
    values = schema["enum"] if isinstance(schema.get("enum"), list) else [schema["const"]] if "const" in schema else []
    if values:  # an enum or const without a type: the types of its values
        return _union(_JSON_TYPES.get(type(v), "Any") for v in values)
    return "Any"


_NESTED_QUANTIFIER = re.compile(r"\([^()]*[*+][^()]*\)[*+{]")


def _example_string(schema: Mapping[str, Any]) -> str:
    """A short string within the schema's length and ``pattern`` (tried on zeros and letters: the
    patterns of the catalog are hexadecimal fields), else a placeholder naming the pattern."""
    low, high = int(schema.get("minLength", 0)), int(schema.get("maxLength", 1 << 16))
    pattern = schema.get("pattern")
    if not isinstance(pattern, str):
        return "x" * max(low, min(3, high))
    if _NESTED_QUANTIFIER.search(pattern):  # (a+)+ backtracks exponentially: a spec is untrusted input
        return f"<a string matching {pattern}>"
    try:
        compiled = re.compile(pattern)
    except re.error:
        return f"<a string matching {pattern}>"
    for n in range(low, min(high, 64) + 1):
        for fill in "0aA":
            if compiled.search(fill * n):
                return fill * n
    return f"<a string matching {pattern}>"


def _example(schema: Any) -> Any:
    """A small value matching ``schema`` for the wire example: base64 bytes as ``"<base64>"``."""
    if not isinstance(schema, Mapping):
        return None
    if "default" in schema:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("oneOf", "anyOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return _example(schema[key][0])
    if schema.get("contentEncoding") == "base64":
        return "<base64>"
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        return low + 1 if "exclusiveMinimum" in schema and "minimum" not in schema else low
    if kind == "boolean":
        return True
    if kind == "string":
        return _example_string(schema)
    if kind == "array":
        return [_example(schema.get("items", {}))]
    if kind == "object":
        props = schema.get("properties")
        required = schema.get("required", [])
        if isinstance(props, Mapping):
            return {k: _example(v) for k, v in props.items() if k in required or "default" in v}
        return {}
    return None


# --- sections ------------------------------------------------------------------------------------


def previous_version(catalog: Catalog, spec: Spec) -> str | None:
    """The highest version of ``spec.id`` in ``catalog`` below ``spec.version`` (None for a first version)."""
    older = [v for v in catalog.versions(spec.id) if version_key(v) < version_key(spec.version)]
    return older[-1] if older else None


def _spec_link(catalog: Catalog, here: Spec, ref: str) -> str:
    """``ID@VERSION`` as a link to its page when the catalog holds it, else as code."""
    spec_id, _, version = ref.partition("@")
    if (spec_id, version) not in catalog.entries:
        return _code(ref)
    target = f"{version}.md" if spec_id == here.id else f"../{spec_id}/{version}.md"
    return f"[{_code(ref)}]({target})"


def _banner(s: Spec, catalog: Catalog) -> list[str]:
    if s.status not in _BANNERS:
        return []
    kind, title, text = _BANNERS[s.status]
    body = [text]
    if s.replaced_by:
        body += ["", f"Use {_spec_link(catalog, s, s.replaced_by)} instead."]
    if s.notice:
        body += ["", *_paragraphs(s.notice)]
    return [f'!!! {kind} "{title}"', "", *_indent(body), ""]


def _facts(loaded: LoadedSpec, catalog: Catalog, previous: str | None) -> list[str]:
    s = loaded.spec
    rows: list[tuple[str, str]] = [
        ("Status", f"**{s.status.value}**"),
        ("Published", s.published or "not yet"),
    ]
    if s.supersedes:
        rows.append(("Supersedes", _spec_link(catalog, s, s.supersedes)))
    if s.replaced_by:
        rows.append(("Replaced by", _spec_link(catalog, s, s.replaced_by)))
    rows.append(
        (
            "Previous version",
            f"{_spec_link(catalog, s, f'{s.id}@{previous}')} ([changes](#changes-since-{previous.replace('.', '')}))"
            if previous
            else "none: this is the first version in the catalog",
        )
    )
    digest = _code(loaded.digest)
    if s.digest is None:
        digest += " (not yet recorded in the file)"
    elif s.digest != loaded.digest:
        digest += f" (**the file records {_code(s.digest)}: it changed after its digest was recorded**)"
    rows.append(("Digest", digest))
    rows.append(("Reference", _code(s.ref)))
    rows.append(("Certify", _code(f"orbitcert certify --spec {s.ref}")))
    counts = (
        f"{len(s.classes)} classes, {len(s.requirements)} requirements, {len(s.ics)} ICS items, "
        f"{len(s.parameters)} parameters, {len(s.interface.operations)} interface operations"
    )
    rows.append(("Contents", counts))
    return ["| Field | Value |", "|---|---|", *[f"| {k} | {v} |" for k, v in rows], ""]


def _references(s: Spec) -> list[str]:
    if not s.references:
        return []
    out = ["## Referenced standards", ""]
    for r in s.references:
        line = f"- **{_inline(r.id)}**: {_inline(r.title)}"
        if r.sections:
            line += ". Sections: " + "; ".join(_inline(x) for x in r.sections)
        out.append(line)
    return [*out, ""]


def _classes(s: Spec) -> list[str]:
    out = ["## Conformance classes", "", "| Class | Kind | Depends on | Description |", "|---|---|---|---|"]
    for c in s.classes:
        n = sum(r.class_ == c.id for r in s.requirements)
        depends = ", ".join(_code(d) for d in c.depends_on) or "-"
        desc = f"**{_cell(c.title)}.** {_cell(c.description)}".rstrip() + f" ({n} requirements)"
        out.append(f"| {_code(c.id)} | {c.kind} | {depends} | {desc} |")
    return [*out, ""]


def _requirement(s: Spec, r: Requirement) -> list[str]:
    facts = [f"**{r.level.value}**", f"class {_code(r.class_)}", f"verified by {r.verification.value}"]
    if r.statistical:
        facts.append("statistical verdict")
    if r.clause:
        facts.append(f"clause {_inline(r.clause)}")
    if r.applies_if:
        facts.append(f"applies if {_code(r.applies_if)}")
    if r.deprecated_in:
        facts.append(f"deprecated in {r.deprecated_in}")
    if r.replaced_by:
        target = f"[{_code(r.replaced_by)}](#{r.replaced_by.lower()})" if any(
            x.id == r.replaced_by for x in s.requirements
        ) else _code(r.replaced_by)
        facts.append(f"replaced by {target}")
    return [f"#### {r.id}", "", " · ".join(facts), "", *_paragraphs(r.text)]


def _requirements(s: Spec) -> list[str]:
    out = [f"## Requirements ({len(s.requirements)})", ""]
    if not s.requirements:
        return [*out, "None.", ""]
    out += [
        "Grouped by conformance class. Each requirement's heading is its stable id and its anchor",
        "on this page; the line under it gives its level, class, verification method and the clause",
        "of the referenced standard it profiles.",
        "",
    ]
    known = {c.id for c in s.classes}
    order = [c.id for c in s.classes] + sorted({r.class_ for r in s.requirements} - known)
    for cid in order:
        reqs = [r for r in s.requirements if r.class_ == cid]
        if not reqs:
            continue
        title = next((f": {_inline(c.title)}" for c in s.classes if c.id == cid), " (unknown class)")
        out += [f"### Class {_code(cid)}{title}", ""]
        for r in reqs:
            out += _requirement(s, r)
    return out


def _retired(s: Spec) -> list[str]:
    if not s.retired:
        return []
    out = [
        "## Retired ids",
        "",
        "Ids earlier versions defined and this one does not. An id is never reused.",
        "",
        "| Id | Kind | Retired in | Replaced by | Reason |",
        "|---|---|---|---|---|",
    ]
    for x in s.retired:
        out.append(
            f"| {_code(x.id)} | {x.kind} | {x.retired_in} | {_code(x.replaced_by) if x.replaced_by else '-'} | "
            f"{_cell(x.reason) or '-'} |"
        )
    return [*out, ""]


def _answer(item: IcsItem) -> str:
    from .render import _allowed  # render imports this module: import at call time

    allowed = _allowed(item)
    text = item.type.value + (f": {allowed}" if allowed else "")
    if item.default is not None:
        text += f"; default {_json(item.default)}"
    return _cell(text)


def _ics(s: Spec) -> list[str]:
    if not s.ics:
        return []
    out = [
        f"## ICS proforma ({len(s.ics)} items)",
        "",
        "What a supplier declares in the implementation conformance statement (`orbitcert ics template "
        f"{s.ref}` writes it). Status: **M** mandatory, **O** optional, **C** conditional (required when "
        "its condition holds), **X** excluded.",
        "",
        "| Item | Status | Answer | Question |",
        "|---|---|---|---|",
    ]
    for item in s.ics:
        status = item.status.value
        question = _cell(item.question)
        if item.status is IcsStatus.C and item.condition:
            question += f" *Required when* {_code(item.condition)}."
        if item.clause:
            question += f" *Clause* {_cell(item.clause)}."
        gated = s.gated_requirements(item.id)
        if gated:
            question += " *Gates* " + ", ".join(f"[{_code(g)}](#{g.lower()})" for g in gated) + "."
        out.append(f"| {_code(item.id)} | {status} | {_answer(item)} | {question} |")
    return [*out, ""]


def _value(name: str, p: Parameter) -> str:
    v = p.value
    if isinstance(v, int) and not isinstance(v, bool) and v >= 0 and name.endswith(HEX_SUFFIXES):
        return f"0x{v:X}"
    return _json(v)


def _is_long(name: str, p: Parameter) -> bool:
    text = _value(name, p)
    return len(text) > LONG_VALUE or "|" in text or "`" in text or isinstance(p.value, (dict, list)) and len(text) > 24


def _parameters(s: Spec) -> list[str]:
    if not s.parameters:
        return []
    out = [
        f"## Parameters ({len(s.parameters)})",
        "",
        "The normative constants: the reference implementation and the conformance suite read them "
        "from the spec, and a product's adapter may read them too (`spec.parameter(name)`).",
        "",
        "| Parameter | Value | Description |",
        "|---|---|---|",
    ]
    long: list[tuple[str, Parameter]] = []
    for name, p in s.parameters.items():
        desc = _cell(p.description) + (f" *Clause* {_cell(p.clause)}." if p.clause else "")
        if _is_long(name, p):
            long.append((name, p))
            value = f"[JSON, below](#parameter-{name.lower()})"
        else:
            value = _code(_value(name, p)) + (f" {_cell(p.unit)}" if p.unit else "")
        out.append(f"| {_code(name)} | {value} | {desc} |")
    out.append("")
    if long:
        out += ["### Structured parameter values", ""]
    for name, p in long:
        text = json.dumps(p.value, indent=2, ensure_ascii=False, default=str)
        facts = [f"{len(_value(name, p))} characters of JSON"] + ([f"unit {_inline(p.unit)}"] if p.unit else [])
        facts += [f"clause {_inline(p.clause)}"] if p.clause else []
        out += [f"#### Parameter {_code(name)}", "", " · ".join(facts), "", *_paragraphs(p.description)]
        out += _collapsed("example", f"Value of {name}", ["```json", *text.splitlines(), "```"])
    return out


def _operation(op: Operation) -> list[str]:
    from .render import _summary  # render imports this module: import at call time

    facts = [f"class {', '.join(_code(c) for c in op.classes)}"]
    if op.timeout is not None:
        facts.append(f"time limit {op.timeout:g} s per call")
    out = [f"### {_code(op.name)}", "", " · ".join(facts), "", *_paragraphs(op.description)]
    args = op.arguments
    props = args.get("properties") if args.get("type") == "object" else None
    if isinstance(props, Mapping) and props:
        required = set(args.get("required", []))
        out += [
            "| Argument | In process (Python) | On the wire (JSON) |",
            "|---|---|---|",
        ]
        for i, (name, sub) in enumerate(props.items(), 1):
            need = "required" if name in required else "optional"
            out.append(
                f"| {i}. {_code(name)} ({need}) | {_code(python_type(sub, argument=True))} | {_cell(_summary(sub))} |"
            )
        out.append("")
    elif isinstance(props, Mapping):
        out += ["No arguments.", ""]
    else:
        out += [f"Arguments: {_cell(_summary(args))}.", ""]
    out += [
        f"**Result**: in process {_code(python_type(op.result))}; on the wire {_cell(_summary(op.result))}.",
        "",
    ]
    request = {"id": 1, "op": op.name, "args": _example(args) if isinstance(props, Mapping) else {}}
    body = [
        "A request on the wire (the [product protocol](../../reference/protocol.md), one JSON line; "
        "`<base64>` stands for bytes in base64):",
        "",
        "```json",
        json.dumps(request, ensure_ascii=False, default=str),
        "```",
        "",
        "Arguments:",
        "",
        "```json",
        *json.dumps(op.arguments, indent=2, ensure_ascii=False).splitlines(),
        "```",
        "",
        "Result:",
        "",
        "```json",
        *json.dumps(op.result, indent=2, ensure_ascii=False).splitlines(),
        "```",
    ]
    return [*out, *_collapsed("abstract", f"JSON Schemas and a wire request of {op.name}", body)]


def _interface(s: Spec) -> list[str]:
    if not s.interface.operations:
        return []
    out = [
        f"## Test interface ({len(s.interface.operations)} operations)",
        "",
        "The operations a product exposes to the conformance suite. In process (`--impl module:factory`) "
        "each is a method of the product object: arguments arrive positionally, in the order listed, "
        "with the Python types shown; bytes are `bytes`. Out of process (`--impl-cmd`, `--impl-connect`) "
        "the same values travel as JSON lines of the [product protocol](../../reference/protocol.md), "
        "bytes as base64 strings (RFC 4648). Both sides are checked against the JSON Schemas.",
        "",
    ]
    for op in s.interface.operations:
        out += _operation(op)
    return out


def changes_section(loaded: LoadedSpec, catalog: Catalog) -> list[str]:
    """The section "Changes since ...": the diff against the previous catalog version, its table
    collapsed when long; "first version" when there is none."""
    s = loaded.spec
    previous = previous_version(catalog, s)
    if previous is None:
        return [
            "## Changes since the previous version",
            "",
            f"None: this is the first version of {_code(s.id)} in the catalog.",
            "",
        ]
    ref = f"{s.id}@{previous}"
    try:
        old = catalog.load(ref)
    except OrbitcertError as exc:
        return [f"## Changes since {previous}", "", f"{_code(ref)} could not be loaded: {_inline(exc)}", ""]
    from .diff import diff_specs, render_diff_markdown

    lines = render_diff_markdown(diff_specs(old.spec, s), heading_level=2).rstrip("\n").splitlines()
    table = [i for i, line in enumerate(lines) if line.startswith("|")]
    rows = len(table) - 2
    if rows > _COLLAPSE_CHANGES:
        start, end = table[0], table[-1] + 1
        lines = [
            *lines[:start],
            *_collapsed("info", f"All {rows} changes, most severe first", lines[start:end]),
            *lines[end:],
        ]
    return [*lines, ""]


def render_spec_markdown(
    loaded: LoadedSpec, catalog: Catalog | None = None, extra_sections: Sequence[str] = ()
) -> str:
    """The page of one spec version (see the module docstring for its layout).

    ``catalog`` (default: :meth:`Catalog.discover`) is where the previous version for "Changes
    since" and the targets of links to other versions are looked up. ``extra_sections`` (Markdown,
    e.g. the Python adapter contract the site appends) go after the test interface and before the
    changes. Control characters, line separators and bidirectional-text controls of the spec's
    strings are printed as Python-style escapes (as in every format of ``orbitcert specs show``).
    The result ends with one newline.
    """
    catalog = catalog if catalog is not None else Catalog.discover()
    s = loaded.spec
    previous = previous_version(catalog, s)
    out = [f"# {s.id} {s.version}", "", *_banner(s, catalog), f"**{_inline(s.title)}**", ""]
    out += _facts(loaded, catalog, previous)
    out += _references(s)
    out += _classes(s)
    out += _requirements(s)
    out += _retired(s)
    out += _ics(s)
    out += _parameters(s)
    out += _interface(s)
    for extra in extra_sections:
        out += [extra.rstrip("\n"), ""]
    out += changes_section(loaded, catalog)
    from .render import _escape_unsafe  # render imports this module: import at call time

    return _escape_unsafe("\n".join(out).rstrip() + "\n", keep="\n\t")
