"""Freezing a spec version: recording its content digest in its own file (``orbitcert specs freeze``).

The digest (:func:`orbitcert.specs.digest.content_digest`) covers every field but ``digest``
itself, so writing it does not change it. Freezing edits the file as text, not by re-serialising
the YAML, so comments, key order, quoting and line endings survive:

* an existing top-level ``digest:`` entry is replaced in place (a trailing comment on its line is
  kept). Top-level means a key of the document's root mapping, located with the YAML parser: a
  ``digest:`` key nested in a parameter, a line inside a block scalar and a comment are never
  touched;
* otherwise a ``digest:`` line is inserted after the top-level ``status:`` entry, else after
  ``version:``, else before the first key (after leading comments, directives and ``---``);
* the file's line-break style is kept (a CRLF file stays CRLF; the inserted line uses the style
  of the file's first line break). The result always ends with a line break: one is added when
  the file lacks it. Nothing else is removed, not even trailing blank lines (they may be the
  content of a ``|+`` block scalar).

After the edit the new text is parsed again; if it differs from the old one in anything but the
digest, the edit is refused with :class:`~orbitcert.specs.errors.SpecError` and nothing is written.

Which specs may be frozen: draft, candidate and published ones. Freezing a draft or a candidate
records its digest before it is published (lint then reports a later change of a published file).
A deprecated or withdrawn version is history and is not rewritten, and a published version whose
recorded digest no longer matches its content is refused too: a published version is immutable
(``specs lint`` OC107), so re-freezing it would hide the change; publish a new version instead.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from .digest import content_digest
from .errors import OrbitcertError, SpecError
from .fsutil import atomic_write
from .loader import load_spec_document
from .model import Status
from .yamlio import YamlDocument, load_yaml_text, read_text_file

__all__ = ["FREEZABLE", "freeze_spec_file", "freeze_text"]

#: Statuses whose files :func:`freeze_spec_file` rewrites.
FREEZABLE = frozenset({Status.draft, Status.candidate, Status.published})
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_ANCHORS = ("status", "version")


def freeze_text(text: str, digest: str) -> str:
    """``text`` (a spec file's content) with its top-level ``digest:`` set to ``digest``.

    Pure: reads and writes nothing. ``digest`` must look like ``sha256:<64 hex>`` (ValueError
    otherwise). Raises :class:`InputFileError` when ``text`` is not YAML and :class:`SpecError`
    when it is not a block mapping or the edit would change anything but the digest. The text
    need not be a valid spec; see the module docstring for where the line goes.
    """
    return _freeze(text, digest, "<string>")


def freeze_spec_file(path: str | Path) -> str:
    """Record the content digest of the spec file ``path`` in it; returns the digest.

    The file is read once, validated as a spec, edited with :func:`freeze_text`, parsed again to
    check that its computed digest is the one written, and replaced atomically (unchanged files
    are not rewritten). Errors name the file: :class:`InputFileError` (unreadable, not YAML,
    cannot write) or :class:`SpecError` (invalid spec, status not freezable, published spec
    changed after its digest was recorded, edit not possible).
    """
    p = Path(path)
    text = read_text_file(p, "spec")  # bounded: a FIFO or /dev/zero is refused, not read
    loaded = load_spec_document(load_yaml_text(text, str(p)))
    spec, digest = loaded.spec, loaded.digest
    status_line = loaded.document.line_of(("status",))
    if spec.status not in FREEZABLE:
        raise SpecError(
            f"{spec.ref} is {spec.status.value}: only draft, candidate and published versions are frozen",
            path=p, line=status_line, field="status",
        )
    if spec.status is Status.published and spec.digest is not None and spec.digest != digest:
        raise SpecError(
            f"{spec.ref} is published and its content changed after its digest was recorded "
            f"(recorded {spec.digest[:19]}..., computed {digest[:19]}...); a published version is "
            "immutable: release a new version instead",
            path=p, line=loaded.document.line_of(("digest",)), field="digest",
        )
    new_text = _freeze(text, digest, str(p))
    check = load_spec_document(load_yaml_text(new_text, str(p)))
    if check.digest != digest or check.spec.digest != digest:
        raise SpecError(f"freezing would not record {digest} consistently; file left unchanged", path=p)
    if new_text != text:
        atomic_write(os.path.realpath(p), new_text.encode("utf-8"))  # a symlinked spec: its target changes
    return digest


# --- text editing --------------------------------------------------------------------------------


def _line_break(text: str) -> str:
    """The style of the first line break of ``text`` (``\\n`` for a one-line text)."""
    i = text.find("\n")
    return "\r\n" if i > 0 and text[i - 1] == "\r" else "\n"


def _after_line(text: str, index: int) -> int:
    """Index of the start of the line after the one holding ``index`` (len(text) if none)."""
    if index > 0 and text[index - 1] == "\n":  # a block scalar's end mark is already at a line start
        return index
    j = text.find("\n", index)
    return len(text) if j < 0 else j + 1


def _freeze(text: str, digest: str, path: str) -> str:
    if not _DIGEST.fullmatch(digest):
        raise ValueError(f"not a content digest: {digest!r} (expected sha256:<64 lowercase hex digits>)")
    before = load_yaml_text(text, path)
    root = before.node
    if not isinstance(root, yaml.MappingNode) or not isinstance(before.data, dict):
        raise SpecError("a spec document must be a mapping at the top level", path=path, line=1)
    if root.flow_style:
        raise SpecError(
            "the top-level mapping is written in flow style ({...}); write it in block style to freeze it",
            path=path, line=root.start_mark.line + 1,
        )
    nl = _line_break(text)
    entry = f"digest: {digest}"
    keys = {k.value: (k, v) for k, v in root.value if isinstance(k, yaml.ScalarNode)}
    if "digest" in keys:
        key, value = keys["digest"]
        if value.start_mark.index < key.end_mark.index:  # an alias: the node sits elsewhere
            raise SpecError(
                "the digest is an alias (*name); write the value out to freeze the file",
                path=path, line=key.start_mark.line + 1, field="digest",
            )
        start, end = key.start_mark.index, value.end_mark.index
        while end > start and text[end - 1] in "\r\n":
            end -= 1
        new = text[:start] + entry + text[end:]
    else:
        anchor = next((keys[name] for name in _ANCHORS if name in keys), None)
        if anchor is not None:
            key, value = anchor
            at = _after_line(text, value.end_mark.index)
        else:
            key = root.value[0][0]
            at = text.rfind("\n", 0, key.start_mark.index) + 1
        line = " " * key.start_mark.column + entry + nl
        head = text[:at]
        if head and not head.endswith("\n"):  # inserting after a last line that has no line break
            head += nl
        new = head + line + text[at:]
    if not new.endswith("\n"):
        new += nl
    _check_only_digest_changed(before, new, digest, path)
    return new


def _check_only_digest_changed(before: YamlDocument, new: str, digest: str, path: str) -> None:
    try:
        after = load_yaml_text(new, path)
    except OrbitcertError as exc:
        raise SpecError(f"setting the digest would make the file unreadable ({exc.message})", path=path) from None
    if not isinstance(after.data, dict) or after.data.get("digest") != digest:
        raise SpecError("could not place the digest line in this file", path=path)
    if content_digest(after.data) != content_digest(before.data):
        raise SpecError("setting the digest line would change other content of the file", path=path)


# --- files ---------------------------------------------------------------------------------------


