"""Query and Mutation fields of the credit lifecycle, merged into the roots in ``operations``.

Resolvers check the caller's role, call the lifecycle services, and wrap the results; who may act on
which record (standing, the issuing authority) is decided by the services' rules, not here.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from gateway import credit_checks, data_quality, evaluations, objections, reads, repairs
from gateway.access import SELF, caller_subjects, consent_subjects, viewer_for
from gateway.api.consented import consented_person
from gateway.api.context import RequestContext
from gateway.api.lifecycle_types import (
    CreditCheck,
    CreditEvaluation,
    DataQuality,
    Objection,
    RepairApplication,
)
from gateway.consent import scopes_of
from gateway.domain import CheckMatter, ConsentPurpose, ConsentScope, ObjectionStatus, RepairStatus, Severity
from gateway.errors import ConsentScopeMissing, Forbidden, InvalidInput, NotEntitled, NotFound
from gateway.identifiers import normalize_credit_code
from gateway.lifecycle.periods import today_in_china
from gateway.tokens import Caller, Role


def require(caller: Caller, *roles: Role) -> None:
    if caller.role not in roles:
        allowed = ", ".join(r.value.lower() for r in roles)
        raise Forbidden(f"this operation is for: {allowed}")


@strawberry.input(description="An objection to a record: why it is wrong, and the evidence.")
class FileObjectionInput:
    record_id: strawberry.ID
    reason: str
    evidence: str


@strawberry.input(description="Fields a correction changes; fields left out keep their value.")
class RecordCorrection:
    content: str | None = None
    legal_basis: str | None = None
    authority_name: str | None = None
    severity: Severity | None = None
    decision_date: str | None = None
    procedure: str | None = None
    kept: bool | None = None
    penalty_kinds: str | None = None
    amount_10k_yuan: str | None = strawberry.field(default=None, name="amount10kYuan")
    valid_until: str | None = None
    publication_until: str | None = None


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


@strawberry.input(description="The subject of a credit check: exactly one of creditCode and idNumber.")
class CheckSubject:
    credit_code: str | None = None
    id_number: str | None = None


CHECK_SCOPES = frozenset({ConsentScope.RECORDS, ConsentScope.LISTS})


def _correction(c: RecordCorrection | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "content": c.content,
        "legalBasis": c.legal_basis,
        "authorityName": c.authority_name,
        "severity": c.severity.value if c.severity is not None else None,
        "decisionDate": c.decision_date,
        "procedure": c.procedure,
        "kept": c.kept,
        "penaltyKinds": c.penalty_kinds,
        "amount10kYuan": c.amount_10k_yuan,
        "validUntil": c.valid_until,
        "publicationUntil": c.publication_until,
    }


@strawberry.type
class LifecycleQuery:
    @strawberry.field(
        description=(
            "Objections, newest first: those you filed (individuals, partners), those to your own "
            "authority's records (providers), or all (admins, auditors)."
        )
    )
    def objections(self, info: Info, status: ObjectionStatus | None = None) -> list[Objection]:
        ctx: RequestContext = info.context
        caller = ctx.caller
        require(caller, Role.INDIVIDUAL, Role.PARTNER, Role.PROVIDER, Role.ADMIN, Role.AUDITOR)
        if caller.role is Role.INDIVIDUAL:
            rows = objections.list_objections(ctx.session, filed_by=caller.person_id, status=status)
        elif caller.role is Role.PARTNER:
            rows = objections.list_objections(ctx.session, filed_by=caller.org_code, status=status)
        elif caller.role is Role.PROVIDER:
            rows = objections.list_objections(ctx.session, authority_code=caller.org_code, status=status)
        else:
            rows = objections.list_objections(ctx.session, status=status)
        return [Objection(row=r) for r in rows]

    @strawberry.field(
        description="Open objections past their deadline: your authority's (providers) or all (admins)."
    )
    def overdue_objections(self, info: Info) -> list[Objection]:
        ctx: RequestContext = info.context
        require(ctx.caller, Role.PROVIDER, Role.ADMIN)
        authority = ctx.caller.org_code if ctx.caller.role is Role.PROVIDER else None
        rows = objections.list_objections(
            ctx.session, authority_code=authority, overdue_on=today_in_china(ctx.now)
        )
        return [Objection(row=r) for r in rows]

    @strawberry.field(
        description=(
            "Repair applications, newest first: those you filed (individuals, partners), those for your "
            "authority's records (providers), or all (admins, auditors)."
        )
    )
    def repair_applications(self, info: Info, status: RepairStatus | None = None) -> list[RepairApplication]:
        ctx: RequestContext = info.context
        caller = ctx.caller
        require(caller, Role.INDIVIDUAL, Role.PARTNER, Role.PROVIDER, Role.ADMIN, Role.AUDITOR)
        if caller.role in (Role.INDIVIDUAL, Role.PARTNER):
            filer = caller.person_id if caller.role is Role.INDIVIDUAL else caller.org_code
            rows = repairs.list_applications(ctx.session, filed_by=filer, status=status)
        elif caller.role is Role.PROVIDER:
            rows = repairs.list_applications(ctx.session, authority_code=caller.org_code, status=status)
        else:
            rows = repairs.list_applications(ctx.session, status=status)
        return [RepairApplication(row=r) for r in rows]

    @strawberry.field(
        description=(
            "Credit check (信用核查) for an approval or public service: list status, restrictions for a "
            "black-listed subject, facilitation for a red-listed or three-years-clean one, and the "
            "records that justify them. A person is checked only with their consent for the stated "
            "purpose, opening records and lists, as for person(...)."
        )
    )
    def credit_check(
        self,
        info: Info,
        subject: CheckSubject,
        matter: CheckMatter,
        purpose: ConsentPurpose | None = None,
        consent: str | None = None,
    ) -> CreditCheck:
        ctx: RequestContext = info.context
        require(ctx.caller, Role.PARTNER)
        if (subject.credit_code is None) == (subject.id_number is None):
            raise InvalidInput("subject", "name exactly one of creditCode and idNumber")
        subjects = caller_subjects(ctx.caller)
        if subject.id_number is not None:
            if purpose is None:
                raise InvalidInput(
                    "purpose", "a check of a person states the purpose the person consented to"
                )
            subject_id, row = consented_person(
                ctx, id_number=subject.id_number, purpose=purpose, consent=consent, field="subject.idNumber"
            )
            scopes = scopes_of(row)
            if not CHECK_SCOPES <= scopes:
                raise ConsentScopeMissing("a credit check needs a consent opening RECORDS and LISTS")
            subjects |= consent_subjects(scopes)
        else:
            assert subject.credit_code is not None
            code = normalize_credit_code(subject.credit_code, field="subject.creditCode")
            view = reads.find_organization(ctx.session, ctx.services.cipher, code)
            if view is None:
                raise NotFound("no organisation with this credit code")
            subject_id = view.subject_id
            ctx.subjects_touched.add(subject_id)
        outcome = credit_checks.check_subject(
            ctx.session,
            subject_id=subject_id,
            is_person=subject.id_number is not None,
            matter=matter,
            rules=ctx.services.lifecycle,
            now=ctx.now,
        )
        return CreditCheck(outcome=outcome, subjects=subjects)

    @strawberry.field(
        description=(
            "Public credit evaluation of an organisation or agency: grade A-D, score and each record's "
            "contribution (policies/credit-grades.toml). Repaired, revoked, expired and past-period "
            "records never count."
        )
    )
    def credit_evaluation(self, info: Info, credit_code: str) -> CreditEvaluation:
        ctx: RequestContext = info.context
        require(ctx.caller, Role.PARTNER, Role.PROVIDER, Role.AUDITOR, Role.ADMIN)
        code = normalize_credit_code(credit_code, field="creditCode")
        view = reads.find_organization(ctx.session, ctx.services.cipher, code)
        if view is None:
            raise NotFound("no organisation with this credit code")
        ctx.subjects_touched.add(view.subject_id)
        evaluation = evaluations.evaluate_subject(
            ctx.session,
            subject_id=view.subject_id,
            is_person=False,
            rules=ctx.services.lifecycle,
            now=ctx.now,
        )
        return CreditEvaluation(
            evaluation=evaluation, subjects=caller_subjects(ctx.caller), viewer=viewer_for(ctx.caller)
        )

    @strawberry.field(description="The calling individual's own credit evaluation, free of charge.")
    def my_credit_evaluation(self, info: Info) -> CreditEvaluation:
        ctx: RequestContext = info.context
        require(ctx.caller, Role.INDIVIDUAL)
        assert ctx.caller.person_id is not None
        if reads.subject_kinds(ctx.session, [ctx.caller.person_id]) == {}:
            raise NotFound("no record for this person")
        evaluation = evaluations.evaluate_subject(
            ctx.session,
            subject_id=ctx.caller.person_id,
            is_person=True,
            rules=ctx.services.lifecycle,
            now=ctx.now,
        )
        subjects = caller_subjects(ctx.caller) | {SELF}
        viewer = viewer_for(ctx.caller, own_record=True)
        return CreditEvaluation(evaluation=evaluation, subjects=subjects, viewer=viewer)

    @strawberry.field(
        description=(
            "Double-publicity data quality per providing authority over receipt dates [from, to] in China "
            "time (default: this quarter to date): your own authority (providers), or any or all "
            "(admins, auditors)."
        )
    )
    def data_quality(
        self,
        info: Info,
        authority_code: str | None = None,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> list[DataQuality]:
        ctx: RequestContext = info.context
        require(ctx.caller, Role.PROVIDER, Role.ADMIN, Role.AUDITOR)
        code = normalize_credit_code(authority_code, field="authorityCode") if authority_code else None
        if ctx.caller.role is Role.PROVIDER:
            if code is not None and code != ctx.caller.org_code:
                raise NotEntitled("a provider sees the data quality of its own authority only")
            code = ctx.caller.org_code
        today = today_in_china(ctx.now)
        start, end = from_ or data_quality.quarter_start(today), to or today
        reports = data_quality.measure_authorities(
            ctx.session,
            authority_code=code,
            start=start,
            end=end,
            today=today,
            periods=ctx.services.lifecycle.periods,
        )
        return [DataQuality(measures=m, start=start, end=end) for m in reports]


@strawberry.type
class LifecycleMutation:
    @strawberry.mutation(
        description=(
            "Object to a record (异议): the record's subject, an organisation's legal representative, "
            "or a partner agency acting for an organisation. The record shows UNDER_OBJECTION at once."
        )
    )
    def file_objection(self, info: Info, input: FileObjectionInput) -> Objection:
        ctx: RequestContext = info.context
        require(ctx.caller, Role.INDIVIDUAL, Role.PARTNER)
        row = objections.file_objection(
            ctx.session,
            caller=ctx.caller,
            record_id=str(input.record_id),
            reason=input.reason,
            evidence=input.evidence,
            rules=ctx.services.lifecycle,
            calendar=ctx.services.calendar,
            now=ctx.now,
        )
        return Objection(row=row)

    @strawberry.mutation(
        description=(
            "Resolve an objection to a record of your own authority: CORRECTED (with the corrected "
            "fields; the old version is kept), REVOKED (never shown again) or UPHELD, with a reason."
        )
    )
    def resolve_objection(self, info: Info, input: ResolveObjectionInput) -> Objection:
        ctx: RequestContext = info.context
        require(ctx.caller, Role.PROVIDER)
        row = objections.resolve_objection(
            ctx.session,
            ctx.services.cipher,
            caller=ctx.caller,
            objection_id=str(input.objection_id),
            outcome=input.outcome,
            reason=input.reason,
            correction=_correction(input.correction),
            calendar=ctx.services.calendar,
            now=ctx.now,
        )
        return Objection(row=row)

    @strawberry.mutation(
        description=(
            "Apply for credit repair (信用修复) of a dishonesty record once its minimum display period "
            "has passed and the obligations are fulfilled: the subject, an organisation's legal "
            "representative, or a partner agency acting for an organisation."
        )
    )
    def apply_for_repair(self, info: Info, input: ApplyForRepairInput) -> RepairApplication:
        ctx: RequestContext = info.context
        require(ctx.caller, Role.INDIVIDUAL, Role.PARTNER)
        row = repairs.apply_for_repair(
            ctx.session,
            caller=ctx.caller,
            record_id=str(input.record_id),
            statement_text=input.statement,
            evidence=input.evidence,
            rules=ctx.services.lifecycle,
            now=ctx.now,
        )
        return RepairApplication(row=row)

    @strawberry.mutation(
        description=(
            "Approve or refuse a repair application for a record of your own authority, with a reason. "
            "A repaired record leaves public and query views and no longer counts in checks or grades."
        )
    )
    def decide_repair(self, info: Info, input: DecideRepairInput) -> RepairApplication:
        ctx: RequestContext = info.context
        require(ctx.caller, Role.PROVIDER)
        row = repairs.decide_repair(
            ctx.session,
            caller=ctx.caller,
            application_id=str(input.application_id),
            approve=input.approve,
            reason=input.reason,
            rules=ctx.services.lifecycle,
            now=ctx.now,
        )
        return RepairApplication(row=row)
