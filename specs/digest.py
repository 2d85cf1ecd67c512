"""Content digests of spec versions (docs/getting-started/standards-bodies.md).

The digest of a spec version is ``sha256:`` + the SHA-256 of the RFC 8785 (JSON Canonicalization
Scheme) serialisation of the document's normative content: its data without the ``digest`` key
itself and without the lifecycle fields (:data:`LIFECYCLE_FIELDS`: ``status``, ``published``,
``replaced_by``, ``notice``). A version's lifecycle goes on after publication (it is deprecated,
then withdrawn, naming its replacement), while what it requires never changes; so freezing a draft
and publishing it later, or deprecating a published version, leave its digest as it was. It is
computed over the document as written (not over model defaults), so adding an optional model field
later does not change the digest of an already-published version.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785


def canonical_json(data: Any) -> bytes:
    """RFC 8785 canonical JSON bytes of ``data``."""
    return rfc8785.dumps(data)


#: Top-level keys a digest does not cover: the digest itself and the version's lifecycle.
LIFECYCLE_FIELDS = frozenset({"digest", "status", "published", "replaced_by", "notice"})


def content_digest(document: dict[str, Any]) -> str:
    """``sha256:<hex>`` over the canonical form of ``document`` minus :data:`LIFECYCLE_FIELDS`."""
    content = {k: v for k, v in document.items() if k not in LIFECYCLE_FIELDS}
    return "sha256:" + hashlib.sha256(canonical_json(content)).hexdigest()
