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

Which specs may be frozen: drafts and candidates only. Freezing one records its digest while it
circulates for review (``specs lint`` then shows whether it changed since); ``orbitcert specs
publish`` records it again at publication, with the status and the date. A published, deprecated
or withdrawn version is never rewritten: its recorded digest is what reports bind to, and
re-freezing a changed file would bless the change (a published version is immutable, ``specs
lint`` OC107: publish a new version instead). Neither is a draft whose ``ID@VERSION`` another
catalog directory already holds as a published version with other content.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import yaml

from .digest import content_digest
from .errors import OrbitcertError, SpecError
from .fsutil import atomic_write
from .loader import Catalog, LoadedSpec, load_spec_document, load_spec_file
from .model import Status
from .yamlio import load_yaml_text, read_text_file

__all__ = ["FREEZABLE", "check_not_published", "freeze_spec_file", "freeze_text", "set_top_level"]

#: Statuses whose files :func:`freeze_spec_file` rewrites.
FREEZABLE = frozenset({Status.draft, Status.candidate})
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


def freeze_spec_file(path: str | Path, catalogs: Sequence[str | Path] = ()) -> str:
    """Record the content digest of the draft or candidate spec file ``path`` in it; returns the digest.

    The file is read once, validated as a spec, edited with :func:`freeze_text`, parsed again to
    check that its computed digest is the one written, and replaced atomically (unchanged files
    are not rewritten). Errors name the file: :class:`InputFileError` (unreadable, not YAML,
    cannot write) or :class:`SpecError` (invalid spec, status not freezable, the version
    published elsewhere in the catalog (bundled, ``ORBITCERT_CATALOG``, ``catalogs``) with other
    content, edit not possible).
    """
    p = Path(path)
    text = read_text_file(p, "spec")  # bounded: a FIFO or /dev/zero is refused, not read
    loaded = load_spec_document(load_yaml_text(text, str(p)))
    digest = loaded.digest
    check_not_published(loaded, p, catalogs, "frozen")
    new_text = _freeze(text, digest, str(p))
    check = load_spec_document(load_yaml_text(new_text, str(p)))
    if check.digest != digest or check.spec.digest != digest:
        raise SpecError(f"freezing would not record {digest} consistently; file left unchanged", path=p)
    if new_text != text:
        atomic_write(os.path.realpath(p), new_text.encode("utf-8"))  # a symlinked spec: its target changes
    return digest


def check_not_published(loaded: LoadedSpec, path: Path, catalogs: Sequence[str | Path], action: str) -> None:
    """Refuse (``SpecError``) to ``action`` a file that is not a draft or candidate, or whose
    ``ID@VERSION`` the catalog holds published, in another file, with other content."""
    spec = loaded.spec
    if spec.status not in FREEZABLE:
        changed = spec.digest is not None and spec.digest != loaded.digest
        why = (
            f" and its content changed after its digest was recorded (recorded {spec.digest[:19]}..., computed "
            f"{loaded.digest[:19]}...)" if changed and spec.digest else ""
        )
        raise SpecError(
            f"{spec.ref} is {spec.status.value}{why}: only a draft or a candidate can be {action}; a published "
            "version is immutable: release a new version instead",
            path=path, line=loaded.document.line_of(("status",)), field="status",
        )
    try:
        catalog = Catalog.discover(catalogs)
    except OrbitcertError:
        return  # no usable catalog: nothing to collide with
    key = (spec.id, spec.version)
    # Every copy in every catalog directory, not only the one that wins the lookup: an outside
    # catalog's file of a bundled version shadows nothing; the bundled one is still published.
    for other in [catalog.entries[key], *catalog.duplicates.get(key, [])] if key in catalog.entries else []:
        if Path(other).resolve() == path.resolve():
            continue
        try:
            existing = load_spec_file(other)
        except OrbitcertError:
            continue
        if existing.spec.status not in FREEZABLE:
            raise SpecError(
                f"{spec.ref} is already {existing.spec.status.value} in {other}"
                + ("" if existing.digest == loaded.digest else " with other content")
                + ": a version number is never reused; give this one a new version",
                path=path, line=loaded.document.line_of(("version",)), field="version",
            )


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
    return set_top_level(text, {"digest": (digest, digest)}, path)


def set_top_level(text: str, entries: dict[str, tuple[str, object]], path: str) -> str:
    """``text`` with each top-level ``key: rendered`` of ``entries`` (key -> (rendered YAML
    scalar, the value it must parse to)) replaced in place or inserted (see the module
    docstring: after ``status:``, else ``version:``, else first). Only lifecycle fields may be
    set this way: the edit is refused (:class:`SpecError`) if the content digest changes or a
    value does not read back as given."""
    before = load_yaml_text(text, path)
    new = text
    for key, (rendered, _) in entries.items():
        new = _set_key(new, key, rendered, path)
    if not new.endswith("\n"):
        new += _line_break(text)
    try:
        after = load_yaml_text(new, path)
    except OrbitcertError as exc:
        raise SpecError(f"the edit would make the file unreadable ({exc.message})", path=path) from None
    if not isinstance(after.data, dict) or any(after.data.get(k) != v for k, (_, v) in entries.items()):
        raise SpecError(f"could not place the {', '.join(entries)} line(s) in this file", path=path)
    if content_digest(after.data) != content_digest(before.data):
        raise SpecError(f"setting {', '.join(entries)} would change other content of the file", path=path)
    return new


def _set_key(text: str, name: str, rendered: str, path: str) -> str:
    doc = load_yaml_text(text, path)
    root = doc.node
    if not isinstance(root, yaml.MappingNode) or not isinstance(doc.data, dict):
        raise SpecError("a spec document must be a mapping at the top level", path=path, line=1)
    if root.flow_style:
        raise SpecError(
            f"the top-level mapping is written in flow style ({{...}}); write it in block style to set {name}",
            path=path, line=root.start_mark.line + 1,
        )
    nl = _line_break(text)
    entry = f"{name}: {rendered}"
    keys = {k.value: (k, v) for k, v in root.value if isinstance(k, yaml.ScalarNode)}
    if name in keys:
        key, value = keys[name]
        if value.start_mark.index < key.end_mark.index:  # an alias: the node sits elsewhere
            raise SpecError(
                f"the {name} is an alias (*name); write the value out", path=path, line=key.start_mark.line + 1, field=name
            )
        start, end = key.start_mark.index, value.end_mark.index
        while end > start and text[end - 1] in "\r\n":
            end -= 1
        return text[:start] + entry + text[end:]
    anchor = next((keys[k] for k in _ANCHORS if k in keys), None)
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
    return head + line + text[at:]


# --- files ---------------------------------------------------------------------------------------


