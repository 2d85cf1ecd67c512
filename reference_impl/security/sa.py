"""Security associations (CCSDS 355.0-B-2 2.3) and the normative parameters of the profile.

* :class:`SecurityParameters` - the constants of ``sec-link-security`` read from the spec under
  test (:meth:`SecurityParameters.from_spec`), 1.0.0's values by default. Its ``key_lengths``
  decide which algorithms the product accepts: 1.0.0 names the GCM suites, 1.1.0 adds
  aes-256-ccm (with ``ccm_parameters``), so the reference built for 1.0.0 refuses a CCM SA.
* :class:`SecurityAssociation` - the pydantic model of one SA. Its fields are exactly those of
  the ``configure_sa`` operation's ``sa`` argument (the 355.0-B-2 managed parameters): spi,
  frame_type, segment_header, fecf, service_type, algorithm, ekid, akid, iv_length,
  sequence_number_length, pad_length_length, mac_length, authentication_bit_mask,
  anti_replay_window, iv, sequence_number, state.
* :func:`load_sa_file` - operators provision SAs from a YAML file (a list of such mappings, or
  ``{security_associations: [...]}``); every error is a :class:`ProvisioningError` naming the
  file and the field (``sas.yaml: security_associations[1].iv_length: ...``).
* :class:`SaRecord` - an SA held by the product: its configuration plus the mutable state the
  procedures change (IV, sequence number, SA state, keys), with the per-SA constants of the
  per-frame path precomputed. :class:`SaTable` holds at most ``max_sas`` of them.

The reference secures TC and USLP frames only: an SA of frame type tm or aos, one of service
type encryption (no suite of this profile provides it), and an aes-256-ccm SA of any service but
authenticated encryption (SEC-CCM-005) are refused (``configure_sa``).
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ProvisioningError

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec

__all__ = [
    "DEFAULT_SPEC_ID",
    "DEFAULT_SPEC_VERSION",
    "MAX_SAS",
    "SUPPORTED_FRAME_TYPES",
    "SaRecord",
    "SaTable",
    "SecurityAssociation",
    "SecurityParameters",
    "default_parameters",
    "load_sa_file",
    "parse_sa",
]

DEFAULT_SPEC_ID: Final = "sec-link-security"
DEFAULT_SPEC_VERSION: Final = "1.0.0"
#: SAs the reference holds at once (its ICS item ``max_sas``).
MAX_SAS: Final = 256
#: Frame types the reference secures (its ICS item ``frame_types``).
SUPPORTED_FRAME_TYPES: Final = ("tc", "uslp")

_SA_STATES: Final = ("unkeyed", "keyed", "operational", "expired")
#: Spec parameter ``processing_order`` of 1.0.0 (CCSDS 355.0-B-2 4.2.3).
PROCESSING_ORDER: Final[tuple[str, ...]] = (
    "invalid_spi", "sa_not_operational", "key_not_active", "malformed", "bad_sequence_number", "bad_iv", "bad_mac"
)
#: Key octets of every algorithm the reference provides; a spec's ``key_lengths`` names some of them.
_KNOWN_KEY_LENGTHS: Final[dict[str, int]] = {"aes-256-gcm": 32, "sm4-gcm": 16, "aes-256-ccm": 32}
#: Spec parameter ``ccm_parameters`` of 1.1.0 (NIST SP 800-38C A.2.1): the values the reference implements.
CCM_PARAMETERS: Final[dict[str, int]] = {"nonce_length": 12, "length_field_length": 3, "tag_length": 16, "b0_flags": 0x7A}


# ---------------------------------------------------------------------------------------------
# Normative parameters
# ---------------------------------------------------------------------------------------------


def _int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProvisioningError(f"spec parameter {name!r}: expected an integer, got {value!r}")
    return value


def _int_map(name: str, value: Any) -> dict[str, int]:
    if not isinstance(value, Mapping) or not value:
        raise ProvisioningError(f"spec parameter {name!r}: expected a mapping of names to integers, got {value!r}")
    return {str(k): _int(f"{name}.{k}", v) for k, v in value.items()}


@dataclass(frozen=True)
class SecurityParameters:
    """The normative constants of ``sec-link-security`` (parameters of the same names)."""

    spi_length: int = 2
    gcm_iv_length: int = 12
    mac_lengths: tuple[int, ...] = (16,)
    key_lengths: Mapping[str, int] = field(default_factory=lambda: {"aes-256-gcm": 32, "sm4-gcm": 16})
    crc16_polynomial: int = 0x1021
    crc16_initial: int = 0xFFFF
    fecf_length: int = 2
    processing_order: tuple[str, ...] = PROCESSING_ORDER
    ep_status: Mapping[str, int] = field(
        default_factory=lambda: {
            "success": 0, "malformed": 1, "unknown_procedure": 2, "unknown_key_or_sa": 3,
            "invalid_state": 4, "authentication_failed": 5,
        }
    )
    ep_procedures: Mapping[str, Mapping[str, int]] = field(
        default_factory=lambda: {
            "key_management": {"service_group": 0, "otar": 1, "activate": 2, "deactivate": 3, "verify": 4, "destroy": 6},
            "sa_management": {
                "service_group": 1, "rekey": 6, "expire": 9, "set_arsn": 10, "start": 11, "stop": 14,
                "read_arsn": 0, "status": 15,
            },
            "monitoring_control": {"service_group": 3, "alarm_flag_reset": 7},
        }
    )
    sa_state_codes: Mapping[str, int] = field(
        default_factory=lambda: {"unkeyed": 1, "keyed": 2, "operational": 3, "expired": 4}
    )
    #: ``ccm_parameters`` (1.1.0 on); None for a spec version without AES-256-CCM.
    ccm_parameters: Mapping[str, int] | None = None

    @property
    def algorithms(self) -> tuple[str, ...]:
        """The algorithms of the spec under test (the keys of its ``key_lengths``)."""
        return tuple(self.key_lengths)

    def __post_init__(self) -> None:
        if self.spi_length != 2:
            raise ProvisioningError(f"spec parameter 'spi_length': only 2 is supported, got {self.spi_length}")
        if self.gcm_iv_length != 12:
            raise ProvisioningError(f"spec parameter 'gcm_iv_length': only 12 is supported, got {self.gcm_iv_length}")
        if self.fecf_length != 2:
            raise ProvisioningError(f"spec parameter 'fecf_length': only 2 is supported, got {self.fecf_length}")
        if not self.mac_lengths or any(not 1 <= m <= 16 for m in self.mac_lengths):
            raise ProvisioningError(f"spec parameter 'mac_lengths': expected lengths 1 .. 16, got {self.mac_lengths}")
        lengths = dict(self.key_lengths)
        if any(name not in lengths for name in ("aes-256-gcm", "sm4-gcm")) or any(
            _KNOWN_KEY_LENGTHS.get(name) != octets for name, octets in lengths.items()
        ):
            raise ProvisioningError(
                "spec parameter 'key_lengths': AES-256-GCM takes 32-octet and SM4-GCM 16-octet keys (and AES-256-CCM, "
                f"where the spec has it, 32-octet keys), got {lengths}"
            )
        has_ccm = "aes-256-ccm" in lengths
        if has_ccm != (self.ccm_parameters is not None):
            raise ProvisioningError(
                "spec parameters 'key_lengths' and 'ccm_parameters': a spec with aes-256-ccm has both, "
                f"got key_lengths {sorted(lengths)} and ccm_parameters {self.ccm_parameters}"
            )
        if self.ccm_parameters is not None and dict(self.ccm_parameters) != CCM_PARAMETERS:
            raise ProvisioningError(
                f"spec parameter 'ccm_parameters': the reference implements {CCM_PARAMETERS} (NIST SP 800-38C A.2.1 "
                f"with the 12-octet IV as nonce and a 16-octet tag), not {dict(self.ccm_parameters)}"
            )
        if tuple(self.processing_order) != PROCESSING_ORDER:
            raise ProvisioningError(
                f"spec parameter 'processing_order': the reference implements {list(PROCESSING_ORDER)}, "
                f"not {list(self.processing_order)}"
            )

    @classmethod
    def from_spec(cls, spec: Spec) -> SecurityParameters:
        """The parameters of the spec under test (an :class:`orbitcert.specs.model.Spec`)."""
        from orbitcert.specs.model import Spec

        if not isinstance(spec, Spec):
            raise ProvisioningError(f"spec: expected an orbitcert.specs.model.Spec, got {type(spec).__name__}")
        return cls.from_spec_parameters({name: p.value for name, p in spec.parameters.items()})

    @classmethod
    def from_spec_parameters(cls, values: Mapping[str, Any]) -> SecurityParameters:
        """Build from a spec's ``parameters`` (name -> value); a parameter absent keeps 1.0.0's value."""
        defaults = cls()
        kwargs: dict[str, Any] = {}
        for name in ("spi_length", "gcm_iv_length", "crc16_polynomial", "crc16_initial", "fecf_length"):
            if name in values:
                kwargs[name] = _int(name, values[name])
        if "mac_lengths" in values:
            raw = values["mac_lengths"]
            if not isinstance(raw, list):
                raise ProvisioningError(f"spec parameter 'mac_lengths': expected a list, got {raw!r}")
            kwargs["mac_lengths"] = tuple(_int("mac_lengths", m) for m in raw)
        for name in ("key_lengths", "ep_status", "sa_state_codes", "ccm_parameters"):
            if name in values:
                kwargs[name] = _int_map(name, values[name])
        if "processing_order" in values:
            raw = values["processing_order"]
            if not isinstance(raw, list) or not all(isinstance(r, str) for r in raw):
                raise ProvisioningError(f"spec parameter 'processing_order': expected a list of reasons, got {raw!r}")
            kwargs["processing_order"] = tuple(raw)
        if "ep_procedures" in values:
            raw = values["ep_procedures"]
            if not isinstance(raw, Mapping):
                raise ProvisioningError(f"spec parameter 'ep_procedures': expected a mapping, got {raw!r}")
            kwargs["ep_procedures"] = {str(g): _int_map(f"ep_procedures.{g}", v) for g, v in raw.items()}
        params = cls(**{**{f: getattr(defaults, f) for f in cls.__dataclass_fields__}, **kwargs})
        for status in ("success", "malformed", "unknown_procedure", "unknown_key_or_sa", "invalid_state",
                       "authentication_failed"):
            if status not in params.ep_status:
                raise ProvisioningError(f"spec parameter 'ep_status': status {status!r} is missing")
        return params


@functools.cache
def default_parameters() -> SecurityParameters:
    """The parameters of the bundled spec ``sec-link-security`` 1.0.0 (read through the spec loader)."""
    from orbitcert.specs.loader import load_spec_file

    path = importlib.resources.files("orbitcert.specs") / "catalog" / DEFAULT_SPEC_ID / f"{DEFAULT_SPEC_VERSION}.yaml"
    return SecurityParameters.from_spec(load_spec_file(str(path)).spec)


# ---------------------------------------------------------------------------------------------
# The SA model
# ---------------------------------------------------------------------------------------------

_HEX_OCTETS = r"^([0-9a-fA-F]{2})*$"


class SecurityAssociation(BaseModel):
    """One SA as ``configure_sa`` and SA files give it (CCSDS 355.0-B-2 2.3 managed parameters).

    ``iv`` (the full 12-octet IV) and ``sequence_number`` (exactly sequence_number_length octets)
    are hex of the last value sent or accepted; ``ekid`` is the key of the authenticated-encryption
    service, ``akid`` that of the authentication service; ``authentication_bit_mask`` is hex.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    spi: int = Field(ge=1, le=65534)
    frame_type: Literal["tc", "tm", "aos", "uslp"]
    segment_header: bool = False
    fecf: bool = True
    service_type: Literal["authenticated_encryption", "authentication", "encryption"]
    algorithm: Literal["aes-256-gcm", "sm4-gcm", "aes-256-ccm"]
    ekid: int | None = Field(ge=0, le=65535)
    akid: int | None = Field(ge=0, le=65535)
    iv_length: int = Field(ge=1, le=12)
    sequence_number_length: int = Field(ge=0, le=8)
    pad_length_length: int = Field(ge=0, le=2)
    mac_length: Literal[16]
    authentication_bit_mask: str = Field(pattern=_HEX_OCTETS)
    anti_replay_window: int = Field(ge=1, le=4294967295)
    iv: str = Field(pattern=r"^[0-9a-fA-F]{24}$")
    sequence_number: str = Field(pattern=r"^([0-9a-fA-F]{2}){0,8}$")
    state: Literal["unkeyed", "keyed", "operational", "expired"]

    @field_validator("spi", "ekid", "akid", "iv_length", "sequence_number_length", "pad_length_length",
                     "anti_replay_window", mode="before")
    @classmethod
    def _no_bool(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("expected an integer, got a boolean")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> SecurityAssociation:
        if len(self.sequence_number) != 2 * self.sequence_number_length:
            raise ValueError(
                f"sequence_number: {len(self.sequence_number) // 2} octets, but sequence_number_length is "
                f"{self.sequence_number_length}"
            )
        if self.segment_header and self.frame_type != "tc":
            raise ValueError(f"segment_header: only TC frames carry a segment header, not {self.frame_type}")
        return self


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_sa(data: Any, *, where: str = "sa") -> SecurityAssociation:
    """Validate one SA mapping; a bad field raises :class:`ProvisioningError` naming ``where.field``."""
    if not isinstance(data, Mapping):
        raise ProvisioningError(f"{where}: expected a mapping of SA fields, got {type(data).__name__}")
    try:
        return SecurityAssociation.model_validate(dict(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = _location(tuple(first["loc"]))
        message = str(first["msg"]).removeprefix("Value error, ")
        if not loc:  # a check across fields: the message starts with the field it names
            raise ProvisioningError(f"{where}.{message}") from None
        got = repr(first.get("input"))
        got = got if len(got) <= 60 else got[:57] + "..."
        raise ProvisioningError(f"{where}.{loc}: {message} (got {got})") from None


def load_sa_file(path: str | Path) -> list[SecurityAssociation]:
    """The SAs of a YAML provisioning file: a list of SA mappings, or ``security_associations: [...]``.

    Every error is a :class:`ProvisioningError` starting with the file name and naming the field:
    an unreadable file, text that is not YAML, a document of another shape, a bad field, a
    repeated SPI.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProvisioningError(f"{path}: cannot read ({exc})") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise ProvisioningError(f"{path}: not YAML{at}") from None
    key = "security_associations"
    if isinstance(document, Mapping):
        if set(document) != {key}:
            raise ProvisioningError(f"{path}: expected the single key {key!r}, got {sorted(map(str, document))}")
        entries, prefix = document[key], key
    else:
        entries, prefix = document, ""
    if not isinstance(entries, list):
        raise ProvisioningError(f"{path}: {prefix or 'document'}: expected a list of SAs, got {type(entries).__name__}")
    sas: list[SecurityAssociation] = []
    seen: set[int] = set()
    for index, entry in enumerate(entries):
        where = f"{path}: {prefix}[{index}]"
        sa = parse_sa(entry, where=where)
        if sa.spi in seen:
            raise ProvisioningError(f"{where}.spi: SPI {sa.spi} is provisioned twice")
        seen.add(sa.spi)
        sas.append(sa)
    return sas


# ---------------------------------------------------------------------------------------------
# SAs held by the product
# ---------------------------------------------------------------------------------------------


class SaRecord:
    """An SA held by the product: its configuration and mutable state, with per-frame constants.

    The procedures change ``iv``, ``sn`` (integers), ``state``, ``ekid`` and ``akid``; nothing
    else changes after configuration.
    """

    __slots__ = (
        "aead", "algorithm", "config", "ekid", "akid", "fecf", "frame_type", "full_mask_length", "iv", "iv_length", "iv_modulus",
        "mac_length", "mask", "pad_length_length", "security_header_length", "segment_length", "sn",
        "sn_length", "sn_modulus", "spi", "spi_bytes", "state", "window", "_mask_ints",
    )

    def __init__(self, config: SecurityAssociation) -> None:
        self.config = config
        self.spi = config.spi
        self.spi_bytes = config.spi.to_bytes(2, "big")
        self.frame_type = config.frame_type
        self.segment_length = 1 if config.segment_header else 0
        self.fecf = config.fecf
        self.aead = config.service_type == "authenticated_encryption"
        self.algorithm = config.algorithm
        self.ekid: int | None = config.ekid
        self.akid: int | None = config.akid
        self.iv_length = config.iv_length
        self.iv_modulus = 1 << (8 * config.iv_length)
        self.sn_length = config.sequence_number_length
        self.sn_modulus = 1 << (8 * config.sequence_number_length)
        self.pad_length_length = config.pad_length_length
        self.mac_length = config.mac_length
        self.mask = bytes.fromhex(config.authentication_bit_mask)
        self.full_mask_length = len(self.mask) - len(self.mask.lstrip(b"\xff"))
        self.window = config.anti_replay_window
        self.iv = int(config.iv, 16)
        self.sn = int(config.sequence_number, 16) if config.sequence_number else 0
        self.state: str = config.state
        self.security_header_length = 2 + config.iv_length + config.sequence_number_length + config.pad_length_length
        self._mask_ints: dict[int, int] = {}

    @property
    def key_id(self) -> int | None:
        """The key the SA's service uses: ekid (authenticated encryption) or akid (authentication)."""
        return self.ekid if self.aead else self.akid

    def mask_int(self, length: int) -> int:
        """The first ``length`` octets of the ABM as a big-endian integer (cached per length)."""
        value = self._mask_ints.get(length)
        if value is None:
            value = int.from_bytes(self.mask[:length], "big")
            self._mask_ints[length] = value
        return value

    def snapshot(self) -> SecurityAssociation:
        """The SA as a :class:`SecurityAssociation` with its current IV, sequence number, state and keys."""
        return self.config.model_copy(
            update={
                "iv": self.iv.to_bytes(12, "big").hex(),
                "sequence_number": self.sn.to_bytes(self.sn_length, "big").hex() if self.sn_length else "",
                "state": self.state,
                "ekid": self.ekid,
                "akid": self.akid,
            }
        )


class SaTable:
    """At most ``max_sas`` SAs by SPI, with per-frame-type lists in ascending SPI order (spi_lookup)."""

    def __init__(self, max_sas: int = MAX_SAS, mac_lengths: tuple[int, ...] = (16,)) -> None:
        self.max_sas = max_sas
        self.mac_lengths = mac_lengths
        self._by_spi: dict[int, SaRecord] = {}
        self._by_type: dict[str, tuple[SaRecord, ...]] = {}

    def configure(self, sa: SecurityAssociation) -> SaRecord:
        """Hold ``sa``, replacing any SA with its SPI; ProvisioningError when the table is full or the
        frame type or service type is one the reference does not provide."""
        if sa.frame_type not in SUPPORTED_FRAME_TYPES:
            raise ProvisioningError(
                f"sa.frame_type: the reference secures {' and '.join(SUPPORTED_FRAME_TYPES)} frames only, "
                f"not {sa.frame_type}"
            )
        if sa.service_type == "encryption":
            raise ProvisioningError(
                "sa.service_type: 'encryption' (without authentication) is provided by no suite of this profile"
            )
        if sa.algorithm == "aes-256-ccm" and sa.service_type != "authenticated_encryption":
            raise ProvisioningError(
                f"sa.service_type: aes-256-ccm provides the authenticated-encryption service only, not "
                f"{sa.service_type!r} (SEC-CCM-005)"
            )
        if sa.mac_length not in self.mac_lengths:
            raise ProvisioningError(f"sa.mac_length: {sa.mac_length} is not one of {list(self.mac_lengths)} (mac_lengths)")
        if sa.spi not in self._by_spi and len(self._by_spi) >= self.max_sas:
            raise ProvisioningError(f"sa.spi: the product holds at most {self.max_sas} SAs (max_sas)")
        record = SaRecord(sa)
        self._by_spi[sa.spi] = record
        self._reindex()
        return record

    def _reindex(self) -> None:
        by_type: dict[str, list[SaRecord]] = {}
        for spi in sorted(self._by_spi):
            record = self._by_spi[spi]
            by_type.setdefault(record.frame_type, []).append(record)
        self._by_type = {k: tuple(v) for k, v in by_type.items()}

    def get(self, spi: int) -> SaRecord | None:
        return self._by_spi.get(spi)

    def of_type(self, frame_type: str) -> tuple[SaRecord, ...]:
        """SAs of ``frame_type`` in ascending SPI order."""
        return self._by_type.get(frame_type, ())

    def __len__(self) -> int:
        return len(self._by_spi)

    def __iter__(self) -> Iterator[SaRecord]:
        return iter([self._by_spi[s] for s in sorted(self._by_spi)])
