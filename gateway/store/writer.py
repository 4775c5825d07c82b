"""The one path by which subjects, records and list entries reach the database.

Imports, demo seeding and provider submissions all hand batches of validated inputs to
:class:`StoreWriter`. Per batch it resolves identities through blind indexes (decrypting candidates
to rule out truncation collisions), inserts new rows with batched Core statements, keeps the old
version of every record it changes, and links serious dishonesty of an organisation to its legal
representative. It never commits: the caller owns the transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.clock import as_utc, utcnow
from gateway.domain import SET_BY_PROCEDURE, LinkRole, OrgForm, SubjectKind, reaches_legal_representative
from gateway.keys.crypto import FieldCipher
from gateway.personal_traits import find_personal_traits
from gateway.store.bulk_insert import _DriverInsert, insert_rows
from gateway.store.fields import encrypted, record_input_fields
from gateway.store.inputs import (
    Item,
    ListEntryInput,
    OrganizationInput,
    PersonInput,
    RecordInput,
    RecordKey,
    SubjectRef,
)
from gateway.store.models import (
    CreditRecord,
    CreditRecordVersion,
    ListEntry,
    ListEntryRecord,
    Organization,
    Person,
    RecordLink,
    Subject,
)
from gateway.store.record_hashing import content_hash, snapshot
from gateway.workdays import WorkCalendar

PERSON_FIELDS = encrypted("Person")
_PERSON_COLUMNS = tuple((field, f"{field}_enc") for field in PERSON_FIELDS)
# A record's columns as its input gives them, and its content hash covers them. The time of receipt
# is not one of them: it defaults to the time of writing, and a resubmission keeps the first.
RECORD_COLUMNS = tuple(f.name for f in record_input_fields() if f.name != "received_at")
# Lookups use IN lists; keep them well under SQLite's bound-parameter limit.
LOOKUP_CHUNK = 2_000


# The hash under its former name here, through which tests/test_writer.py pins a stored hash.
_content_hash = content_hash
__all__ = ["RECORD_COLUMNS", "ItemResult", "StoreWriter", "WriteOutcome", "_DriverInsert", "new_id"]


class WriteOutcome(StrEnum):
    """What writing one item did to the store."""

    CREATED = "CREATED"
    UPDATED = "UPDATED"
    UNCHANGED = "UNCHANGED"
    REJECTED = "REJECTED"


@dataclass(frozen=True, slots=True)
class ItemResult:
    outcome: WriteOutcome
    id: str | None = None
    field: str | None = None
    reason: str | None = None


def new_id() -> str:
    return secrets.token_hex(16)


def _chunks(values: Sequence[Any], size: int = LOOKUP_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class StoreWriter:
    """Writes batches of inputs through the encrypted path; one instance per transaction."""

    def __init__(
        self,
        session: Session,
        cipher: FieldCipher,
        *,
        calendar: WorkCalendar,
        clock: Callable[[], datetime] = utcnow,
        id_factory: Callable[[], str] = new_id,
    ) -> None:
        self.session = session
        self.cipher = cipher
        self.calendar = calendar
        self.clock = clock
        self.new_id = id_factory
        self._blind_memo: dict[tuple[str, str], bytes] = {}
        self._deadline_memo: dict[tuple[date, date], bool] = {}

    # --- public ----------------------------------------------------------------------------------

    def write(
        self, items: Sequence[Item], *, blind_indexes: Mapping[tuple[str, str], bytes] | None = None
    ) -> list[ItemResult]:
        """Write one batch; the result list is parallel to ``items``.

        ``blind_indexes``, by (kind, normalised value), are indexes computed ahead (seeding computes
        them in the process that draws the batches). They are used only if one of them, checked
        here, is what this writer's cipher gives: indexes under another key would file people where
        no lookup finds them."""
        results: list[ItemResult | None] = [None] * len(items)
        now = self.clock()
        self._blind_memo.clear()
        if blind_indexes:
            (kind, value), index = next(iter(blind_indexes.items()))
            if self.cipher.blind_index(kind, value) == index:
                self._blind_memo.update(blind_indexes)

        people = [(i, it) for i, it in enumerate(items) if isinstance(it, PersonInput)]
        orgs = [(i, it) for i, it in enumerate(items) if isinstance(it, OrganizationInput)]
        reps = [o.legal_representative for _, o in orgs if o.legal_representative is not None]
        person_ids, person_outcomes = self._upsert_persons([p for _, p in people], reps, now)
        for i, p in people:
            results[i] = ItemResult(person_outcomes[p.id_number], person_ids[p.id_number])

        org_ids, org_outcomes = self._upsert_organizations([o for _, o in orgs], person_ids, now)
        for i, o in orgs:
            results[i] = ItemResult(org_outcomes[o.credit_code], org_ids[o.credit_code])

        records = [(i, it) for i, it in enumerate(items) if isinstance(it, RecordInput)]
        entries = [(i, it) for i, it in enumerate(items) if isinstance(it, ListEntryInput)]
        refs = [r.subject for _, r in records] + [e.subject for _, e in entries]
        subject_ids = self._resolve_refs(refs, person_ids, org_ids)
        record_ids = self._upsert_records(records, subject_ids, results, now)
        self._upsert_list_entries(entries, subject_ids, record_ids, results)
        return [
            r if r is not None else ItemResult(WriteOutcome.REJECTED, reason="not processed") for r in results
        ]

    # --- persons ---------------------------------------------------------------------------------

    def find_persons(self, id_numbers: Iterable[str]) -> dict[str, Person]:
        """Existing persons by (normalised) identity number, via the blind index.

        A truncated index is shared by several numbers, in the database and in one batch alike:
        every candidate is decrypted and kept if its number is one of those asked for."""
        wanted = set(id_numbers)
        indexes = sorted({self._blind("id_number", n) for n in wanted})
        found: dict[str, Person] = {}
        for chunk in _chunks(indexes):
            for person in self.session.scalars(select(Person).where(Person.id_number_bidx.in_(chunk))):
                number = self._decrypt_person(person, "id_number")
                if number in wanted:
                    found[number] = person
        return found

    def _blind(self, kind: str, value: str) -> bytes:
        """Blind index, computed once per value and batch (lookup and insert both need it)."""
        key = (kind, value)
        index = self._blind_memo.get(key)
        if index is None:
            index = self._blind_memo[key] = self.cipher.blind_index(kind, value)
        return index

    def _decrypt_person(self, person: Person, field: str) -> str | None:
        blob = getattr(person, f"{field}_enc")
        if blob is None:
            return None
        return self.cipher.decrypt(blob, table="persons", column=f"{field}_enc", row=person.subject_id)

    def _person_values(self, subject_id: str, p: PersonInput) -> dict[str, Any]:
        version = self.cipher.current_version
        plaintexts = {column: getattr(p, field) for field, column in _PERSON_COLUMNS}
        values: dict[str, Any] = self.cipher.encrypt_row(
            plaintexts, table="persons", row=subject_id, version=version
        )
        values["key_version"] = version
        values["id_number_bidx"] = self._blind("id_number", p.id_number)
        values["phone_bidx"] = self._blind("phone", p.phone) if p.phone else None
        return values

    def _upsert_persons(
        self, people: Sequence[PersonInput], reps: Sequence[PersonInput], now: datetime
    ) -> tuple[dict[str, str], dict[str, WriteOutcome]]:
        explicit: dict[str, PersonInput] = {}
        for p in people:
            explicit[p.id_number] = _merge_person(explicit.get(p.id_number), p)
        wanted: dict[str, PersonInput] = {r.id_number: r for r in reps}
        wanted.update(explicit)
        existing = self.find_persons(wanted)
        ids = {number: person.subject_id for number, person in existing.items()}
        outcomes: dict[str, WriteOutcome] = {}
        new_subjects: list[dict[str, Any]] = []
        new_persons: list[dict[str, Any]] = []
        for number, p in wanted.items():
            person = existing.get(number)
            if person is None:
                sid = self.new_id()
                ids[number] = sid
                new_subjects.append({"id": sid, "kind": SubjectKind.PERSON, "created_at": now})
                new_persons.append({"subject_id": sid, **self._person_values(sid, p)})
                outcomes[number] = WriteOutcome.CREATED
            elif number in explicit:
                outcomes[number] = self._update_person(person, p)
        self._insert(Subject, new_subjects)
        self._insert(Person, new_persons)
        return ids, outcomes

    def _update_person(self, person: Person, p: PersonInput) -> WriteOutcome:
        """Fields given in the input replace stored ones; fields left out are kept."""
        changed = {
            f
            for f in PERSON_FIELDS
            if getattr(p, f) is not None and getattr(p, f) != self._decrypt_person(person, f)
        }
        if not changed:
            return WriteOutcome.UNCHANGED
        current = {f: self._decrypt_person(person, f) for f in PERSON_FIELDS}
        merged = PersonInput(**{f: getattr(p, f) if f in changed else current[f] for f in PERSON_FIELDS})  # type: ignore[arg-type]
        self.session.execute(
            update(Person)
            .where(Person.subject_id == person.subject_id)
            .values(**self._person_values(person.subject_id, merged))
        )
        return WriteOutcome.UPDATED

    # --- organisations ---------------------------------------------------------------------------

    def find_organizations(self, codes: Iterable[str]) -> dict[str, Organization]:
        """Existing organisations by credit code: clear codes directly, individual businesses by index."""
        codes = sorted(set(codes))
        found: dict[str, Organization] = {}
        for chunk in _chunks(codes):
            for org in self.session.scalars(select(Organization).where(Organization.credit_code.in_(chunk))):
                assert org.credit_code is not None
                found[org.credit_code] = org
        wanted = {c for c in codes if c not in found}
        indexes = sorted({self._blind("credit_code", c) for c in wanted})
        for chunk in _chunks(indexes):
            stmt = select(Organization).where(Organization.credit_code_bidx.in_(chunk))
            for org in self.session.scalars(stmt):
                code = self.organization_code(org)
                if code in wanted:
                    found[code] = org
        return found

    def organization_code(self, org: Organization) -> str:
        if org.credit_code is not None:
            return org.credit_code
        assert org.credit_code_enc is not None
        return self.cipher.decrypt(
            org.credit_code_enc, table="organizations", column="credit_code_enc", row=org.subject_id
        )

    def _org_values(self, subject_id: str, o: OrganizationInput, rep_id: str | None) -> dict[str, Any]:
        values: dict[str, Any] = {
            "form": o.form,
            "name": o.name,
            "registered_address": o.registered_address,
            "legal_representative_id": rep_id,
            "agency_kind": o.agency_kind,
            "credit_code": None,
            "key_version": None,
            "credit_code_enc": None,
            "credit_code_bidx": None,
        }
        if o.form is OrgForm.INDIVIDUAL_BUSINESS:
            # The code of a business run by one person identifies that person: encrypt it.
            values["key_version"] = self.cipher.current_version
            values["credit_code_enc"] = self.cipher.encrypt(
                o.credit_code, table="organizations", column="credit_code_enc", row=subject_id
            )
            values["credit_code_bidx"] = self._blind("credit_code", o.credit_code)
        else:
            values["credit_code"] = o.credit_code
        return values

    def _upsert_organizations(
        self, orgs: Sequence[OrganizationInput], person_ids: dict[str, str], now: datetime
    ) -> tuple[dict[str, str], dict[str, WriteOutcome]]:
        latest = {o.credit_code: o for o in orgs}
        existing = self.find_organizations(latest)
        ids = {code: org.subject_id for code, org in existing.items()}
        outcomes: dict[str, WriteOutcome] = {}
        new_subjects: list[dict[str, Any]] = []
        new_orgs: list[dict[str, Any]] = []
        for code, o in latest.items():
            rep_id = person_ids[o.legal_representative.id_number] if o.legal_representative else None
            org = existing.get(code)
            if org is None:
                sid = self.new_id()
                ids[code] = sid
                new_subjects.append({"id": sid, "kind": o.kind, "created_at": now})
                new_orgs.append({"subject_id": sid, **self._org_values(sid, o, rep_id)})
                outcomes[code] = WriteOutcome.CREATED
                continue
            rep_id = rep_id or org.legal_representative_id
            same = (
                org.name == o.name
                and org.form == o.form
                and org.registered_address == (o.registered_address or org.registered_address)
                and org.legal_representative_id == rep_id
                and org.agency_kind == o.agency_kind
            )
            if same:
                outcomes[code] = WriteOutcome.UNCHANGED
                continue
            values = self._org_values(org.subject_id, o, rep_id)
            values["registered_address"] = o.registered_address or org.registered_address
            self.session.execute(
                update(Organization).where(Organization.subject_id == org.subject_id).values(**values)
            )
            outcomes[code] = WriteOutcome.UPDATED
        self._insert(Subject, new_subjects)
        self._insert(Organization, new_orgs)
        return ids, outcomes

    # --- references ------------------------------------------------------------------------------

    def _resolve_refs(
        self, refs: Sequence[SubjectRef], person_ids: dict[str, str], org_ids: dict[str, str]
    ) -> dict[SubjectRef, str]:
        missing_people = {r.id_number for r in refs if r.id_number and r.id_number not in person_ids}
        missing_orgs = {r.credit_code for r in refs if r.credit_code and r.credit_code not in org_ids}
        people = dict(person_ids)
        people.update({n: p.subject_id for n, p in self.find_persons(missing_people).items()})
        orgs = dict(org_ids)
        orgs.update({c: o.subject_id for c, o in self.find_organizations(missing_orgs).items()})
        resolved: dict[SubjectRef, str] = {}
        for ref in refs:
            sid = people.get(ref.id_number or "") if ref.id_number else orgs.get(ref.credit_code or "")
            if sid is not None:
                resolved[ref] = sid
        return resolved

    # --- records ---------------------------------------------------------------------------------

    def _record_values(self, r: RecordInput, subject_id: str, now: datetime) -> dict[str, Any]:
        received = r.received_at or now
        values: dict[str, Any] = {"subject_id": subject_id}
        values.update((name, getattr(r, name)) for name in RECORD_COLUMNS)
        values["content_hash"] = content_hash(values)
        values["received_at"] = received
        values["received_within_deadline"] = self._within_deadline(r.decision_date, received.date())
        values["personal_traits_flagged"] = bool(
            find_personal_traits(" ".join(filter(None, (r.content, r.legal_basis))))
        )
        return values

    def _within_deadline(self, decided: date, received: date) -> bool:
        """The calendar's answer, computed once per pair of days and writer: a batch's records share
        their receipt day and most share a decision day with another, and the calendar walks every
        day in between."""
        key = (decided, received)
        within = self._deadline_memo.get(key)
        if within is None:
            within = self._deadline_memo[key] = self.calendar.within_deadline(decided, received)
        return within

    def find_records(self, keys: Iterable[RecordKey]) -> dict[RecordKey, CreditRecord]:
        """Existing records by key. Looked up per authority, so that the unique index on
        (authority_code, document_number, category) serves the query: document numbers alone
        have no index, and an IN list on them scanned the whole table once per chunk."""
        keys = set(keys)
        numbers_by_authority: dict[str, set[str]] = {}
        for key in keys:
            numbers_by_authority.setdefault(key.authority_code, set()).add(key.document_number)
        found: dict[RecordKey, CreditRecord] = {}
        for authority, numbers in sorted(numbers_by_authority.items()):
            for chunk in _chunks(sorted(numbers)):
                stmt = select(CreditRecord).where(
                    CreditRecord.authority_code == authority, CreditRecord.document_number.in_(chunk)
                )
                for rec in self.session.scalars(stmt):
                    key = RecordKey(rec.authority_code, rec.document_number, rec.category)
                    if key in keys:
                        found[key] = rec
        return found

    def _upsert_records(
        self,
        records: Sequence[tuple[int, RecordInput]],
        subject_ids: dict[SubjectRef, str],
        results: list[ItemResult | None],
        now: datetime,
    ) -> dict[RecordKey, str]:
        keys = [r.key for _, r in records]  # a property that builds a new key at every use
        existing = self.find_records(keys)
        ids = {key: rec.id for key, rec in existing.items()}
        first_index: dict[RecordKey, int] = {}
        new_rows: list[dict[str, Any]] = []
        updated_rows: list[dict[str, Any]] = []
        for (i, r), key in zip(records, keys, strict=True):
            if key in first_index:
                results[i] = ItemResult(
                    WriteOutcome.REJECTED,
                    field="documentNumber",
                    reason=f"duplicate of item {first_index[key]}",
                )
                continue
            first_index[key] = i
            sid = subject_ids.get(r.subject)
            if sid is None:
                results[i] = ItemResult(WriteOutcome.REJECTED, field="subject", reason="unknown subject")
                continue
            rec = existing.get(key)
            # A resubmission keeps the time the record was first received, and so its deadline flag.
            values = self._record_values(r, sid, now if rec is None else as_utc(rec.received_at))
            if rec is None:
                rid = self.new_id()
                ids[key] = rid
                new_rows.append({"id": rid, "version": 1, **values})
                results[i] = ItemResult(WriteOutcome.CREATED, rid)
            elif rec.content_hash == values["content_hash"]:
                results[i] = ItemResult(WriteOutcome.UNCHANGED, rec.id)
            elif rec.status in SET_BY_PROCEDURE:
                results[i] = ItemResult(
                    WriteOutcome.REJECTED,
                    rec.id,
                    field="status",
                    reason=f"the record is {rec.status.value.lower()}; it changes through that procedure",
                )
            else:
                self.supersede(rec, values, reason="resubmitted by provider", now=now)
                updated_rows.append({"id": rec.id, **values})
                results[i] = ItemResult(WriteOutcome.UPDATED, rec.id)
        self._insert(CreditRecord, new_rows)
        self._link_legal_representatives(new_rows + updated_rows)
        return ids

    def supersede(self, rec: CreditRecord, values: dict[str, Any], *, reason: str, now: datetime) -> None:
        """Keep the current version of ``rec`` in the history, then apply ``values`` as the next one."""
        self.session.add(
            CreditRecordVersion(
                record_id=rec.id,
                version=rec.version,
                snapshot=snapshot(rec),
                superseded_at=now,
                reason=reason,
            )
        )
        values = {k: v for k, v in values.items() if k != "received_at"} | {"version": rec.version + 1}
        self.session.execute(update(CreditRecord).where(CreditRecord.id == rec.id).values(**values))

    def correct(self, rec: CreditRecord, record: RecordInput, *, reason: str, now: datetime) -> int:
        """Replace ``rec``'s fields by ``record``'s (same key and subject) as its next version, keeping
        the old one; receipt time and deadline compliance stay those of the original submission, and a
        correction that makes it serious reaches the legal representative. Returns the new version."""
        values = self._record_values(record, rec.subject_id, as_utc(rec.received_at))
        version = rec.version + 1
        self.supersede(rec, values, reason=reason, now=now)
        self._link_legal_representatives([{"id": rec.id, **values}])
        return version

    def _link_legal_representatives(self, rows: Sequence[dict[str, Any]]) -> None:
        """A serious dishonesty of an organisation is recorded against its legal representative too
        (001 (十), 004 三(二))."""
        candidates = [
            r for r in rows if reaches_legal_representative(r["category"], r["severity"], r["kept"])
        ]
        if not candidates:
            return
        reps: dict[str, str] = {}
        subject_ids = sorted({r["subject_id"] for r in candidates})
        for chunk in _chunks(subject_ids):
            stmt = select(Organization.subject_id, Organization.legal_representative_id).where(
                Organization.subject_id.in_(chunk), Organization.legal_representative_id.is_not(None)
            )
            reps.update({sid: rep for sid, rep in self.session.execute(stmt)})
        linked: set[tuple[str, str]] = set()
        for chunk in _chunks(sorted(r["id"] for r in candidates)):
            stmt = select(RecordLink.record_id, RecordLink.subject_id).where(RecordLink.record_id.in_(chunk))
            linked.update((rid, sid) for rid, sid in self.session.execute(stmt))
        links = [
            {"record_id": r["id"], "subject_id": reps[r["subject_id"]], "role": LinkRole.LEGAL_REPRESENTATIVE}
            for r in candidates
            if r["subject_id"] in reps and (r["id"], reps[r["subject_id"]]) not in linked
        ]
        self._insert(RecordLink, links)

    # --- list entries ----------------------------------------------------------------------------

    def _upsert_list_entries(
        self,
        entries: Sequence[tuple[int, ListEntryInput]],
        subject_ids: dict[SubjectRef, str],
        record_ids: dict[RecordKey, str],
        results: list[ItemResult | None],
    ) -> None:
        wanted_keys = {k for _, e in entries for k in e.records if k not in record_ids}
        record_ids = record_ids | {k: r.id for k, r in self.find_records(wanted_keys).items()}
        existing_entries = self._find_list_entries(
            {subject_ids[e.subject] for _, e in entries if e.subject in subject_ids}
        )
        new_entries: list[dict[str, Any]] = []
        new_links: list[dict[str, Any]] = []
        for i, e in entries:
            sid = subject_ids.get(e.subject)
            if sid is None:
                results[i] = ItemResult(WriteOutcome.REJECTED, field="subject", reason="unknown subject")
                continue
            missing = [n for n, k in enumerate(e.records) if k not in record_ids]
            if missing:
                results[i] = ItemResult(
                    WriteOutcome.REJECTED, field=f"records[{missing[0]}]", reason="unknown record"
                )
                continue
            existing = existing_entries.get((e.authority_code, sid, e.kind, e.list_name, e.listed_on))
            values = {
                "reason": e.reason,
                "planned_exit": e.planned_exit,
                "status": e.status,
                "exited_on": e.exited_on,
            }
            if existing is not None:
                if all(getattr(existing, k) == v for k, v in values.items()):
                    results[i] = ItemResult(WriteOutcome.UNCHANGED, existing.id)
                else:
                    self.session.execute(
                        update(ListEntry).where(ListEntry.id == existing.id).values(**values)
                    )
                    results[i] = ItemResult(WriteOutcome.UPDATED, existing.id)
                continue
            eid = self.new_id()
            new_entries.append(
                {
                    "id": eid,
                    "subject_id": sid,
                    "kind": e.kind,
                    "list_name": e.list_name,
                    "authority_code": e.authority_code,
                    "listed_on": e.listed_on,
                    **values,
                }
            )
            new_links.extend(
                {"list_entry_id": eid, "record_id": record_ids[k]} for k in dict.fromkeys(e.records)
            )
            results[i] = ItemResult(WriteOutcome.CREATED, eid)
        self._insert(ListEntry, new_entries)
        self._insert(ListEntryRecord, new_links)

    def _find_list_entries(self, subject_ids: set[str]) -> dict[tuple[Any, ...], ListEntry]:
        """Existing entries of these subjects by their unique key, in one query per chunk."""
        found: dict[tuple[Any, ...], ListEntry] = {}
        for chunk in _chunks(sorted(subject_ids)):
            for entry in self.session.scalars(select(ListEntry).where(ListEntry.subject_id.in_(chunk))):
                key = (entry.authority_code, entry.subject_id, entry.kind, entry.list_name, entry.listed_on)
                found[key] = entry
        return found

    # --- helpers ---------------------------------------------------------------------------------

    def _insert(self, model: type[Any], rows: list[dict[str, Any]]) -> None:
        insert_rows(self.session, model, rows)


def _merge_person(old: PersonInput | None, new: PersonInput) -> PersonInput:
    """Two lines for the same person in one batch: later non-empty fields win."""
    if old is None:
        return new
    return PersonInput(**{f: getattr(new, f) or getattr(old, f) for f in PERSON_FIELDS})  # type: ignore[arg-type]
