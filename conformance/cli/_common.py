"""What every command group shares: the app, the consoles, common options."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperArgument

from orbitcert.specs.loader import Catalog
from orbitcert.specs.safetext import printable

from ..report import orbitcert_version


def _plain_usage_name(self: TyperArgument) -> str:
    """Usage lines in the usual style: ``REF`` for a required argument, ``[PATH]...`` for an
    optional repeated one (typer's own style is ``{REF}``)."""
    name = str(self.metavar or self.display_name_raw)
    if not self.required and not name.startswith("["):
        name = f"[{name}]"
    if self.nargs != 1 and not name.endswith("..."):
        name += "..."
    return name


def _no_python_type(self: TyperArgument, ctx: Any) -> str | None:
    """An argument's metavar says what it is; typer would add a Python type such as <list[Path]>."""
    return None if self.metavar is not None else str(TyperArgument.display_type(self, ctx) or "") or None


if hasattr(TyperArgument, "_usage_display_name"):  # typer >= 0.20 renders required arguments as {NAME}
    setattr(TyperArgument, "_usage_display_name", _plain_usage_name)
if hasattr(TyperArgument, "display_type_rich"):
    setattr(TyperArgument, "display_type_rich", _no_python_type)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"orbitcert {orbitcert_version()}")
        from orbitcert.reference_impl.optical import kernels  # which compiled kernel (if any) is active

        typer.echo(kernels.describe())
        raise typer.Exit(0)


app = typer.Typer(
    name="orbitcert",
    help="Certify space-computing products against machine-readable standards.\n\n"
    "Example: orbitcert certify --spec net-optical-isl@1.0.0 --impl acme_adapter:create --ics ics.yaml",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Certify space-computing products against machine-readable standards."""


class SafeConsole(Console):
    """A rich console that never lets a control character through: every string it renders
    (``print`` arguments, table cells) passes :func:`~orbitcert.specs.safetext.printable` first,
    so an ESC byte in a spec title shows as ``\\x1b`` instead of driving the terminal. Emoji
    codes (``:warning:``) are not replaced. Markup stays the caller's choice: text from files or
    products is printed with :func:`say` (markup off)."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(printable(text), **kwargs)


console = SafeConsole(soft_wrap=True, highlight=False, emoji=False)
err = SafeConsole(stderr=True, soft_wrap=True, highlight=False, emoji=False)

CatalogOpt = Annotated[
    Optional[list[Path]],
    typer.Option("--catalog", metavar="DIR", help="Extra catalog directory (repeatable; also ORBITCERT_CATALOG)."),
]
TrustedKeysOpt = Annotated[
    Optional[list[Path]],
    typer.Option(
        "--trusted-keys", metavar="DIR",
        help="Keyring: a folder of NAME.pub Ed25519 public keys whose signatures are trusted (repeatable; "
        "also ORBITCERT_TRUSTED_KEYS, ':'-separated).",
    ),
]
RefArg = Annotated[str, typer.Argument(metavar="REF", help="ID@VERSION or ID@latest, e.g. net-optical-isl@1.0.0")]


def catalog(extra: list[Path] | None) -> Catalog:
    return Catalog.discover(extra or [])


def say(text: str) -> None:
    """Print text taken from files or products: no markup or emoji code is interpreted, and
    control characters (ESC among them) and lone surrogates show as visible escapes."""
    console.print(printable(text), markup=False, highlight=False, emoji=False)


def say_error(text: str) -> None:
    """``error: TEXT`` on stderr, ``TEXT`` (from files or products) shown as :func:`say` shows it."""
    err.print(Text.assemble(("error:", "bold red"), " ", printable(text)), highlight=False)


def say_warning(text: str) -> None:
    """``warning: TEXT`` on stderr (``TEXT`` shown as :func:`say` shows it)."""
    err.print(Text.assemble(("warning:", "bold yellow"), " ", printable(text)), highlight=False)
