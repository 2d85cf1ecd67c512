"""The life of a spec version: publishing it, and what each status allows.

Statuses (``Spec.status``): ``draft`` (being written), ``candidate`` (out for review), ``published``
(immutable and certifiable), ``deprecated`` (still certifiable, with a warning naming its
replacement), ``withdrawn`` (never certified again; ``orbitcert certify`` refuses it and names
the replacement). Drafts and candidates are certified only with ``--allow-draft``, and such a
report never certifies (:func:`status_blocker`).

:func:`publish_spec_file` is ``orbitcert specs publish``: it lints the file (schema, consistency,
stable ids and the version bump against the catalog's other versions), refuses a version number
the catalog already holds as published, then sets ``status: published``, the ``published`` date
and the content ``digest`` in one atomic edit. None of these three fields is content
(:data:`~orbitcert.specs.digest.LIFECYCLE_FIELDS`), so a digest frozen while the file was a
draft stays valid.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date as _date
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import SpecError, SpecNotFoundError
from .loader import Catalog, LoadedSpec, load_spec_document
from .model import Spec, Status, version_key

if TYPE_CHECKING:  # lint and freeze load only to publish: certify imports this module at start-up
    from .lint import Finding

__all__ = ["CERTIFIABLE", "Published", "publish_spec_file", "replacement", "status_blocker", "status_warning"]

#: Statuses a certification may be run against without ``--allow-draft``.
CERTIFIABLE = frozenset({Status.published, Status.deprecated})
#: Statuses that need ``--allow-draft`` (the report then never certifies).
PRE_RELEASE = frozenset({Status.draft, Status.candidate})


@dataclass(frozen=True)
class Published:
    """What :func:`publish_spec_file` did."""

    ref: str
    digest: str
    date: str
    path: Path


def publish_spec_file(
    path: str | Path,
    lint: Callable[[Path], Sequence[Finding]],
    catalogs: Sequence[str | Path] = (),
    on: str | None = None,
) -> Published:
    """Publish the draft or candidate spec file ``path`` (see the module docstring).

    ``lint(path)`` returns the findings that stop publication (the CLI passes ``specs lint``
    with traceability against the suite). ``on`` is the publication date (``YYYY-MM-DD``,
    default today, UTC). Raises :class:`SpecError` naming the file when the status is not draft
    or candidate, the version is already published in the catalog, or lint finds anything (the
    message lists the findings); nothing is written then.
    """
    from .freeze import check_not_published, set_top_level
    from .fsutil import atomic_write
    from .yamlio import load_yaml_text, read_text_file

    p = Path(path)
    text = read_text_file(p, "spec")
    loaded = load_spec_document(load_yaml_text(text, str(p)))
    check_not_published(loaded, p, catalogs, "published")
    findings = list(lint(p))
    if findings:
        shown = "\n".join(f"  {f}" for f in findings[:20])
        more = f"\n  ... and {len(findings) - 20} more" if len(findings) > 20 else ""
        raise SpecError(f"not published: lint reports {len(findings)} finding(s)\n{shown}{more}", path=p)
    day = on or _date.today().isoformat()
    try:
        _date.fromisoformat(day)
    except ValueError:
        raise SpecError(f"not a date: {day!r} (expected YYYY-MM-DD)", field="published") from None
    digest = loaded.digest
    new_text = set_top_level(
        text,
        {"status": ("published", "published"), "digest": (digest, digest), "published": (f'"{day}"', day)},
        str(p),
    )
    check = load_spec_document(load_yaml_text(new_text, str(p)))
    if check.digest != digest or check.spec.digest != digest or check.spec.status is not Status.published:
        raise SpecError("publishing would not record the digest consistently; file left unchanged", path=p)
    atomic_write(os.path.realpath(p), new_text.encode("utf-8"))
    return Published(loaded.spec.ref, digest, day, p)


def replacement(spec: Spec, catalog: Catalog) -> str | None:
    """The version to use instead of ``spec``: its ``replaced_by``, else the newest published
    version of the same spec later than it, else None."""
    if spec.replaced_by:
        return spec.replaced_by
    later = [
        v for v in catalog.versions(spec.id)
        if version_key(v) > version_key(spec.version) and catalog.load(f"{spec.id}@{v}").spec.status is Status.published
    ]
    return f"{spec.id}@{later[-1]}" if later else None


def check_certifiable(loaded: LoadedSpec, catalog: Catalog, allow_draft: bool) -> str | None:
    """Refuse (:class:`SpecNotFoundError`, exit 2) a withdrawn version, naming its replacement,
    and a draft or candidate without ``allow_draft``; return a warning for a deprecated version
    (None otherwise)."""
    spec = loaded.spec
    instead = replacement(spec, catalog)
    use = f"; use {instead}" if instead else ""
    notice = f" ({spec.notice.strip()})" if spec.notice else ""
    if spec.status is Status.withdrawn:
        raise SpecNotFoundError(f"{spec.ref} is withdrawn{notice} and is not certified any more{use}")
    if spec.status in PRE_RELEASE and not allow_draft:
        raise SpecNotFoundError(
            f"{spec.ref} is a {spec.status.value}, not a published version; certify a published version, or give "
            "--allow-draft to test against it (such a report never certifies)"
        )
    return status_warning(spec, instead)


def status_warning(spec: Spec, instead: str | None = None) -> str | None:
    """The warning a run against a deprecated version prints (None for other statuses)."""
    if spec.status is not Status.deprecated:
        return None
    notice = f" ({spec.notice.strip()})" if spec.notice else ""
    return f"{spec.ref} is deprecated{notice}" + (f"; its replacement is {instead}" if instead else "")


def status_blocker(status: str) -> str | None:
    """Why a report against a version of this status never certifies (None when it may)."""
    if status in (Status.draft.value, Status.candidate.value):
        return f"the spec version is a {status}, not published: a report against it is never a certification"
    if status == Status.withdrawn.value:
        return "the spec version is withdrawn: it is not certified any more"
    return None
