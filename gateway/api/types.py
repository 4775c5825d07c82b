"""GraphQL types of the credit store. Every field of a subject type is guarded by the policy.

Each object carries the policy subjects it is read under (``policy_subjects``): the caller's roles,
plus ``self`` for an individual's own record, plus ``consent:<scope>`` for a consented lookup. Children
inherit them, so a consented person's records are read under the same consent.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry.types import Info

from gateway.access.subjects import SELF, viewer_for
from gateway.access.visibility import Viewer, visible_list_entries, visible_records
from gateway.api.audit.history_types import QueryHistory, query_history
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
from gateway.lifecycle.rules.periods import today_in_china
from gateway.store import reads
from gateway.store.models import Consent as ConsentRow
from gateway.store.models import CreditRecord as RecordRow
from gateway.store.models import ListEntry as ListEntryRow

for _enum in (
    AgencyKind, Category, ConsentPurpose, ConsentScope, ConsentStatus, ListKind, ListStatus, OrgForm,
    Procedure, RecordStatus, Severity, SubjectKind,
):  # fmt: skip
    strawberry.enum(_enum)

Subjects = frozenset[str]


def _guarded() -> list[Guard]:
    return [Guard()]


@strawberry.type(description="One decision or fact about a subject, as its issuing authority recorded it.")
class CreditRecord:
    row: strawberry.Private[RecordRow]
    policy_subjects: strawberry.Private[Subjects]

    @strawberry.field(extensions=_guarded())
    def id(self) -> strawberry.ID | None:
        return strawberry.ID(self.row.id)

    @strawberry.field(extensions=_guarded())
    def category(self) -> Category | None:
        return self.row.category

    @strawberry.field(extensions=_guarded())
    def document_number(self) -> str | None:
        return self.row.document_number

    @strawberry.field(extensions=_guarded())
    def authority_code(self) -> str | None:
        return self.row.authority_code

    @strawberry.field(extensions=_guarded())
    def authority_name(self) -> str | None:
        return self.row.authority_name

    @strawberry.field(extensions=_guarded())
    def decision_date(self) -> date | None:
        return self.row.decision_date

    @strawberry.field(extensions=_guarded())
    def content(self) -> str | None:
        return self.row.content

    @strawberry.field(extensions=_guarded())
    def legal_basis(self) -> str | None:
        return self.row.legal_basis

    @strawberry.field(extensions=_guarded())
    def severity(self) -> Severity | None:
        return self.row.severity

    @strawberry.field(extensions=_guarded())
    def procedure(self) -> Procedure | None:
        return self.row.procedure

    @strawberry.field(extensions=_guarded())
    def status(self) -> RecordStatus | None:
        return self.row.status

    @strawberry.field(extensions=_guarded(), description="For credit commitments: whether it was kept.")
    def kept(self) -> bool | None:
        return self.row.kept

    @strawberry.field(extensions=_guarded())
    def penalty_kinds(self) -> str | None:
        return self.row.penalty_kinds

    @strawberry.field(
        name="amount10kYuan", extensions=_guarded(), description="Amount in units of 10,000 yuan."
    )
    def amount_10k_yuan(self) -> Decimal | None:
        return self.row.amount_10k_yuan

    @strawberry.field(extensions=_guarded())
    def valid_until(self) -> date | None:
        return self.row.valid_until

    @strawberry.field(extensions=_guarded())
    def publication_until(self) -> date | None:
        return self.row.publication_until

    @strawberry.field(
        extensions=_guarded(),
        description="Last day the record is shown and used (its display period, 展示期限); null: no end.",
    )
    def display_until(self, info: Info) -> date | None:
        ctx: RequestContext = info.context
        return ctx.services.lifecycle.periods.window(self.row).last_shown

    @strawberry.field(
        extensions=_guarded(),
        description="First day a repair (信用修复) may be applied for; null: not a dishonesty record.",
    )
    def repairable_from(self, info: Info) -> date | None:
        ctx: RequestContext = info.context
        return ctx.services.lifecycle.periods.window(self.row).repairable_from

    @strawberry.field(extensions=_guarded())
    def provider_code(self) -> str | None:
        return self.row.provider_code

    @strawberry.field(extensions=_guarded())
    def received_at(self) -> datetime | None:
        return self.row.received_at

    @strawberry.field(extensions=_guarded(), description="Received within 7 working days of the decision.")
    def received_within_deadline(self) -> bool | None:
        return self.row.received_within_deadline

    @strawberry.field(extensions=_guarded())
    def version(self) -> int | None:
        return self.row.version


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
class ListEntry:
    row: strawberry.Private[ListEntryRow]
    policy_subjects: strawberry.Private[Subjects]
    viewer: strawberry.Private[Viewer]

    @strawberry.field(extensions=_guarded())
    def id(self) -> strawberry.ID | None:
        return strawberry.ID(self.row.id)

    @strawberry.field(extensions=_guarded())
    def kind(self) -> ListKind | None:
        return self.row.kind

    @strawberry.field(extensions=_guarded())
    def list_name(self) -> str | None:
        return self.row.list_name

    @strawberry.field(extensions=_guarded())
    def authority_code(self) -> str | None:
        return self.row.authority_code

    @strawberry.field(extensions=_guarded())
    def reason(self) -> str | None:
        return self.row.reason

    @strawberry.field(extensions=_guarded())
    def listed_on(self) -> date | None:
        return self.row.listed_on

    @strawberry.field(extensions=_guarded())
    def planned_exit(self) -> date | None:
        return self.row.planned_exit

    @strawberry.field(extensions=_guarded())
    def status(self) -> ListStatus | None:
        return self.row.status

    @strawberry.field(extensions=_guarded())
    def exited_on(self) -> date | None:
        return self.row.exited_on

    @strawberry.field(extensions=_guarded(), description="The records that justify the listing.")
    def records(self, info: Info) -> list[CreditRecord] | None:
        ctx: RequestContext = info.context
        rows = ctx.loaders.justifying.load(self.row.id)
        return _records(info, rows, self.policy_subjects, self.viewer)


def _list_entries(info: Info, subject_id: str, subjects: Subjects, viewer: Viewer) -> list[ListEntry]:
    ctx: RequestContext = info.context
    visible = visible_list_entries(ctx.loaders.list_entries.load(subject_id), viewer=viewer)
    # Each entry may ask for its justifying records: one query for all of them.
    ctx.loaders.justifying.expect(r.id for r in visible)
    return [ListEntry(row=r, policy_subjects=subjects, viewer=viewer) for r in visible]


@strawberry.type(description="A natural person. Identity fields are stored encrypted and shown per policy.")
class Person:
    view: strawberry.Private[reads.PersonView]
    policy_subjects: strawberry.Private[Subjects]
    viewer: strawberry.Private[Viewer]

    @strawberry.field(extensions=_guarded(), description="Pseudonymous reference, never the identity number.")
    def id(self) -> strawberry.ID | None:
        return strawberry.ID(self.view.subject_id)

    @strawberry.field(extensions=_guarded())
    def name(self) -> str | None:
        return self.view.name

    @strawberry.field(extensions=_guarded())
    def id_number(self) -> str | None:
        return self.view.id_number

    @strawberry.field(extensions=_guarded())
    def phone(self) -> str | None:
        return self.view.phone

    @strawberry.field(extensions=_guarded())
    def address(self) -> str | None:
        return self.view.address

    @strawberry.field(extensions=_guarded())
    def health_status(self) -> str | None:
        return self.view.health_status

    @strawberry.field(extensions=_guarded())
    def religion(self) -> str | None:
        return self.view.religion

    @strawberry.field(extensions=_guarded())
    def records(self, info: Info) -> list[CreditRecord] | None:
        ctx: RequestContext = info.context
        rows = ctx.loaders.records.load(self.view.subject_id)
        return _records(info, rows, self.policy_subjects, self.viewer)

    @strawberry.field(
        extensions=_guarded(),
        description="Serious dishonesty of organisations this person legally represents (001 (十), 004 三(二)).",
    )
    def linked_records(self, info: Info) -> list[CreditRecord] | None:
        ctx: RequestContext = info.context
        rows = ctx.loaders.linked_records.load(self.view.subject_id)
        return _records(info, rows, self.policy_subjects, self.viewer)

    @strawberry.field(extensions=_guarded())
    def list_entries(self, info: Info) -> list[ListEntry] | None:
        return _list_entries(info, self.view.subject_id, self.policy_subjects, self.viewer)

    @strawberry.field(
        extensions=_guarded(),
        description="Who looked at this person, newest first: for the person alone (docs/audit.md).",
    )
    def query_history(
        self, info: Info, first: int = 20, after: str | None = None, include_own: bool = False
    ) -> QueryHistory | None:
        return query_history(info.context, self.view, first=first, after=after, include_own=include_own)


@strawberry.type(
    description="An organisation or a government agency, identified by its unified social credit code."
)
class Organization:
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
    def form(self) -> OrgForm | None:
        return self.view.row.form

    @strawberry.field(extensions=_guarded())
    def name(self) -> str | None:
        return self.view.row.name

    @strawberry.field(extensions=_guarded())
    def credit_code(self) -> str | None:
        return self.view.credit_code

    @strawberry.field(extensions=_guarded())
    def registered_address(self) -> str | None:
        return self.view.row.registered_address

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
