"""What reaches a person from the organisations they answer for: their holdings
(``responsible_persons``) with each organisation's list entries and records, through
``gateway.lifecycle.rules.responsibility``. Checks, grades and the person's own view read it.

An individual business's credit code identifies the person who runs it, so the reason names such a
business by its masked code, as the public sees it; other codes are public and named whole.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.access.masking import mask_credit_code
from gateway.keys.crypto import FieldCipher
from gateway.lifecycle.rules.checks import Listing
from gateway.lifecycle.rules.loading import LifecycleRules
from gateway.lifecycle.rules.responsibility import Holding, Reach, reaches
from gateway.store import reads
from gateway.store.models import Organization, ResponsiblePerson


def holdings_of(session: Session, cipher: FieldCipher, person_id: str) -> list[Holding]:
    """The person's holdings, oldest first, each with its organisation's rows (loaded once per
    organisation, whatever the number of roles the person holds in it)."""
    rows = session.scalars(
        select(ResponsiblePerson)
        .where(ResponsiblePerson.person_id == person_id)
        .order_by(ResponsiblePerson.since, ResponsiblePerson.id)
    ).all()
    if not rows:
        return []
    org_ids = sorted({r.organization_id for r in rows})
    orgs = {
        o.subject_id: o
        for o in session.scalars(select(Organization).where(Organization.subject_id.in_(org_ids)))
    }
    entries = reads.list_entries_of(session, org_ids)
    justifying = reads.records_justifying(session, [e.id for es in entries.values() for e in es])
    listings = {
        oid: tuple(Listing(e, tuple(justifying.get(e.id, ()))) for e in entries.get(oid, []))
        for oid in org_ids
    }
    records = reads.records_of(session, org_ids)
    return [
        Holding(
            role=r.role,
            since=r.since,
            until=r.until,
            organization_id=r.organization_id,
            organization_code=_shown_code(cipher, orgs[r.organization_id]),
            listings=listings[r.organization_id],
            records=tuple(records.get(r.organization_id, ())),
        )
        for r in rows
        if r.organization_id in orgs
    ]


def _shown_code(cipher: FieldCipher, org: Organization) -> str:
    if org.credit_code is not None:
        return org.credit_code
    return mask_credit_code(reads.organization_code(cipher, org))


def reaches_of(
    session: Session, cipher: FieldCipher, person_id: str, *, rules: LifecycleRules, today: date
) -> tuple[Reach, ...]:
    """Every black listing and serious dishonesty reaching the person today, with its reason."""
    return reaches(
        holdings_of(session, cipher, person_id),
        today=today,
        periods=rules.periods,
        rules=rules.responsibility,
    )
