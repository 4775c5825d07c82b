"""GraphQL types of the credit store. Every field of a subject type is guarded by the policy.

Each object carries the policy subjects it is read under (``policy_subjects``): the caller's roles,
plus ``self`` for an individual's own record, plus ``consent:<scope>`` for a consented lookup. Children
inherit them, so a consented person's records are read under the same consent.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from gateway.access.subjects import SELF, viewer_for
from gateway.access.visibility import Viewer, visible_list_entries, visible_records
from gateway.api.audit.history_types import QueryHistory, query_history
from gateway.api.catalogue_fields import catalogue_fields
from gateway.api.context import RequestContext
from gateway.api.guard import Guard
from gateway.domain import (
    AgencyKind,
    Category,
    ConsentPurpose,
    ConsentScope,
    ConsentStatus,
    ListKind,
    ListStatus,
    OrgForm,
    Procedure,
    RecordStatus,
    Severity,
    SubjectKind,
)
from gateway.lifecycle.responsibilities import reaches_of
from gateway.lifecycle.rules.checks import Listing, basis_lapsed
from gateway.lifecycle.rules.periods import today_in_china
from gateway.store import reads
from gateway.store.models import Consent as ConsentRow
from gateway.store.models import CreditRecord as RecordRow
from gateway.store.models import ListEntry as ListEntryRow

if TYPE_CHECKING:
    from gateway.api.responsibility_types import ResponsibilityReach

for _enum in (
    AgencyKind, Category, ConsentPurpose, ConsentScope, ConsentStatus, ListKind, ListStatus, OrgForm,
    Procedure, RecordStatus, Severity, SubjectKind,
):  # fmt: skip
    strawberry.enum(_enum)

Subjects = frozenset[str]


def _guarded() -> list[Guard]:
    return [Guard()]


@strawberry.type(description="One decision or fact about a subject, as its issuing authority recorded it.")
@catalogue_fields("CreditRecord", source="row")
class CreditRecord:
    """The stored fields are the catalogue's, generated (``gateway.api.catalogue_fields``); written
    out here are the fields computed when served."""

    row: strawberry.Private[RecordRow]
    policy_subjects: strawberry.Private[Subjects]

    @strawberry.field(extensions=_guarded())
    def display_until(self, info: Info) -> date | None:
        ctx: RequestContext = info.context
        return ctx.services.lifecycle.periods.window(self.row).last_shown

    @strawberry.field(extensions=_guarded())
    def repairable_from(self, info: Info) -> date | None:
        ctx: RequestContext = info.context
        return ctx.services.lifecycle.periods.window(self.row).repairable_from


def _records(info: Info, rows: list[RecordRow], subjects: Subjects, viewer: Viewer) -> list[CreditRecord]:
    ctx: RequestContext = info.context
    kinds = ctx.loaders.kinds_of(r.subject_id for r in rows) if viewer is Viewer.PUBLIC else {}
    visible = visible_records(
        rows,
        viewer=viewer,
        subject_kinds=kinds,
        today=today_in_china(ctx.now),
        periods=ctx.services.lifecycle.periods,
    )
    return [CreditRecord(row=r, policy_subjects=subjects) for r in visible]


@strawberry.type(description="An entry on a red (trust-keeping) or black (serious dishonesty) list.")
@catalogue_fields("ListEntry", source="row")
class ListEntry:
    """The stored fields are the catalogue's, generated; written out here is the relation."""

    row: strawberry.Private[ListEntryRow]
    policy_subjects: strawberry.Private[Subjects]
    viewer: strawberry.Private[Viewer]

    @strawberry.field(extensions=_guarded())
    def records(self, info: Info) -> list[CreditRecord] | None:
        ctx: RequestContext = info.context
        rows = ctx.loaders.justifying.load(self.row.id)
        return _records(info, rows, self.policy_subjects, self.viewer)

    @strawberry.field(extensions=_guarded())
    def basis_lapsed(self, info: Info) -> bool | None:
        ctx: RequestContext = info.context
        listing = Listing(self.row, tuple(ctx.loaders.justifying.load(self.row.id)))
        return basis_lapsed(listing, today=today_in_china(ctx.now), periods=ctx.services.lifecycle.periods)


def _list_entries(info: Info, subject_id: str, subjects: Subjects, viewer: Viewer) -> list[ListEntry]:
    ctx: RequestContext = info.context
    visible = visible_list_entries(ctx.loaders.list_entries.load(subject_id), viewer=viewer)
    # Each entry may ask for its justifying records: one query for all of them.
    ctx.loaders.justifying.expect(r.id for r in visible)
    return [ListEntry(row=r, policy_subjects=subjects, viewer=viewer) for r in visible]


@strawberry.type(description="A natural person. Identity fields are stored encrypted and shown per policy.")
@catalogue_fields("Person", source="view")
class Person:
    """The identity fields are the catalogue's, generated from the decrypted view; written out here
    are the pseudonymous id and the relations."""

    view: strawberry.Private[reads.PersonView]
    policy_subjects: strawberry.Private[Subjects]
    viewer: strawberry.Private[Viewer]

    @strawberry.field(extensions=_guarded())
    def id(self) -> strawberry.ID | None:
        return strawberry.ID(self.view.subject_id)

    @strawberry.field(extensions=_guarded())
    def records(self, info: Info) -> list[CreditRecord] | None:
        ctx: RequestContext = info.context
        rows = ctx.loaders.records.load(self.view.subject_id)
        return _records(info, rows, self.policy_subjects, self.viewer)

    @strawberry.field(extensions=_guarded())
    def linked_records(self, info: Info) -> list[CreditRecord] | None:
        ctx: RequestContext = info.context
        rows = ctx.loaders.linked_records.load(self.view.subject_id)
        return _records(info, rows, self.policy_subjects, self.viewer)

    @strawberry.field(extensions=_guarded())
    def list_entries(self, info: Info) -> list[ListEntry] | None:
        return _list_entries(info, self.view.subject_id, self.policy_subjects, self.viewer)

    @strawberry.field(extensions=_guarded())
    def responsibilities(
        self, info: Info
    ) -> list[Annotated[ResponsibilityReach, strawberry.lazy("gateway.api.responsibility_types")]] | None:
        from gateway.api.responsibility_types import reach_types  # the type module imports this one

        ctx: RequestContext = info.context
        reached = reaches_of(
            ctx.session,
            ctx.services.cipher,
            self.view.subject_id,
            rules=ctx.services.lifecycle,
            today=today_in_china(ctx.now),
        )
        return reach_types(reached, self.policy_subjects, self.viewer)

    @strawberry.field(extensions=_guarded())
    def query_history(
        self, info: Info, first: int = 20, after: str | None = None, include_own: bool = False
    ) -> QueryHistory | None:
        return query_history(info.context, self.view, first=first, after=after, include_own=include_own)


@strawberry.type(
    description="An organisation or a government agency, identified by its unified social credit code."
)
@catalogue_fields("Organization", source="view.row")
class Organization:
    """The stored fields are the catalogue's, generated from the row; written out here are those the
    view holds apart (id, kind, the code, decrypted for an individual business) and the relations."""

    view: strawberry.Private[reads.OrganizationView]
    policy_subjects: strawberry.Private[Subjects]
    viewer: strawberry.Private[Viewer]
    # Subjects under which the legal representative (a person) is read: never a consent's scopes.
    person_subjects: strawberry.Private[Subjects]

    @strawberry.field(extensions=_guarded())
    def id(self) -> strawberry.ID | None:
        return strawberry.ID(self.view.subject_id)

    @strawberry.field(extensions=_guarded())
    def kind(self) -> SubjectKind | None:
        return self.view.kind

    @strawberry.field(extensions=_guarded())
    def credit_code(self) -> str | None:
        return self.view.credit_code

    # Written out, though stored, for the published order (agencyKind, then legalRepresentative).
    @strawberry.field(extensions=_guarded())
    def agency_kind(self) -> AgencyKind | None:
        return self.view.row.agency_kind

    @strawberry.field(extensions=_guarded())
    def legal_representative(self, info: Info) -> Person | None:
        rep_id = self.view.row.legal_representative_id
        if rep_id is None:
            return None
        ctx: RequestContext = info.context
        view = reads.persons_by_id(ctx.session, ctx.services.cipher, [rep_id]).get(rep_id)
        if view is None:
            return None
        ctx.subjects_touched.add(rep_id)  # the person was looked at, whatever the policy shows of them
        own = ctx.caller.person_id == rep_id
        subjects = self.person_subjects | ({SELF} if own else set())
        viewer = viewer_for(ctx.caller, own_record=True) if own else self.viewer
        return Person(view=view, policy_subjects=frozenset(subjects), viewer=viewer)

    @strawberry.field(extensions=_guarded())
    def records(self, info: Info) -> list[CreditRecord] | None:
        ctx: RequestContext = info.context
        rows = ctx.loaders.records.load(self.view.subject_id)
        return _records(info, rows, self.policy_subjects, self.viewer)

    @strawberry.field(extensions=_guarded())
    def list_entries(self, info: Info) -> list[ListEntry] | None:
        return _list_entries(info, self.view.subject_id, self.policy_subjects, self.viewer)


@strawberry.type(description="A consent an individual granted; visible to that individual only.")
class Consent:
    row: strawberry.Private[ConsentRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field(description="Credit code of the organisation allowed to use the consent.")
    def grantee(self) -> str:
        return self.row.grantee_code

    @strawberry.field
    def purpose(self) -> ConsentPurpose:
        return self.row.purpose

    @strawberry.field
    def scopes(self) -> list[ConsentScope]:
        return sorted(ConsentScope(s) for s in self.row.scopes.split(",") if s)

    @strawberry.field
    def status(self) -> ConsentStatus:
        return self.row.status

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field
    def expires_at(self) -> datetime:
        return self.row.expires_at

    @strawberry.field
    def max_uses(self) -> int:
        return self.row.max_uses

    @strawberry.field
    def uses(self) -> int:
        return self.row.uses
