"""``orbitcert adapter``: skeleton products for a spec's test interface."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from ._common import CatalogOpt, catalog, say

app = typer.Typer(
    help="Adapters: generate a skeleton product for a spec's test interface.", no_args_is_help=True, rich_markup_mode=None
)


@app.command("new")
def adapter_new(
    spec: Annotated[str, typer.Option("--spec", metavar="REF", help="ID@VERSION or ID@latest, e.g. net-optical-isl@1.0.0")],
    lang: Annotated[str, typer.Option("--lang", metavar="LANG", help="python or c.")],
    out: Annotated[Path, typer.Option("-o", "--out", metavar="DIR", help="New (or empty) directory to write into.")],
    catalog_dirs: CatalogOpt = None,
) -> None:
    """Generate a skeleton product: one stub per interface operation, an ICS proforma and a README.

    The skeleton builds and runs, and every test gets an error verdict ("<op> is not implemented
    yet") until the operations are filled in. DIR must not exist or be empty: nothing is overwritten.

    Example: orbitcert adapter new --spec net-optical-isl@1.0.0 --lang c -o acme-modem
    """
    from ..adapter_kit import LANGUAGES, write_skeleton

    if lang not in LANGUAGES:  # refused before the catalog is read
        from orbitcert.specs.errors import OptionError

        raise OptionError(f"unknown language {lang!r}; choose one of: {', '.join(LANGUAGES)}", field="lang")
    loaded = catalog(catalog_dirs).load(spec)
    for path in write_skeleton(loaded.spec, lang, out):
        say(f"wrote {path}")
    ref, q = loaded.spec.ref, shlex.quote
    if lang == "c":
        say(f"next: make -C {q(str(out))} && orbitcert certify --spec {ref} --impl-cmd {q(str(out / 'product'))} "
            f"--ics {q(str(out / 'ics.yaml'))}")
    else:
        from ..adapter_kit import module_name

        say(f"next: cd {q(str(out))} && orbitcert certify --spec {ref} --impl {module_name(loaded.spec)}:create --ics ics.yaml")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="adapter")
