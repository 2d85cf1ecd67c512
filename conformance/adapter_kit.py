"""Skeleton products for a spec's test interface (``orbitcert adapter new``).

:func:`generate` renders, for one spec version and one language, a product that offers every
operation of the spec's ``interface`` section and implements none of them: in Python, a class
with one method per operation (parameters in the order of the argument ``properties``, type hints
from the JSON Schemas) raising ``NotImplementedError``; in C, a JSON-lines loop (the product
protocol, docs/reference/protocol.md) answering ``hello`` and replying a ``NotImplemented`` error
to every operation. Either way the skeleton runs, and a certification run of it completes with an
``error`` verdict for every test ("... is not implemented yet") until the vendor fills it in.

:func:`write_skeleton` writes the files into a new (or empty) directory and never overwrites
anything. Text taken from the spec (descriptions, property names) is made safe for where it lands:
Python docstrings and identifiers, C comments, Markdown table cells.
"""

from __future__ import annotations

import base64
import binascii
import json
import keyword
import re
import shlex
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from orbitcert.specs.errors import InputFileError, OptionError
from orbitcert.specs.fsutil import atomic_write
from orbitcert.specs.ics import ics_template
from orbitcert.specs.model import Operation, Spec
from orbitcert.specs.pages import python_type

__all__ = ["LANGUAGES", "GeneratedFile", "class_name", "describe", "generate", "module_name", "write_skeleton"]

#: Languages a skeleton can be generated in.
LANGUAGES = ("python", "c")

_TEMPLATES = ("templates", "adapter")


@dataclass(frozen=True)
class GeneratedFile:
    """One file of a skeleton: its path relative to the output directory and its content."""

    path: str
    content: str


# --- names -------------------------------------------------------------------------------------


def module_name(spec: Spec) -> str:
    """The Python module of a spec's adapter: ``net-optical-isl`` -> ``net_optical_isl_adapter``."""
    return spec.id.replace("-", "_") + "_adapter"


def class_name(spec: Spec) -> str:
    """The adapter class: ``net-optical-isl`` -> ``NetOpticalIslAdapter``."""
    return "".join(part.capitalize() for part in spec.id.split("-")) + "Adapter"


def product_name(out: Path, spec: Spec) -> str:
    """A product name safe in a C string literal and a Python string: the output directory's name
    (letters, digits, ``.``, ``_``, ``-`` only), else ``<spec id>-product``."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", out.resolve().name).strip("-.")
    return name[:64] or f"{spec.id}-product"


def _identifiers(names: Sequence[str]) -> list[str]:
    """Python parameter names for JSON property names: invalid characters become ``_``, keywords
    and ``self`` get a trailing ``_``, and clashes a numeric suffix."""
    out: list[str] = []
    for raw in names:
        ident = re.sub(r"\W", "_", raw, flags=re.ASCII) or "_"
        if ident[0].isdigit():
            ident = "_" + ident
        if keyword.iskeyword(ident) or ident == "self":
            ident += "_"
        base, n = ident, 2
        while ident in out:
            ident, n = f"{base}_{n}", n + 1
        out.append(ident)
    return out


# --- text made safe for its destination ----------------------------------------------------------


def _plain(text: str) -> str:
    """One line of printable ASCII: leading spaces stay, other whitespace runs collapse, anything
    else becomes ``?``."""
    text = str(text)
    lead = len(text) - len(text.lstrip(" "))
    text = " " * lead + " ".join(text.split())
    return "".join(c if " " <= c <= "~" else "?" for c in text)


def _docstring_text(text: str) -> str:
    return _plain(text).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _c_comment_text(text: str) -> str:
    """Nothing that ends or nests a comment, and no trigraph (``-std=c11`` reads them)."""
    text = _plain(text)
    while "*/" in text or "/*" in text or "??" in text:
        text = text.replace("*/", "* /").replace("/*", "/ *").replace("??", "? ?")
    return text


def _cell(text: str) -> str:
    return _plain(text).replace("\\", "\\\\").replace("|", "\\|").replace("`", "'")


def _json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=True, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


# --- JSON Schema -> words ---------------------------------------------------------------------------


def _is_bytes(schema: Mapping[str, Any]) -> bool:
    return schema.get("contentEncoding") == "base64"


def _constraints(schema: Mapping[str, Any]) -> list[str]:
    out = []
    if "enum" in schema:
        out.append("one of " + ", ".join(_json(v) for v in schema["enum"]))
    if "const" in schema:
        out.append("always " + _json(schema["const"]))
    for key, words in (
        ("minimum", ">="),
        ("maximum", "<="),
        ("exclusiveMinimum", ">"),
        ("exclusiveMaximum", "<"),
        ("minLength", "length >="),
        ("maxLength", "length <="),
        ("minItems", "items >="),
        ("maxItems", "items <="),
    ):
        if key in schema:
            out.append(f"{words} {_json(schema[key])}")
    if "format" in schema:
        out.append(f"format {schema['format']}")
    if "pattern" in schema:
        out.append(f"pattern {_json(schema['pattern'])}")
    return out


def _phrase(schema: Any) -> str:
    """A one-line description of a schema (nested objects summarized by their keys)."""
    if not isinstance(schema, Mapping):
        return "any JSON value"
    for key in ("oneOf", "anyOf"):
        if isinstance(schema.get(key), list):
            return " or ".join(_phrase(branch) for branch in schema[key]) or "any JSON value"
    kind = schema.get("type")
    if _is_bytes(schema):
        head = "bytes (base64 string)"
    elif isinstance(kind, list):
        head = " or ".join(str(k) for k in kind)
    elif kind == "array":
        head = "array of " + _phrase(schema.get("items", {}))
    elif kind == "object":
        props = schema.get("properties")
        head = "object" + (" {" + ", ".join(str(p) for p in props) + "}" if isinstance(props, Mapping) and props else "")
    elif isinstance(kind, str):
        head = kind
    elif "$ref" in schema:
        head = f"see {schema['$ref']}"
    else:
        head = "any JSON value"
    extra = _constraints(schema)
    return head + (f" ({'; '.join(extra)})" if extra else "")


def describe(schema: Any, indent: str = "") -> list[str]:
    """Lines describing a JSON Schema for a reader: objects list their properties (required or
    not, defaults), arrays their items; everything else is one phrase."""
    if not isinstance(schema, Mapping):
        return [indent + "any JSON value"]
    kind = schema.get("type")
    props = schema.get("properties")
    if kind == "object" and isinstance(props, Mapping) and props:
        required = set(schema.get("required", []))
        lines = [indent + "object with:"]
        for key, sub in props.items():
            lines.extend(_property_lines(str(key), sub, key in required, indent + "  "))
        return lines
    items = schema.get("items")
    if kind == "array" and isinstance(items, Mapping) and items.get("type") == "object" and items.get("properties"):
        extra = _constraints(schema)
        inner = describe(items, indent)[1:]  # the items' property lines
        return [indent + "array" + (f" ({'; '.join(extra)})" if extra else "") + " of objects, each with:", *inner]
    return [indent + _phrase(schema)]


def _property_lines(key: str, schema: Any, required: bool, indent: str) -> list[str]:
    status = "required" if required else "optional"
    if isinstance(schema, Mapping) and "default" in schema:
        status += f", default {_json(schema['default'])}"
    head = f"{indent}{key} ({status}): "
    nested = describe(schema, indent + "  ")
    if len(nested) == 1:
        return [head + nested[0].strip()]
    return [head + nested[0].strip(), *nested[1:]]


# --- JSON Schema -> Python type hints ---------------------------------------------------------------


class _Hints:
    """Type hints for one module (:func:`orbitcert.specs.pages.python_type`, the spec pages' own
    rendering of a schema), remembering which imports they need."""

    def __init__(self) -> None:
        self.sequence = False
        self.any = False

    def hint(self, schema: Any, argument: bool) -> str:
        text = python_type(schema, argument)
        self.sequence |= "Sequence[" in text
        self.any |= re.search(r"\bAny\b", text) is not None
        return text


def _python_default(value: Any, schema: Mapping[str, Any]) -> str:
    """A JSON default as a Python literal (a base64 default of a bytes argument as bytes)."""
    if _is_bytes(schema) and isinstance(value, str):
        try:
            return repr(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            pass
    if isinstance(value, list):  # an immutable default: the method sees a Sequence either way
        return repr(tuple(value))
    return repr(value)


def _wrap(text: str, indent: str, width: int = 100) -> list[str]:
    return textwrap.wrap(text, width=width - len(indent), break_long_words=False, break_on_hyphens=False) or [""]


def _python_method(op: Operation, hints: _Hints, cls: str) -> tuple[str, str | None]:
    """The source of one stub method (indented for the class body), and an alias line when the
    operation's name is a Python keyword (the method is then ``name_``)."""
    schema = op.arguments
    props: Mapping[str, Any] = schema.get("properties") or {}
    names = list(props)
    idents = _identifiers(names)
    required = set(schema.get("required", []))
    params: list[tuple[str, str, str | None]] = []
    for raw, ident in zip(names, idents):
        sub = props[raw] if isinstance(props[raw], Mapping) else {}
        hint = hints.hint(sub, argument=True)
        default: str | None = None
        if "default" in sub:
            default = _python_default(sub["default"], sub)
        elif raw not in required:  # the bridge passes None for an absent optional argument
            if hint != "Any" and not hint.endswith("None"):
                hint += " | None"
            default = "None"
        params.append((ident, hint, default))
    # A parameter without a default cannot follow one with a default: only the trailing run keeps them.
    keep = True
    for i in range(len(params) - 1, -1, -1):
        ident, hint, default = params[i]
        if default is None:
            keep = False
        elif not keep:
            params[i] = (ident, hint, None)
    result = hints.hint(op.result, argument=False)
    method = op.name + "_" if keyword.iskeyword(op.name) else op.name
    parts = ["self"] + [f"{i}: {h}" + (f" = {d}" if d is not None else "") for i, h, d in params]
    indent = "    "
    one_line = f"{indent}def {method}({', '.join(parts)}) -> {result}:"
    if len(one_line) <= 100:
        lines = [one_line]
    else:
        lines = [f"{indent}def {method}(", *(f"{indent * 2}{p}," for p in parts), f"{indent}) -> {result}:"]
    body = indent * 2
    wrapped = _wrap(_docstring_text(op.description or f"The {op.name} operation."), body + '"""')
    doc = [body + '"""' + wrapped[0], *(body + w for w in wrapped[1:])]
    doc.append("")
    doc.append(f"{body}Class ``{_docstring_text(', '.join(op.classes))}``. Arguments (in this order):")
    if not names:
        doc.append(f"{body}    none")
    for raw, ident in zip(names, idents):
        entry = _property_lines(raw, props[raw], raw in required, "")
        if ident != raw:
            entry[0] = f"{ident} (``{raw}`` on the wire)" + entry[0][len(raw) :]
        doc.extend(body + "    " + _docstring_text(line) for line in entry)
    doc.append("")
    doc.append(f"{body}Returns:")
    doc.extend(body + "    " + _docstring_text(line) for line in describe(op.result))
    doc.append(f'{body}"""')
    lines.extend(doc)
    lines.append(f'{body}raise NotImplementedError("{op.name} is not implemented yet")')
    alias = f"setattr({cls}, {op.name!r}, {cls}.{method})" if method != op.name else None
    return "\n".join(lines), alias


def _c_comment(op: Operation) -> str:
    schema = op.arguments
    props: Mapping[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required", []))
    body = _wrap(f"{op.name} (class {', '.join(op.classes)}): " + (op.description or ""), " * ")
    body.append("")
    body.append("Arguments (`args`, a JSON object; bytes as base64 strings):")
    if not props:
        body.append("  none")
    for key, sub in props.items():
        body.extend("  " + line for line in _property_lines(str(key), sub, key in required, ""))
    body.append("Result (the reply's \"result\"):")
    body.extend("  " + line for line in describe(op.result))
    text = [_c_comment_text(line) for line in body]
    return "/* " + text[0] + "\n" + "\n".join((" * " + t).rstrip() for t in text[1:]) + " */"


def _readme_rows(spec: Spec) -> list[dict[str, str]]:
    rows = []
    for op in spec.interface.operations:
        props: Mapping[str, Any] = op.arguments.get("properties") or {}
        required = set(op.arguments.get("required", []))
        args = []
        for key, sub in props.items():
            note = "" if key in required else (
                f" = {_json(sub['default'])}" if isinstance(sub, Mapping) and "default" in sub else " (optional)"
            )
            args.append(f"`{_cell(str(key))}`{_cell(note)}: {_cell(_phrase(sub))}")
        rows.append({
            "name": op.name,
            "class_": _cell(", ".join(op.classes)),
            "arguments": "; ".join(args) or "none",
            "result": _cell(_phrase(op.result)),
        })
    return rows


# --- rendering ------------------------------------------------------------------------------------


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("orbitcert.conformance", "/".join(_TEMPLATES)),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def _static(lang: str, name: str) -> str:
    return resources.files("orbitcert.conformance").joinpath(*_TEMPLATES, lang, name).read_text(encoding="utf-8")


def _python_files(spec: Spec, name: str, env: jinja2.Environment) -> list[GeneratedFile]:
    hints = _Hints()
    methods, aliases = [], []
    cls = class_name(spec)
    for op in spec.interface.operations:
        source, alias = _python_method(op, hints, cls)
        methods.append(source)
        if alias:
            aliases.append(alias)
    imports = []
    if hints.sequence:
        imports.append("from collections.abc import Sequence")
    imports.append("from typing import TYPE_CHECKING" + (", Any" if hints.any else ""))
    imports += ["", "if TYPE_CHECKING:", "    from orbitcert.specs import Spec"]
    if aliases:
        aliases.insert(0, "")
        aliases.insert(1, "# Operations named like Python keywords: the method has a trailing underscore.")
    module = module_name(spec)
    context = {
        "name": name,
        "name_literal": f'"{name}"',  # letters, digits, ".", "_" and "-" only
        "ref": spec.ref,
        "title": _docstring_text(spec.title),
        "module": module,
        "class_name": cls,
        "operation_list": ", ".join(op.name for op in spec.interface.operations) or "no operations",
        "imports": imports,
        "methods": methods,
        "aliases": aliases,
        "operations": _readme_rows(spec),
    }
    readme_context = {**context, "title": _cell(spec.title)}
    return [
        GeneratedFile(f"{module}.py", env.get_template("python/adapter.py.j2").render(context)),
        GeneratedFile("ics.yaml", ics_template(spec)),
        GeneratedFile("README.md", env.get_template("python/README.md.j2").render(readme_context)),
    ]


def _c_files(spec: Spec, name: str, out: str, env: jinja2.Environment) -> list[GeneratedFile]:
    operations = [{"name": op.name, "comment": _c_comment(op)} for op in spec.interface.operations]
    main = env.get_template("c/main.c.j2").render(name=name, ref=spec.ref, operations=operations)
    readme = env.get_template("c/README.md.j2").render(
        name=name, ref=spec.ref, title=_cell(spec.title), out=out, operations=_readme_rows(spec)
    )
    files = [GeneratedFile("Makefile", _static("c", "Makefile")), GeneratedFile("src/main.c", main)]
    files += [GeneratedFile(f"src/{f}", _static("c", f)) for f in ("json.c", "json.h", "base64.c", "base64.h")]
    files += [GeneratedFile("ics.yaml", ics_template(spec)), GeneratedFile("README.md", readme)]
    return files


def generate(spec: Spec, lang: str, out: str | Path = ".") -> list[GeneratedFile]:
    """The files of a skeleton product for ``spec`` in ``lang`` (see :data:`LANGUAGES`), to be
    written into the directory ``out`` (whose name is the product's name)."""
    if lang not in LANGUAGES:
        raise OptionError(f"unknown language {lang!r}; choose one of: {', '.join(LANGUAGES)}", field="lang")
    out_path = Path(out)
    name = product_name(out_path, spec)
    env = _environment()
    if lang == "python":
        return _python_files(spec, name, env)
    return _c_files(spec, name, shlex.quote(str(out_path)), env)


def write_skeleton(spec: Spec, lang: str, out: str | Path) -> list[Path]:
    """Write the skeleton of :func:`generate` into ``out``, which must not exist or be an empty
    directory (a vendor's work is never overwritten). Returns the paths written."""
    out_path = Path(out)
    files = generate(spec, lang, out_path)  # an unknown language is refused before anything is created
    if out_path.exists() or out_path.is_symlink():
        if not out_path.is_dir():
            raise InputFileError("exists and is not a directory; give a new or empty directory", path=out_path)
        if any(out_path.iterdir()):
            raise InputFileError(
                "exists and is not empty; the skeleton is written only into a new or empty directory", path=out_path
            )
    written = []
    for f in files:
        written.append(atomic_write(out_path / f.path, f.content))
    return written
