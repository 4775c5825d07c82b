"""Read services for the GraphQL layer: find subjects by identifier, decrypt identities, load the
records and list entries of many subjects at once (one query per kind, not one per subject).

Every statement here is built once, at import, with named bound parameters (``bindparam``; an
expanding one for each IN list) and executed with that request's values. Building a ``select()`` on
every call cost more Python than SQLite spent running it: coercing each clause, then walking the
new construct for its compiled-cache key. A construct built once keeps its cache key (SQLAlchemy
memoises it on the object), so a request pays only the cache look-up and the parameters. The SQL
text, and therefore the plans of tests/test_query_plans.py, are those of the per-call statements.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from gateway.domain import SubjectKind
from gateway.keys.crypto import FieldCipher
from gateway.store.fields import encrypted
from gateway.store.models import (
    CreditRecord,
    ListEntry,
    ListEntryRecord,
    Organization,
    Person,
    RecordLink,
    Subject,
)

PERSON_FIELDS = encrypted("Person")
# Ids per IN list: well under the bound-parameter limits of SQLite and PostgreSQL drivers.
IN_CHUNK = 1_000

# Persons whose identity number has this blind index: only the columns the comparison needs, so
# no Person objects are built for candidates that are then thrown away.
_PERSON_CANDIDATES = select(Person.subject_id, Person.id_number_enc).where(
    Person.id_number_bidx == bindparam("bidx")
)
_PERSONS_BY_ID = select(Person).where(Person.subject_id.in_(bindparam("ids", expanding=True)))
# The organisation and its subject's kind in one statement (a primary-key join), not two.
_ORGANIZATION_BY_CODE = (
    select(Organization, Subject.kind)
    .join(Subject, Subject.id == Organization.subject_id)
    .where(Organization.credit_code == bindparam("code"))
)
_ORGANIZATIONS_BY_BIDX = (
    select(Organization, Subject.kind)
    .join(Subject, Subject.id == Organization.subject_id)
    .where(Organization.credit_code_bidx == bindparam("bidx"))
)
# Bulk checks need only the subject id of each code: no Organization objects for 10,000 subjects.
_ORGANIZATION_IDS_BY_CODES = select(Organization.subject_id, Organization.credit_code).where(
    Organization.credit_code.in_(bindparam("codes", expanding=True))
)
_ORGANIZATION_IDS_BY_BIDXS = select(Organization.subject_id, Organization.credit_code_enc).where(
    Organization.credit_code_bidx.in_(bindparam("bidxs", expanding=True))
)
_RECORDS_OF = (
    select(CreditRecord)
    .where(CreditRecord.subject_id.in_(bindparam("ids", expanding=True)))
    .order_by(CreditRecord.decision_date.desc(), CreditRecord.id)
)
_LINKED_RECORDS_OF = (
    select(RecordLink.subject_id, CreditRecord)
    .join(CreditRecord, CreditRecord.id == RecordLink.record_id)
    .where(RecordLink.subject_id.in_(bindparam("ids", expanding=True)))
    .order_by(CreditRecord.decision_date.desc(), CreditRecord.id)
)
_LIST_ENTRIES_OF = (
    select(ListEntry)
    .where(ListEntry.subject_id.in_(bindparam("ids", expanding=True)))
    .order_by(ListEntry.listed_on.desc())
)
_SUBJECT_KINDS = select(Subject.id, Subject.kind).where(Subject.id.in_(bindparam("ids", expanding=True)))
_RECORDS_JUSTIFYING = (
    select(ListEntryRecord.list_entry_id, CreditRecord)
    .join(CreditRecord, CreditRecord.id == ListEntryRecord.record_id)
    .where(ListEntryRecord.list_entry_id.in_(bindparam("ids", expanding=True)))
    .order_by(CreditRecord.decision_date.desc(), CreditRecord.id)
)


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
    person. While an index rotation runs, the index under the previous key is asked for too (a second
    statement, so the usual lookup keeps its one-index plan); a row is found under one of them."""
    found: str | None = None
    for bidx in cipher.blind_indexes("id_number", id_number):
        for subject_id, id_number_enc in session.execute(_PERSON_CANDIDATES, {"bidx": bidx}):
            number = cipher.decrypt(id_number_enc, table="persons", column="id_number_enc", row=subject_id)
            if number == id_number:
                found = subject_id
        if found is not None:
            return found
    return found


def persons_by_id(session: Session, cipher: FieldCipher, subject_ids: Iterable[str]) -> dict[str, PersonView]:
    ids = sorted(set(subject_ids))
    if not ids:
        return {}
    rows = session.scalars(_PERSONS_BY_ID, {"ids": ids})
    return {p.subject_id: decrypt_person(cipher, p) for p in rows}


def find_organization(session: Session, cipher: FieldCipher, credit_code: str) -> OrganizationView | None:
    """The organisation with this credit code: a clear code by equality, else (an individual
    business, whose code is stored encrypted) by blind index, every candidate decrypted and compared."""
    found = session.execute(_ORGANIZATION_BY_CODE, {"code": credit_code}).first()
    if found is None:
        found = _organization_by_index(session, cipher, credit_code)
    if found is None:
        return None
    org: Organization = found[0]
    kind: SubjectKind = found[1]
    return OrganizationView(org.subject_id, kind, org, credit_code)


def _organization_by_index(session: Session, cipher: FieldCipher, credit_code: str) -> Row[Any] | None:
    """An individual business by the blind index of its code, under each index key held (two only
    while an index rotation runs), every candidate decrypted and compared."""
    for bidx in cipher.blind_indexes("credit_code", credit_code):
        for candidate in session.execute(_ORGANIZATIONS_BY_BIDX, {"bidx": bidx}):
            if organization_code(cipher, candidate[0]) == credit_code:
                return candidate
    return None


def organization_ids(session: Session, cipher: FieldCipher, credit_codes: Iterable[str]) -> dict[str, str]:
    """The subject id of each (normalised) code that an organisation has, as ``find_organization``
    finds it, for many codes at once: clear codes in one IN statement per chunk, the rest (individual
    businesses, and codes nobody has) by their blind indexes in one more, every candidate decrypted
    and compared. Unknown codes are absent."""
    wanted = sorted(set(credit_codes))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start : start + IN_CHUNK]
        for subject_id, code in session.execute(_ORGANIZATION_IDS_BY_CODES, {"codes": chunk}):
            found[code] = subject_id
        rest = {code for code in chunk if code not in found}
        if not rest:
            continue
        bidxs = sorted({bidx for code in rest for bidx in cipher.blind_indexes("credit_code", code)})
        for subject_id, code_enc in session.execute(_ORGANIZATION_IDS_BY_BIDXS, {"bidxs": bidxs}):
            code = cipher.decrypt(code_enc, table="organizations", column="credit_code_enc", row=subject_id)
            if code in rest:
                found.setdefault(code, subject_id)
    return found


def organization_code(cipher: FieldCipher, org: Organization) -> str:
    if org.credit_code is not None:
        return org.credit_code
    assert org.credit_code_enc is not None
    return cipher.decrypt(
        org.credit_code_enc, table="organizations", column="credit_code_enc", row=org.subject_id
    )


def records_of(session: Session, subject_ids: Sequence[str]) -> dict[str, list[CreditRecord]]:
    return _by_subject(session, _RECORDS_OF, subject_ids)


def linked_records_of(session: Session, subject_ids: Sequence[str]) -> dict[str, list[CreditRecord]]:
    """Records reachable from a subject through a link (e.g. as an organisation's legal representative)."""
    grouped: dict[str, list[CreditRecord]] = defaultdict(list)
    if subject_ids:
        for subject_id, rec in session.execute(_LINKED_RECORDS_OF, {"ids": list(subject_ids)}):
            grouped[subject_id].append(rec)
    return grouped


def list_entries_of(session: Session, subject_ids: Sequence[str]) -> dict[str, list[ListEntry]]:
    return _by_subject(session, _LIST_ENTRIES_OF, subject_ids)


def _by_subject(session: Session, statement: Any, subject_ids: Sequence[str]) -> dict[str, list[Any]]:
    """The rows of one of the per-subject statements above, grouped by their ``subject_id``."""
    grouped: dict[str, list[Any]] = defaultdict(list)
    if subject_ids:
        for row in session.scalars(statement, {"ids": list(subject_ids)}):
            grouped[row.subject_id].append(row)
    return grouped


def subject_kinds(session: Session, subject_ids: Iterable[str]) -> dict[str, SubjectKind]:
    ids = sorted(set(subject_ids))
    if not ids:
        return {}
    return {sid: kind for sid, kind in session.execute(_SUBJECT_KINDS, {"ids": ids})}


def records_justifying(session: Session, list_entry_ids: Sequence[str]) -> dict[str, list[CreditRecord]]:
    """The records that justify each of these list entries, in one query (per chunk of ids)."""
    grouped: dict[str, list[CreditRecord]] = defaultdict(list)
    ids = sorted(set(list_entry_ids))
    for start in range(0, len(ids), IN_CHUNK):
        for entry_id, rec in session.execute(_RECORDS_JUSTIFYING, {"ids": ids[start : start + IN_CHUNK]}):
            grouped[entry_id].append(rec)
    return grouped
