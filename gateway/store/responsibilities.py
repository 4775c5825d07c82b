"""Responsible persons of organisations as the writer keeps them: who answers for an organisation in
which role, and when (``responsible_persons``).

An organisation line names them in ``responsiblePersons`` (and its legal representative in
``legalRepresentative``, as the national CSV layouts do); a provider's record submission may name them
for the record's subject (``ResponsibilitiesInput``). A holding is one person in one role from one day
(``since``; unknown when null); naming it again with another ``until`` updates it. The legal
representative an organisation line names without dates is kept as an open holding; when a line names
another one, the previous representative's open holding ends on the day of writing (the day the
change became known). Persons are subjects found or created by blind index (``gateway.store.identities``)
before this module runs; it handles subject ids only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.domain import ResponsibleRole
from gateway.store.bulk_insert import insert_rows
from gateway.store.models import ResponsiblePerson
from gateway.store.write_outcomes import chunks

LEGAL = ResponsibleRole.LEGAL_REPRESENTATIVE


@dataclass(frozen=True, slots=True)
class Holding:
    """One wanted row: a person in a role for an organisation, from ``since`` to ``until``."""

    organization_id: str
    person_id: str
    role: ResponsibleRole
    since: date | None
    until: date | None


def _existing(session: Session, organization_ids: Sequence[str]) -> dict[str, list[ResponsiblePerson]]:
    found: dict[str, list[ResponsiblePerson]] = {}
    for chunk in chunks(sorted(set(organization_ids))):
        stmt = select(ResponsiblePerson).where(ResponsiblePerson.organization_id.in_(chunk))
        for row in session.scalars(stmt):
            found.setdefault(row.organization_id, []).append(row)
    return found


def write_holdings(
    session: Session,
    holdings: Sequence[Holding],
    *,
    representatives: Mapping[str, str],
    today: date,
    new_id: Callable[[], str],
) -> set[str]:
    """Write ``holdings`` and keep each organisation's current legal representative (``representatives``:
    organisation id -> person id, from the organisation lines) as an open holding. Returns the ids of
    the organisations whose holdings changed."""
    existing = _existing(session, [h.organization_id for h in holdings] + list(representatives))
    changed: set[str] = set()
    inserts: dict[str, dict[str, Any]] = {}  # rows new in this batch, by id: inserted at the end

    def rows_of(org: str) -> list[ResponsiblePerson]:
        return existing.setdefault(org, [])

    def apply(h: Holding) -> None:
        same = [r for r in rows_of(h.organization_id) if (r.person_id, r.role) == (h.person_id, h.role)]
        match = next((r for r in same if r.since == h.since), None)
        if match is None and h.since is not None:
            # A holding first known without dates, now dated: the same holding.
            match = next((r for r in same if r.since is None and r.until is None), None)
        if match is None:
            row = ResponsiblePerson(id=new_id(), **_values(h))
            inserts[row.id] = _values(h) | {"id": row.id}
            rows_of(h.organization_id).append(row)
            changed.add(h.organization_id)
        elif (match.since, match.until) != (h.since, h.until):
            _change(match, since=h.since, until=h.until)
            changed.add(h.organization_id)

    def _change(row: ResponsiblePerson, **values: Any) -> None:
        if row.id in inserts:
            inserts[row.id].update(values)
        else:
            session.execute(update(ResponsiblePerson).where(ResponsiblePerson.id == row.id).values(**values))
        for key, value in values.items():
            setattr(row, key, value)

    for h in holdings:
        apply(h)
    for org, person in representatives.items():
        rows = rows_of(org)
        if not any(r.person_id == person and r.role is LEGAL and r.until is None for r in rows):
            apply(Holding(org, person, LEGAL, None, None))
        for r in rows:
            if r.role is LEGAL and r.until is None and r.person_id != person:
                # Another legal representative is named now: the earlier one's holding ends today.
                _change(r, until=today)
                changed.add(org)
    insert_rows(session, ResponsiblePerson, list(inserts.values()))
    return changed


def _values(h: Holding) -> dict[str, Any]:
    return {
        "organization_id": h.organization_id,
        "person_id": h.person_id,
        "role": h.role,
        "since": h.since,
        "until": h.until,
    }
