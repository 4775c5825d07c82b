"""An enterprise's whole own record, as it reads it free of charge (002 二(二)4): one service for every
door that shows an organisation its own record (``myOrganization`` shows the same rows through the
GraphQL types; a report of its own record reads them here).

Nothing is decided here: which organisation the caller is comes from ``gateway.access.own``, the
policy subjects and row level from ``gateway.access.subjects.reading`` (``self:organization``, the
query callers' rows), which records show from ``gateway.access.visibility``; fields are then whole,
masked or denied by the field policy under ``reading.policy_subjects``, as the guard decides them.
The filings are those about the organisation's records, whoever filed them (itself, its legal
representative, an agency acting for it), as ``objections``, ``repairApplications`` and
``listObjections`` list them for the enterprise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from gateway.access.own import own_organization
from gateway.access.subjects import Reading, reading
from gateway.access.tokens import Caller
from gateway.access.visibility import visible_list_entries, visible_records
from gateway.errors import NotFound
from gateway.keys.crypto import FieldCipher
from gateway.lifecycle.list_objections import list_list_objections
from gateway.lifecycle.objections import list_objections
from gateway.lifecycle.repairs import list_applications
from gateway.lifecycle.rules.periods import DisplayPeriods
from gateway.store import reads
from gateway.store.models import CreditRecord, ListEntry, ListObjection, Objection, RepairApplication
from gateway.store.reads import OrganizationView


@dataclass(frozen=True, slots=True)
class OwnOrganizationRecord:
    """The rows of an organisation's own record and how they are read; fields still go through the
    field policy under ``reading.policy_subjects`` (its legal representative stays masked)."""

    organization: OrganizationView
    reading: Reading
    records: tuple[CreditRecord, ...]  # newest decision first
    list_entries: tuple[ListEntry, ...]  # in every state
    objections: tuple[Objection, ...]  # newest first, at most the lists' limit (500)
    list_objections: tuple[ListObjection, ...]
    repair_applications: tuple[RepairApplication, ...]


def own_organization_record(
    session: Session, cipher: FieldCipher, caller: Caller, *, today: date, periods: DisplayPeriods
) -> OwnOrganizationRecord:
    """The calling enterprise's own record on ``today`` (China Standard Time). NotFound when the
    token's credit code names no organisation of the store, as ``myOrganization`` answers."""
    view = own_organization(session, cipher, caller)
    if view is None:
        raise NotFound("no organisation with this token's credit code is in the store")
    read = reading(caller, own_record=True)
    subject = view.subject_id
    records = visible_records(
        reads.records_of(session, [subject]).get(subject, []),
        viewer=read.viewer,
        subject_kinds={subject: view.kind},
        today=today,
        periods=periods,
    )
    entries = visible_list_entries(
        reads.list_entries_of(session, [subject]).get(subject, []), viewer=read.viewer
    )
    return OwnOrganizationRecord(
        organization=view,
        reading=read,
        records=tuple(records),
        list_entries=tuple(entries),
        objections=tuple(list_objections(session, subject_id=subject)),
        list_objections=tuple(list_list_objections(session, subject_id=subject)),
        repair_applications=tuple(list_applications(session, subject_id=subject)),
    )
