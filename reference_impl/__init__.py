"""orbitcert reference implementations: golden models of the bundled specs.

One subpackage per spec family (``optical/`` ...). :data:`REFERENCES` maps a spec id to the
factory returning the reference's test-interface object and to the ICS file the reference ships
(a resource of this package), which ``orbitcert certify`` uses when no ``--impl`` is given.
"""

from __future__ import annotations

REFERENCES: dict[str, tuple[str, str]] = {
    "net-optical-isl": ("orbitcert.reference_impl.optical.iut:create", "ics/net-optical-isl.yaml"),
}
