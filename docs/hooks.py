"""MkDocs hooks of the orbitcert site.

* **Navigation.** ``docs/gen_spec_pages.py`` writes one page per spec version of the catalog;
  mkdocs.yml cannot name them in advance, so :func:`on_config` replaces the nav entry
  ``Specifications: specs/index.md`` with a section holding the index and one entry per version,
  read from the same catalog.
* **API reference.** orbitcert is a namespace package whose subpackages live in top-level folders
  (``specs/`` is ``orbitcert.specs``, mapped by ``[tool.setuptools.package-dir]``); an editable
  install maps them with an import hook that griffe (mkdocstrings' Python loader) cannot read.
  :func:`on_config` lays out ``build/docs-api/orbitcert/<subpackage>`` as symbolic links to the
  folders, and mkdocs.yml gives that directory to mkdocstrings as its search path, so the API pages
  document the sources of this checkout whatever the install.
* **API pages.** :func:`on_page_content` drops the Sphinx roles (``:func:``, ``:class:`` ...) that
  docstrings use before a code span, which mkdocstrings would otherwise print as text.
* **Lint codes.** The page's example findings (one long line each) are wrapped in
  ``<div class="oc-findings">``, where they wrap instead of scrolling sideways.
* **Spec pages.** :func:`on_page_content` wraps the HTML of every spec page in
  ``<div class="oc-spec">`` (docs/stylesheets/orbitcert.css styles requirement blocks and tables
  there only) and marks inline code that holds a requirement id or a digest, so that an id never
  wraps at its hyphens and a digest may break anywhere rather than widen the page.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority

from orbitcert.specs.loader import Catalog
from orbitcert.specs.model import REQ_ID

SECTION = "Specifications"
INDEX = "specs/index.md"
#: The lint-codes page: its example findings are long lines, wrapped rather than scrolled.
LINT_CODES = "getting-started/lint-codes.md"
#: Where the API reference's import tree is laid out (relative to mkdocs.yml); mkdocs.yml names it.
API_TREE = Path("build") / "docs-api"
#: Import name -> folder of the repository.
SUBPACKAGES = {"specs": "specs", "conformance": "conformance", "reference_impl": "reference_impl"}

_REQ_CODE = re.compile(r"<code>(" + REQ_ID.strip("^$") + r")</code>")
_DIGEST_CODE = re.compile(r"<code>(sha256:[0-9a-f]{64})</code>")
#: Sphinx cross-reference roles in docstrings (``:func:`x```), which mkdocstrings shows verbatim.
_SPHINX_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|data|attr|mod|exc|obj|const):(?=<code>)")


def spec_pages() -> list[Any]:
    entries: list[Any] = [INDEX]
    catalog = Catalog.discover()
    for spec_id in catalog.ids():
        for version in catalog.versions(spec_id):
            entries.append({f"{spec_id} {version}": f"specs/{spec_id}/{version}.md"})
    return entries


def api_tree(root: Path) -> Path:
    """``root/build/docs-api/orbitcert/<name>`` -> ``root/<folder>`` symbolic links; returns the tree.

    Safe when several builds run at once (parallel tests): each link is made under a temporary
    name and renamed over the old one, an atomic step."""
    tree = root / API_TREE / "orbitcert"
    tree.mkdir(parents=True, exist_ok=True)
    for name, folder in SUBPACKAGES.items():
        link, target = tree / name, (root / folder).resolve()
        if link.is_symlink() and link.resolve() == target:
            continue
        tmp = tree / f".{name}.{os.getpid()}"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(target, target_is_directory=True)
        os.replace(tmp, link)
    return tree.parent


@event_priority(100)  # before mkdocstrings reads its search paths
def on_config(config: Any) -> Any:
    nav = config.get("nav") or []
    for i, entry in enumerate(nav):
        if isinstance(entry, dict) and entry.get(SECTION) == INDEX:
            nav[i] = {SECTION: spec_pages()}
    api_tree(Path(config["config_file_path"]).resolve().parent)
    return config


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    src = page.file.src_uri
    if src.startswith("reference/api/"):
        return _SPHINX_ROLE.sub("", html)
    if src == LINT_CODES:
        return f'<div class="oc-findings">\n{html}\n</div>'

    if not (src.startswith("specs/") and src != INDEX):
        return html
    html = _REQ_CODE.sub(r'<code class="oc-id">\1</code>', html)
    html = _DIGEST_CODE.sub(r'<code class="oc-digest">\1</code>', html)
    return f'<div class="oc-spec">\n{html}\n</div>'
