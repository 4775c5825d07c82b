"""The published red and black lists: entries in force, newest first, a keyset page at a time.

Organisations' entries are published by their listing authorities (002 二(三)2), as they are on an
organisation's own page. A natural person's entry is published only as ``gateway.access.disclosure``
says (a black-list entry of a category the policy names, justified by a record in force), with the
name and the masked identity number; any other entry of a person is never read out of this list.

Filters: the list (red or black), a category of the justifying records, the region of the listing
authority (the administrative division code in characters 3-8 of its credit code, GB 32100: 2, 4 or
6 digits for a province, city or county), and a range of listing dates. The order is the listing date,
newest first, then the entry id; a cursor (``gateway.store.keyset``) holds both. The SQL narrows a
person's entries to those with a record of a named category not revoked or repaired; the display
period of that record is decided per row afterwards, reading further rows until the page is full.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from gateway.access.disclosure import DisclosureRules, public_identifier, public_reason
from gateway.access.visibility import HIDDEN_FROM_QUERIES, in_force
from gateway.domain import Category, ListKind, ListStatus, SubjectKind
from gateway.errors import InvalidInput
from gateway.keys.crypto import FieldCipher
from gateway.lifecycle.rules.periods import DisplayPeriods
from gateway.store import reads
from gateway.store.keyset import After
from gateway.store.models import CreditRecord, ListEntry, ListEntryRecord, Organization, Subject

_REGION_LENGTHS = (2, 4, 6)
_BATCH = 200  # rows read per round while filling a page whose rows the display period may drop


@dataclass(frozen=True, slots=True)
class ListFilter:
    kind: ListKind | None = None
    category: Category | None = None
    region: str | None = None
    listed_from: date | None = None
    listed_to: date | None = None

    def validated(self) -> ListFilter:
        if self.region is not None and not (
            self.region.isascii() and self.region.isdigit() and len(self.region) in _REGION_LENGTHS
        ):
            raise InvalidInput("region", "a division code of 2, 4 or 6 digits (province, city, county)")
        if self.listed_from and self.listed_to and self.listed_to < self.listed_from:
            raise InvalidInput("listedTo", "must not be before listedFrom")
        return self


@dataclass(frozen=True, slots=True)
class PublishedEntry:
    """One published entry, with its subject shown as the public may see it."""

    entry: ListEntry
    subject_kind: SubjectKind
    name: str
    identifier: str  # masked identity number, or credit code as the public sees it
    reason: str | None
    categories: list[Category]


def cursor_of(item: PublishedEntry) -> tuple[datetime, str]:
    """The keyset position of an entry: its listing date (as midnight UTC) and id."""
    return datetime.combine(item.entry.listed_on, time(), tzinfo=UTC), item.entry.id


def _justified_by(condition: Any) -> Any:
    return exists().where(
        ListEntryRecord.list_entry_id == ListEntry.id,
        CreditRecord.id == ListEntryRecord.record_id,
        condition,
    )


def _statement(f: ListFilter, rules: DisclosureRules, after: After | None) -> Any:
    person_published = and_(
        ListEntry.kind == ListKind.BLACK,
        _justified_by(
            and_(
                CreditRecord.category.in_(sorted(rules.person_categories)),
                CreditRecord.committed_as_minor.is_(False),  # a minor's act is never published
                CreditRecord.status.not_in(sorted(HIDDEN_FROM_QUERIES)),
            )
        ),
    )
    stmt = (
        select(ListEntry, Subject.kind)
        .join(Subject, Subject.id == ListEntry.subject_id)
        .where(
            ListEntry.status == ListStatus.LISTED,
            or_(Subject.kind != SubjectKind.PERSON, person_published),
        )
        .order_by(ListEntry.listed_on.desc(), ListEntry.id)
    )
    if f.kind is not None:
        stmt = stmt.where(ListEntry.kind == f.kind)
    if f.category is not None:
        stmt = stmt.where(_justified_by(CreditRecord.category == f.category))
        if f.category not in rules.person_categories:  # a person's other records are not public
            stmt = stmt.where(Subject.kind != SubjectKind.PERSON)
    if f.region is not None:
        stmt = stmt.where(func.substr(ListEntry.authority_code, 3, len(f.region)) == f.region)
    if f.listed_from is not None:
        stmt = stmt.where(ListEntry.listed_on >= f.listed_from)
    if f.listed_to is not None:
        stmt = stmt.where(ListEntry.listed_on <= f.listed_to)
    if after is not None:
        day = after.at.date()
        stmt = stmt.where(
            or_(ListEntry.listed_on < day, and_(ListEntry.listed_on == day, ListEntry.id > after.id))
        )
    return stmt


def published_page(
    session: Session,
    cipher: FieldCipher,
    *,
    rules: DisclosureRules,
    periods: DisplayPeriods,
    today: date,
    f: ListFilter,
    after: After | None,
    limit: int,
) -> list[PublishedEntry]:
    """Up to ``limit`` published entries after ``after``."""
    f = f.validated()
    shown: list[PublishedEntry] = []
    position = after
    while len(shown) < limit:
        rows = session.execute(_statement(f, rules, position).limit(_BATCH)).all()
        if not rows:
            break
        shown.extend(_published(session, cipher, rows, rules=rules, periods=periods, today=today))
        last: ListEntry = rows[-1][0]
        position = After(datetime.combine(last.listed_on, time(), tzinfo=UTC), last.id)
        if len(rows) < _BATCH:
            break
    return shown[:limit]


def _published(
    session: Session,
    cipher: FieldCipher,
    rows: Sequence[Any],
    *,
    rules: DisclosureRules,
    periods: DisplayPeriods,
    today: date,
) -> list[PublishedEntry]:
    entries = [(row[0], row[1]) for row in rows]
    records = reads.records_justifying(session, [e.id for e, _ in entries])
    people = {e.subject_id for e, kind in entries if kind is SubjectKind.PERSON}
    organisations = {e.subject_id for e, kind in entries if kind is not SubjectKind.PERSON}
    persons = reads.persons_by_id(session, cipher, people)
    orgs = {
        o.subject_id: o
        for o in session.scalars(select(Organization).where(Organization.subject_id.in_(sorted(organisations))))
    } if organisations else {}  # fmt: skip
    published = []
    for entry, kind in entries:
        justifying = [r for r in records.get(entry.id, []) if in_force(r, today=today, periods=periods)]
        if kind is SubjectKind.PERSON:
            person = persons.get(entry.subject_id)
            if person is None or not rules.publishes_person_entry(
                entry, justifying, today=today, periods=periods
            ):
                continue
            name, identifier = person.name, person.id_number
            justifying = [r for r in justifying if rules.publishes_record(r)]
        else:
            org = orgs.get(entry.subject_id)
            if org is None:
                continue
            name, identifier = org.name, reads.organization_code(cipher, org)
        published.append(
            PublishedEntry(
                entry=entry,
                subject_kind=kind,
                name=name,
                identifier=public_identifier(kind, identifier),
                reason=public_reason(kind, entry.reason),
                categories=sorted({r.category for r in justifying}),
            )
        )
    return published
