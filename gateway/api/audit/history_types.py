"""``Person.queryHistory``: who looked at the person (docs/audit.md, "Who looked at me").

Reached only as ``me { queryHistory }``: the field is guarded like every Person field, the policy
shows it to ``self`` alone (``SELF_ONLY_FIELDS``), and the resolver checks once more that the caller
is the individual whose record this is, so a policy edit cannot open it to anyone else.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from gateway.access.lawful import split_key
from gateway.access.tokens import Role
from gateway.api.audit.tree_types import AuditSignedHead, signed_head
from gateway.api.audit.types import Long
from gateway.api.context import RequestContext
from gateway.audit import history
from gateway.audit.field_groups import groups_under
from gateway.audit.pseudonyms import person_pseudonym
from gateway.errors import Forbidden, InvalidInput
from gateway.store.models import Organization
from gateway.store.reads import PersonView


@strawberry.type(description="RFC 9162 inclusion proof of one event in the tree of the served head.")
class InclusionProof:
    leaf_index: Long
    tree_size: Long
    leaf_hash: str = strawberry.field(description="SHA-256(0x00 || event bytes), hex.")
    path: list[str] = strawberry.field(description="Audit path, hex, leaf to root.")


@strawberry.type(description="The legal basis an agency stated to read the person without consent.")
class StatedLegalBasis:
    law: str
    article: str
    reference: str = strawberry.field(description="Case or document number the agency acted under.")


@strawberry.type(description="A credit report issued about the person (docs/reports.md).")
class IssuedReportNotice:
    serial: str = strawberry.field(description="The report's serial, as its signed document names it.")
    sections: list[str] = strawberry.field(description="The sections it disclosed.")


@strawberry.type(description="One lookup of the person, as the audit log recorded it.")
class QueryHistoryEntry:
    seq: Long = strawberry.field(description="The event's sequence number (its leaf index).")
    time: datetime
    role: str | None = strawberry.field(description="The caller's role: partner, provider, public, …")
    agency_kind: str | None
    organization: str | None = strawberry.field(description="Credit code of the organisation that asked.")
    organization_name: str | None
    purpose: str | None
    consent_id: str | None
    field_groups: list[str] = strawberry.field(
        description="Groups of the record read whole or masked: IDENTITY, CONTACT, RECORDS, LISTS, …"
    )
    legal_bases: list[StatedLegalBasis] = strawberry.field(
        description="For a lookup without consent: the legal basis it rested on (empty otherwise)."
    )
    notice_delayed_until: datetime | None = strawberry.field(
        description=(
            "When the policy delayed this notice (an investigation): the instant it ended. The entry "
            "is shown only from then on."
        )
    )
    outcome: str
    own_read: bool = strawberry.field(description="The person's own read of their record.")
    leaf_hash: str = strawberry.field(description="The event's leaf hash, hex.")
    proof: InclusionProof | None = strawberry.field(
        description="Null while no signed head covers the event yet (proofPending)."
    )
    proof_pending: bool
    reports: list[IssuedReportNotice] = strawberry.field(
        description="Credit reports about the person this lookup issued: who asked is the entry's caller."
    )
    event: str | None = strawberry.field(
        description=(
            "The event's canonical bytes (UTF-8 JSON) when they show nobody but this person and the "
            "organisation that asked; null otherwise."
        )
    )


@strawberry.type
class PurposeCount:
    purpose: str | None
    last_month: int
    last_two_years: int


@strawberry.type(description="Lookups by others, counted as a credit report's query-records summary.")
class QueryHistorySummary:
    last_month: int
    last_two_years: int
    organizations_last_month: int
    organizations_last_two_years: int
    by_purpose: list[PurposeCount]
    own_reads_last_month: int


@strawberry.type(description="The person's query history, newest first, with proofs against one head.")
class QueryHistory:
    person_id: strawberry.Private[str]
    entries: list[QueryHistoryEntry]
    head: AuditSignedHead | None = strawberry.field(description="The head every proof leads to.")
    has_more: bool
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next (older) page.")

    @strawberry.field
    def summary(self, info: Info) -> QueryHistorySummary:
        ctx: RequestContext = info.context
        counts = history.summary(ctx.session.connection(), person_id=self.person_id, now=ctx.now)
        return QueryHistorySummary(
            last_month=counts.last_month,
            last_two_years=counts.last_two_years,
            organizations_last_month=counts.organizations_last_month,
            organizations_last_two_years=counts.organizations_last_two_years,
            by_purpose=[
                PurposeCount(purpose=p.purpose, last_month=p.last_month, last_two_years=p.last_two_years)
                for p in counts.by_purpose
            ],
            own_reads_last_month=counts.own_reads_last_month,
        )


def query_history(
    ctx: RequestContext, view: PersonView, *, first: int, after: str | None, include_own: bool
) -> QueryHistory:
    """The history of ``view``'s person, for that person only (FORBIDDEN_OPERATION otherwise)."""
    caller = ctx.caller
    if caller.role is not Role.INDIVIDUAL or caller.person_id != view.subject_id:
        raise Forbidden("a query history is shown to the person it is about, and to nobody else")
    if not 1 <= first <= history.MAX_PAGE:
        raise InvalidInput("first", f"must be between 1 and {history.MAX_PAGE}")
    cursor = _cursor(after)
    own = {person_pseudonym(ctx.services.cipher, "id_number", view.id_number)}
    if view.phone:
        own.add(person_pseudonym(ctx.services.cipher, "phone", view.phone))
    result = history.page(
        ctx.session.connection(),
        person_id=view.subject_id,
        first=first,
        after=cursor,
        include_own=include_own,
        own_pseudonyms=own,
        now=ctx.now,
        groups=groups_under(ctx.services.policy.consent_fields()),
    )
    names = _organization_names(ctx, {e.organization for e in result.entries if e.organization})
    entries = [_entry(e, names) for e in result.entries]
    return QueryHistory(
        person_id=view.subject_id,
        entries=entries,
        head=signed_head(result.head),
        has_more=result.has_more,
        end_cursor=str(entries[-1].seq) if entries and result.has_more else None,
    )


def _cursor(after: str | None) -> int | None:
    if after is None:
        return None
    if not after.isascii() or not after.isdigit() or len(after) > 19:
        raise InvalidInput("after", "not a cursor of this history (pass endCursor as it was given)")
    return int(after)


def _organization_names(ctx: RequestContext, codes: set[str]) -> dict[str, str]:
    """Names of the asking organisations the store knows (public codes are stored in clear)."""
    if not codes:
        return {}
    rows = ctx.session.execute(
        select(Organization.credit_code, Organization.name).where(Organization.credit_code.in_(codes))
    )
    return {code: name for code, name in rows if code is not None}


def _entry(e: history.Entry, names: dict[str, str]) -> QueryHistoryEntry:
    bases = [split_key(b) for b in e.legal_bases]
    proof = (
        None
        if e.proof is None
        else InclusionProof(
            leaf_index=e.proof.leaf_index,
            tree_size=e.proof.tree_size,
            leaf_hash=e.proof.leaf_hash.hex(),
            path=[p.hex() for p in e.proof.path],
        )
    )
    return QueryHistoryEntry(
        seq=e.seq,
        time=e.time,
        role=e.role,
        agency_kind=e.agency_kind,
        organization=e.organization,
        organization_name=names.get(e.organization) if e.organization else None,
        purpose=e.purpose,
        consent_id=e.consent_id,
        field_groups=e.field_groups,
        legal_bases=[StatedLegalBasis(law=p[0], article=p[1], reference=p[2]) for p in bases if p],
        notice_delayed_until=e.notice_after,
        outcome=e.outcome,
        own_read=e.own_read,
        leaf_hash=e.leaf_hash.hex(),
        proof=proof,
        proof_pending=proof is None,
        reports=[IssuedReportNotice(serial=serial, sections=sections) for serial, sections in e.reports],
        event=e.body.decode("utf-8") if e.body is not None else None,
    )
