"""mkdocs-gen-files script: one page per spec version in the catalog, plus an index.

The catalog is the one ``orbitcert specs list`` sees (the bundled catalog plus any directory in
``ORBITCERT_CATALOG``). A page is what ``orbitcert specs show REF --format md`` prints
(:func:`orbitcert.specs.pages.render_spec_markdown`); for a spec with a typing Protocol in
:data:`orbitcert.conformance.interfaces.PROTOCOLS`, the page also holds that Protocol's source
(and the source of the TypedDicts its methods use) after the test interface, so the adapter
contract shown is the code itself. ``docs/hooks.py`` lists the same pages in the navigation.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Iterator

import mkdocs_gen_files

from orbitcert.conformance import interfaces
from orbitcert.conformance.interfaces import CLASS_PROTOCOLS, PROTOCOLS
from orbitcert.specs.loader import Catalog
from orbitcert.specs.pages import render_spec_markdown


def _typed_dicts(hint: object) -> Iterator[type]:
    """TypedDict classes named anywhere in a type hint (``list[DecodedCodeblock]`` ...)."""
    if isinstance(hint, type) and typing.is_typeddict(hint):
        yield hint
    for arg in typing.get_args(hint):
        yield from _typed_dicts(arg)


def adapter_contract(protocol: type, title: str = "Adapter contract (Python)") -> str:
    """The section "Adapter contract (Python)": the Protocol's source and that of its TypedDicts."""
    used: dict[type, None] = {}
    for name, member in vars(protocol).items():
        if callable(member) and not name.startswith("_"):
            for hint in typing.get_type_hints(member).values():
                used.update(dict.fromkeys(_typed_dicts(hint)))
    names = ", ".join(c.__name__ for c in [*used, protocol])
    package = interfaces.__name__ if all(hasattr(interfaces, c.__name__) for c in [*used, protocol]) else protocol.__module__
    sources = [inspect.getsource(c).rstrip() for c in [*used, protocol]]
    return "\n".join(
        [
            f"## {title}",
            "",
            "A product connected in process (`--impl module:factory`) is an object with these methods;",
            "arguments arrive positionally, in the order of each operation's argument `properties` above.",
            f"Type-check an adapter against it with `from {package} import {names}`",
            "(see [Connecting a product](../../getting-started/adapters.md)). This is the source of",
            f"`{protocol.__module__}`, copied when the site was built:",
            "",
            "```python",
            "\n\n\n".join(sources),
            "```",
            "",
        ]
    )


catalog = Catalog.discover()
index = [
    "# Specifications",
    "",
    "Generated from the catalog when the site is built: the bundled catalog, plus any directory",
    "named in `ORBITCERT_CATALOG`. One page per spec version, the same content as",
    "`orbitcert specs show ID@VERSION --format md`.",
    "",
    "| Spec | Version | Status | Title |",
    "|---|---|---|---|",
]
for loaded in catalog.all_loaded():
    s = loaded.spec
    page = f"specs/{s.id}/{s.version}.md"
    contracts: list[str] = []
    if s.id in CLASS_PROTOCOLS:
        for c in s.classes:
            if c.id in CLASS_PROTOCOLS[s.id]:
                contracts.append(adapter_contract(CLASS_PROTOCOLS[s.id][c.id], f"Adapter contract (Python), class {c.id}"))
    elif s.id in PROTOCOLS:
        contracts.append(adapter_contract(PROTOCOLS[s.id]))
    text = render_spec_markdown(loaded, catalog, extra_sections=contracts)
    with mkdocs_gen_files.open(page, "w") as fh:
        fh.write(text)
    index.append(f"| [{s.id}]({s.id}/{s.version}.md) | {s.version} | {s.status.value} | {s.title} |")
with mkdocs_gen_files.open("specs/index.md", "w") as fh:
    fh.write("\n".join(index) + "\n")
