"""``orbitcert ics``: template and validate implementation conformance statements."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from orbitcert.specs.errors import IcsError
from orbitcert.specs.ics import ics_template, validate_ics_document
from orbitcert.specs.safetext import printable
from orbitcert.specs.yamlio import load_yaml_file

from orbitcert.specs.fsutil import atomic_write
from ._common import CatalogOpt, RefArg, catalog, err, say

app = typer.Typer(
    help="Implementation conformance statements: template and validate.", no_args_is_help=True, rich_markup_mode=None
)


@app.command("template")
def ics_template_cmd(
    ref: RefArg,
    out: Annotated[Optional[Path], typer.Option("-o", "--out", metavar="PATH", help="Write here instead of stdout.")] = None,
    catalog_dirs: CatalogOpt = None,
) -> None:
    """A YAML proforma with every ICS item, its status, allowed values and the requirements it gates.

    Example: orbitcert ics template net-optical-isl@1.0.0 -o ics.yaml
    """
    text = ics_template(catalog(catalog_dirs).load(ref).spec)
    if out:
        atomic_write(out, text)
        err.print(f"wrote {out}", markup=False)
    else:
        sys.stdout.write(printable(text))


@app.command("validate")
def ics_validate(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="The filled ICS (YAML).")],
    spec_ref: Annotated[
        Optional[str], typer.Option("--spec", metavar="REF", help="Spec (default: the one the ICS names).")
    ] = None,
    catalog_dirs: CatalogOpt = None,
) -> None:
    """Validate a filled ICS against its spec (exit 2 naming the offending item).

    Example: orbitcert ics validate ics.yaml
    """
    doc = load_yaml_file(path)
    ref = spec_ref or (doc.data.get("spec") if isinstance(doc.data, dict) else None)
    if not isinstance(ref, str):
        raise IcsError("the ICS names no spec; give --spec ID@VERSION", path=path, line=1, field="spec")
    loaded = catalog(catalog_dirs).load(ref)
    ics = validate_ics_document(doc, loaded.spec)
    say(f"{path}: valid ICS for {loaded.spec.ref}; claims {', '.join(ics.classes)}")
