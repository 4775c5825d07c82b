"""Query fields that assess a subject or an authority: credit checks (信用核查), public credit
evaluations and double-publicity data quality, composed into the Query root in ``gateway.api.schema``.

Fields declare the roles that may run them; resolvers check, for a person, the consent; the rules
are in ``gateway.lifecycle`` and the services that load the rows.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from gateway.access.subjects import SELF, caller_subjects, consent_subjects, viewer_for
from gateway.access.tokens import Role
from gateway.api.assessment.types import CreditCheck, CreditEvaluation, DataQuality
from gateway.api.consented import LegalBasisInput, admitted_person
from gateway.api.context import RequestContext
from gateway.api.roles import for_roles
from gateway.domain import CheckMatter, ConsentPurpose, ConsentScope
from gateway.errors import ConsentScopeMissing, InvalidInput, NotEntitled, NotFound
from gateway.identifiers import normalize_credit_code
from gateway.lifecycle import checks as credit_checks
from gateway.lifecycle import evaluations
from gateway.lifecycle import quality as data_quality
from gateway.lifecycle.rules.periods import today_in_china
from gateway.store import reads


@strawberry.input(description="The subject of a credit check: exactly one of creditCode and idNumber.")
class CheckSubject:
    credit_code: str | None = None
    id_number: str | None = None


CHECK_SCOPES = frozenset({ConsentScope.RECORDS, ConsentScope.LISTS})


def _organization(ctx: RequestContext, credit_code: str, *, field: str) -> str:
    """The subject id of the organisation a check or an evaluation is about, noted as touched;
    NOT_FOUND when no organisation has the code (organisations are public: no oracle to avoid)."""
    code = normalize_credit_code(credit_code, field=field)
    view = reads.find_organization(ctx.session, ctx.services.cipher, code)
    if view is None:
        raise NotFound("no organisation with this credit code")
    ctx.subjects_touched.add(view.subject_id)
    return view.subject_id


@strawberry.type
class AssessmentQuery:
    @strawberry.field(
        description=(
            "Credit check (信用核查) for an approval or public service: list status, restrictions for a "
            "black-listed subject, facilitation for a red-listed or three-years-clean one, and the "
            "records that justify them. A person is checked only with their consent for the stated "
            "purpose, opening records and lists, or under a legal basis, as for person(...)."
        ),
        extensions=for_roles(Role.PARTNER),
    )
    def credit_check(
        self,
        info: Info,
        subject: CheckSubject,
        matter: CheckMatter,
        purpose: ConsentPurpose | None = None,
        consent: str | None = None,
        legal_basis: LegalBasisInput | None = None,
    ) -> CreditCheck:
        ctx: RequestContext = info.context
        if (subject.credit_code is None) == (subject.id_number is None):
            raise InvalidInput("subject", "name exactly one of creditCode and idNumber")
        subjects = caller_subjects(ctx.caller)
        if subject.id_number is not None:
            if purpose is None and legal_basis is None:
                raise InvalidInput(
                    "purpose", "a check of a person states the purpose the person consented to"
                )
            admitted = admitted_person(
                ctx, id_number=subject.id_number, purpose=purpose, consent=consent, legal_basis=legal_basis,
                field="subject.idNumber",
            )  # fmt: skip
            subject_id = admitted.person_id
            if not CHECK_SCOPES <= admitted.scopes:
                raise ConsentScopeMissing("a credit check needs a consent opening RECORDS and LISTS")
            subjects |= consent_subjects(admitted.scopes)
        else:
            assert subject.credit_code is not None
            subject_id = _organization(ctx, subject.credit_code, field="subject.creditCode")
        outcome = credit_checks.check_subject(
            ctx.session,
            subject_id=subject_id,
            is_person=subject.id_number is not None,
            matter=matter,
            rules=ctx.services.lifecycle,
            now=ctx.now,
            cipher=ctx.services.cipher,
        )
        return CreditCheck(outcome=outcome, subjects=subjects)

    @strawberry.field(
        description=(
            "Public credit evaluation of an organisation or agency: grade A-D, score and each record's "
            "contribution (policies/credit-grades.toml). Repaired, revoked, expired and past-period "
            "records never count."
        ),
        extensions=for_roles(Role.PARTNER, Role.PROVIDER, Role.AUDITOR, Role.ADMIN),
    )
    def credit_evaluation(self, info: Info, credit_code: str) -> CreditEvaluation:
        ctx: RequestContext = info.context
        subject_id = _organization(ctx, credit_code, field="creditCode")
        evaluation = evaluations.evaluate_subject(
            ctx.session,
            subject_id=subject_id,
            is_person=False,
            rules=ctx.services.lifecycle,
            now=ctx.now,
            cipher=ctx.services.cipher,
        )
        return CreditEvaluation(
            evaluation=evaluation, subjects=caller_subjects(ctx.caller), viewer=viewer_for(ctx.caller)
        )

    @strawberry.field(
        description="The calling individual's own credit evaluation, free of charge.",
        extensions=for_roles(Role.INDIVIDUAL),
    )
    def my_credit_evaluation(self, info: Info) -> CreditEvaluation:
        ctx: RequestContext = info.context
        assert ctx.caller.person_id is not None
        if reads.subject_kinds(ctx.session, [ctx.caller.person_id]) == {}:
            raise NotFound("no record for this person")
        evaluation = evaluations.evaluate_subject(
            ctx.session,
            subject_id=ctx.caller.person_id,
            is_person=True,
            rules=ctx.services.lifecycle,
            now=ctx.now,
            cipher=ctx.services.cipher,
        )
        subjects = caller_subjects(ctx.caller) | {SELF}
        viewer = viewer_for(ctx.caller, own_record=True)
        return CreditEvaluation(evaluation=evaluation, subjects=subjects, viewer=viewer)

    @strawberry.field(
        description=(
            "Double-publicity data quality per providing authority over receipt dates [from, to] in China "
            "time (default: this quarter to date): your own authority (providers), or any or all "
            "(admins, auditors)."
        ),
        extensions=for_roles(Role.PROVIDER, Role.ADMIN, Role.AUDITOR),
    )
    def data_quality(
        self,
        info: Info,
        authority_code: str | None = None,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> list[DataQuality]:
        ctx: RequestContext = info.context
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
