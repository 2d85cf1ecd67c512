"""``orbitcert specs``: list, show, lint, freeze and schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from orbitcert.specs.errors import OptionError

from orbitcert.specs.fsutil import atomic_write
from ._common import CatalogOpt, RefArg, catalog, console, say

app = typer.Typer(help="List, show, lint and freeze specs; write their JSON Schemas.", no_args_is_help=True, rich_markup_mode=None)

SHOW_FORMATS = ("text", "md", "json", "yaml")


@app.command("list")
def specs_list(catalog_dirs: CatalogOpt = None) -> None:
    """Every spec version in the catalog: id, version, status, title, digest prefix.

    Example: orbitcert specs list --catalog mycatalog
    """
    table = Table("id", "version", "status", "title", "digest")
    for loaded in catalog(catalog_dirs).all_loaded():
        s = loaded.spec
        table.add_row(s.id, s.version, s.status.value, s.title, loaded.digest[7:19])
    console.print(table, markup=False)


@app.command("show")
def specs_show(
    ref: RefArg,
    fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help="text, md, json or yaml.")] = "text",
    width: Annotated[int, typer.Option("--width", metavar="N", help="Line width of the text format.")] = 80,
    catalog_dirs: CatalogOpt = None,
) -> None:
    """Everything a spec version says: classes, requirements, ICS proforma, parameters, interface.

    Example: orbitcert specs show net-optical-isl@1.0.0 --format md
    """
    from orbitcert.specs.render import render_spec

    if fmt not in SHOW_FORMATS:
        raise OptionError(f"unknown format {fmt!r}; choose from {', '.join(SHOW_FORMATS)}", field="format")
    if not 40 <= width <= 1000:
        raise OptionError(f"must be between 40 and 1000, not {width}", field="width")
    text = render_spec(catalog(catalog_dirs).load(ref), fmt, width)  # type: ignore[arg-type]
    typer.echo(text, nl=not text.endswith("\n"))


@app.command("lint")
def specs_lint(
    paths: Annotated[
        Optional[list[Path]], typer.Argument(metavar="[PATH]...", help="Spec files (default: the whole catalog).")
    ] = None,
    catalog_dirs: CatalogOpt = None,
    no_suite: Annotated[bool, typer.Option("--no-suite", help="Skip traceability against the suite.")] = False,
) -> None:
    """Schema, consistency and traceability findings. Exit 0 clean, 1 findings, 2 unreadable input.

    Example: orbitcert specs lint mycatalog/my-spec/1.0.0.yaml --catalog mycatalog
    """
    from ..traceability import lint_specs

    count, findings = lint_specs(paths or [], catalog_dirs or [], check_suite=not no_suite)
    for finding in findings:
        say(str(finding))
    console.print(f"{count} file(s), {len(findings)} finding(s)", style="bold red" if findings else "bold green")
    raise typer.Exit(1 if findings else 0)


@app.command("freeze")
def specs_freeze(path: Annotated[Path, typer.Argument(metavar="PATH", help="The spec file.")]) -> None:
    """Record the content digest of a spec file before publishing it; rewrites only the digest line.

    Example: orbitcert specs freeze mycatalog/my-spec/1.0.0.yaml
    """
    from orbitcert.specs.freeze import freeze_spec_file

    digest = freeze_spec_file(path)
    say(f"{path}: digest: {digest}")


@app.command("schema")
def specs_schema(
    out: Annotated[
        Optional[Path], typer.Option("-o", "--out", metavar="DIR", help="Directory (default: the package's specs/schema).")
    ] = None,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if the committed files differ.")] = False,
) -> None:
    """Write (or check) the JSON Schemas generated from the models: spec, ICS, report.

    Example: orbitcert specs schema --check
    """
    from ..schemas import generated_schemas, schema_dir

    target = out or schema_dir()
    stale = []
    for name, text in generated_schemas().items():
        p = target / name
        current = p.read_text(encoding="utf-8") if p.exists() else None
        if current != text:
            stale.append(name)
            if not check:
                atomic_write(p, text)
    say(f"{', '.join(stale) or 'no schema'} {'differ' if check else 'written'}")
    raise typer.Exit(1 if (check and stale) else 0)
