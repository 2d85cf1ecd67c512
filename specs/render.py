"""What ``orbitcert specs show`` prints: one spec version as plain text, Markdown, JSON or YAML.

:func:`render_spec` is a library function; the CLI chooses the format and prints the result.

* ``text`` is plain text for a terminal or an 80-column CI log: no markup, no ANSI sequences, every
  field in full (prose is wrapped, never cut). Every line is at most ``width`` characters; the one
  exception is a single token longer than ``width`` (a digest in a narrow log, a long URL), which
  is printed alone on its line, unindented and unbroken, so it can still be copied.
* ``md`` is the documentation site's page (:func:`orbitcert.specs.pages.render_spec_markdown`); its
  "Changes since" section compares with the previous version in ``catalog``.
* ``json`` and ``yaml`` are the validated content of the spec (model field order) plus
  ``computed_digest``, the digest computed from the file as loaded.

A spec file is untrusted input. Control characters (C0, DEL, C1, including ESC), Unicode line and
paragraph separators, bidirectional-text controls and lone surrogates from its strings never reach
the output raw: in ``text`` and ``md`` they are printed as Python-style escapes (``\\x1b``,
``\\u202e``); in ``json`` as JSON ``\\uXXXX`` escapes; in ``yaml`` as YAML escapes. The data that
``json`` and ``yaml`` carry is unchanged.
"""

from __future__ import annotations

import json
import re
import textwrap
import unicodedata
from collections.abc import Iterable
from typing import Any, Literal

import yaml

from .loader import Catalog, LoadedSpec
from .model import IcsItem, IcsStatus, IcsType, Operation, Parameter, Requirement, Spec
from .pages import HEX_SUFFIXES, render_spec_markdown
from .yamlio import dump_yaml

__all__ = ["FORMATS", "MIN_WIDTH", "Format", "render_spec"]

Format = Literal["text", "md", "json", "yaml"]
FORMATS: tuple[Format, ...] = ("text", "md", "json", "yaml")
#: Narrowest ``width`` accepted for ``text`` (the deepest indentation is 6 columns).
MIN_WIDTH = 20

_INDENT = "  "
_DETAIL = "    "
_MORE = "      "

# Format characters that reorder displayed text ("Trojan Source"): escaped like control characters.
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def render_spec(loaded: LoadedSpec, fmt: Format = "text", width: int = 80, catalog: Catalog | None = None) -> str:
    """``loaded`` as ``fmt`` (text, md, json, yaml); ``width`` applies to ``text`` only.

    ``catalog`` (``md`` only; default: the catalog :meth:`Catalog.discover` finds) holds the
    previous version the page's "Changes since" section compares with.

    Raises ValueError for an unknown ``fmt`` or a ``width`` below :data:`MIN_WIDTH`.
    The result ends with one newline.
    """
    if fmt == "text":
        if width < MIN_WIDTH:
            raise ValueError(f"width must be at least {MIN_WIDTH}, got {width}")
        return _render_text(loaded, width)
    if fmt == "md":
        return render_spec_markdown(loaded, catalog)
    if fmt == "json":
        return _render_json(_content(loaded))
    if fmt == "yaml":
        return _render_yaml(_content(loaded))
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


# --- untrusted strings ---------------------------------------------------------------------------


def _is_unsafe(ch: str) -> bool:
    return unicodedata.category(ch) in _UNSAFE_CATEGORIES or ch in _BIDI_CONTROLS


def _escape_unsafe(text: str, keep: str = "") -> str:
    """``text`` with every unsafe character not in ``keep`` replaced by its Python escape."""
    return "".join(ascii(ch)[1:-1] if ch not in keep and _is_unsafe(ch) else ch for ch in text)


def _one_line(value: object) -> str:
    """A value as one line of safe text: tabs and line breaks become spaces, other controls escapes."""
    text = str(value).replace("\r\n", "\n")
    return _escape_unsafe(text.replace("\t", " ").replace("\n", " "))


# --- wrapping ------------------------------------------------------------------------------------


def _fit(lines: Iterable[str], width: int) -> list[str]:
    """Lines longer than ``width`` that hold one token lose their indentation (and stay whole)."""
    out = []
    for line in lines:
        if len(line) > width and " " not in line.strip():
            line = line.strip()
        out.append(line.rstrip())
    return out


def _wrap(text: str, width: int, first: str = "", rest: str | None = None) -> list[str]:
    """Wrap one line of ``text`` (already safe) after the prefix ``first``, continuing at ``rest``.

    Words are never split (not at hyphens either: ids such as ``OISL-COD-004`` stay whole). When
    the first word does not fit after ``first``, ``first`` stands alone on its line.
    """
    rest = first if rest is None else rest
    if rest and not rest.strip():
        rest_indent = rest
    else:
        rest_indent = " " * len(rest)
    wrapper = textwrap.TextWrapper(
        width=width,
        initial_indent=first,
        subsequent_indent=rest_indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    lines = wrapper.wrap(text) or [first]
    if len(lines[0]) > width and first.strip():
        body = textwrap.TextWrapper(
            width=width, initial_indent=rest_indent, subsequent_indent=rest_indent,
            break_long_words=False, break_on_hyphens=False,
        ).wrap(text)
        lines = [first.rstrip(), *body]
    return _fit(lines, width)


def _prose(text: str, width: int, indent: str) -> list[str]:
    """Free text (a requirement, a description), wrapped at ``indent``. Its line breaks are kept;
    blank lines are dropped, since a blank line separates one block of the output from the next."""
    out: list[str] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = _one_line(raw).strip()
        if line:
            out += _wrap(line, width, indent)
    return out


# --- text ----------------------------------------------------------------------------------------


def _heading(title: str, width: int) -> list[str]:
    lines = _wrap(title, width)
    return ["", *lines, "-" * min(width, max(len(line) for line in lines))]


def _render_text(loaded: LoadedSpec, width: int) -> str:
    s = loaded.spec
    out: list[str] = []
    out += _wrap(f"{_one_line(s.ref)} ({s.status.value})", width)
    out += _wrap(_one_line(s.title), width)
    out.append("")
    out += _wrap(_one_line(s.published or "-"), width, "published: ", _INDENT)
    out += _wrap(_one_line(s.supersedes or "-"), width, "supersedes: ", _INDENT)
    out += _wrap(loaded.digest, width, "digest: ", _INDENT)
    if s.digest is None:
        out += _wrap("not recorded in the file (orbitcert specs freeze records it)", width, _INDENT)
    elif s.digest != loaded.digest:
        out += _wrap(_one_line(s.digest), width, "recorded digest: ", _INDENT)
        out += _wrap("MISMATCH: the file changed after its digest was recorded", width, _INDENT)
    out += _references(s, width)
    out += _classes(s, width)
    out += _requirements(s, width)
    out += _ics(s, width)
    out += _parameters(s, width)
    out += _interface(s, width)
    return "\n".join(out).rstrip("\n") + "\n"


def _references(s: Spec, width: int) -> list[str]:
    if not s.references:
        return []
    out = _heading("References", width)
    for r in s.references:
        out += _wrap(f"{_one_line(r.id)}: {_one_line(r.title)}", width, _INDENT, _DETAIL)
        if r.sections:
            sections = "; ".join(_one_line(x) for x in r.sections)
            out += _wrap(sections, width, f"{_DETAIL}sections: ", _MORE)
    return out


def _classes(s: Spec, width: int) -> list[str]:
    out = _heading("Conformance classes", width)
    for c in s.classes:
        out += _wrap(f"{_one_line(c.id)}  {c.kind}  {_one_line(c.title)}", width, _INDENT, _DETAIL)
        depends = ", ".join(_one_line(d) for d in c.depends_on) or "-"
        out += _wrap(depends, width, f"{_DETAIL}depends on: ", _MORE)
        if c.description.strip():
            out += _prose(c.description, width, _DETAIL)
    return out


def _requirement_line(r: Requirement) -> str:
    parts = [_one_line(r.id), r.level.value, _one_line(r.class_), r.verification.value]
    if r.statistical:
        parts.append("statistical")
    if r.clause:
        parts.append(f"[{_one_line(r.clause)}]")
    return "  ".join(parts)


def _requirements(s: Spec, width: int) -> list[str]:
    out = _heading(f"Requirements ({len(s.requirements)})", width)
    for r in s.requirements:
        out.append("")
        out += _wrap(_requirement_line(r), width, _INDENT, _MORE)
        if r.applies_if:
            out += _wrap(_one_line(r.applies_if), width, f"{_DETAIL}applies if: ", _MORE)
        if r.replaced_by:
            out += _wrap(_one_line(r.replaced_by), width, f"{_DETAIL}replaced by: ", _MORE)
        if r.deprecated_in:
            out += _wrap(_one_line(r.deprecated_in), width, f"{_DETAIL}deprecated in: ", _MORE)
        out += _prose(r.text, width, _DETAIL)
    return out


def _json_value(value: Any) -> str:
    return _one_line(json.dumps(value, ensure_ascii=False, default=str))


def _allowed(item: IcsItem) -> str:
    if item.values:
        values = ", ".join(_json_value(v) for v in item.values)
        return f"subset of {{{values}}}" if item.type is IcsType.set else f"one of {{{values}}}"
    unit = f" {item.unit}" if item.unit else ""
    if item.minimum is not None and item.maximum is not None:
        return f"{item.minimum}..{item.maximum}{unit}"
    if item.minimum is not None:
        return f">= {item.minimum}{unit}"
    if item.maximum is not None:
        return f"<= {item.maximum}{unit}"
    return unit.strip()


def _ics(s: Spec, width: int) -> list[str]:
    if not s.ics:
        return []
    out = _heading(f"ICS proforma ({len(s.ics)} items)", width)
    out += _wrap("status: M mandatory, O optional, C conditional, X excluded", width)
    for item in s.ics:
        status = item.status.value
        if item.status is IcsStatus.C and item.condition:
            status += f" (if {_one_line(item.condition)})"
        head = "  ".join(p for p in (_one_line(item.id), status, item.type.value, _allowed(item)) if p)
        out.append("")
        out += _wrap(head, width, _INDENT, _MORE)
        out += _prose(item.question, width, _DETAIL)
        if item.default is not None:
            out += _wrap(_json_value(item.default), width, f"{_DETAIL}default: ", _MORE)
        if item.clause:
            out += _wrap(_one_line(item.clause), width, f"{_DETAIL}clause: ", _MORE)
        gated = ", ".join(s.gated_requirements(item.id)) or "-"
        out += _wrap(_one_line(gated), width, f"{_DETAIL}gates: ", _MORE)
    return out


def _parameter_value(name: str, p: Parameter) -> str:
    v = p.value
    if isinstance(v, int) and not isinstance(v, bool) and v >= 0 and name.endswith(HEX_SUFFIXES):
        return f"0x{v:X}"
    return _json_value(v)


def _parameters(s: Spec, width: int) -> list[str]:
    if not s.parameters:
        return []
    out = _heading(f"Parameters ({len(s.parameters)})", width)
    for name, p in s.parameters.items():
        value = _parameter_value(name, p)
        if p.unit:
            value += f" {_one_line(p.unit)}"
        out.append("")
        out += _wrap(f"{_one_line(name)} = {value}", width, _INDENT, _MORE)
        if p.clause:
            out += _wrap(_one_line(p.clause), width, f"{_DETAIL}clause: ", _MORE)
        out += _prose(p.description, width, _DETAIL)
    return out


# --- JSON Schema summaries -----------------------------------------------------------------------

_MAX_DEPTH = 2


def _type_name(schema: dict[str, Any]) -> str:
    t = schema.get("type")
    if isinstance(t, list):
        return " or ".join(_one_line(x) for x in t)
    if t is None:
        return ""
    name = _one_line(t)
    if name == "string":
        if schema.get("contentEncoding") == "base64":
            return "base64 string"
        if isinstance(schema.get("format"), str):
            return f"string ({_one_line(schema['format'])})"
    return name


def _bounds(schema: dict[str, Any], low: str, high: str) -> str:
    lo, hi = schema.get(low), schema.get(high)
    if lo is not None and hi is not None:
        return f"{_json_value(lo)}..{_json_value(hi)}"
    if lo is not None:
        return f">= {_json_value(lo)}"
    if hi is not None:
        return f"<= {_json_value(hi)}"
    return ""


def _summary(schema: Any, depth: int = 0) -> str:
    """A compact one-line reading of a JSON Schema: ``array of base64 string``, ``integer >= 0``."""
    if schema is True or schema == {}:
        return "any"
    if schema is False:
        return "nothing"
    if not isinstance(schema, dict):
        return _json_value(schema)
    for combinator, joiner in (("oneOf", " or "), ("anyOf", " or "), ("allOf", " and ")):
        options = schema.get(combinator)
        if isinstance(options, list) and options:
            return joiner.join(_summary(o, depth) for o in options)
    if "$ref" in schema:
        return f"see {_one_line(schema['$ref'])}"
    if "const" in schema:
        return f"= {_json_value(schema['const'])}"
    parts = [_type_name(schema)]
    if isinstance(schema.get("enum"), list):
        parts.append("in {" + ", ".join(_json_value(v) for v in schema["enum"]) + "}")
    t = schema.get("type")
    if t in ("integer", "number"):
        parts.append(_bounds(schema, "minimum", "maximum"))
        parts.append(_bounds(schema, "exclusiveMinimum", "exclusiveMaximum").replace(">=", ">").replace("<=", "<"))
    elif t == "string":
        length = _bounds(schema, "minLength", "maxLength")
        parts.append(f"length {length}" if length else "")
        if isinstance(schema.get("pattern"), str):
            parts.append(f"matching {_one_line(schema['pattern'])}")
    elif t == "array":
        parts = [f"array of {_summary(schema['items'], depth + 1)}" if "items" in schema else "array"]
        count = _bounds(schema, "minItems", "maxItems")
        parts.append(f"{count} items" if count else "")
    elif t == "object" and isinstance(schema.get("properties"), dict) and schema["properties"]:
        if depth < _MAX_DEPTH:
            parts = ["object {" + ", ".join(_properties(schema, depth + 1)) + "}"]
        else:
            parts = ["object {" + ", ".join(_one_line(k) for k in schema["properties"]) + "}"]
    text = " ".join(p for p in parts if p) or "any"
    if "default" in schema:
        text += f", default {_json_value(schema['default'])}"
    return re.sub(r" +", " ", text)


def _properties(schema: dict[str, Any], depth: int) -> list[str]:
    """``name: summary (required)`` for each property of an object schema."""
    required = schema.get("required")
    required_names = set(required) if isinstance(required, list) else set()
    out = []
    for name, sub in schema.get("properties", {}).items():
        flag = " (required)" if name in required_names else ""
        out.append(f"{_one_line(name)}: {_summary(sub, depth)}{flag}")
    return out


def _operation(op: Operation, width: int) -> list[str]:
    out = [""]
    out += _wrap(f"{_one_line(op.name)}  (class {_one_line(', '.join(op.classes))})", width, _INDENT, _DETAIL)
    out += _prose(op.description, width, _DETAIL)
    args = op.arguments
    if args.get("type") == "object" and isinstance(args.get("properties"), dict):
        if args["properties"]:
            out.append(f"{_DETAIL}arguments:")
            for line in _properties(args, 1):
                out += _wrap(line, width, _MORE, _MORE + "  ")
        else:
            out.append(f"{_DETAIL}arguments: none")
    else:
        out += _wrap(_summary(args), width, f"{_DETAIL}arguments: ", _MORE)
    out += _wrap(_summary(op.result), width, f"{_DETAIL}result: ", _MORE)
    return out


def _interface(s: Spec, width: int) -> list[str]:
    if not s.interface.operations:
        return []
    out = _heading(f"Test interface ({len(s.interface.operations)} operations)", width)
    for op in s.interface.operations:
        out += _operation(op, width)
    return out


# --- JSON and YAML -------------------------------------------------------------------------------


def _content(loaded: LoadedSpec) -> dict[str, Any]:
    data: dict[str, Any] = loaded.spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["computed_digest"] = loaded.digest
    return data


def _render_json(data: dict[str, Any]) -> str:
    text = json.dumps(data, indent=2, ensure_ascii=False)
    # json.dumps escapes C0 controls itself; the other unsafe characters can only occur inside
    # JSON strings, where a \uXXXX escape means the same character. Line breaks are layout.
    return "".join(f"\\u{ord(ch):04x}" if ch != "\n" and _is_unsafe(ch) else ch for ch in text) + "\n"


def _render_yaml(data: dict[str, Any]) -> str:
    text = dump_yaml(data)
    if any(_is_unsafe(ch) for ch in text if ch not in "\n\t"):
        # PyYAML emits some of them raw when allow_unicode is on (bidi controls, for one): dump
        # ASCII-only instead, where every non-ASCII character is a YAML escape.
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=False, default_flow_style=False, width=100)
    return text
