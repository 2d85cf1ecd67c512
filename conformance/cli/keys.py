"""``orbitcert keygen``: an Ed25519 key pair for signing reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ._common import say


def keygen(
    private: Annotated[Path, typer.Argument(metavar="PATH", help="Where to write the private key (PEM, mode 0600).")],
    public: Annotated[
        Optional[Path], typer.Option("--public", metavar="PATH", help="Public key file (default: PATH.pub).")
    ] = None,
) -> None:
    """Create an Ed25519 key pair for signing reports. Refuses to overwrite either file.

    Give the public key (PATH.pub) to whoever must trust your reports: they put it in a keyring
    folder (--trusted-keys DIR). The key id printed is its fingerprint (sha256 of the key).

    Example: orbitcert keygen vendor.pem   (then: orbitcert certify --sign-key vendor.pem)
    """
    from ..signing import key_id, load_public_key, write_key_pair

    pub = write_key_pair(private, public)
    say(f"wrote {private} (private, keep it secret) and {pub} (public)")
    say(f"key id {key_id(load_public_key(pub))}")


def register(app: typer.Typer) -> None:
    app.command("keygen")(keygen)
