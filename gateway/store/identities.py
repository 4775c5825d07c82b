"""Persons and organisations by identity: found through blind indexes, created or updated per batch.

A person is filed under the blind index of their identity number (and phone), an individual
business under that of its credit code; the clear values are stored only encrypted. A truncated
index is shared by several values, so every candidate a lookup finds is decrypted and kept only if
its value is one of those asked for. The store writer (``gateway.store.writer``) hands each batch's
persons, organisations and subject references here before it writes records and list entries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.domain import OrgForm, SubjectKind
from gateway.keys.crypto import FieldCipher
from gateway.store import free_text, reads
from gateway.store.bulk_insert import insert_rows
from gateway.store.fields import encrypted
from gateway.store.inputs import OrganizationInput, PersonInput, SubjectRef
from gateway.store.models import Organization, Person, Subject
from gateway.store.write_outcomes import WriteOutcome, chunks

PERSON_FIELDS = encrypted("Person")
_PERSON_COLUMNS = tuple((field, f"{field}_enc") for field in PERSON_FIELDS)


class Identities:
    """Identity lookups and upserts for one writer: one instance per transaction.

    Blind indexes are computed once per value and batch (lookup and insert both need them);
    ``start_batch`` forgets them, and takes indexes computed ahead when they are this cipher's."""

    def __init__(self, session: Session, cipher: FieldCipher, *, new_id: Callable[[], str]) -> None:
        self.session = session
        self.cipher = cipher
        self.new_id = new_id
        self._blind_memo: dict[tuple[str, str], bytes] = {}

    def start_batch(self, blind_indexes: Mapping[tuple[str, str], bytes] | None) -> None:
        """Forget the last batch's indexes. ``blind_indexes``, by (kind, normalised value), are
        indexes computed ahead (seeding computes them in the process that draws the batches); they are
        used only if one of them, checked here, is what this cipher gives: indexes under another key
        would file people where no lookup finds them."""
        self._blind_memo.clear()
        if blind_indexes:
            (kind, value), index = next(iter(blind_indexes.items()))
            if self.cipher.blind_index(kind, value) == index:
                self._blind_memo.update(blind_indexes)

    def _blind(self, kind: str, value: str) -> bytes:
        key = (kind, value)
        index = self._blind_memo.get(key)
        if index is None:
            index = self._blind_memo[key] = self.cipher.blind_index(kind, value)
        return index

    def _lookup_indexes(self, kind: str, values: Iterable[str]) -> list[bytes]:
        """The indexes a lookup asks for: under the current key and, while an index rotation runs,
        under the previous one too, or a row not yet recomputed would be taken for a new person."""
        found: set[bytes] = set()
        for value in values:
            current = self._blind(kind, value)
            found.add(current)
            found.update(self.cipher.previous_blind_indexes(kind, value, current))
        return sorted(found)

    # --- persons ---------------------------------------------------------------------------------

    def find_persons(self, id_numbers: Iterable[str]) -> dict[str, Person]:
        """Existing persons by (normalised) identity number, via the blind index.

        A truncated index is shared by several numbers, in the database and in one batch alike:
        every candidate is decrypted and kept if its number is one of those asked for."""
        wanted = set(id_numbers)
        indexes = self._lookup_indexes("id_number", wanted)
        found: dict[str, Person] = {}
        for chunk in chunks(indexes):
            for person in self.session.scalars(select(Person).where(Person.id_number_bidx.in_(chunk))):
                number = self._decrypt_person(person, "id_number")
                if number in wanted:
                    found[number] = person
        return found

    def id_number_of(self, subject_id: str) -> str | None:
        """The identity number of the person with this subject id; None for any other subject."""
        person = self.session.get(Person, subject_id)
        return None if person is None else self._decrypt_person(person, "id_number")

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
        values["index_version"] = self.cipher.index_version
        return values

    def upsert_persons(
        self, people: Sequence[PersonInput], reps: Sequence[PersonInput], now: datetime
    ) -> tuple[dict[str, str], dict[str, WriteOutcome]]:
        """Subject ids by identity number of ``people`` and of the legal representatives ``reps``
        (created when new, never updated), and the outcome of each of ``people``."""
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
        insert_rows(self.session, Subject, new_subjects)
        insert_rows(self.session, Person, new_persons)
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
        for chunk in chunks(codes):
            for org in self.session.scalars(select(Organization).where(Organization.credit_code.in_(chunk))):
                assert org.credit_code is not None
                found[org.credit_code] = org
        wanted = {c for c in codes if c not in found}
        indexes = self._lookup_indexes("credit_code", wanted)
        for chunk in chunks(indexes):
            stmt = select(Organization).where(Organization.credit_code_bidx.in_(chunk))
            for org in self.session.scalars(stmt):
                code = self.organization_code(org)
                if code in wanted:
                    found[code] = org
        return found

    def organization_code(self, org: Organization) -> str:
        return reads.organization_code(self.cipher, org)

    def _org_values(
        self, subject_id: str, o: OrganizationInput, rep_id: str | None, owner: free_text.TextOwner
    ) -> dict[str, Any]:
        values: dict[str, Any] = {
            "form": o.form,
            "name": o.name,
            "name_enc": None,
            "registered_address": o.registered_address,
            "legal_representative_id": rep_id,
            "agency_kind": o.agency_kind,
            "credit_code": None,
            "key_version": None,
            "credit_code_enc": None,
            "credit_code_bidx": None,
            "index_version": None,
        }
        if o.form is OrgForm.INDIVIDUAL_BUSINESS:
            # The code of a business run by one person identifies that person: encrypt it.
            values["key_version"] = self.cipher.current_version
            values["credit_code_enc"] = self.cipher.encrypt(
                o.credit_code, table="organizations", column="credit_code_enc", row=subject_id
            )
            values["credit_code_bidx"] = self._blind("credit_code", o.credit_code)
            values["index_version"] = self.cipher.index_version
            # Its trade name may be its owner's name: masked in clear, whole encrypted.
            values.update(
                free_text.sealed(
                    self.cipher,
                    replace(owner, personal=True),
                    o.name,
                    table="organizations",
                    column="name",
                    row=subject_id,
                    version=values["key_version"],
                )
            )
        else:
            values["credit_code"] = o.credit_code
        return values

    def upsert_organizations(
        self, orgs: Sequence[OrganizationInput], person_ids: Mapping[str, str], now: datetime
    ) -> tuple[dict[str, str], dict[str, WriteOutcome]]:
        """Subject ids and outcomes by credit code; ``person_ids`` holds every legal representative's."""
        latest = {o.credit_code: o for o in orgs}
        existing = self.find_organizations(latest)
        ids = {code: org.subject_id for code, org in existing.items()}
        owners = self._owners(latest.values(), existing, person_ids)
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
                new_orgs.append({"subject_id": sid, **self._org_values(sid, o, rep_id, owners[code])})
                outcomes[code] = WriteOutcome.CREATED
                continue
            rep_id = rep_id or org.legal_representative_id
            same = (
                free_text.whole(self.cipher, org, "name") == o.name
                and org.form == o.form
                and org.registered_address == (o.registered_address or org.registered_address)
                and org.legal_representative_id == rep_id
                and org.agency_kind == o.agency_kind
            )
            if same:
                outcomes[code] = WriteOutcome.UNCHANGED
                continue
            values = self._org_values(org.subject_id, o, rep_id, owners[code])
            values["registered_address"] = o.registered_address or org.registered_address
            self.session.execute(
                update(Organization).where(Organization.subject_id == org.subject_id).values(**values)
            )
            outcomes[code] = WriteOutcome.UPDATED
        insert_rows(self.session, Subject, new_subjects)
        insert_rows(self.session, Organization, new_orgs)
        return ids, outcomes

    def _owners(
        self,
        orgs: Iterable[OrganizationInput],
        existing: Mapping[str, Organization],
        person_ids: Mapping[str, str],
    ) -> dict[str, free_text.TextOwner]:
        """Whose names an individual business's trade name may hold: its legal representative's (the
        one given, else the one stored), read after this batch's persons were written."""
        reps: dict[str, str] = {}
        for o in orgs:
            if o.form is not OrgForm.INDIVIDUAL_BUSINESS:
                continue
            rep = person_ids[o.legal_representative.id_number] if o.legal_representative else None
            org = existing.get(o.credit_code)
            rep = rep or (org.legal_representative_id if org is not None else None)
            if rep is not None:
                reps[o.credit_code] = rep
        people = free_text.owners(self.session, self.cipher, reps.values()) if reps else {}
        return {o.credit_code: people.get(reps.get(o.credit_code, ""), free_text.NOBODY) for o in orgs}

    # --- references ------------------------------------------------------------------------------

    def resolve_refs(
        self, refs: Sequence[SubjectRef], person_ids: Mapping[str, str], org_ids: Mapping[str, str]
    ) -> dict[SubjectRef, str]:
        """Subject ids of ``refs``: from this batch's ids, else looked up; unknown subjects are left out."""
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


def _merge_person(old: PersonInput | None, new: PersonInput) -> PersonInput:
    """Two lines for the same person in one batch: later non-empty fields win."""
    if old is None:
        return new
    return PersonInput(**{f: getattr(new, f) or getattr(old, f) for f in PERSON_FIELDS})  # type: ignore[arg-type]
