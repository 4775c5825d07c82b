"""The field catalogue: one row per field of Person, Organization, CreditRecord and ListEntry.

A credit record's fields used to be written out by hand in about ten places (the input dataclass,
its parser, the correction parser, the writer's column values, the GraphQL inputs and types, the
policy's field list, the maskers, the audit's field groups). They are stated here once, and those
places read them: adding a record field is a model column (with its migration), a row here, and the
rules that show it in ``policies/fields.csv`` (docs/architecture.md, "Adding a record field").

Rows are in the order the GraphQL types show their fields (and the privacy table its rows), which is
also the order a record's fields are validated in. A pure data module: no Strawberry, no SQLAlchemy;
the GraphQL layer and the store read it, never the other way round.

What the catalogue does not restate: who sees a field (``policies/fields.csv``), and so which consent
scope opens it; the audit's field groups (``gateway.audit.field_groups``) take the scopes from the
loaded policy (``gateway.access.policy.FieldPolicy.consent_fields``) and the rest from ``audit_group``
and ``returns`` here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType

from gateway.domain import (
    AgencyKind,
    Category,
    ListKind,
    ListStatus,
    OrgForm,
    Procedure,
    RecordStatus,
    Severity,
    SubjectKind,
)

GUARDED_TYPES: tuple[str, ...] = ("Person", "Organization", "CreditRecord", "ListEntry")


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a guarded type.

    ``name`` is the Python name: the input's attribute, the table's column (``<name>_enc`` when
    encrypted), the read view's attribute. ``value`` is the type of a scalar value; None for a field
    that returns other guarded objects (``returns`` names their type) or computed objects."""

    type_name: str
    name: str
    value: type | None
    graphql: str = ""  # the GraphQL name; empty: the camelCase of ``name``
    description: str | None = None
    stored: bool = True  # a column of the type's table; False: computed when served
    max_len: int | None = None  # longest accepted text
    credit_code: bool = False  # a GB 32100 code, normalised on input
    encrypted: bool = False  # stored as AES-GCM ciphertext (``<name>_enc``)
    masker: str | None = None  # the ``gateway.access.masking.MASKER_KINDS`` entry for a masked view
    submittable: bool = False  # part of an import line and of ``submitRecords``
    import_only: bool = False  # part of an import line, never of ``submitRecords``
    required: bool = False  # a full parse refuses the record without it
    default: object = None  # the value a full parse gives an absent field
    correctable: bool = False  # an objection's correction may change it
    only_for: Category | None = None  # given only for records of this category
    no_future: bool = False  # a date that cannot lie after the day of input
    self_only: bool = False  # for the person alone: no role, partner kind or consent may see it
    # Free text that may name a natural person: stored masked, and whole in ``<name>_enc``
    # (gateway.store.free_text); served whole only to who sees the person's name and address whole.
    person_text: bool = False
    audit_group: str | None = None  # the query history's group of a field no consent scope opens
    returns: str | None = None  # the guarded type a relation field returns

    @property
    def graphql_name(self) -> str:
        return self.graphql or _camel(self.name)

    @property
    def imported(self) -> bool:
        """A field of ``RecordInput``: what an import line gives."""
        return self.submittable or self.import_only

    @property
    def schema_field(self) -> str:
        """The policy's name of the field: ``Type.graphqlName``."""
        return f"{self.type_name}.{self.graphql_name}"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _f(type_name: str, name: str, value: type | None, **facts: object) -> Field:
    return Field(type_name, name, value, **facts)  # type: ignore[arg-type]


P, ORG, R, L = "Person", "Organization", "CreditRecord", "ListEntry"

CATALOGUE: tuple[Field, ...] = (
    _f(P, "id", str, description="Pseudonymous reference, never the identity number."),
    _f(P, "name", str, max_len=60, encrypted=True, masker="name"),
    _f(P, "id_number", str, max_len=40, encrypted=True, masker="id_number"),
    _f(P, "phone", str, max_len=30, encrypted=True, masker="phone"),
    _f(P, "address", str, max_len=300, encrypted=True, masker="address"),
    # Health status and religious belief are for the person alone (000 双公示 二(四)1).
    _f(P, "health_status", str, max_len=200, encrypted=True, self_only=True, audit_group="SENSITIVE"),
    _f(P, "religion", str, max_len=60, encrypted=True, self_only=True, audit_group="SENSITIVE"),
    _f(P, "records", None, stored=False, returns=R),
    _f(P, "list_entries", None, stored=False, returns=L),
    _f(
        P,
        "linked_records",
        None,
        stored=False,
        returns=R,
        description="Serious dishonesty of organisations this person legally represents (001 (十), 004 三(二)).",
    ),
    # Black listings and serious dishonesty of organisations the person answers for (落实到人).
    _f(
        P,
        "responsibilities",
        None,
        stored=False,
        description=(
            "Black listings and serious dishonesty of organisations this person answers for as legal "
            "representative, principal or actual controller, with the restrictions they bring "
            "(001 (十七), 004 个人 六(二), 000 个人 六(二), 003 新型监管 二(四))."
        ),
    ),
    # Who looked at the person (docs/audit.md): the person alone.
    _f(
        P,
        "query_history",
        None,
        stored=False,
        self_only=True,
        audit_group="HISTORY",
        description="Who looked at this person, newest first: for the person alone (docs/audit.md).",
    ),
    _f(ORG, "id", str),
    _f(ORG, "kind", SubjectKind),
    _f(ORG, "form", OrgForm),
    # An individual business's trade name may be its owner's name (牡丹区李建中副食店): person text.
    _f(ORG, "name", str, max_len=200, person_text=True),
    # An individual business's code identifies the person who runs it: encrypted, masked.
    _f(ORG, "credit_code", str, max_len=40, credit_code=True, masker="credit_code"),
    _f(ORG, "registered_address", str, max_len=300, masker="address"),
    _f(ORG, "legal_representative", None, stored=False, returns=P),
    _f(ORG, "agency_kind", AgencyKind),
    _f(ORG, "records", None, stored=False, returns=R),
    _f(ORG, "list_entries", None, stored=False, returns=L),
    _f(R, "id", str),
    _f(R, "category", Category, submittable=True, required=True),
    _f(R, "document_number", str, max_len=120, submittable=True, required=True),
    _f(R, "authority_code", str, max_len=40, credit_code=True, submittable=True, required=True),
    _f(R, "authority_name", str, max_len=200, submittable=True, correctable=True),
    _f(R, "decision_date", date, submittable=True, required=True, correctable=True, no_future=True),
    # The act's own day, where it differs from the decision's: it decides whether a person acted as a
    # minor (001 (十三), 004 个人 四(三); gateway.lifecycle.rules.minors). Null: the decision date stands.
    _f(
        R,
        "act_date",
        date,
        submittable=True,
        correctable=True,
        no_future=True,
        description="Day the act was committed, where it differs from the decision date.",
    ),
    _f(
        R,
        "content",
        str,
        max_len=20_000,
        masker="free_text",
        person_text=True,
        submittable=True,
        required=True,
        correctable=True,
    ),
    _f(R, "legal_basis", str, max_len=5_000, submittable=True, correctable=True),
    _f(R, "severity", Severity, submittable=True, correctable=True, default=Severity.GENERAL),
    _f(
        R,
        "procedure",
        Procedure,
        submittable=True,
        correctable=True,
        default=Procedure.GENERAL,
        only_for=Category.ADMINISTRATIVE_PENALTY,
    ),
    # Set by the import line, never by a provider over the API: the lifecycle procedures set it.
    _f(R, "status", RecordStatus, import_only=True, default=RecordStatus.ACTIVE),
    _f(
        R,
        "kept",
        bool,
        submittable=True,
        correctable=True,
        only_for=Category.CREDIT_COMMITMENT,
        description="For credit commitments: whether it was kept.",
    ),
    _f(R, "penalty_kinds", str, max_len=200, submittable=True, correctable=True),
    _f(
        R,
        "amount_10k_yuan",
        Decimal,
        graphql="amount10kYuan",
        submittable=True,
        correctable=True,
        description="Amount in units of 10,000 yuan.",
    ),
    _f(R, "valid_until", date, submittable=True, correctable=True),
    _f(R, "publication_until", date, submittable=True, correctable=True),
    _f(
        R,
        "display_until",
        date,
        stored=False,
        description="Last day the record is shown and used (its display period, 展示期限); null: no end.",
    ),
    _f(
        R,
        "repairable_from",
        date,
        stored=False,
        description="First day a repair (信用修复) may be applied for; null: not a dishonesty record.",
    ),
    # The provider is the caller (submissions) or named by the import line.
    _f(R, "provider_code", str, max_len=40, credit_code=True, import_only=True, required=True),
    _f(R, "received_at", datetime, import_only=True),
    _f(R, "received_within_deadline", bool, description="Received within 7 working days of the decision."),
    _f(R, "version", int),
    _f(L, "id", str),
    _f(L, "kind", ListKind),
    _f(L, "list_name", str, max_len=120),
    _f(L, "authority_code", str, max_len=40, credit_code=True),
    _f(L, "reason", str, max_len=5_000, masker="free_text", person_text=True),
    _f(L, "listed_on", date),
    _f(L, "planned_exit", date),
    _f(L, "status", ListStatus),
    _f(L, "exited_on", date),
    _f(
        L,
        "exit_reason",
        str,
        max_len=5_000,
        masker="free_text",
        description="Why the entry left the list: the listing authority's reason, or the objection that revoked it.",
    ),
    _f(
        L,
        "basis_lapsed",
        bool,
        stored=False,
        description=(
            "True when every record the entry cites stopped justifying it (revoked, corrected away, "
            "repaired or expired): the entry no longer counts in checks and grades."
        ),
    ),
    _f(L, "records", None, stored=False, returns=R, description="The records that justify the listing."),
)

BY_SCHEMA_FIELD = MappingProxyType({f.schema_field: f for f in CATALOGUE})


def of_type(type_name: str) -> tuple[Field, ...]:
    return tuple(f for f in CATALOGUE if f.type_name == type_name)


def schema_fields() -> tuple[str, ...]:
    """Every guarded ``Type.field``, in the catalogue's order (the privacy table's rows)."""
    return tuple(f.schema_field for f in CATALOGUE)


def record_input_fields() -> tuple[Field, ...]:
    """A record's fields as an import line gives them (``RecordInput``'s, but for the subject)."""
    return tuple(f for f in of_type(R) if f.imported)


def submittable() -> tuple[Field, ...]:
    return tuple(f for f in of_type(R) if f.submittable)


# The correction input was published with these four first; the rest follow in catalogue order.
_CORRECTION_LEADS = ("content", "legal_basis", "authority_name", "severity")


def correctable() -> tuple[Field, ...]:
    """A correction's fields, in the order of the published ``RecordCorrection`` input."""
    fields = [f for f in of_type(R) if f.correctable]
    lead = [f for name in _CORRECTION_LEADS for f in fields if f.name == name]
    return (*lead, *(f for f in fields if f.name not in _CORRECTION_LEADS))


def encrypted(type_name: str) -> tuple[str, ...]:
    """Python names of the type's encrypted fields (``PERSON_FIELDS`` of the writer and the reads)."""
    return tuple(f.name for f in of_type(type_name) if f.encrypted)


def masked() -> dict[str, str]:
    """``Type.field`` -> masker kind, for every field with a masked form."""
    return {f.schema_field: f.masker for f in CATALOGUE if f.masker is not None}


def person_texts() -> frozenset[str]:
    """``Type.field`` of every free text that may name a natural person (``person_text``)."""
    return frozenset(f.schema_field for f in CATALOGUE if f.person_text)


def self_only() -> frozenset[str]:
    return frozenset(f.schema_field for f in CATALOGUE if f.self_only)


__all__ = [
    "BY_SCHEMA_FIELD",
    "CATALOGUE",
    "GUARDED_TYPES",
    "Field",
    "correctable",
    "encrypted",
    "masked",
    "of_type",
    "person_texts",
    "record_input_fields",
    "schema_fields",
    "self_only",
    "submittable",
]
