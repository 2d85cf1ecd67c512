"""MkDocs hook: list every generated spec page in the navigation, under "Specifications".

``docs/gen_spec_pages.py`` writes one page per spec version of the catalog; mkdocs.yml cannot
name them in advance, so this hook replaces the nav entry ``Specifications: specs/index.md`` with
a section holding the index and one entry per version, read from the same catalog.
"""

from __future__ import annotations

from typing import Any

from orbitcert.specs.loader import Catalog

SECTION = "Specifications"
INDEX = "specs/index.md"


def spec_pages() -> list[Any]:
    entries: list[Any] = [INDEX]
    catalog = Catalog.discover()
    for spec_id in catalog.ids():
        for version in catalog.versions(spec_id):
            entries.append({f"{spec_id} {version}": f"specs/{spec_id}/{version}.md"})
    return entries


def on_config(config: Any) -> Any:
    nav = config.get("nav") or []
    for i, entry in enumerate(nav):
        if isinstance(entry, dict) and entry.get(SECTION) == INDEX:
            nav[i] = {SECTION: spec_pages()}
    return config
