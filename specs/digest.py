"""Content digests of spec versions (docs/getting-started/standards-bodies.md).

The digest of a spec version is ``sha256:`` + the SHA-256 of the RFC 8785 (JSON Canonicalization
Scheme) serialisation of the document's data with the ``digest`` key itself removed. It is computed
over the document as written (not over model defaults), so adding an optional model field later
does not change the digest of an already-published version.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785


def canonical_json(data: Any) -> bytes:
    """RFC 8785 canonical JSON bytes of ``data``."""
    return rfc8785.dumps(data)


def content_digest(document: dict[str, Any]) -> str:
    """``sha256:<hex>`` over the canonical form of ``document`` minus its ``digest`` key."""
    content = {k: v for k, v in document.items() if k != "digest"}
    return "sha256:" + hashlib.sha256(canonical_json(content)).hexdigest()
