"""Loading spec files and resolving ``ID@VERSION`` references across catalogs.

The catalog is the bundled ``specs/catalog/`` plus every directory given with ``--catalog`` or the
colon-separated ``ORBITCERT_CATALOG`` variable. A catalog directory holds
``<spec-id>/<version>.yaml``. The same ``ID@VERSION`` may appear in several directories only with
the same content digest: a conflicting duplicate is an error, so an outside catalog can never
silently replace a published standard.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from .digest import content_digest
from .errors import CatalogError, SpecError, SpecNotFoundError, from_validation_error
from .model import SEMVER, SPEC_ID, Spec, Status, parse_ref, version_key
from .yamlio import YamlDocument, load_yaml_file

CATALOG_ENV = "ORBITCERT_CATALOG"
#: A catalog directory may hold conformance suites in ``suites/<spec-id>/``; never spec files.
SUITES_FOLDER = "suites"


def bundled_catalog_dir() -> Path:
    """The catalog shipped with orbitcert."""
    return Path(str(resources.files("orbitcert.specs") / "catalog"))


@dataclass(frozen=True)
class LoadedSpec:
    """A validated spec plus its source document and computed digest."""

    spec: Spec
    document: YamlDocument
    digest: str

    @property
    def path(self) -> str:
        return self.document.path


def load_spec_document(doc: YamlDocument) -> LoadedSpec:
    """Validate a parsed YAML document as a spec version."""
    if not isinstance(doc.data, dict):
        raise SpecError("a spec document must be a mapping at the top level", path=doc.path, line=1)
    try:
        spec = Spec.model_validate(doc.data)
    except ValidationError as exc:
        raise from_validation_error(exc, SpecError, path=doc.path, line_of=doc.line_of)[0] from None
    return LoadedSpec(spec, doc, content_digest(doc.data))


def load_spec_file(path: str | Path) -> LoadedSpec:
    """Load and validate one spec YAML file (InputFileError / SpecError on bad input)."""
    return load_spec_document(load_yaml_file(path))


def catalog_dirs(extra: Iterable[str | Path] = ()) -> list[Path]:
    """Bundled catalog, then ``ORBITCERT_CATALOG`` entries, then ``extra`` (``--catalog``)."""
    dirs = [bundled_catalog_dir()]
    env = os.environ.get(CATALOG_ENV, "")
    dirs += [Path(p) for p in env.split(os.pathsep) if p]
    dirs += [Path(p) for p in extra]
    for d in dirs[1:]:
        if not d.is_dir():
            raise CatalogError("catalog directory does not exist", path=d)
    return dirs


@dataclass
class Catalog:
    """All spec versions visible from a set of catalog directories."""

    dirs: list[Path]
    entries: dict[tuple[str, str], Path] = field(default_factory=dict)
    duplicates: dict[tuple[str, str], list[Path]] = field(default_factory=dict)
    misplaced: list[Path] = field(default_factory=list)
    _loaded: dict[Path, LoadedSpec] = field(default_factory=dict, repr=False)

    @classmethod
    def discover(cls, extra: Iterable[str | Path] = ()) -> Catalog:
        """Index ``<id>/<version>.yaml`` files under every catalog directory (no parsing yet)."""
        cat = cls(catalog_dirs(extra))
        for d in cat.dirs:
            for f in sorted(d.glob("*/*.yaml")):
                if f.parent.name == SUITES_FOLDER:
                    continue
                if not (re.match(SPEC_ID, f.parent.name) and re.match(SEMVER, f.stem)):
                    cat.misplaced.append(f)  # not <spec-id>/<semver>.yaml: reported by lint
                    continue
                key = (f.parent.name, f.stem)
                if key in cat.entries:
                    # The first catalog holding a version keeps it (the bundled one first): a
                    # copy elsewhere must be identical (checked on load) and never takes over.
                    cat.duplicates.setdefault(key, [cat.entries[key]]).append(f)
                    continue
                cat.entries[key] = f
        return cat

    def ids(self) -> list[str]:
        """Every spec id, sorted."""
        return sorted({i for i, _ in self.entries})

    def versions(self, spec_id: str) -> list[str]:
        """Versions of ``spec_id``, oldest first."""
        return sorted((v for i, v in self.entries if i == spec_id), key=version_key)

    def path_of(self, ref: str) -> Path:
        """File of ``ID@VERSION``; ``ID@latest`` is the newest published version (else newest)."""
        spec_id, version = parse_ref(ref)
        versions = self.versions(spec_id)
        if not versions:
            known = ", ".join(self.ids()) or "none"
            raise SpecNotFoundError(f"no spec {spec_id!r} in the catalog (known: {known})")
        if version is None:
            published = [v for v in versions if self._status(spec_id, v) is Status.published]
            version = (published or versions)[-1]
        if (spec_id, version) not in self.entries:
            raise SpecNotFoundError(
                f"no version {version} of {spec_id!r} in the catalog (known: {', '.join(versions)})"
            )
        return self.entries[(spec_id, version)]

    def _status(self, spec_id: str, version: str) -> Status:
        """The status of a version; a version that does not load is an error, never skipped
        (resolving ``ID@latest`` past a broken file would certify against an older version)."""
        return self.load(f"{spec_id}@{version}").spec.status

    def load(self, ref: str) -> LoadedSpec:
        """Load and validate the spec that ``ref`` names; checks the file matches its location."""
        path = self.path_of(ref)
        if path in self._loaded:
            return self._loaded[path]
        loaded = load_spec_file(path)
        for other in self.duplicates.get((path.parent.name, path.stem), []):
            if other != path and load_spec_file(other).digest != loaded.digest:
                raise CatalogError(f"{loaded.spec.ref} is defined differently in {other}", path=path, line=1)
        if (loaded.spec.id, loaded.spec.version) != (path.parent.name, path.stem):
            raise SpecError(
                f"file declares {loaded.spec.ref} but sits at {path.parent.name}/{path.stem}.yaml",
                path=path,
                line=1,
            )
        self._loaded[path] = loaded  # ID@latest reads every version's status: parse each once
        return loaded

    def all_loaded(self) -> list[LoadedSpec]:
        """Every spec version in the catalog, validated (raises on the first bad file)."""
        return [self.load(f"{i}@{v}") for i, v in sorted(self.entries, key=lambda e: (e[0], version_key(e[1])))]


def load_ref(ref: str, extra_catalogs: Iterable[str | Path] = ()) -> LoadedSpec:
    """Shortcut: resolve ``ref`` in the default catalog (plus ``extra_catalogs``)."""
    return Catalog.discover(extra_catalogs).load(ref)
