"""``orbitcert specs``: list, show, lint, diff, freeze, publish and schema."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from orbitcert.specs.errors import OptionError
from orbitcert.specs.fsutil import atomic_write
from orbitcert.specs.lint import Finding
from orbitcert.specs.loader import Catalog, LoadedSpec
from orbitcert.specs.safetext import printable

from ._common import CatalogOpt, RefArg, catalog, console, say, say_error

app = typer.Typer(help="List, show, lint, diff, freeze and publish specs; write their JSON Schemas.", no_args_is_help=True, rich_markup_mode=None)

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
    cat = catalog(catalog_dirs)
    text = render_spec(cat.load(ref), fmt, width, catalog=cat)  # type: ignore[arg-type]
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
def specs_freeze(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="The spec file.")],
    catalog_dirs: CatalogOpt = None,
) -> None:
    """Record the content digest of a draft or candidate spec file (while it is reviewed);
    rewrites only the digest line. A published version is never re-frozen.

    Example: orbitcert specs freeze mycatalog/my-spec/1.0.0.yaml
    """
    from orbitcert.specs.freeze import freeze_spec_file

    digest = freeze_spec_file(path, catalog_dirs or [])
    say(f"{path}: digest: {digest}")


def _spec_arg(value: str, cat: Catalog) -> LoadedSpec:
    """A spec given as ``ID@VERSION`` or as the path of a spec file."""
    from orbitcert.specs.loader import load_spec_file

    if value.endswith((".yaml", ".yml")) or "/" in value or os.sep in value:
        return load_spec_file(value)
    return cat.load(value)


DIFF_FORMATS = ("table", "json", "md")


@app.command("diff")
def specs_diff(
    old: Annotated[str, typer.Argument(metavar="OLD", help="ID@VERSION or a spec file.")],
    new: Annotated[str, typer.Argument(metavar="NEW", help="ID@VERSION or a spec file.")],
    fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help="table, json or md.")] = "table",
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when NEW's version bump is smaller than its changes require.")
    ] = False,
    catalog_dirs: CatalogOpt = None,
) -> None:
    """Requirement, ICS, class, parameter and interface changes from OLD to NEW, each classified
    MAJOR, MINOR or PATCH, and the version bump they require.

    Exit 0 (with --check: the bump covers the changes), 1 (--check: it does not), 2 bad input.

    Example: orbitcert specs diff net-optical-isl@1.0.0 net-optical-isl@1.1.0 --check
    """
    from orbitcert.specs.diff import diff_specs, render_diff_markdown, summary_line

    if fmt not in DIFF_FORMATS:
        raise OptionError(f"unknown format {fmt!r}; choose from {', '.join(DIFF_FORMATS)}", field="format")
    cat = catalog(catalog_dirs)
    a, b = _spec_arg(old, cat), _spec_arg(new, cat)
    if a.spec.id != b.spec.id:
        raise OptionError(f"{a.spec.ref} and {b.spec.ref} are not versions of one spec", field="new")
    d = diff_specs(a.spec, b.spec)
    if fmt == "json":
        typer.echo(json.dumps(d.to_json(), indent=2))
    elif fmt == "md":
        typer.echo(render_diff_markdown(d, 2, f"Changes from {a.spec.ref} to {b.spec.ref}"), nl=False)
    else:
        table = Table("bump", "change", "subject", "detail", title=f"{a.spec.ref} -> {b.spec.ref}")
        style = {"MAJOR": "red", "MINOR": "yellow", "PATCH": "dim"}
        for c in d.changes:
            # Text cells: a subject or detail taken from the spec is never read as rich markup.
            table.add_row(
                Text(c.bump.name, style=style[c.bump.name]), Text(c.kind), Text(printable(c.subject)),
                Text(printable(c.detail)),
            )
        if d.changes:
            console.print(table)
        say(summary_line(d).replace("**", ""))
    raise typer.Exit(1 if check and not d.ok else 0)


@app.command("publish")
def specs_publish(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="The draft or candidate spec file.")],
    on: Annotated[
        Optional[str], typer.Option("--date", metavar="YYYY-MM-DD", help="Publication date (default: today, UTC).")
    ] = None,
    no_suite: Annotated[bool, typer.Option("--no-suite", help="Skip traceability against the suite.")] = False,
    catalog_dirs: CatalogOpt = None,
) -> None:
    """Publish a spec version: lint it (exit 1 on findings), refuse a version the catalog already
    holds as published (exit 2), then set status published, the date and the content digest in
    one atomic edit.

    Example: orbitcert specs publish mycatalog/my-spec/1.1.0.yaml --catalog mycatalog
    """
    from orbitcert.specs.errors import SpecError
    from orbitcert.specs.lifecycle import publish_spec_file

    from ..traceability import lint_specs

    def lint(p: Path) -> list[Finding]:
        return lint_specs([p], catalog_dirs or [], check_suite=not no_suite)[1]

    try:
        done = publish_spec_file(path, lint, catalog_dirs or [], on)
    except SpecError as exc:
        if exc.message.startswith("not published: lint"):
            say_error(str(exc))
            raise typer.Exit(1) from None
        raise
    say(f"{done.path}: {done.ref} published {done.date}, digest {done.digest}")


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
