"""Query fields of the auditor API, composed into the Query root in ``gateway.api.schema``.

Reading events, counts, anomaly flags, the verification status and inclusion proofs is for auditors
only (FORBIDDEN_OPERATION for everyone else): events say who looked up whom. A consistency proof
between two tree sizes, and the heads it leads to, say nothing about anyone; any caller holding a
token may fetch them, so that partners and other outside parties can keep heads and check that the
log only grew (docs/audit.md, "For auditors").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import strawberry
from strawberry.types import Info

from gateway.access.tokens import Role
from gateway.api.audit.tree_types import AuditConsistencyProof, AuditInclusionProof, AuditVerification
from gateway.api.audit.types import (
    AuditAnomaly,
    AuditEvent,
    AuditEventConnection,
    AuditEventFilter,
    AuditPageInfo,
    AuditStats,
    Long,
)
from gateway.api.context import RequestContext
from gateway.api.roles import ANY_TOKEN, for_roles
from gateway.audit import proofs, queries
from gateway.audit.anomalies import Thresholds, detect
from gateway.audit.filters import EventFilter, decode_cursor, encode_cursor, resolve_subject
from gateway.errors import InvalidInput

From = Annotated[datetime | None, strawberry.argument(name="from", description="Inclusive.")]
To = Annotated[datetime | None, strawberry.argument(name="to", description="Exclusive.")]


def _filter(ctx: RequestContext, given: AuditEventFilter | None) -> EventFilter:
    if given is None:
        return EventFilter()
    subject = None
    if given.subject_id_number is not None:
        subject = resolve_subject(
            ctx.session, ctx.services.cipher, ctx.services.pseudonyms, given.subject_id_number,
            field="subjectIdNumber",
        )  # fmt: skip
    return EventFilter(
        caller_id=given.caller_id,
        organization=given.organization,
        role=given.role,
        outcome=given.outcome,
        operation=given.operation,
        operation_name=given.operation_name,
        error_code=given.error_code,
        subject=subject,
        start=given.start,
        end=given.end,
        event_class=given.event_class,
        change=given.change,
    )


def _range(start: datetime | None, end: datetime | None) -> EventFilter:
    return EventFilter(start=start, end=end)


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description=(
            "Audit events, oldest first, a page at a time (auditors). Pass pageInfo.endCursor as "
            f"`after` for the next page; `first` is 1 to {queries.MAX_PAGE}."
        ),
        extensions=for_roles(Role.AUDITOR),
    )
    def audit_events(
        self, info: Info, filter: AuditEventFilter | None = None, first: int = 50, after: str | None = None
    ) -> AuditEventConnection:
        ctx: RequestContext = info.context
        if not 1 <= first <= queries.MAX_PAGE:
            raise InvalidInput("first", f"must be between 1 and {queries.MAX_PAGE}")
        cursor = decode_cursor(after) if after is not None else None
        page = queries.page(ctx.session.connection(), _filter(ctx, filter), first=first, after=cursor)
        end = page.end
        return AuditEventConnection(
            nodes=[AuditEvent(event=e) for e in page.events],
            page_info=AuditPageInfo(
                end_cursor=encode_cursor(end) if end is not None else after, has_next_page=page.has_next
            ),
        )

    @strawberry.field(
        description=(
            "Counts per outcome, caller, organisation, purpose and UTC hour over a time range (auditors)."
        ),
        extensions=for_roles(Role.AUDITOR),
    )
    def audit_stats(
        self,
        info: Info,
        start: From = None,
        end: To = None,
    ) -> AuditStats:
        ctx: RequestContext = info.context
        return AuditStats.of(queries.stats(ctx.session.connection(), _range(start, end)))

    @strawberry.field(
        description=(
            "Anomaly flags over a time range (auditors): PERSONS_PER_HOUR, REFUSAL_BURST, OFF_HOURS, "
            "CONSENT_NOT_GRANTEE; thresholds are the GATEWAY_AUDIT_* settings. LAWFUL_ACCESS counts the "
            "lookups without consent per agency and legal basis."
        ),
        extensions=for_roles(Role.AUDITOR),
    )
    def audit_anomalies(
        self,
        info: Info,
        start: From = None,
        end: To = None,
    ) -> list[AuditAnomaly]:
        ctx: RequestContext = info.context
        audit = ctx.services.settings.audit
        thresholds = Thresholds(
            persons_per_hour=audit.persons_per_hour,
            refusal_burst=audit.refusal_burst,
            refusal_window=timedelta(minutes=audit.refusal_burst_minutes),
            working_hours=audit.hours,
            calendar=ctx.services.calendar,
        )
        conn, window = ctx.session.connection(), _range(start, end)
        flags = detect(
            queries.lookups(conn, window), queries.refusals(conn, window), queries.consent_uses(conn, window),
            thresholds, queries.basis_uses(conn, window),
        )  # fmt: skip
        return [AuditAnomaly.of(f) for f in flags]

    @strawberry.field(
        description=(
            "The tree and its newest signed head: does the signature verify, is its root the stored "
            "tree's; with full: true the whole log is recomputed, as `credit-gateway audit verify` does "
            "(auditors)."
        ),
        extensions=for_roles(Role.AUDITOR),
    )
    def audit_verification(self, info: Info, full: bool = False) -> AuditVerification:
        ctx: RequestContext = info.context
        return AuditVerification.of(
            proofs.status(ctx.session.connection(), ctx.services.audit_keys, full=full)
        )

    @strawberry.field(
        description=(
            "RFC 9162 inclusion proof of event `seq` in the tree of `treeSize` events (default: the "
            "newest signed head's size), with the event's bytes (auditors)."
        ),
        extensions=for_roles(Role.AUDITOR),
    )
    def audit_inclusion_proof(
        self,
        info: Info,
        seq: Long,
        tree_size: Long | None = None,
    ) -> AuditInclusionProof:
        ctx: RequestContext = info.context
        return AuditInclusionProof.of(proofs.inclusion(ctx.session.connection(), seq, tree_size))

    @strawberry.field(
        description=(
            "RFC 9162 consistency proof that the tree of `first` events is a prefix of the tree of "
            "`second` (default: the newest signed head's size), with the heads signed for both sizes "
            "(any caller with a token)."
        ),
        extensions=for_roles(*ANY_TOKEN),
    )
    def audit_consistency_proof(
        self,
        info: Info,
        first: Long,
        second: Long | None = None,
    ) -> AuditConsistencyProof:
        ctx: RequestContext = info.context
        return AuditConsistencyProof.of(proofs.consistency(ctx.session.connection(), first, second))
