"""Query and Mutation fields of the list lifecycle, composed into the roots in ``gateway.api.schema``:
providers list and delist subjects of their own authority; listed subjects object to entries, and
the listing authority resolves. Who may act (the listing authority, the subject's standing) and what
makes an entry valid are the services' rules; each resolver notes its change for the audit log.
"""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.types import Info

from gateway.access.subjects import reading
from gateway.access.tokens import Role
from gateway.api.context import RequestContext
from gateway.api.lifecycle.operations import listed_for
from gateway.api.roles import for_roles
from gateway.api.types import ListEntry
from gateway.audit.changes import Change, ChangeKind
from gateway.domain import FilerKind, ListKind, ObjectionStatus
from gateway.lifecycle import list_objections, lists
from gateway.lifecycle.lists import ListRequest
from gateway.lifecycle.rules.objections import is_overdue
from gateway.lifecycle.rules.periods import today_in_china
from gateway.store.models import ListEntry as ListEntryRow
from gateway.store.models import ListObjection as ListObjectionRow


@strawberry.input(description="A new entry of your authority's list, and the records that justify it.")
class ListSubjectInput:
    kind: ListKind
    list_name: str
    reason: str
    records: list[strawberry.ID] = strawberry.field(
        description=(
            "Records of one subject, each counting today and of the list's nature (dishonesty for a "
            "black list): the subject listed is theirs."
        )
    )
    planned_exit: date | None = strawberry.field(
        default=None, description="Exit day; at most the policy's longest listing, which is the default."
    )


@strawberry.input
class DelistSubjectInput:
    entry_id: strawberry.ID
    reason: str


@strawberry.input(description="An objection to a list entry: why it is wrong, and the evidence.")
class FileListObjectionInput:
    entry_id: strawberry.ID
    reason: str
    evidence: str


@strawberry.input
class ResolveListObjectionInput:
    objection_id: strawberry.ID
    outcome: ObjectionStatus = strawberry.field(
        description="REVOKED (off the list) or UPHELD (the entry stays)."
    )
    reason: str


def entry_for_caller(ctx: RequestContext, row: ListEntryRow) -> ListEntry:
    """An entry as the caller reads it: its own role's rules, and ``self`` (``self:organization``)
    for the listed person (organisation)."""
    read = reading(ctx.caller, own_record=ctx.is_own(row.subject_id))
    ctx.loaders.justifying.expect([row.id])
    return ListEntry(row=row, policy_subjects=read.policy_subjects, viewer=read.viewer)


@strawberry.type(
    description="An objection (异议) to a list entry, and how the listing authority resolved it."
)
class ListObjection:
    row: strawberry.Private[ListObjectionRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field
    def status(self) -> ObjectionStatus:
        return self.row.status

    @strawberry.field(description="Who filed it: the subject, its legal representative, or an agency.")
    def filer_kind(self) -> FilerKind:
        return self.row.filer_kind

    @strawberry.field
    def reason(self) -> str:
        return self.row.reason

    @strawberry.field
    def evidence(self) -> str:
        return self.row.evidence

    @strawberry.field
    def filed_at(self) -> datetime:
        return self.row.filed_at

    @strawberry.field(description="Last day for the listing authority to resolve it (working days).")
    def due_on(self) -> date:
        return self.row.due_on

    @strawberry.field(description="Still open after its last day, by the request's clock.")
    def overdue(self, info: Info) -> bool:
        ctx: RequestContext = info.context
        return is_overdue(self.row.status, self.row.due_on, today_in_china(ctx.now))

    @strawberry.field
    def resolved_at(self) -> datetime | None:
        return self.row.resolved_at

    @strawberry.field(description="The listing authority's reason for its resolution.")
    def resolution(self) -> str | None:
        return self.row.resolution

    @strawberry.field(description="The entry objected to, as the caller may read it.")
    def entry(self, info: Info) -> ListEntry | None:
        ctx: RequestContext = info.context
        row = ctx.session.get(ListEntryRow, self.row.list_entry_id)
        return None if row is None else entry_for_caller(ctx, row)


@strawberry.type
class ListQuery:
    @strawberry.field(
        description=(
            "Objections to list entries, newest first: those you filed (individuals, partners), those "
            "to your own entries (enterprises), those to your authority's entries (providers), or all "
            "(admins, auditors). `overdue` keeps the open ones past their deadline."
        ),
        extensions=for_roles(
            Role.INDIVIDUAL, Role.ENTERPRISE, Role.PARTNER, Role.PROVIDER, Role.ADMIN, Role.AUDITOR
        ),
    )
    def list_objections(
        self, info: Info, status: ObjectionStatus | None = None, overdue: bool = False
    ) -> list[ListObjection]:
        ctx: RequestContext = info.context
        rows = list_objections.list_list_objections(
            ctx.session,
            **listed_for(ctx),
            status=status,
            overdue_on=today_in_china(ctx.now) if overdue else None,
        )
        return [ListObjection(row=r) for r in rows]


@strawberry.type
class ListMutation:
    @strawberry.mutation(
        description=(
            "List the subject of the cited records on a red or black list of your own authority "
            "(认定): listed today, until the planned exit at the latest."
        ),
        extensions=for_roles(Role.PROVIDER),
    )
    def list_subject(self, info: Info, input: ListSubjectInput) -> ListEntry:
        ctx: RequestContext = info.context
        request = ListRequest(
            kind=input.kind,
            list_name=input.list_name,
            reason=input.reason,
            record_ids=[str(r) for r in input.records],
            planned_exit=input.planned_exit,
        )
        row = lists.list_subject(
            ctx.session,
            ctx.services.cipher,
            caller=ctx.caller,
            request=request,
            rules=ctx.services.lifecycle,
            now=ctx.now,
        )
        ctx.changes.append(
            Change(
                ChangeKind.LIST_LISTED,
                [row.subject_id],
                {
                    "entry": row.id,
                    "kind": row.kind,
                    "list_name": row.list_name,
                    "records": sorted(set(request.record_ids)),
                    "listed_on": row.listed_on.isoformat(),
                    "planned_exit": row.planned_exit.isoformat() if row.planned_exit else None,
                },
            )
        )
        return entry_for_caller(ctx, row)

    @strawberry.mutation(
        description="Take an entry of your own authority off its list today (退出), with a reason.",
        extensions=for_roles(Role.PROVIDER),
    )
    def delist_subject(self, info: Info, input: DelistSubjectInput) -> ListEntry:
        ctx: RequestContext = info.context
        row = lists.delist(
            ctx.session, caller=ctx.caller, entry_id=str(input.entry_id), reason=input.reason, now=ctx.now
        )
        ctx.changes.append(
            Change(
                ChangeKind.LIST_DELISTED,
                [row.subject_id],
                {"entry": row.id, "status": row.status, "exited_on": str(row.exited_on)},
            )
        )
        return entry_for_caller(ctx, row)

    @strawberry.mutation(
        description=(
            "Object to a list entry (异议): the listed subject (a person, or an enterprise for its own "
            "organisation), an organisation's legal representative, or a partner agency acting for "
            "an organisation. Resolved within the objection deadline."
        ),
        extensions=for_roles(Role.INDIVIDUAL, Role.ENTERPRISE, Role.PARTNER),
    )
    def file_list_objection(self, info: Info, input: FileListObjectionInput) -> ListObjection:
        ctx: RequestContext = info.context
        row = list_objections.file_list_objection(
            ctx.session,
            caller=ctx.caller,
            entry_id=str(input.entry_id),
            reason=input.reason,
            evidence=input.evidence,
            rules=ctx.services.lifecycle,
            calendar=ctx.services.calendar,
            now=ctx.now,
            caller_organization_id=ctx.own_organization_id(),
        )
        ctx.changes.append(
            Change(
                ChangeKind.LIST_OBJECTION_FILED,
                [row.subject_id],
                {"objection": row.id, "entry": row.list_entry_id, "due_on": row.due_on.isoformat()},
            )
        )
        return ListObjection(row=row)

    @strawberry.mutation(
        description=(
            "Resolve an objection to an entry of your own authority: REVOKED takes the entry off the "
            "list (the subject gets its standing back in checks), UPHELD keeps it; with a reason."
        ),
        extensions=for_roles(Role.PROVIDER),
    )
    def resolve_list_objection(self, info: Info, input: ResolveListObjectionInput) -> ListObjection:
        ctx: RequestContext = info.context
        row = list_objections.resolve_list_objection(
            ctx.session,
            caller=ctx.caller,
            objection_id=str(input.objection_id),
            outcome=input.outcome,
            reason=input.reason,
            now=ctx.now,
        )
        ctx.changes.append(
            Change(
                ChangeKind.LIST_OBJECTION_RESOLVED,
                [row.subject_id],
                {"objection": row.id, "entry": row.list_entry_id, "outcome": row.status},
            )
        )
        return ListObjection(row=row)
