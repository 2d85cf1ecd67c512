"""Submission bundles: one archive holding everything a certification body needs to check a report.

``orbitcert report bundle REPORT -o OUT.zip`` packs, into one ZIP archive (PKWARE APPNOTE.TXT,
6.3.x: local file headers 4.3.7, central directory 4.3.12, end of central directory 4.3.16):

=============================  ==================================================================
member                         content
=============================  ==================================================================
``report.json``                the signed report, byte for byte
``ics.yaml``                   the report's ICS, as a file ``orbitcert ics validate`` reads back
                               to the same statement (:func:`~orbitcert.specs.ics.ics_file_text`)
``spec/<id>/<version>.yaml``   the spec version, byte for byte from the catalog; its content
                               digest is the report's ``spec.digest`` (``spec/`` is laid out as a
                               catalog directory, so a verifier can pass it as ``--catalog``)
``suite.json``                 the report's suite binding: path, origin, digest, per-file sha256,
                               support digest (RFC 8785 JSON)
``log.txt``                    the run's console log, when there is one
``extra/<name>``               any other file the submitter adds
``manifest.json``              last: ``orbitcert-bundle/1``, the size and sha256 of every other
                               member, the report's sha256 and the vendor's key id
=============================  ==================================================================

The archive is reproducible (same inputs, same bytes: the practice of reproducible-builds.org
"Archive metadata"): members sorted by name with the manifest last, every timestamp the MS-DOS
epoch 1980-01-01 00:00:00 (APPNOTE 4.4.6), "version made by" Unix with mode 0644 (4.4.2, 4.4.15),
DEFLATE at level 9, no archive comment, no extra fields. It is written atomically.

Only ``report.json`` is signed. The spec file and the ICS are bound to the signature through
the report (its spec digest, its ICS), and so is the suite binding; the manifest's hashes detect
a damaged or edited member, but the log and the extra files are attachments nobody signed.

:func:`open_bundle` treats a bundle as adversarial input, as ZIP bombs (D. Fifield, "A better
zip bomb", USENIX WOOT 2019) and path-traversal archives ("Zip Slip") require: the end record must
end the file (no comment, no trailing or leading data, no Zip64, one disk); the number of members,
each member's and the total uncompressed size are bounded, declared sizes are checked before
reading and actual sizes while reading (reading stops at the limit, so memory stays bounded);
members may not overlap; names must be exactly the expected ones (no absolute path, ``..``,
backslash, NUL, duplicate, directory or symlink entry); only STORED and DEFLATE, no encryption.
A file that fails these is not a bundle (:class:`~orbitcert.specs.errors.InputFileError` naming
the bundle and the member). A readable bundle is extracted, and what is inside is compared (each
member against the manifest, the spec file's digest and the ICS against the report, the suite
binding against the report): each comparison is a :class:`BundleCheck` line that ``report
verify`` prints as its "bundle" check.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orbitcert.specs.digest import canonical_json
from orbitcert.specs.errors import (
    CatalogError,
    InputFileError,
    OrbitcertError,
    ReportError,
    SignatureError,
    SpecNotFoundError,
)
from orbitcert.specs.fsutil import atomic_write, read_bounded
from orbitcert.specs.ics import Ics, ics_file_text, load_ics_text
from orbitcert.specs.loader import Catalog, LoadedSpec, load_spec_document
from orbitcert.specs.model import SEMVER, SPEC_ID
from orbitcert.specs.safetext import printable
from orbitcert.specs.yamlio import MAX_FILE_BYTES, load_yaml_text

from .report import Report, SuiteBinding
from .signing import short_id, signature_problem
from .writers import MAX_REPORT_BYTES, parse_report_bytes, report_from_data

__all__ = [
    "BUNDLE_FORMAT",
    "Bundle",
    "BundleCheck",
    "BundleLimits",
    "ICS_MEMBER",
    "LOG_MEMBER",
    "MANIFEST_MEMBER",
    "REPORT_MEMBER",
    "SUITE_MEMBER",
    "is_bundle",
    "make_bundle",
    "open_bundle",
    "spec_member",
]

BUNDLE_FORMAT = "orbitcert-bundle/1"
REPORT_MEMBER = "report.json"
ICS_MEMBER = "ics.yaml"
SUITE_MEMBER = "suite.json"
LOG_MEMBER = "log.txt"
MANIFEST_MEMBER = "manifest.json"
SPEC_FOLDER = "spec"
EXTRA_FOLDER = "extra"

#: MS-DOS date and time of every member: the earliest a ZIP can hold (APPNOTE 4.4.6).
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
#: Unix mode of every member: a regular file, rw-r--r-- (APPNOTE 4.4.15, "external file attributes").
MEMBER_MODE = stat.S_IFREG | 0o644
_UNIX = 3  # APPNOTE 4.4.2.2: "version made by" host system 3 = UNIX
_COMPRESSLEVEL = 9
_CHUNK = 1 << 16

_LOCAL_MAGIC = b"PK\x03\x04"  # APPNOTE 4.3.7 local file header signature
_EOCD = struct.Struct("<4s4H2LH")  # APPNOTE 4.3.16 end of central directory record
_EOCD_MAGIC = b"PK\x05\x06"
_ZIP64_LOCATOR_MAGIC = b"PK\x06\x07"  # APPNOTE 4.3.15
_LOCAL_HEADER_SIZE = 30

_SPEC_MEMBER = re.compile(rf"{SPEC_FOLDER}/({SPEC_ID[1:-1]})/({SEMVER[1:-1]})\.yaml")
#: Names an extra file may have: a plain file name, no leading dot, no separators.
EXTRA_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,127}")
_FIXED_MEMBERS = (REPORT_MEMBER, ICS_MEMBER, SUITE_MEMBER, LOG_MEMBER, MANIFEST_MEMBER)


@dataclass(frozen=True)
class BundleLimits:
    """Bounds on what :func:`open_bundle` reads (and :func:`make_bundle` writes). The defaults
    leave ample room: a report of thousands of tests is a few MiB, a spec or an ICS is bounded by
    the YAML loader's :data:`~orbitcert.specs.yamlio.MAX_FILE_BYTES`."""

    archive: int = 512 * 1024 * 1024  # bytes of the archive file
    total: int = 512 * 1024 * 1024  # uncompressed bytes of all members together
    member: int = MAX_REPORT_BYTES  # report.json, log.txt, each extra file
    text: int = MAX_FILE_BYTES  # the spec file, ics.yaml, suite.json, manifest.json
    members: int = 128  # entries in the archive
    central_directory: int = 1024 * 1024  # bytes of the central directory

    def for_member(self, name: str) -> int:
        """The most uncompressed bytes member ``name`` may hold."""
        if name in (REPORT_MEMBER, LOG_MEMBER) or name.startswith(EXTRA_FOLDER + "/"):
            return self.member
        return self.text


DEFAULT_LIMITS = BundleLimits()


class BundleCheck(NamedTuple):
    """One line of the "bundle" check of ``report verify``: which comparison, whether it held,
    and what was found."""

    check: str
    ok: bool
    message: str


@dataclass(frozen=True)
class Bundle:
    """A bundle read by :func:`open_bundle` and extracted to ``workdir``."""

    path: Path
    workdir: Path
    report: Path
    spec: Path
    ics: Path
    suite: Path
    manifest: Path
    log: Path | None
    extras: tuple[Path, ...]
    checks: tuple[BundleCheck, ...] = field(default=())

    @property
    def spec_catalog(self) -> Path:
        """The extracted ``spec/`` folder: a catalog directory (``<spec-id>/<version>.yaml``) to
        verify the report against its bundled spec (``--catalog``)."""
        return self.workdir / SPEC_FOLDER

    @property
    def failed(self) -> list[BundleCheck]:
        return [c for c in self.checks if not c.ok]

    @property
    def ok(self) -> bool:
        """Every member matches the manifest and the report."""
        return not self.failed


def spec_member(spec_id: str, version: str) -> str:
    """The member name of a spec file: ``spec/<spec-id>/<version>.yaml`` (a catalog layout)."""
    return f"{SPEC_FOLDER}/{spec_id}/{version}.yaml"


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# ---- the manifest -------------------------------------------------------------------------------


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ManifestEntry(_M):
    size: int = Field(ge=0, description="Bytes of the member, uncompressed.")
    sha256: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")


class ManifestReport(_M):
    spec: str = Field(description="ID@VERSION the report certifies against.")
    sha256: str = Field(pattern=r"^sha256:[0-9a-f]{64}$", description="sha256 of report.json.")
    vendor_key_id: str = Field(pattern=r"^sha256:[0-9a-f]{64}$", description="Key id of the vendor's signature.")


class Manifest(_M):
    """``manifest.json``: the last member, listing every other one."""

    format: Literal["orbitcert-bundle/1"] = "orbitcert-bundle/1"
    report: ManifestReport
    members: dict[str, ManifestEntry]


def _strict_json(raw: bytes, member: str) -> Any:
    """Strict JSON, by the rules a report is read with; ValueError with the reason."""
    try:
        return parse_report_bytes(raw, member, what=member)
    except InputFileError as exc:
        raise ValueError(exc.message) from None


# ---- the ICS as a file --------------------------------------------------------------------------


def _ics_content(ics: Ics) -> dict[str, Any]:
    """What an ICS states (without where it was read from)."""
    data: dict[str, Any] = ics.model_dump(mode="json", exclude={"source", "generated"})
    return data


# ---- writing ------------------------------------------------------------------------------------


def _zip_bytes(members: Mapping[str, bytes], manifest: bytes) -> bytes:
    """The archive: ``members`` sorted by name, then the manifest; reproducible (module docstring)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=False) as zf:
        for name, data in [*sorted(members.items()), (MANIFEST_MEMBER, manifest)]:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = _UNIX
            info.external_attr = MEMBER_MODE << 16
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=_COMPRESSLEVEL)
    return buf.getvalue()


def _load_spec_bytes(raw: bytes, where: str) -> LoadedSpec:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"not UTF-8 text (byte offset {exc.start})", path=where) from None
    return load_spec_document(load_yaml_text(text, where))


def make_bundle(
    report_path: str | Path,
    out: str | Path,
    *,
    log: str | Path | None = None,
    extra: Sequence[str | Path] = (),
    catalogs: Sequence[str | Path] = (),
    limits: BundleLimits = DEFAULT_LIMITS,
) -> Path:
    """Pack the signed report at ``report_path`` into the bundle ``out`` (module docstring) and
    return ``out``.

    ``log`` is the run's log (default: ``<id>-<version>.log`` beside the report, when it
    exists); ``extra`` files go under ``extra/`` by their names; ``catalogs`` are the catalog
    directories (``--catalog``) where the report's spec version is looked up.

    Refused, with a typed error naming the file: a report that is not a valid report, is
    unsigned or carries a signature that does not verify (:class:`SignatureError`); a spec
    version not in the catalog (:class:`SpecNotFoundError`) or whose digest is not the report's
    (:class:`CatalogError`); an ICS that does not read back to the report's
    (:class:`ReportError`); an extra file whose name is not a plain file name or repeats
    another's, a member over ``limits``, or ``out`` naming one of the inputs
    (:class:`InputFileError`).
    """
    report_path, out = Path(report_path), Path(out)
    raw = read_bounded(report_path, min(limits.member, MAX_REPORT_BYTES), "report")
    report: Report = report_from_data(parse_report_bytes(raw, report_path), report_path)
    vendor = report.vendor_signature
    if vendor is None:
        raise SignatureError(
            "the report has no vendor signature: only a report signed by certify can be submitted", path=report_path
        )
    for i in range(len(report.signatures)):
        problem = signature_problem(report, i)
        if problem:
            raise SignatureError(f"cannot bundle a report whose signature does not verify: {problem}", path=report_path)

    ref = f"{report.spec.id}@{report.spec.version}"
    try:
        spec_path = Catalog.discover(catalogs).path_of(ref)
    except SpecNotFoundError as exc:
        raise SpecNotFoundError(
            f"cannot bundle: {exc.message}; give the catalog holding the spec the report was made against (--catalog)",
            path=report_path,
        ) from None
    spec_raw = read_bounded(spec_path, limits.text, "spec file")
    loaded = _load_spec_bytes(spec_raw, str(spec_path))
    if (loaded.spec.id, loaded.spec.version) != (report.spec.id, report.spec.version):
        raise CatalogError(f"file declares {loaded.spec.ref}, not {ref}", path=spec_path)
    if loaded.digest != report.spec.digest:
        raise CatalogError(
            f"the catalog's {ref} has digest {loaded.digest}, but the report was made against {report.spec.digest}: "
            "bundle it with the catalog holding the spec the report was made against (--catalog)",
            path=spec_path,
        )

    ics_text = ics_file_text(report.ics, loaded.spec)
    try:
        back = load_ics_text(ics_text, loaded.spec, path=ICS_MEMBER)
    except OrbitcertError as exc:
        raise ReportError(f"the report's ICS is not a valid statement for {ref}: {exc}", path=report_path) from None
    if _ics_content(back) != _ics_content(report.ics):
        raise ReportError(f"the report's ICS is not a resolved statement for {ref} (it reads back differently)", path=report_path)

    members: dict[str, bytes] = {
        REPORT_MEMBER: raw,
        ICS_MEMBER: ics_text.encode("utf-8"),
        spec_member(report.spec.id, report.spec.version): spec_raw,
        SUITE_MEMBER: canonical_json(report.suite.model_dump(mode="json")),
    }
    inputs = [report_path, spec_path]
    default_log = report_path.with_name(f"{report.spec.id}-{report.spec.version}.log")
    log_path = Path(log) if log is not None else (default_log if default_log.is_file() else None)
    if log_path is not None:
        members[LOG_MEMBER] = read_bounded(log_path, limits.member, "log")
        inputs.append(log_path)
    if len(extra) > limits.members - len(_FIXED_MEMBERS) - 1:
        raise InputFileError(f"{len(extra)} extra files: a bundle holds at most {limits.members - len(_FIXED_MEMBERS) - 1}")
    seen: dict[str, Path] = {}
    for e in map(Path, extra):
        if not EXTRA_NAME.fullmatch(e.name):
            raise InputFileError(
                "an extra file's name must be a plain file name (letters, digits, '.', '_', '+', '-'; "
                "not starting with '.'; at most 128 characters)",
                path=e,
            )
        if e.name.casefold() in seen:
            raise InputFileError(f"two extra files are named {e.name!r} (the other: {seen[e.name.casefold()]})", path=e)
        seen[e.name.casefold()] = e
        members[f"{EXTRA_FOLDER}/{e.name}"] = read_bounded(e, limits.member, "extra file")
        inputs.append(e)
    total = sum(len(d) for d in members.values())
    if total > limits.total:
        raise InputFileError(f"the members hold {total} bytes, more than a bundle's limit of {limits.total}", path=out)

    resolved_out = out.resolve()
    for p in inputs:
        if p.resolve() == resolved_out:
            raise InputFileError("refusing to write the bundle over one of its inputs", path=out)

    manifest = Manifest(
        report=ManifestReport(spec=ref, sha256=_sha256(raw), vendor_key_id=vendor.key_id),
        members={name: ManifestEntry(size=len(data), sha256=_sha256(data)) for name, data in sorted(members.items())},
    )
    archive = _zip_bytes(members, canonical_json(manifest.model_dump(mode="json")))
    if len(archive) > limits.archive:
        raise InputFileError(f"the bundle would be {len(archive)} bytes, more than the limit of {limits.archive}", path=out)
    return atomic_write(out, archive)


# ---- reading ------------------------------------------------------------------------------------


def _open_regular(path: Path) -> IO[bytes]:
    """``path`` opened for reading, without blocking, only when it is a regular file."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputFileError("not a bundle: not a regular file", path=path)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def is_bundle(path: str | Path) -> bool:
    """True when ``path`` is a regular file starting with a ZIP local file header (``PK\\3\\4``):
    a bundle rather than a report (which starts with ``{``). Unreadable paths are not bundles."""
    try:
        with _open_regular(Path(path)) as fh:
            return fh.read(4) == _LOCAL_MAGIC
    except (OSError, OrbitcertError):
        return False


def _check_layout(fh: IO[bytes], size: int, path: Path, limits: BundleLimits) -> tuple[int, int]:
    """Check the archive's frame before :mod:`zipfile` parses it; returns (central directory
    offset, its size). A bundle starts with a local header and ends with a single-disk end
    record without comment, directly after the central directory; no Zip64."""

    def refuse(message: str) -> InputFileError:
        return InputFileError(f"not a bundle: {message}", path=path)

    if size > limits.archive:
        raise refuse(f"the file is larger than the limit of {limits.archive} bytes")
    if size < len(_LOCAL_MAGIC) + _EOCD.size:
        raise refuse("too short to be a ZIP archive")
    fh.seek(0)
    if fh.read(4) != _LOCAL_MAGIC:
        raise refuse("no ZIP local file header at the start of the file")
    fh.seek(size - _EOCD.size)
    magic, disk, cd_disk, n_disk, n_total, cd_size, cd_offset, comment = _EOCD.unpack(fh.read(_EOCD.size))
    if magic != _EOCD_MAGIC:
        raise refuse("the file does not end with a ZIP end-of-central-directory record (trailing data or a comment)")
    if comment:
        raise refuse("the archive has a comment (bundles have none)")
    if disk or cd_disk or n_disk != n_total:
        raise refuse("a multi-disk archive")
    if size >= _EOCD.size + 20:
        fh.seek(size - _EOCD.size - 20)
        if fh.read(4) == _ZIP64_LOCATOR_MAGIC:
            raise refuse("a Zip64 archive (bundles are smaller than 4 GiB and are never Zip64)")
    if n_total == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        raise refuse("a Zip64 archive (bundles are smaller than 4 GiB and are never Zip64)")
    if n_total > limits.members:
        raise refuse(f"{n_total} members, more than the limit of {limits.members}")
    if cd_size > limits.central_directory:
        raise refuse(f"a central directory of {cd_size} bytes, more than the limit of {limits.central_directory}")
    if cd_offset + cd_size != size - _EOCD.size:
        raise refuse("the central directory does not end where the end record starts (data in between, or prepended)")
    return cd_offset, cd_size


def _name_problem(info: zipfile.ZipInfo) -> str | None:
    """Why a member's name or type is unsafe (None when it is a plain file with a plain name)."""
    name = info.filename
    if info.orig_filename != name or "\\" in name:
        return "the name holds a NUL byte or a backslash"
    if printable(name) != name or any(c in name for c in "\n\t"):
        return "the name holds control characters"
    if name.startswith("/") or re.match(r"[A-Za-z]:", name):
        return "an absolute path"
    parts = name.split("/")
    if ".." in parts:
        return "a '..' path component"
    if name.endswith("/"):
        return "a directory entry (bundles hold files only)"
    if any(p in ("", ".") for p in parts):
        return "an empty or '.' path component"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG) or info.external_attr & 0x10:  # 0x10: MS-DOS directory attribute
        return "not a regular file"
    return None


def _expected(name: str) -> bool:
    return (
        name in _FIXED_MEMBERS
        or _SPEC_MEMBER.fullmatch(name) is not None
        or (name.startswith(EXTRA_FOLDER + "/") and EXTRA_NAME.fullmatch(name[len(EXTRA_FOLDER) + 1 :]) is not None)
    )


def _check_members(infos: list[zipfile.ZipInfo], cd_offset: int, path: Path, limits: BundleLimits) -> None:
    """Every entry's name, type, method and declared size, before anything is read."""

    def refuse(name: str, message: str) -> InputFileError:
        return InputFileError(f"not a bundle: member '{printable(name)}': {message}", path=path)

    if len(infos) > limits.members:
        raise InputFileError(f"not a bundle: {len(infos)} members, more than the limit of {limits.members}", path=path)
    seen: set[str] = set()
    declared = 0
    for info in infos:
        name = info.filename
        problem = _name_problem(info)
        if problem:
            raise refuse(name, problem)
        if name.casefold() in seen:
            raise refuse(name, "appears twice in the archive")
        seen.add(name.casefold())
        if not _expected(name):
            raise refuse(
                name,
                "not a member of a bundle (expected: report.json, ics.yaml, suite.json, log.txt, manifest.json, "
                "spec/<spec-id>/<version>.yaml, extra/<name>)",
            )
        if info.flag_bits & 0x1:
            raise refuse(name, "encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise refuse(name, f"compression method {info.compress_type} (bundles use DEFLATE or none)")
        limit = limits.for_member(name)
        if info.file_size > limit:
            raise refuse(name, f"declares {info.file_size} bytes, more than the limit of {limit}")
        declared += info.file_size
        if declared > limits.total:
            raise refuse(name, f"the members declare more than the limit of {limits.total} bytes in all")
    for name in (REPORT_MEMBER, MANIFEST_MEMBER, ICS_MEMBER, SUITE_MEMBER):
        if name not in {i.filename for i in infos}:
            raise InputFileError(f"not a bundle: member {name!r} is missing", path=path)
    specs = [i.filename for i in infos if _SPEC_MEMBER.fullmatch(i.filename)]
    if len(specs) != 1:
        raise InputFileError(
            f"not a bundle: it holds {len(specs)} spec files ({', '.join(map(repr, specs)) or 'none'}); a bundle holds one",
            path=path,
        )
    # Members may not overlap (Fifield's bombs reuse one compressed kernel for many entries): each
    # entry's local header, at least 30 bytes and its compressed data, ends before the next one.
    ordered = sorted(infos, key=lambda i: i.header_offset)
    for i, info in enumerate(ordered):
        end = info.header_offset + _LOCAL_HEADER_SIZE + len(info.orig_filename.encode("utf-8")) + info.compress_size
        following = ordered[i + 1].header_offset if i + 1 < len(ordered) else cd_offset
        if end > following:
            raise refuse(info.filename, "overlaps the next member or the central directory")


def _read_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, path: Path, limits: BundleLimits, budget: list[int]
) -> tuple[int, str, bytes | None]:
    """Stream one member to ``target`` (a new file), counting and hashing; returns (size,
    sha256, the bytes when the member is a text member kept for the checks)."""
    name = info.filename
    limit = min(limits.for_member(name), info.file_size)
    keep = limits.for_member(name) == limits.text or name == REPORT_MEMBER
    h = hashlib.sha256()
    kept: list[bytes] = []
    n = 0

    def refuse(message: str) -> InputFileError:
        return InputFileError(f"not a bundle: member '{printable(name)}': {message}", path=path)

    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0), 0o644)
    with os.fdopen(fd, "wb") as out:
        try:
            with zf.open(info) as src:
                while chunk := src.read(_CHUNK):
                    n += len(chunk)
                    budget[0] -= len(chunk)
                    if n > limit:
                        raise refuse(f"inflates beyond its declared size or the limit of {limits.for_member(name)} bytes")
                    if budget[0] < 0:
                        raise refuse(f"the members inflate beyond the limit of {limits.total} bytes in all")
                    h.update(chunk)
                    out.write(chunk)
                    if keep:
                        kept.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
            raise refuse(f"cannot be read: {exc}") from None
    if n != info.file_size:
        raise refuse(f"holds {n} bytes but declares {info.file_size}")
    return n, "sha256:" + h.hexdigest(), b"".join(kept) if keep else None


def open_bundle(path: str | Path, workdir: str | Path, *, limits: BundleLimits = DEFAULT_LIMITS) -> Bundle:
    """Read the bundle at ``path`` safely (module docstring), extract it to ``workdir`` (created;
    it must not exist or be empty) and compare its members with the manifest and the report.

    Raises :class:`InputFileError` naming the bundle and the member for a file that is not a
    bundle (what is extracted so far is removed). The comparisons are :attr:`Bundle.checks`:
    ``archive`` (what was read), ``manifest`` (every member's size and sha256 equal the
    manifest's, every entry present, nothing unlisted, the report's sha256 and vendor key id),
    ``report`` (readable), ``spec`` (the spec file is the report's spec version, its digest is
    the report's), ``ics`` (ics.yaml reads back to the report's ICS), ``suite`` (suite.json is
    the report's suite binding), ``log`` and ``extra`` (present, and unsigned)."""
    path, workdir = Path(path), Path(workdir)
    if workdir.exists() and (not workdir.is_dir() or any(workdir.iterdir())):
        raise InputFileError("cannot extract a bundle here: not an empty directory", path=workdir)
    try:
        fh = _open_regular(path)
    except OSError as exc:
        raise InputFileError(f"cannot read bundle: {exc.strerror or exc}", path=path) from None
    created: list[Path] = [] if workdir.exists() else [workdir]
    try:
        with fh:
            size = os.fstat(fh.fileno()).st_size
            cd_offset, _ = _check_layout(fh, size, path, limits)
            fh.seek(0)
            try:
                zf = zipfile.ZipFile(fh)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, UnicodeDecodeError,
                    struct.error, EOFError) as exc:
                raise InputFileError(f"not a bundle: not a readable ZIP archive: {exc}", path=path) from None
            with zf:
                infos = zf.infolist()
                _check_members(infos, cd_offset, path, limits)
                workdir.mkdir(parents=True, exist_ok=True)
                read: dict[str, tuple[int, str, bytes | None]] = {}
                budget = [limits.total]
                for info in infos:
                    parts = info.filename.split("/")
                    for depth in range(1, len(parts)):
                        folder = workdir.joinpath(*parts[:depth])
                        if not folder.is_dir():
                            folder.mkdir()
                            created.append(folder)
                    target = workdir.joinpath(*parts)
                    created.append(target)
                    read[info.filename] = _read_member(zf, info, target, path, limits, budget)
        checks = _compare(read, path)
    except OSError as exc:
        _remove(created)
        raise InputFileError(f"cannot read or extract the bundle into {workdir}: {exc.strerror or exc}", path=path) from None
    except BaseException:
        _remove(created)
        raise
    spec_name = next(n for n in read if _SPEC_MEMBER.fullmatch(n))
    extras = tuple(workdir / EXTRA_FOLDER / n.split("/", 1)[1] for n in sorted(read) if n.startswith(EXTRA_FOLDER + "/"))
    return Bundle(
        path=path,
        workdir=workdir,
        report=workdir / REPORT_MEMBER,
        spec=workdir.joinpath(*spec_name.split("/")),
        ics=workdir / ICS_MEMBER,
        suite=workdir / SUITE_MEMBER,
        manifest=workdir / MANIFEST_MEMBER,
        log=workdir / LOG_MEMBER if LOG_MEMBER in read else None,
        extras=extras,
        checks=tuple(checks),
    )


def _remove(created: list[Path]) -> None:
    """Remove what a failed extraction made (files, then the folders, deepest first)."""
    for p in sorted(set(created), key=lambda q: len(q.parts), reverse=True):
        try:
            if p.is_dir() and not p.is_symlink():
                p.rmdir()
            else:
                p.unlink()
        except OSError:
            pass


def _compare(read: Mapping[str, tuple[int, str, bytes | None]], path: Path) -> list[BundleCheck]:
    """The checks of an extracted bundle: members against the manifest, and against the report."""
    out: list[BundleCheck] = []
    total = sum(size for size, _, _ in read.values())
    out.append(BundleCheck("archive", True, f"{len(read)} members, {total} bytes, every name and size within bounds"))

    raw_manifest = read[MANIFEST_MEMBER][2]
    assert raw_manifest is not None
    try:
        manifest = Manifest.model_validate(_strict_json(raw_manifest, MANIFEST_MEMBER))
    except (ValueError, ValidationError) as exc:
        detail = str(exc).splitlines()[0] if not isinstance(exc, ValidationError) else _first_error(exc)
        raise InputFileError(f"not a bundle: member {MANIFEST_MEMBER!r} is not a bundle manifest: {detail}", path=path) from None
    out += _manifest_checks(manifest, read)

    raw_report = read[REPORT_MEMBER][2]
    assert raw_report is not None
    try:
        report = report_from_data(parse_report_bytes(raw_report, REPORT_MEMBER), REPORT_MEMBER)
    except OrbitcertError as exc:
        out.append(BundleCheck("report", False, f"{REPORT_MEMBER} is not a valid report: {exc}"))
        return out
    vendor = report.vendor_signature
    ref = f"{report.spec.id}@{report.spec.version}"
    out.append(
        BundleCheck(
            "report", True,
            f"{REPORT_MEMBER}: {report.format} of {ref}"
            + (f", vendor key {short_id(vendor.key_id)}" if vendor else ", no vendor signature"),
        )
    )
    if manifest.report.spec != ref:
        out.append(BundleCheck("manifest", False, f"the manifest names {printable(manifest.report.spec)}, the report {ref}"))
    if vendor is None or manifest.report.vendor_key_id != vendor.key_id:
        out.append(
            BundleCheck(
                "manifest", False,
                f"the manifest names vendor key {short_id(manifest.report.vendor_key_id)}, the report "
                + (f"is signed by {short_id(vendor.key_id)}" if vendor else "has no vendor signature"),
            )
        )

    loaded = _spec_check(read, report, out)
    if loaded is not None:
        raw_ics = read[ICS_MEMBER][2]
        assert raw_ics is not None
        try:
            ics = load_ics_text(raw_ics.decode("utf-8"), loaded.spec, path=ICS_MEMBER)
        except UnicodeDecodeError as exc:
            out.append(BundleCheck("ics", False, f"{ICS_MEMBER}: not UTF-8 text (byte offset {exc.start})"))
        except OrbitcertError as exc:
            out.append(BundleCheck("ics", False, f"{ICS_MEMBER} is not a valid ICS for {ref}: {exc}"))
        else:
            if _ics_content(ics) == _ics_content(report.ics):
                out.append(BundleCheck("ics", True, f"{ICS_MEMBER} states the report's ICS ({', '.join(ics.classes) or 'no class'} claimed)"))
            else:
                out.append(BundleCheck("ics", False, f"{ICS_MEMBER} states another ICS than the report's: {_ics_difference(ics, report.ics)}"))
    else:
        out.append(BundleCheck("ics", False, f"{ICS_MEMBER}: not checked (no valid spec file to check it against)"))

    raw_suite = read[SUITE_MEMBER][2]
    assert raw_suite is not None
    try:
        suite = SuiteBinding.model_validate(_strict_json(raw_suite, SUITE_MEMBER))
    except (ValueError, ValidationError) as exc:
        detail = _first_error(exc) if isinstance(exc, ValidationError) else str(exc)
        out.append(BundleCheck("suite", False, f"{SUITE_MEMBER} is not a suite binding: {detail}"))
    else:
        if suite == report.suite:
            out.append(BundleCheck("suite", True, f"{SUITE_MEMBER} is the report's suite binding ({report.suite.path}, {report.suite.digest[:19]}...)"))
        else:
            out.append(BundleCheck("suite", False, f"{SUITE_MEMBER} differs from the report's suite binding"))

    if LOG_MEMBER in read:
        out.append(BundleCheck("log", True, f"{LOG_MEMBER}: {read[LOG_MEMBER][0]} bytes (the run's log; not covered by the signature)"))
    for name in sorted(n for n in read if n.startswith(EXTRA_FOLDER + "/")):
        out.append(BundleCheck("extra", True, f"{printable(name)}: {read[name][0]} bytes (an attachment; not covered by the signature)"))
    return out


def _first_error(exc: ValidationError) -> str:
    e = exc.errors()[0]
    return f"{'.'.join(map(str, e['loc'])) or '(top level)'}: {e['msg']}"


def _manifest_checks(manifest: Manifest, read: Mapping[str, tuple[int, str, bytes | None]]) -> list[BundleCheck]:
    out: list[BundleCheck] = []
    for name, (size, digest, _) in sorted(read.items()):
        if name == MANIFEST_MEMBER:
            continue
        entry = manifest.members.get(name)
        shown = printable(name)
        if entry is None:
            out.append(BundleCheck("manifest", False, f"{shown}: in the archive but not in the manifest"))
        elif entry.size != size:
            out.append(BundleCheck("manifest", False, f"{shown}: {size} bytes, the manifest says {entry.size}"))
        elif entry.sha256 != digest:
            out.append(BundleCheck("manifest", False, f"{shown}: sha256 {digest[:19]}... differs from the manifest's {entry.sha256[:19]}..."))
    for name in sorted(manifest.members):
        if name == MANIFEST_MEMBER:
            out.append(BundleCheck("manifest", False, f"{MANIFEST_MEMBER}: the manifest lists itself"))
        elif name not in read:
            out.append(BundleCheck("manifest", False, f"{printable(name)}: in the manifest but missing from the archive"))
    if manifest.report.sha256 != read[REPORT_MEMBER][1]:
        out.append(BundleCheck("manifest", False, f"{REPORT_MEMBER}: sha256 differs from the manifest's report sha256"))
    if not out:
        out.append(BundleCheck("manifest", True, f"{len(read) - 1} members, each of the size and sha256 the manifest lists"))
    return out


def _spec_check(
    read: Mapping[str, tuple[int, str, bytes | None]], report: Report, out: list[BundleCheck]
) -> LoadedSpec | None:
    """The bundled spec file against the report: its place, its declared id and version, its digest."""
    name = next(n for n in read if _SPEC_MEMBER.fullmatch(n))
    expected = spec_member(report.spec.id, report.spec.version)
    if name != expected:
        out.append(BundleCheck("spec", False, f"{name}: the report is of {report.spec.id}@{report.spec.version} ({expected})"))
        return None
    raw = read[name][2]
    assert raw is not None
    try:
        loaded = _load_spec_bytes(raw, name)
    except OrbitcertError as exc:
        out.append(BundleCheck("spec", False, f"{name} is not a valid spec: {exc}"))
        return None
    if (loaded.spec.id, loaded.spec.version) != (report.spec.id, report.spec.version):
        out.append(BundleCheck("spec", False, f"{name} declares {loaded.spec.ref}"))
        return None
    if loaded.digest != report.spec.digest:
        out.append(
            BundleCheck("spec", False, f"{name}: digest {loaded.digest[:19]}... is not the report's {report.spec.digest[:19]}...")
        )
        return None
    out.append(BundleCheck("spec", True, f"{name}: digest {loaded.digest[:19]}... is the report's"))
    return loaded


def _ics_difference(a: Ics, b: Ics) -> str:
    """The first fields where two statements differ, for the message."""
    da, db = _ics_content(a), _ics_content(b)
    fields = [k for k in da if da[k] != db.get(k)]
    if "items" in fields:
        items = sorted(k for k in set(da["items"]) | set(db["items"]) if da["items"].get(k) != db["items"].get(k))
        return "items " + ", ".join(printable(i) for i in items[:5])
    return ", ".join(fields)

