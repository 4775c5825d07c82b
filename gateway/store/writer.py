"""The one path by which subjects, records and list entries reach the database.

Imports, demo seeding and provider submissions all hand batches of validated inputs to
:class:`StoreWriter`. Per batch it resolves identities through blind indexes
(``gateway.store.identities``), inserts new rows with batched Core statements
(``gateway.store.bulk_insert``), keeps the old version of every record it changes and links serious
dishonesty of an organisation to its legal representative (``gateway.store.record_versions``). It
never commits: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.clock import as_utc, utcnow
from gateway.domain import SET_BY_PROCEDURE
from gateway.keys.crypto import FieldCipher
from gateway.lifecycle.rules.minors import acted_as_minor
from gateway.lifecycle.rules.periods import today_in_china
from gateway.personal_traits import find_personal_traits
from gateway.store import free_text, record_versions
from gateway.store.bulk_insert import insert_rows
from gateway.store.fields import record_input_fields
from gateway.store.identities import Identities
from gateway.store.inputs import (
    Item,
    ListEntryInput,
    OrganizationInput,
    PersonInput,
    RecordInput,
    RecordKey,
    ResponsibilitiesInput,
    SubjectRef,
)
from gateway.store.models import CreditRecord, ListEntry, ListEntryRecord, Organization, Person
from gateway.store.record_hashing import content_hash
from gateway.store.responsibilities import Holding, write_holdings
from gateway.store.write_outcomes import ItemResult, WriteOutcome, chunks, new_id
from gateway.workdays import WorkCalendar

# A record's columns as its input gives them, and its content hash covers them. The time of receipt
# is not one of them: it defaults to the time of writing, and a resubmission keeps the first.
RECORD_COLUMNS = tuple(f.name for f in record_input_fields() if f.name != "received_at")

__all__ = ["RECORD_COLUMNS", "ItemResult", "StoreWriter", "WriteOutcome", "new_id"]


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
        actor: str | None = None,
    ) -> None:
        """``actor`` is who the records' new versions are recorded as made by (``changed_by``): a
        provider's credit code, ``operator:<name>`` for an import; None for demo data."""
        self.session = session
        self.actor = actor
        self.cipher = cipher
        self.calendar = calendar
        self.clock = clock
        self.new_id = id_factory
        self.identities = Identities(session, cipher, new_id=id_factory)
        self._deadline_memo: dict[tuple[date, date], bool] = {}

    # --- public ----------------------------------------------------------------------------------

    def write(
        self, items: Sequence[Item], *, blind_indexes: Mapping[tuple[str, str], bytes] | None = None
    ) -> list[ItemResult]:
        """Write one batch; the result list is parallel to ``items``.

        ``blind_indexes``, by (kind, normalised value), are indexes computed ahead; they are used only
        when they are this writer's cipher's (``Identities.start_batch``)."""
        results: list[ItemResult | None] = [None] * len(items)
        now = self.clock()
        identities = self.identities
        identities.start_batch(blind_indexes)

        people = [(i, it) for i, it in enumerate(items) if isinstance(it, PersonInput)]
        orgs = [(i, it) for i, it in enumerate(items) if isinstance(it, OrganizationInput)]
        held = [(i, it) for i, it in enumerate(items) if isinstance(it, ResponsibilitiesInput)]
        reps = [o.legal_representative for _, o in orgs if o.legal_representative is not None]
        reps += [r.person for _, o in orgs for r in o.responsible_persons]
        reps += [r.person for _, h in held for r in h.persons]
        person_ids, person_outcomes = identities.upsert_persons([p for _, p in people], reps, now)
        for i, p in people:
            pid = person_ids[p.id_number]
            results[i] = ItemResult(person_outcomes[p.id_number], pid, subject_id=pid)

        org_ids, org_outcomes = identities.upsert_organizations([o for _, o in orgs], person_ids, now)
        changed = self._write_responsible_persons(orgs, held, person_ids, org_ids, results, now)
        for i, o in orgs:
            oid = org_ids[o.credit_code]
            outcome = org_outcomes[o.credit_code]
            if outcome is WriteOutcome.UNCHANGED and oid in changed:
                outcome = WriteOutcome.UPDATED  # the organisation's responsible persons changed
            results[i] = ItemResult(outcome, oid, subject_id=oid)

        records = [(i, it) for i, it in enumerate(items) if isinstance(it, RecordInput)]
        entries = [(i, it) for i, it in enumerate(items) if isinstance(it, ListEntryInput)]
        refs = [r.subject for _, r in records] + [e.subject for _, e in entries]
        subject_ids = identities.resolve_refs(refs, person_ids, org_ids)
        record_ids = self._upsert_records(records, subject_ids, results, now)
        self._upsert_list_entries(entries, subject_ids, record_ids, results)
        return [
            r if r is not None else ItemResult(WriteOutcome.REJECTED, reason="not processed") for r in results
        ]

    def _write_responsible_persons(
        self,
        orgs: Sequence[tuple[int, OrganizationInput]],
        held: Sequence[tuple[int, ResponsibilitiesInput]],
        person_ids: Mapping[str, str],
        org_ids: Mapping[str, str],
        results: list[ItemResult | None],
        now: datetime,
    ) -> set[str]:
        """The holdings of the organisation lines and of ``ResponsibilitiesInput`` items (whose
        organisation must be known: rejected otherwise, as a record of an unknown subject is).
        Returns the ids of organisations whose holdings changed."""
        found = self.identities.find_organizations(
            {h.credit_code for _, h in held if h.credit_code not in org_ids}
        )
        known = dict(org_ids) | {code: org.subject_id for code, org in found.items()}
        holdings: list[Holding] = []
        representatives: dict[str, str] = {}
        for _, o in orgs:
            oid = org_ids[o.credit_code]
            if o.legal_representative is not None:
                representatives[oid] = person_ids[o.legal_representative.id_number]
            holdings += [
                Holding(oid, person_ids[r.person.id_number], r.role, r.since, r.until)
                for r in o.responsible_persons
            ]
        for i, h in held:
            oid = known.get(h.credit_code)
            if oid is None:
                results[i] = ItemResult(WriteOutcome.REJECTED, field="subject", reason="unknown subject")
                continue
            holdings += [
                Holding(oid, person_ids[r.person.id_number], r.role, r.since, r.until) for r in h.persons
            ]
        changed = write_holdings(
            self.session,
            holdings,
            representatives=representatives,
            today=today_in_china(now),
            new_id=self.new_id,
        )
        for i, h in held:
            if results[i] is None:
                oid = known[h.credit_code]
                outcome = WriteOutcome.UPDATED if oid in changed else WriteOutcome.UNCHANGED
                results[i] = ItemResult(outcome, oid, subject_id=oid)
        return changed

    def find_persons(self, id_numbers: Iterable[str]) -> dict[str, Person]:
        """Existing persons by (normalised) identity number (``Identities.find_persons``)."""
        return self.identities.find_persons(id_numbers)

    def find_organizations(self, codes: Iterable[str]) -> dict[str, Organization]:
        """Existing organisations by credit code (``Identities.find_organizations``)."""
        return self.identities.find_organizations(codes)

    def organization_code(self, org: Organization) -> str:
        return self.identities.organization_code(org)

    def supersede(self, rec: CreditRecord, values: dict[str, Any], *, reason: str, now: datetime) -> None:
        """Keep the current version of ``rec`` in the history, then apply ``values`` as the next one."""
        record_versions.supersede(self.session, rec, values, reason=reason, now=now)

    def correct(self, rec: CreditRecord, record: RecordInput, *, reason: str, now: datetime) -> int:
        """Replace ``rec``'s fields by ``record``'s (same key and subject) as its next version, keeping
        the old one; receipt time and deadline compliance stay those of the original submission, and a
        correction that makes it serious reaches the legal representative. Returns the new version."""
        id_number = self.identities.id_number_of(rec.subject_id)
        owner = free_text.owners(self.session, self.cipher, [rec.subject_id])[rec.subject_id]
        values = self._record_values(
            record, rec.id, rec.subject_id, owner, as_utc(rec.received_at), id_number
        )
        version = rec.version + 1
        self.supersede(rec, values, reason=reason, now=now)
        record_versions.link_legal_representatives(self.session, [{"id": rec.id, **values}])
        return version

    # --- records ---------------------------------------------------------------------------------

    def _record_values(
        self,
        r: RecordInput,
        record_id: str,
        subject_id: str,
        owner: free_text.TextOwner,
        now: datetime,
        id_number: str | None,
    ) -> dict[str, Any]:
        """The record's stored columns; the content hash is over the whole content, which is then
        stored masked and encrypted when it concerns a natural person (``gateway.store.free_text``).
        ``id_number`` is the subject's when a person (whether the act was a minor's is decided here,
        once, from its birth date: ``gateway.lifecycle.rules.minors``)."""
        received = r.received_at or now
        values: dict[str, Any] = {"subject_id": subject_id}
        values.update((name, getattr(r, name)) for name in RECORD_COLUMNS)
        values["content_hash"] = content_hash(values)
        values["changed_by"] = self.actor  # after the hash: who wrote it is no part of the content
        values.update(self._sealed(owner, r.content, table="credit_records", column="content", row=record_id))
        values["received_at"] = received
        values["received_within_deadline"] = self._within_deadline(r.decision_date, received.date())
        values["personal_traits_flagged"] = bool(
            find_personal_traits(" ".join(filter(None, (r.content, r.legal_basis))))
        )
        values["committed_as_minor"] = acted_as_minor(
            id_number, act_date=r.act_date, decision_date=r.decision_date
        )
        return values

    def _sealed(
        self, owner: free_text.TextOwner, text: str, *, table: str, column: str, row: str
    ) -> dict[str, Any]:
        """A free text's stored columns with the row's ``key_version`` (null when kept in clear)."""
        version = self.cipher.current_version
        values = free_text.sealed(
            self.cipher, owner, text, table=table, column=column, row=row, version=version
        )
        values["key_version"] = None if values[f"{column}_enc"] is None else version
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
            for chunk in chunks(sorted(numbers)):
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
        owners = free_text.owners(self.session, self.cipher, subject_ids.values()) if records else {}
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
            rid = self.new_id() if rec is None else rec.id
            # A resubmission keeps the time the record was first received, and so its deadline flag.
            received = now if rec is None else as_utc(rec.received_at)
            values = self._record_values(
                r, rid, sid, owners.get(sid, free_text.NOBODY), received, r.subject.id_number
            )
            if rec is None:
                ids[key] = rid
                new_rows.append({"id": rid, "version": 1, **values})
                results[i] = ItemResult(WriteOutcome.CREATED, rid, subject_id=sid)
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
                results[i] = ItemResult(WriteOutcome.UPDATED, rec.id, subject_id=sid)
        self._insert(CreditRecord, new_rows)
        record_versions.link_legal_representatives(self.session, new_rows + updated_rows)
        return ids

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
        entry_subjects = {subject_ids[e.subject] for _, e in entries if e.subject in subject_ids}
        existing_entries = self._find_list_entries(entry_subjects)
        owners = free_text.owners(self.session, self.cipher, entry_subjects) if entries else {}
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
            eid = self.new_id() if existing is None else existing.id
            reason = self._sealed(
                owners.get(sid, free_text.NOBODY), e.reason, table="list_entries", column="reason", row=eid
            )
            if existing is not None:
                same = free_text.whole(self.cipher, existing, "reason") == e.reason and all(
                    getattr(existing, k) == v for k, v in values.items() if k != "reason"
                )
                if same:
                    results[i] = ItemResult(WriteOutcome.UNCHANGED, existing.id)
                else:
                    self.session.execute(
                        update(ListEntry).where(ListEntry.id == existing.id).values(**(values | reason))
                    )
                    results[i] = ItemResult(WriteOutcome.UPDATED, existing.id, subject_id=sid)
                continue
            new_entries.append(
                {
                    "id": eid,
                    "subject_id": sid,
                    "kind": e.kind,
                    "list_name": e.list_name,
                    "authority_code": e.authority_code,
                    "listed_on": e.listed_on,
                    **values,
                    **reason,
                }
            )
            new_links.extend(
                {"list_entry_id": eid, "record_id": record_ids[k]} for k in dict.fromkeys(e.records)
            )
            results[i] = ItemResult(WriteOutcome.CREATED, eid, subject_id=sid)
        self._insert(ListEntry, new_entries)
        self._insert(ListEntryRecord, new_links)

    def _find_list_entries(self, subject_ids: set[str]) -> dict[tuple[Any, ...], ListEntry]:
        """Existing entries of these subjects by their unique key, in one query per chunk."""
        found: dict[tuple[Any, ...], ListEntry] = {}
        for chunk in chunks(sorted(subject_ids)):
            for entry in self.session.scalars(select(ListEntry).where(ListEntry.subject_id.in_(chunk))):
                key = (entry.authority_code, entry.subject_id, entry.kind, entry.list_name, entry.listed_on)
                found[key] = entry
        return found

    # --- helpers ---------------------------------------------------------------------------------

    def _insert(self, model: type[Any], rows: list[dict[str, Any]]) -> None:
        insert_rows(self.session, model, rows)
