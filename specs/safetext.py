"""Text taken from files or products, made safe to show and to serialise.

Spec titles, ICS answers, paths, product names and a product's exception messages are untrusted:

* :func:`printable` is what a terminal (or any human-facing line) gets: control characters
  (C0 but tab and line feed, DEL, C1, among them ESC) and the bidirectional overrides and
  isolates that can reorder what a reader sees become visible escapes such as ``\\x1b``, and a
  lone surrogate becomes ``\\udc80``. Rich markup is not this function's business: print its
  result with markup off (``say`` in the CLI does).
* :func:`clean_text` / :func:`clean_data` replace lone surrogates (which no UTF-8 encoder
  accepts) with U+FFFD, recursively through JSON-like data. Reports are signed and written from
  the cleaned data, so what is signed is what is written.
* :func:`xml_text` is :func:`clean_text` plus a visible escape for every character XML 1.0 does
  not allow, so JUnit XML stays well-formed whatever a product printed.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["clean_data", "clean_text", "printable", "xml_text"]

_SURROGATE = re.compile("[\ud800-\udfff]")
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character, bidi override and lone surrogate as a visible
    escape (``\\x1b``, ``\\u202e``, ``\\udc80``); tab and line feed are kept."""
    return _UNPRINTABLE.sub(_escape, text)


def clean_text(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (so it encodes as UTF-8)."""
    return _SURROGATE.sub("\ufffd", text)


def clean_data(data: Any) -> Any:
    """JSON-like ``data`` with :func:`clean_text` applied to every string, keys included."""
    if isinstance(data, str):
        return clean_text(data)
    if isinstance(data, dict):
        return {clean_text(k) if isinstance(k, str) else k: clean_data(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [clean_data(v) for v in data]
    return data


def xml_text(text: str) -> str:
    """``text`` fit for XML 1.0 character data or an attribute: lone surrogates become U+FFFD,
    other characters XML does not allow (C0 controls but tab, LF and CR; U+FFFE, U+FFFF) a
    visible escape such as ``\\x1b``."""
    return _XML_ILLEGAL.sub(lambda m: "\ufffd" if "\ud800" <= m.group() <= "\udfff" else _escape(m), text)
