"""Query and Mutation fields of the credit lifecycle, composed into the roots in ``gateway.api.schema``.

Fields declare the roles that may run them; resolvers call the lifecycle services and wrap the
results; who may act on which record (standing, the issuing authority) is decided by the services'
rules, not here.
"""

from __future__ import annotations

from typing import TypedDict

import strawberry
from strawberry.types import Info

from gateway.access.tokens import Role
from gateway.api import paging
from gateway.api.context import RequestContext
from gateway.api.lifecycle.types import Objection, RepairApplication
from gateway.api.paging import PageInfo
from gateway.api.record_inputs import RecordCorrection, correction_mapping
from gateway.api.roles import for_roles
from gateway.audit.changes import Change, ChangeKind
from gateway.domain import ObjectionStatus, RepairStatus
from gateway.errors import NotFound
from gateway.lifecycle import objections, repairs
from gateway.lifecycle.rules.periods import today_in_china


@strawberry.input(description="An objection to a record: why it is wrong, and the evidence.")
class FileObjectionInput:
    record_id: strawberry.ID
    reason: str
    evidence: str


@strawberry.input
class ResolveObjectionInput:
    objection_id: strawberry.ID
    outcome: ObjectionStatus = strawberry.field(description="CORRECTED, REVOKED or UPHELD.")
    reason: str
    correction: RecordCorrection | None = strawberry.field(
        default=None, description="Required exactly when the outcome is CORRECTED."
    )


@strawberry.input(description="An application for credit repair of a record.")
class ApplyForRepairInput:
    record_id: strawberry.ID
    statement: str = strawberry.field(
        description="That the obligations are fulfilled and the behaviour corrected, and the credit commitment."
    )
    evidence: str


@strawberry.input
class DecideRepairInput:
    application_id: strawberry.ID
    approve: bool
    reason: str


@strawberry.type(description="A page of objections (objectionsPage).")
class ObjectionConnection:
    nodes: list[Objection]
    page_info: PageInfo


@strawberry.type(description="A page of repair applications (repairApplicationsPage).")
class RepairApplicationConnection:
    nodes: list[RepairApplication]
    page_info: PageInfo


class _Listing(TypedDict, total=False):
    filed_by: str | None
    authority_code: str | None
    subject_id: str | None


def listed_for(ctx: RequestContext) -> _Listing:
    """Which objections and repair applications a caller lists: those it filed (an individual by its
    person id, a partner by its organisation), those about its own records (an enterprise: whoever
    filed them, itself, its legal representative or an agency for it), those about its own
    authority's records (a provider), or all (admins, auditors)."""
    caller = ctx.caller
    if caller.role is Role.ENTERPRISE:
        own = ctx.own_organization_id()
        if own is None:  # never "all": an unknown organisation lists nothing, and is told so
            raise NotFound("no organisation with this token's credit code is in the store")
        return {"subject_id": own}
    if caller.role is Role.INDIVIDUAL:
        return {"filed_by": caller.person_id}
    if caller.role is Role.PARTNER:
        return {"filed_by": caller.org_code}
    if caller.role is Role.PROVIDER:
        return {"authority_code": caller.org_code}
    return {}


@strawberry.type
class LifecycleQuery:
    """Objections and repair applications."""

    @strawberry.field(
        description=(
            "Objections, newest first: those you filed (individuals, partners), those to your own "
            "records (enterprises), those to your own authority's records (providers), or all "
            "(admins, auditors)."
        ),
        extensions=for_roles(
            Role.INDIVIDUAL, Role.ENTERPRISE, Role.PARTNER, Role.PROVIDER, Role.ADMIN, Role.AUDITOR
        ),
    )
    def objections(self, info: Info, status: ObjectionStatus | None = None) -> list[Objection]:
        ctx: RequestContext = info.context
        rows = objections.list_objections(ctx.session, **listed_for(ctx), status=status)
        return [Objection(row=r) for r in rows]

    @strawberry.field(
        description=(
            "`objections` a page at a time, newest first, for the same callers: `first` is 1 to 500, "
            "pass pageInfo.endCursor as `after` for the next page."
        ),
        extensions=for_roles(
            Role.INDIVIDUAL, Role.ENTERPRISE, Role.PARTNER, Role.PROVIDER, Role.ADMIN, Role.AUDITOR
        ),
    )
    def objections_page(
        self,
        info: Info,
        status: ObjectionStatus | None = None,
        first: int = paging.DEFAULT_PAGE,
        after: str | None = None,
    ) -> ObjectionConnection:
        """A new field beside ``objections`` (whose published list type stays, for existing clients),
        which answers at most the newest 500."""
        ctx: RequestContext = info.context
        listed = listed_for(ctx)
        result = paging.page(
            lambda cursor, limit: objections.list_objections(
                ctx.session, **listed, status=status, after=cursor, limit=limit
            ),
            first=first,
            after=after,
            key=lambda r: (r.filed_at, r.id),
        )
        return ObjectionConnection(nodes=[Objection(row=r) for r in result.rows], page_info=result.page_info)

    @strawberry.field(
        description="Open objections past their deadline: your authority's (providers) or all (admins).",
        extensions=for_roles(Role.PROVIDER, Role.ADMIN),
    )
    def overdue_objections(self, info: Info) -> list[Objection]:
        ctx: RequestContext = info.context
        authority = ctx.caller.org_code if ctx.caller.role is Role.PROVIDER else None
        rows = objections.list_objections(
            ctx.session, authority_code=authority, overdue_on=today_in_china(ctx.now)
        )
        return [Objection(row=r) for r in rows]

    @strawberry.field(
        description=(
            "Repair applications, newest first: those you filed (individuals, partners), those for "
            "your own records (enterprises), those for your authority's records (providers), or all "
            "(admins, auditors)."
        ),
        extensions=for_roles(
            Role.INDIVIDUAL, Role.ENTERPRISE, Role.PARTNER, Role.PROVIDER, Role.ADMIN, Role.AUDITOR
        ),
    )
    def repair_applications(self, info: Info, status: RepairStatus | None = None) -> list[RepairApplication]:
        ctx: RequestContext = info.context
        rows = repairs.list_applications(ctx.session, **listed_for(ctx), status=status)
        return [RepairApplication(row=r) for r in rows]

    @strawberry.field(
        description=(
            "`repairApplications` a page at a time, newest first, for the same callers: `first` is 1 "
            "to 500, pass pageInfo.endCursor as `after` for the next page."
        ),
        extensions=for_roles(
            Role.INDIVIDUAL, Role.ENTERPRISE, Role.PARTNER, Role.PROVIDER, Role.ADMIN, Role.AUDITOR
        ),
    )
    def repair_applications_page(
        self,
        info: Info,
        status: RepairStatus | None = None,
        first: int = paging.DEFAULT_PAGE,
        after: str | None = None,
    ) -> RepairApplicationConnection:
        """A new field beside ``repairApplications`` (whose published list type stays, for existing
        clients), which answers at most the newest 500."""
        ctx: RequestContext = info.context
        listed = listed_for(ctx)
        result = paging.page(
            lambda cursor, limit: repairs.list_applications(
                ctx.session, **listed, status=status, after=cursor, limit=limit
            ),
            first=first,
            after=after,
            key=lambda r: (r.filed_at, r.id),
        )
        return RepairApplicationConnection(
            nodes=[RepairApplication(row=r) for r in result.rows], page_info=result.page_info
        )


@strawberry.type
class LifecycleMutation:
    @strawberry.mutation(
        description=(
            "Object to a record (异议): the record's subject (a person, or an enterprise for its own "
            "organisation), an organisation's legal representative, or a partner agency acting for "
            "an organisation. The record shows UNDER_OBJECTION at once."
        ),
        extensions=for_roles(Role.INDIVIDUAL, Role.ENTERPRISE, Role.PARTNER),
    )
    def file_objection(self, info: Info, input: FileObjectionInput) -> Objection:
        ctx: RequestContext = info.context
        row = objections.file_objection(
            ctx.session,
            caller=ctx.caller,
            record_id=str(input.record_id),
            reason=input.reason,
            evidence=input.evidence,
            rules=ctx.services.lifecycle,
            calendar=ctx.services.calendar,
            now=ctx.now,
            caller_organization_id=ctx.own_organization_id(),
        )
        ctx.changes.append(
            Change(
                ChangeKind.OBJECTION_FILED,
                [row.subject_id],
                {"objection": row.id, "record": row.record_id, "due_on": row.due_on.isoformat()},
            )
        )
        return Objection(row=row)

    @strawberry.mutation(
        description=(
            "Resolve an objection to a record of your own authority: CORRECTED (with the corrected "
            "fields; the old version is kept), REVOKED (never shown again) or UPHELD, with a reason."
        ),
        extensions=for_roles(Role.PROVIDER),
    )
    def resolve_objection(self, info: Info, input: ResolveObjectionInput) -> Objection:
        ctx: RequestContext = info.context
        row = objections.resolve_objection(
            ctx.session,
            ctx.services.cipher,
            caller=ctx.caller,
            objection_id=str(input.objection_id),
            outcome=input.outcome,
            reason=input.reason,
            correction=correction_mapping(input.correction),
            calendar=ctx.services.calendar,
            now=ctx.now,
        )
        detail = {"objection": row.id, "record": row.record_id, "outcome": row.status}
        ctx.changes.append(
            Change(
                ChangeKind.OBJECTION_RESOLVED,
                [row.subject_id],
                detail | {"record_version": row.record_version},
            )
        )
        return Objection(row=row)

    @strawberry.mutation(
        description=(
            "Apply for credit repair (信用修复) of a dishonesty record once its minimum display period "
            "has passed and the obligations are fulfilled: the subject (a person, or an enterprise for "
            "its own organisation), an organisation's legal representative, or a partner agency "
            "acting for an organisation."
        ),
        extensions=for_roles(Role.INDIVIDUAL, Role.ENTERPRISE, Role.PARTNER),
    )
    def apply_for_repair(self, info: Info, input: ApplyForRepairInput) -> RepairApplication:
        ctx: RequestContext = info.context
        row = repairs.apply_for_repair(
            ctx.session,
            caller=ctx.caller,
            record_id=str(input.record_id),
            statement_text=input.statement,
            evidence=input.evidence,
            rules=ctx.services.lifecycle,
            now=ctx.now,
            caller_organization_id=ctx.own_organization_id(),
        )
        ctx.changes.append(
            Change(
                ChangeKind.REPAIR_APPLIED, [row.subject_id], {"application": row.id, "record": row.record_id}
            )
        )
        return RepairApplication(row=row)

    @strawberry.mutation(
        description=(
            "Approve or refuse a repair application for a record of your own authority, with a reason. "
            "A repaired record leaves public and query views and no longer counts in checks or grades."
        ),
        extensions=for_roles(Role.PROVIDER),
    )
    def decide_repair(self, info: Info, input: DecideRepairInput) -> RepairApplication:
        ctx: RequestContext = info.context
        row = repairs.decide_repair(
            ctx.session,
            caller=ctx.caller,
            application_id=str(input.application_id),
            approve=input.approve,
            reason=input.reason,
            rules=ctx.services.lifecycle,
            now=ctx.now,
        )
        ctx.changes.append(
            Change(
                ChangeKind.REPAIR_DECIDED,
                [row.subject_id],
                {"application": row.id, "record": row.record_id, "outcome": row.status},
            )
        )
        return RepairApplication(row=row)
