"""GraphQL types of the lifecycle procedures: objections and repair applications. Returned only by
operations that check the caller's role and standing first; the records they reach are CreditRecord
objects, guarded field by field and filtered by visibility."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.types import Info

from gateway.access.subjects import reading
from gateway.access.visibility import Viewer, visible_records
from gateway.api.context import RequestContext
from gateway.api.types import CreditRecord
from gateway.domain import FilerKind, ObjectionStatus, RepairStatus
from gateway.lifecycle.rules.objections import is_overdue
from gateway.lifecycle.rules.periods import today_in_china
from gateway.store.models import CreditRecord as RecordRow
from gateway.store.models import Objection as ObjectionRow
from gateway.store.models import RepairApplication as RepairRow

for _enum in (FilerKind, ObjectionStatus, RepairStatus):
    strawberry.enum(_enum)


def record_for_caller(info: Info, record_id: str) -> CreditRecord | None:
    """The record an objection or a repair application is about, as the caller may see it: through
    visibility (a revoked record is gone for everyone but the archive; an individual reads others'
    records as the public does) and the field policy (``self`` or ``self:organization`` when it is
    the caller's own record)."""
    ctx: RequestContext = info.context
    row = ctx.session.get(RecordRow, record_id)
    if row is None:
        return None
    read = reading(ctx.caller, own_record=ctx.is_own(row.subject_id))
    viewer = read.viewer
    kinds = ctx.loaders.kinds_of([row.subject_id]) if viewer is Viewer.PUBLIC else {}
    visible = visible_records(
        [row],
        viewer=viewer,
        subject_kinds=kinds,
        today=today_in_china(ctx.now),
        periods=ctx.services.lifecycle.periods,
    )
    if not visible:
        return None
    return CreditRecord(row=row, policy_subjects=read.policy_subjects)


@strawberry.type(description="An objection (异议) to a record, and how the issuing authority resolved it.")
class Objection:
    row: strawberry.Private[ObjectionRow]

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

    @strawberry.field(description="Last day for the issuing authority to resolve it (working days).")
    def due_on(self) -> date:
        return self.row.due_on

    @strawberry.field(description="Still open after its last day, by the request's clock.")
    def overdue(self, info: Info) -> bool:
        ctx: RequestContext = info.context
        return is_overdue(self.row.status, self.row.due_on, today_in_china(ctx.now))

    @strawberry.field
    def resolved_at(self) -> datetime | None:
        return self.row.resolved_at

    @strawberry.field(description="The issuing authority's reason for its resolution.")
    def resolution(self) -> str | None:
        return self.row.resolution

    @strawberry.field(description="The record version a correction created.")
    def record_version(self) -> int | None:
        return self.row.record_version

    @strawberry.field(description="The record objected to; null once it is no longer shown to the caller.")
    def record(self, info: Info) -> CreditRecord | None:
        return record_for_caller(info, self.row.record_id)


@strawberry.type(description="An application for credit repair (信用修复) of a record, and the decision.")
class RepairApplication:
    row: strawberry.Private[RepairRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field
    def status(self) -> RepairStatus:
        return self.row.status

    @strawberry.field
    def filer_kind(self) -> FilerKind:
        return self.row.filer_kind

    @strawberry.field(
        description="The subject's statement: obligations fulfilled, and its credit commitment."
    )
    def statement(self) -> str:
        return self.row.statement

    @strawberry.field
    def evidence(self) -> str:
        return self.row.evidence

    @strawberry.field
    def filed_at(self) -> datetime:
        return self.row.filed_at

    @strawberry.field
    def decided_at(self) -> datetime | None:
        return self.row.decided_at

    @strawberry.field(description="The issuing authority's reason for its decision.")
    def decision_reason(self) -> str | None:
        return self.row.decision_reason

    @strawberry.field(description="The record; null once repaired, except for the archive.")
    def record(self, info: Info) -> CreditRecord | None:
        return record_for_caller(info, self.row.record_id)
