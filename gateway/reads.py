"""Read services for the GraphQL layer: find subjects by identifier, decrypt identities, load the
records and list entries of many subjects at once (one query per kind, not one per subject)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.crypto import FieldCipher
from gateway.domain import SubjectKind
from gateway.models import CreditRecord, ListEntry, ListEntryRecord, Organization, Person, RecordLink, Subject

PERSON_FIELDS = ("name", "id_number", "phone", "address", "health_status", "religion")
# Ids per IN list: well under the bound-parameter limits of SQLite and PostgreSQL drivers.
IN_CHUNK = 1_000


@dataclass(frozen=True, slots=True)
class PersonView:
    """A person's identity, decrypted for the duration of one request."""

    subject_id: str
    name: str
    id_number: str
    phone: str | None
    address: str | None
    health_status: str | None
    religion: str | None

    def __repr__(self) -> str:  # never print identities into logs or tracebacks
        return f"PersonView(subject_id={self.subject_id!r})"


@dataclass(frozen=True, slots=True)
class OrganizationView:
    subject_id: str
    kind: SubjectKind
    row: Organization
    credit_code: str


def decrypt_person(cipher: FieldCipher, person: Person) -> PersonView:
    def field(name: str) -> str | None:
        blob = getattr(person, f"{name}_enc")
        if blob is None:
            return None
        return cipher.decrypt(blob, table="persons", column=f"{name}_enc", row=person.subject_id)

    values = {name: field(name) for name in PERSON_FIELDS}
    return PersonView(subject_id=person.subject_id, **values)  # type: ignore[arg-type]


def find_person_id(session: Session, cipher: FieldCipher, id_number: str) -> str | None:
    """The subject id of the person with this (normalised) identity number, via the blind index.

    Every candidate is decrypted and compared, so a truncation collision never returns the wrong
    person."""
    bidx = cipher.blind_index("id_number", id_number)
    found: str | None = None
    for person in session.scalars(select(Person).where(Person.id_number_bidx == bidx)):
        number = cipher.decrypt(
            person.id_number_enc, table="persons", column="id_number_enc", row=person.subject_id
        )
        if number == id_number:
            found = person.subject_id
    return found


def persons_by_id(session: Session, cipher: FieldCipher, subject_ids: Iterable[str]) -> dict[str, PersonView]:
    ids = sorted(set(subject_ids))
    if not ids:
        return {}
    rows = session.scalars(select(Person).where(Person.subject_id.in_(ids)))
    return {p.subject_id: decrypt_person(cipher, p) for p in rows}


def find_organization(session: Session, cipher: FieldCipher, credit_code: str) -> OrganizationView | None:
    org = session.scalar(select(Organization).where(Organization.credit_code == credit_code))
    if org is None:
        bidx = cipher.blind_index("credit_code", credit_code)
        for candidate in session.scalars(select(Organization).where(Organization.credit_code_bidx == bidx)):
            if organization_code(cipher, candidate) == credit_code:
                org = candidate
    if org is None:
        return None
    kind = session.scalar(select(Subject.kind).where(Subject.id == org.subject_id))
    assert kind is not None
    return OrganizationView(org.subject_id, kind, org, credit_code)


def organization_code(cipher: FieldCipher, org: Organization) -> str:
    if org.credit_code is not None:
        return org.credit_code
    assert org.credit_code_enc is not None
    return cipher.decrypt(
        org.credit_code_enc, table="organizations", column="credit_code_enc", row=org.subject_id
    )


def records_of(session: Session, subject_ids: Sequence[str]) -> dict[str, list[CreditRecord]]:
    grouped: dict[str, list[CreditRecord]] = defaultdict(list)
    if subject_ids:
        stmt = (
            select(CreditRecord)
            .where(CreditRecord.subject_id.in_(subject_ids))
            .order_by(CreditRecord.decision_date.desc(), CreditRecord.id)
        )
        for rec in session.scalars(stmt):
            grouped[rec.subject_id].append(rec)
    return grouped


def linked_records_of(session: Session, subject_ids: Sequence[str]) -> dict[str, list[CreditRecord]]:
    """Records reachable from a subject through a link (e.g. as an organisation's legal representative)."""
    grouped: dict[str, list[CreditRecord]] = defaultdict(list)
    if subject_ids:
        stmt = (
            select(RecordLink.subject_id, CreditRecord)
            .join(CreditRecord, CreditRecord.id == RecordLink.record_id)
            .where(RecordLink.subject_id.in_(subject_ids))
            .order_by(CreditRecord.decision_date.desc(), CreditRecord.id)
        )
        for subject_id, rec in session.execute(stmt):
            grouped[subject_id].append(rec)
    return grouped


def list_entries_of(session: Session, subject_ids: Sequence[str]) -> dict[str, list[ListEntry]]:
    grouped: dict[str, list[ListEntry]] = defaultdict(list)
    if subject_ids:
        stmt = (
            select(ListEntry)
            .where(ListEntry.subject_id.in_(subject_ids))
            .order_by(ListEntry.listed_on.desc())
        )
        for entry in session.scalars(stmt):
            grouped[entry.subject_id].append(entry)
    return grouped


def subject_kinds(session: Session, subject_ids: Iterable[str]) -> dict[str, SubjectKind]:
    ids = sorted(set(subject_ids))
    if not ids:
        return {}
    return {
        sid: kind
        for sid, kind in session.execute(select(Subject.id, Subject.kind).where(Subject.id.in_(ids)))
    }


def records_justifying(session: Session, list_entry_ids: Sequence[str]) -> dict[str, list[CreditRecord]]:
    """The records that justify each of these list entries, in one query (per chunk of ids)."""
    grouped: dict[str, list[CreditRecord]] = defaultdict(list)
    ids = sorted(set(list_entry_ids))
    for start in range(0, len(ids), IN_CHUNK):
        stmt = (
            select(ListEntryRecord.list_entry_id, CreditRecord)
            .join(CreditRecord, CreditRecord.id == ListEntryRecord.record_id)
            .where(ListEntryRecord.list_entry_id.in_(ids[start : start + IN_CHUNK]))
            .order_by(CreditRecord.decision_date.desc(), CreditRecord.id)
        )
        for entry_id, rec in session.execute(stmt):
            grouped[entry_id].append(rec)
    return grouped
