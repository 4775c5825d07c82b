"""Database tables (SQLAlchemy 2 typed models).

Identity fields of persons, and credit codes of individual businesses, are stored only as
AES-GCM ciphertexts (``*_enc``) plus truncated blind indexes (``*_bidx``); see ``gateway.keys.crypto``.
Primary keys of subjects, records and list entries are random 128-bit hex strings assigned by the
writer: they let bulk inserts link rows without a round trip, and the subject id doubles as the
row identity bound into every ciphertext's associated data.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Double,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from gateway.domain import (
    AgencyKind,
    Category,
    ConsentPurpose,
    ConsentStatus,
    FilerKind,
    LinkRole,
    ListKind,
    ListStatus,
    ObjectionStatus,
    OrgForm,
    Procedure,
    RecordStatus,
    RepairStatus,
    ResponsibleRole,
    Severity,
    SubjectKind,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(32)
CODE = String(18)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant, stored and read back in UTC on every backend.

    PostgreSQL's ``timestamptz`` keeps the instant; SQLite keeps text and SQLAlchemy writes an aware
    value's wall time without its offset, so ``10:00+08:00`` came back as a naive ``10:00`` (eight hours
    late, and without an offset in the API). Values are converted to UTC before they are written (a
    naive value is taken as UTC, the convention of the code before this type) and read back aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=40, validate_strings=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Subject(Base):
    __tablename__ = "subjects"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[SubjectKind] = mapped_column(_enum(SubjectKind))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Person(Base):
    __tablename__ = "persons"

    subject_id: Mapped[str] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True)
    key_version: Mapped[int] = mapped_column(Integer, index=True)
    name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_bidx: Mapped[bytes] = mapped_column(LargeBinary(8), index=True)
    # The index key version of both indexes: the work list of an index rotation (keys rotate-index).
    index_version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_bidx: Mapped[bytes | None] = mapped_column(LargeBinary(8), index=True)
    address_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    health_status_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    religion_enc: Mapped[bytes | None] = mapped_column(LargeBinary)


class Organization(Base):
    """Organisations and government agencies. An individual business's credit code identifies the
    person who runs it, so it is stored encrypted; other credit codes are public and kept in clear."""

    __tablename__ = "organizations"

    subject_id: Mapped[str] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True)
    form: Mapped[OrgForm] = mapped_column(_enum(OrgForm))
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(CODE, unique=True)
    key_version: Mapped[int | None] = mapped_column(Integer, index=True)
    credit_code_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    credit_code_bidx: Mapped[bytes | None] = mapped_column(LargeBinary(8), index=True)
    index_version: Mapped[int | None] = mapped_column(Integer)  # with ``credit_code_bidx``
    # An individual business's trade name may be its owner's name: ``name`` holds it masked, this
    # the whole name encrypted (gateway.store.free_text).
    name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    registered_address: Mapped[str | None] = mapped_column(String(300))
    legal_representative_id: Mapped[str | None] = mapped_column(ForeignKey("subjects.id"), index=True)
    agency_kind: Mapped[AgencyKind | None] = mapped_column(_enum(AgencyKind))


class CreditRecord(Base):
    __tablename__ = "credit_records"
    __table_args__ = (
        # Also serves every lookup by authority alone (its first column): no separate index for that.
        UniqueConstraint("authority_code", "document_number", "category", name="uq_record_key"),
        # An authority's records received in a window (the quarterly data-quality measures): a range
        # scan, instead of reading every record the authority ever issued.
        Index("ix_credit_records_authority_code_received_at", "authority_code", "received_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    subject_id: Mapped[str] = mapped_column(ForeignKey("subjects.id"), index=True)
    category: Mapped[Category] = mapped_column(_enum(Category))
    document_number: Mapped[str] = mapped_column(String(120))
    authority_code: Mapped[str] = mapped_column(CODE)
    authority_name: Mapped[str | None] = mapped_column(String(200))
    decision_date: Mapped[date] = mapped_column(Date)
    act_date: Mapped[date | None] = mapped_column(Date)
    # Free text about a natural person: ``content`` holds it masked, ``content_enc`` whole and
    # encrypted under ``key_version`` (gateway.store.free_text); both null for any other text.
    content: Mapped[str] = mapped_column(Text)
    key_version: Mapped[int | None] = mapped_column(Integer, index=True)
    content_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[Severity] = mapped_column(_enum(Severity))
    procedure: Mapped[Procedure | None] = mapped_column(_enum(Procedure))
    status: Mapped[RecordStatus] = mapped_column(_enum(RecordStatus))
    kept: Mapped[bool | None] = mapped_column(Boolean)
    penalty_kinds: Mapped[str | None] = mapped_column(String(200))
    amount_10k_yuan: Mapped[Decimal | None] = mapped_column(Numeric(16, 4))
    valid_until: Mapped[date | None] = mapped_column(Date)
    publication_until: Mapped[date | None] = mapped_column(Date)
    provider_code: Mapped[str] = mapped_column(CODE)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_within_deadline: Mapped[bool] = mapped_column(Boolean)
    personal_traits_flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    # The act was committed before the person turned 18 (gateway.lifecycle.rules.minors): derived by the
    # writer from the identity number's birth date, so no read ever decrypts to decide it.
    committed_as_minor: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    version: Mapped[int] = mapped_column(Integer, default=1)
    content_hash: Mapped[str] = mapped_column(String(64))
    # Who made the current version (a provider's credit code, ``operator:<name>`` for an import run
    # from the command line); kept in every superseded version's snapshot, so a record's history says
    # who made each. Null for versions written before this was kept, and for demo data.
    changed_by: Mapped[str | None] = mapped_column(String(64))


class CreditRecordVersion(Base):
    """A superseded version of a record: corrections never overwrite without keeping the old one."""

    __tablename__ = "credit_record_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("credit_records.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    superseded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(200))


class RecordLink(Base):
    """A record reachable from a subject other than its own (e.g. the legal representative)."""

    __tablename__ = "record_links"

    record_id: Mapped[str] = mapped_column(
        ForeignKey("credit_records.id", ondelete="CASCADE"), primary_key=True
    )
    subject_id: Mapped[str] = mapped_column(ForeignKey("subjects.id"), primary_key=True, index=True)
    role: Mapped[LinkRole] = mapped_column(_enum(LinkRole))


class ResponsiblePerson(Base):
    """A person answering for an organisation in a role (legal representative, principal, actual
    controller) from ``since`` to ``until`` (open ends: unknown or still holding it). The person is a
    subject like any other: identity encrypted, found by blind index (``gateway.store.identities``)."""

    __tablename__ = "responsible_persons"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("subjects.id"), index=True)
    role: Mapped[ResponsibleRole] = mapped_column(_enum(ResponsibleRole))
    since: Mapped[date | None] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)


class ListEntry(Base):
    __tablename__ = "list_entries"
    __table_args__ = (
        UniqueConstraint(
            "authority_code", "subject_id", "kind", "list_name", "listed_on", name="uq_list_entry_key"
        ),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    subject_id: Mapped[str] = mapped_column(ForeignKey("subjects.id"), index=True)
    kind: Mapped[ListKind] = mapped_column(_enum(ListKind))
    list_name: Mapped[str] = mapped_column(String(120))
    authority_code: Mapped[str] = mapped_column(CODE)
    reason: Mapped[str] = mapped_column(Text)  # masked when ``reason_enc`` holds it (as a record's content)
    key_version: Mapped[int | None] = mapped_column(Integer, index=True)
    reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    listed_on: Mapped[date] = mapped_column(Date)
    planned_exit: Mapped[date | None] = mapped_column(Date)
    status: Mapped[ListStatus] = mapped_column(_enum(ListStatus))
    exited_on: Mapped[date | None] = mapped_column(Date)
    # Why the entry left the list: the listing authority's delisting reason, or the objection that
    # revoked it.
    exit_reason: Mapped[str | None] = mapped_column(Text)


class ListEntryRecord(Base):
    __tablename__ = "list_entry_records"

    list_entry_id: Mapped[str] = mapped_column(
        ForeignKey("list_entries.id", ondelete="CASCADE"), primary_key=True
    )
    record_id: Mapped[str] = mapped_column(ForeignKey("credit_records.id"), primary_key=True)


class Objection(Base):
    """A subject's objection (异议) to a record, and how the issuing authority resolved it.

    ``prior_status`` is the record's status before it went UNDER_OBJECTION; it is restored when the
    authority upholds the record as it stands (UPHELD)."""

    __tablename__ = "objections"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("credit_records.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[str] = mapped_column(ForeignKey("subjects.id"), index=True)
    authority_code: Mapped[str] = mapped_column(CODE, index=True)
    filer_kind: Mapped[FilerKind] = mapped_column(_enum(FilerKind))
    filed_by: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    prior_status: Mapped[RecordStatus] = mapped_column(_enum(RecordStatus))
    status: Mapped[ObjectionStatus] = mapped_column(_enum(ObjectionStatus), index=True)
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_on: Mapped[date] = mapped_column(Date)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolution: Mapped[str | None] = mapped_column(Text)
    record_version: Mapped[int | None] = mapped_column(Integer)  # the version a correction created


class ListObjection(Base):
    """A listed subject's objection (异议) to a list entry, and how the listing authority resolved it:
    UPHELD keeps the entry, REVOKED takes it off the list (003 新型监管 二(五))."""

    __tablename__ = "list_objections"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    list_entry_id: Mapped[str] = mapped_column(ForeignKey("list_entries.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[str] = mapped_column(ForeignKey("subjects.id"), index=True)
    authority_code: Mapped[str] = mapped_column(CODE, index=True)
    filer_kind: Mapped[FilerKind] = mapped_column(_enum(FilerKind))
    filed_by: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    status: Mapped[ObjectionStatus] = mapped_column(_enum(ObjectionStatus), index=True)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_on: Mapped[date] = mapped_column(Date)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolution: Mapped[str | None] = mapped_column(Text)


class RepairApplication(Base):
    """A subject's application for credit repair (信用修复) of a record, and the authority's decision."""

    __tablename__ = "repair_applications"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("credit_records.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[str] = mapped_column(ForeignKey("subjects.id"), index=True)
    authority_code: Mapped[str] = mapped_column(CODE, index=True)
    filer_kind: Mapped[FilerKind] = mapped_column(_enum(FilerKind))
    filed_by: Mapped[str] = mapped_column(String(64), index=True)
    statement: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    status: Mapped[RepairStatus] = mapped_column(_enum(RepairStatus), index=True)
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decision_reason: Mapped[str | None] = mapped_column(Text)


class RejectedRow(Base):
    """A submitted or imported row that failed validation, kept for the data-quality measures
    (000 双公示 三(二): share of quality data). Holds the reason, never the row's values."""

    __tablename__ = "rejected_rows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    authority_code: Mapped[str | None] = mapped_column(CODE, index=True)
    source: Mapped[str] = mapped_column(String(200))
    line: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(String(300))
    rejected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Consent(Base):
    """A person's consent for one grantee organisation to read their record for one purpose.

    ``uses`` is incremented with a conditional UPDATE (``uses < max_uses``), so concurrent requests on
    any number of workers never use a consent more often than granted.
    """

    __tablename__ = "consents"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("subjects.id"), index=True)
    grantee_code: Mapped[str] = mapped_column(CODE, index=True)
    purpose: Mapped[ConsentPurpose] = mapped_column(_enum(ConsentPurpose))
    scopes: Mapped[str] = mapped_column(String(100))
    status: Mapped[ConsentStatus] = mapped_column(_enum(ConsentStatus))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    max_uses: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)


class ConsentUse(Base):
    """One use of a consent, reserved by the lookup's unit of work and paired with its audit event.

    The lookup's transaction counts the use on ``consents.uses`` (the conditional UPDATE that keeps
    concurrent lookups within the grant) and inserts this row; the audit writer's transaction, the
    one that appends the lookup's event, sets ``event_seq``. A row without an event long after it was
    reserved belongs to a worker that died before its event was durable (no data left it): it is
    released, and the use given back (``gateway.access.consent_uses``, docs/audit.md, "Consent uses").
    """

    __tablename__ = "consent_uses"
    __table_args__ = (Index("ix_consent_uses_event_seq_reserved_at", "event_seq", "reserved_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    consent_id: Mapped[str] = mapped_column(ForeignKey("consents.id"), index=True)
    reserved_at: Mapped[datetime] = mapped_column(UTCDateTime())
    event_seq: Mapped[int | None] = mapped_column(BigInteger)


class TrustedDocument(Base):
    """A GraphQL document a partner registered to run by its id (``sha256:`` and the hex SHA-256 of
    the text), shared by every worker (``gateway.store.documents``)."""

    __tablename__ = "trusted_documents"

    id: Mapped[str] = mapped_column(String(71), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(String(200))  # a label for `documents list`
    owner: Mapped[str | None] = mapped_column(String(64))  # the partner's credit code, when given
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RevokedToken(Base):
    """A revoked caller token (its ``jti``), shared by every worker; kept until the token would have
    expired anyway (``gateway.access.revocations``)."""

    __tablename__ = "revoked_tokens"

    token_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class RateBucket(Base):
    """One caller's token bucket, shared by every worker (``gateway.api.ratelimit``). ``key`` is the
    SHA-256 of the caller id or client address, so no identity value is stored; ``tokens`` and
    ``updated`` (Unix seconds) are the bucket as of the last request, ``granted`` whether that request
    got a token (read back in the same statement)."""

    __tablename__ = "rate_buckets"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    tokens: Mapped[float] = mapped_column(Double)
    updated: Mapped[float] = mapped_column(Double, index=True)
    granted: Mapped[bool] = mapped_column(Boolean)


class IssuedReport(Base):
    """A credit report the gateway signed (``gateway.reports.status``): what its status is derived
    from. The report itself is the holder's; kept here are its serial, subject, validity, the
    SHA-256 of its signed payload, and the records and list entries it cited as they were (JSON:
    ``{"records": [[id, version], ...], "entries": [[id, status], ...]}``), so that a later correction
    shows the report as superseded."""

    __tablename__ = "issued_reports"

    serial: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(32), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    payload_sha256: Mapped[str] = mapped_column(String(64))
    cited: Mapped[str] = mapped_column(Text)
