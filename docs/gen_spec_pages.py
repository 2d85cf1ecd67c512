"""mkdocs-gen-files script: one page per spec version in the catalog, plus an index."""

from __future__ import annotations

import mkdocs_gen_files

from orbitcert.specs.loader import Catalog
from orbitcert.specs.publish import render_spec_markdown

catalog = Catalog.discover()
index = ["# Specifications", "", "Generated from the bundled catalog.", "", "| Spec | Version | Status | Title |", "|---|---|---|---|"]
for loaded in catalog.all_loaded():
    s = loaded.spec
    page = f"specs/{s.id}/{s.version}.md"
    with mkdocs_gen_files.open(page, "w") as fh:
        fh.write(render_spec_markdown(loaded))
    index.append(f"| [{s.id}]({s.id}/{s.version}.md) | {s.version} | {s.status.value} | {s.title} |")
with mkdocs_gen_files.open("specs/index.md", "w") as fh:
    fh.write("\n".join(index) + "\n")
