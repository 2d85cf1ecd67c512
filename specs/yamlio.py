"""Safe, bounded YAML loading with source positions.

Spec and ICS documents are loaded with a restricted loader:

* only plain data (mappings, sequences, strings, numbers, ``true``/``false``, ``null``): no Python
  objects, and no YAML 1.1 surprises (``no`` stays the string ``"no"``; dates stay strings);
* only JSON data: ``.nan``, ``.inf``, integers beyond 2^53-1, ``!!binary``, ``!!set``,
  ``!!timestamp``, ``!!omap``/``!!pairs``, non-string mapping keys and nesting deeper than
  :data:`MAX_DEPTH` are refused naming line and field (the RFC 8785 digest, reports and JSON
  Schema validation could not hold them);
* only a regular file is read (never a FIFO or a device), and its size is bounded
  (:data:`MAX_FILE_BYTES`, counted while reading, not trusted from ``stat``), and so is the size of the document once its
  aliases are expanded (:data:`MAX_EXPANDED_NODES`), so a "billion laughs" document is refused
  in milliseconds instead of exhausting memory;
* the composed node tree is kept, so a validation error at field path ``requirements.3.level`` can
  be reported with the line it came from.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import InputFileError
from .fsutil import read_bounded
from .safetext import printable

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_EXPANDED_NODES = 200_000


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2-like implicit typing (booleans are only true/false) that refuses
    duplicate mapping keys (YAML 1.2 requires unique keys; a silent last-one-wins would drop data)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                continue  # unhashable key: the base class reports it
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first at line {seen[key].start_mark.line + 1})", key_node.start_mark
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


# Rebuild the implicit resolvers: drop timestamps and the YAML 1.1 yes/no/on/off booleans.
_StrictLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


@dataclass(frozen=True)
class YamlDocument:
    """A loaded YAML document: its data, its node tree and where it came from."""

    data: Any
    node: yaml.Node | None
    path: str

    def line_of(self, loc: tuple[int | str, ...]) -> int | None:
        """1-based line of the value at field path ``loc`` (or of its nearest existing parent)."""
        node = self.node
        line = node.start_mark.line + 1 if node is not None else None
        for key in loc:
            if isinstance(node, yaml.MappingNode):
                nxt = None
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                        nxt = v
                        line = k.start_mark.line + 1
                        break
                if nxt is None:
                    return line
                node = nxt
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
                node = node.value[key]
                line = node.start_mark.line + 1
            else:
                return line
        return line


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = MAX_EXPANDED_NODES + 1  # a cycle counts as unbounded
    if isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(v, memo) for v in node.value)
    else:
        size = 1
    size = min(size, MAX_EXPANDED_NODES + 1)
    memo[key] = size
    return size


_Y = "tag:yaml.org,2002:"
#: Tags of plain JSON data; ``merge`` is the ``<<`` key of a merged mapping.
_JSON_SCALARS = {_Y + t for t in ("str", "null", "bool", "int", "float")}
#: Tags YAML knows that JSON cannot hold, with why.
_NOT_JSON = {
    _Y + "binary": "JSON has no binary data; give base64 as a string",
    _Y + "set": "JSON has no sets; use a sequence",
    _Y + "timestamp": "JSON has no timestamps; quote the date",
    _Y + "omap": "JSON has no ordered maps; use a mapping",
    _Y + "pairs": "JSON has no pairs; use a mapping",
}
#: Integers a JSON number (an IEEE double, RFC 8785) holds exactly.
MAX_SAFE_INTEGER = 2**53 - 1
#: Nesting of mappings and sequences; spec and ICS documents need a few levels, not hundreds.
MAX_DEPTH = 128


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _scalar_problem(loader: _StrictLoader, node: yaml.ScalarNode) -> str | None:
    """Why a resolved scalar cannot be JSON data (None when it can)."""
    tag = node.tag
    if tag == _Y + "float":
        try:
            value = loader.construct_yaml_float(node)
        except ValueError:
            return f"{_short(node.value)!r} is not a number"
        if math.isnan(value):
            return f"{_short(node.value)} is not allowed (JSON has no NaN)"
        if math.isinf(value):
            return f"{_short(node.value)} is not allowed (JSON has no infinity)"
    elif tag == _Y + "int":
        digits = node.value.replace("_", "").lstrip("+-")
        too_big = f"{_short(node.value)} is not allowed (JSON integers must be at most 2^53-1 in absolute value)"
        if len(digits) > 24:  # refused before converting: int() of a huge string costs quadratic time
            return too_big
        try:
            number = loader.construct_yaml_int(node)
        except ValueError:
            return f"{_short(node.value)!r} is not an integer"
        if abs(number) > MAX_SAFE_INTEGER:
            return too_big
    elif tag not in _JSON_SCALARS:
        return _tag_problem(tag)
    return None


def _tag_problem(tag: str) -> str:
    if tag in _NOT_JSON:
        return f"!!{tag.removeprefix(_Y)} is not allowed ({_NOT_JSON[tag]})"
    return f"malformed YAML: tag {_short(tag, 60)!r} is not allowed (plain data only)"


def _check_json_data(loader: _StrictLoader, root: yaml.Node, path: str) -> None:
    """Refuse, naming line and field, whatever JSON (and so the RFC 8785 digest) cannot hold:
    NaN, infinities, integers beyond 2^53-1, binary, sets, timestamps, ordered maps and pairs,
    mapping keys that are not strings, and nesting deeper than :data:`MAX_DEPTH`."""

    def refuse(node: yaml.Node, loc: tuple[str, ...], message: str) -> InputFileError:
        return InputFileError(message, path=path, line=node.start_mark.line + 1, field=".".join(loc) or None)

    seen: set[int] = set()
    stack: list[tuple[yaml.Node, tuple[str, ...], int]] = [(root, (), 0)]
    while stack:
        node, loc, depth = stack.pop()
        if id(node) in seen:  # an alias: checked where its anchor is
            continue
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise refuse(node, (*loc[:3], "..."), f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, yaml.ScalarNode):
            problem = _scalar_problem(loader, node)
            if problem:
                raise refuse(node, loc, problem)
        elif isinstance(node, yaml.SequenceNode):
            if node.tag != _Y + "seq":
                raise refuse(node, loc, _tag_problem(node.tag))
            for i, item in reversed(list(enumerate(node.value))):
                stack.append((item, (*loc, str(i)), depth + 1))
        elif isinstance(node, yaml.MappingNode):
            if node.tag != _Y + "map":
                raise refuse(node, loc, _tag_problem(node.tag))
            for key, value in reversed(node.value):
                if isinstance(key, yaml.ScalarNode) and key.tag == _Y + "merge":
                    raise refuse(key, loc, "merge keys (<<) are not supported; write the mapping out")
                if not isinstance(key, yaml.ScalarNode):
                    raise refuse(key, loc, "a mapping key must be a string, not a collection")
                if key.tag != _Y + "str":
                    raise refuse(key, loc, f"mapping key {_short(key.value)} is not a string (quote it: JSON keys are strings)")
                stack.append((value, (*loc, key.value), depth + 1))


def load_yaml_text(text: str, path: str = "<string>") -> YamlDocument:
    """Parse ``text`` as one YAML document with the bounded, data-only loader."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise InputFileError(f"document is larger than the limit of {MAX_FILE_BYTES} bytes", path=path)
    loader: _StrictLoader | None = None
    try:
        loader = _StrictLoader(text)  # checks every character: a NUL or control byte fails here
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(None, None, path)
        if _expanded_size(node, {}) > MAX_EXPANDED_NODES:
            raise InputFileError(
                f"document expands to more than {MAX_EXPANDED_NODES} nodes (alias bomb?); refused",
                path=path,
                line=node.start_mark.line + 1,
            )
        _check_json_data(loader, node, path)
        data = loader.construct_document(node)
    except yaml.reader.ReaderError as exc:
        position = exc.position if isinstance(exc.position, int) else 0
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise InputFileError(
            f"malformed YAML: character {printable(chr(code))} (U+{code:04X}) at column {column} is not allowed in YAML text",
            path=path,
            line=text.count("\n", 0, position) + 1,
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "malformed YAML"
        raise InputFileError(f"malformed YAML: {problem}", path=path, line=line) from None
    except yaml.YAMLError as exc:
        raise InputFileError(f"malformed YAML: {exc}", path=path) from None
    except RecursionError:
        raise InputFileError("document is nested too deeply", path=path) from None
    finally:
        if loader is not None:
            loader.dispose()
    return YamlDocument(data, node, path)


def read_text_file(path: str | Path, what: str = "file") -> str:
    """The UTF-8 text of a regular file of at most :data:`MAX_FILE_BYTES` bytes (InputFileError
    naming the file otherwise: not a regular file, too large, unreadable, not UTF-8)."""
    raw = read_bounded(path, MAX_FILE_BYTES, what)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"not UTF-8 text (byte offset {exc.start})", path=path) from None


def load_yaml_file(path: str | Path) -> YamlDocument:
    """Read and parse a YAML file; every failure is an :class:`InputFileError` naming the file."""
    return load_yaml_text(read_text_file(path), str(Path(path)))


def dump_yaml(data: Any) -> str:
    """Serialise plain data as block-style YAML, keys in the given order."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
