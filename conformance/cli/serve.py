"""``orbitcert serve``: an in-process product served over the product protocol."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from orbitcert.specs.errors import ImplementationError

from ._common import CatalogOpt, catalog, err


def serve(
    impl: Annotated[str, typer.Option("--impl", metavar="MODULE:FACTORY", help="The product's factory.")],
    spec: Annotated[str, typer.Option("--spec", metavar="REF", help="The spec whose interface is served.")],
    listen: Annotated[
        Optional[str], typer.Option("--listen", metavar="HOST:PORT", help="Serve on TCP instead of stdin/stdout.")
    ] = None,
    memory_limit: Annotated[
        Optional[int], typer.Option("--memory-limit", metavar="BYTES", help="Address-space limit of this process.")
    ] = None,
    catalog_dirs: CatalogOpt = None,
) -> None:
    """Serve a Python product over the JSON-lines product protocol (stdin/stdout by default).

    Example: orbitcert certify --impl-cmd "orbitcert serve --impl acme_adapter:create --spec net-optical-isl@1.0.0"
    """
    import resource

    from ..bridge.server import serve_socket, serve_stdio
    from ..session import CertificationTarget, importable_from_cwd, parse_address

    importable_from_cwd()
    address = parse_address(listen, "listen") if listen else None
    # Serving a product is not certifying it: any status of the spec will do.
    target = CertificationTarget.resolve(spec, impl=impl, catalog=catalog(catalog_dirs), any_status=True)
    target.load_factory()
    if memory_limit is not None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

    def create() -> object:
        try:
            return target.create_product()
        except Exception as exc:  # noqa: BLE001 - the vendor's factory may raise anything
            raise ImplementationError(f"the product's factory failed: {type(exc).__name__}: {exc}") from None

    if address is None:
        serve_stdio(create(), target.loaded.spec, name=impl)
    else:
        err.print(f"serving {target.loaded.spec.ref} on {address[0]}:{address[1]}", markup=False)
        serve_socket(create, target.loaded.spec, *address, name=impl)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
