"""Safe, bounded YAML loading with source positions.

Spec and ICS documents are loaded with a restricted loader:

* only plain data (mappings, sequences, strings, numbers, ``true``/``false``, ``null``): no Python
  objects, and no YAML 1.1 surprises (``no`` stays the string ``"no"``; dates stay strings);
* the file size is bounded (:data:`MAX_FILE_BYTES`) and so is the size of the document once its
  aliases are expanded (:data:`MAX_EXPANDED_NODES`), so a "billion laughs" document is refused
  in milliseconds instead of exhausting memory;
* the composed node tree is kept, so a validation error at field path ``requirements.3.level`` can
  be reported with the line it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import InputFileError

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


def load_yaml_text(text: str, path: str = "<string>") -> YamlDocument:
    """Parse ``text`` as one YAML document with the bounded, data-only loader."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise InputFileError(f"document is larger than {MAX_FILE_BYTES} bytes", path=path)
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(None, None, path)
        if _expanded_size(node, {}) > MAX_EXPANDED_NODES:
            raise InputFileError(
                f"document expands to more than {MAX_EXPANDED_NODES} nodes (alias bomb?); refused",
                path=path,
                line=node.start_mark.line + 1,
            )
        data = loader.construct_document(node)
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
        loader.dispose()
    return YamlDocument(data, node, path)


def load_yaml_file(path: str | Path) -> YamlDocument:
    """Read and parse a YAML file; every failure is an :class:`InputFileError` naming the file."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputFileError(f"file is {size} bytes; the limit is {MAX_FILE_BYTES}", path=p)
        raw = p.read_bytes()
    except InputFileError:
        raise
    except OSError as exc:
        raise InputFileError(f"cannot read file: {exc.strerror or exc}", path=p) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"not UTF-8 text (byte offset {exc.start})", path=p) from None
    return load_yaml_text(text, str(p))


def dump_yaml(data: Any) -> str:
    """Serialise plain data as block-style YAML, keys in the given order."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
