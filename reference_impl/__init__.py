"""orbitcert reference implementations: golden models of the bundled specs.

One subpackage per spec family (``optical/`` ...). :data:`REFERENCES` maps a spec id to the
factory returning the reference's test-interface object and to the ICS file the reference ships
(a resource of this package), which ``orbitcert certify`` uses when no ``--impl`` is given.

A reference factory takes the :class:`orbitcert.specs.model.Spec` under test as its one argument
and builds the reference from that version's ``parameters`` (a parameter is written once, in the
spec), so one reference serves every version of its spec; called with no argument it falls back
to the parameters of a pinned bundled version. The ICS files name the spec without a version for
the same reason. A reference reads ``orbitcert.specs`` only for those parameters.
"""

from __future__ import annotations

import functools
import importlib.resources
from typing import Any

import yaml

REFERENCES: dict[str, tuple[str, str]] = {
    "net-optical-isl": ("orbitcert.reference_impl.optical.iut:create", "ics/net-optical-isl.yaml"),
    "sec-link-security": ("orbitcert.reference_impl.security.iut:create", "ics/sec-link-security.yaml"),
    "hw-compute-module": ("orbitcert.reference_impl.hardware.iut:create", "ics/hw-compute-module.yaml"),
    "sw-compute-runtime": ("orbitcert.reference_impl.runtime.iut:create", "ics/sw-compute-runtime.yaml"),
}


@functools.cache
def _bundled_ics(name: str) -> dict[str, Any] | None:
    path = importlib.resources.files(__name__) / "ics" / name
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or not isinstance(document.get("items"), dict):
        return None
    return dict(document["items"])


def bundled_ics_items(name: str, error: type[ValueError] = ValueError) -> dict[str, Any]:
    """The items of the reference ICS file ``ics/<name>`` shipped with this package (a copy, read
    once); ``error`` (a ValueError subclass) is raised when the file has no items mapping."""
    items = _bundled_ics(name)
    if items is None:
        raise error(f"the reference ICS {name} has no items mapping")
    return dict(items)


def platform_limits(spec_id: str) -> dict[str, str]:
    """What the reference of ``spec_id`` cannot do on this platform, each with the reason: a
    class id, or ``ITEM=VALUE`` for one value of a set item of its ICS. ``orbitcert certify``
    drops these from the reference's ICS, so they are not applicable with the reason rather than
    failed (e.g. SM4-GCM where the linked OpenSSL lacks it)."""
    if spec_id != "sec-link-security":
        return {}
    from .security.crypto import sm4_gcm_supported

    if sm4_gcm_supported():
        return {}
    why = "this platform's OpenSSL (through cryptography) does not provide SM4-GCM"
    return {"aead-sm4": why, "gmac_algorithms=sm4-gcm": why}
