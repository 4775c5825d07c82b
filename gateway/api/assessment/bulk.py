"""``creditChecks``: one call checks up to ``[bulk] max_subjects`` subjects for one matter and purpose
(信用核查全覆盖, 002 二(三)4: an approvals office checks every applicant, a tender office every bidder).

Each row's check is what ``creditCheck`` answers for that subject alone; a row that ``creditCheck``
would refuse carries that refusal's code instead, and the batch goes on. Organisations are found and
checked a chunk at a time (``gateway.lifecycle.bulk_checks``); a person goes through the one path to a
person (``gateway.api.consented``: their consent token on the row, or the batch's legal basis) and
``check_subject``, as ``creditCheck`` does. Every subject checked is a subject of the request's one
audit event, so each finds the check in "who looked at me" and the auditor finds every subject.

Results come in one answer, in the order asked; nothing is stored. A spreadsheet larger than a
request's body allows (``GATEWAY_MAX_REQUEST_BYTES``) is sent in chunks (``credit-gateway check``).
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from gateway.access import admission
from gateway.access.subjects import caller_subjects, consent_subjects
from gateway.access.tokens import Role
from gateway.api.assessment.operations import CHECK_SCOPES
from gateway.api.assessment.types import CreditCheck
from gateway.api.consented import LegalBasisInput, admitted_person
from gateway.api.context import RequestContext
from gateway.api.roles import for_roles
from gateway.domain import CheckMatter, ConsentPurpose
from gateway.errors import (
    BatchTooLarge,
    ConsentError,
    ConsentScopeMissing,
    GatewayError,
    InvalidInput,
    NotFound,
    PersonUnavailable,
)
from gateway.identifiers import normalize_credit_code
from gateway.lifecycle import bulk_checks
from gateway.lifecycle import checks as credit_checks
from gateway.store import reads

# What a single creditCheck refuses for its subject alone: in a bulk check, that row's error code.
ROW_REFUSALS = (InvalidInput, NotFound, PersonUnavailable, ConsentError)


@strawberry.input(
    description=(
        "One subject of a bulk credit check: exactly one of creditCode and idNumber; for a person, the "
        "consent token they gave the caller (unless the batch states a legal basis)."
    )
)
class BulkCheckSubject:
    credit_code: str | None = None
    id_number: str | None = None
    consent: str | None = None


@strawberry.type(description="One row of a bulk credit check: the check, or why this subject was refused.")
class BulkCheckRow:
    index: int = strawberry.field(description="The subject's position in the request, from 0.")
    error_code: str | None = strawberry.field(
        description=(
            "The code creditCheck would refuse this subject with (INVALID_INPUT, NOT_FOUND, "
            "PERSON_UNAVAILABLE, CONSENT_*); null when checked."
        )
    )
    check: CreditCheck | None = strawberry.field(description="The check; null when refused.")


def _refused(index: int, error: GatewayError) -> BulkCheckRow:
    return BulkCheckRow(index=index, error_code=error.code, check=None)


@strawberry.type
class BulkCheckQuery:
    @strawberry.field(
        description=(
            "Credit checks (信用核查) of many subjects for one matter: each row what creditCheck answers "
            "for its subject, or the code it refuses it with, in the order asked. At most [bulk] "
            "max_subjects of policies/credit-check.toml (BATCH_TOO_LARGE). Persons need a consent "
            "opening RECORDS and LISTS for the purpose (the row's consent), or the batch's legal basis."
        ),
        extensions=for_roles(Role.PARTNER),
    )
    def credit_checks(
        self,
        info: Info,
        subjects: list[BulkCheckSubject],
        matter: CheckMatter,
        purpose: ConsentPurpose | None = None,
        legal_basis: LegalBasisInput | None = None,
    ) -> list[BulkCheckRow]:
        ctx: RequestContext = info.context
        limit = ctx.services.lifecycle.checks.max_bulk_subjects
        if len(subjects) > limit:
            raise BatchTooLarge("subjects", f"at most {limit} subjects in one bulk check")
        # What is wrong with the batch itself is refused whole, before anybody is looked up.
        basis = legal_basis.parsed() if legal_basis is not None else None
        consents = any(s.consent is not None for s in subjects)
        admission.check_request(consent="given" if consents else None, purpose=purpose, basis=basis)
        if purpose is None and basis is None and any(s.id_number is not None for s in subjects):
            raise InvalidInput("purpose", "a check of a person states the purpose the person consented to")
        if purpose is not None:
            ctx.purpose = purpose.value
        rows: dict[int, BulkCheckRow] = {}
        codes: dict[int, str] = {}
        for index, subject in enumerate(subjects):
            if (subject.credit_code is None) == (subject.id_number is None):
                rows[index] = _refused(
                    index, InvalidInput("subject", "name exactly one of creditCode and idNumber")
                )
            elif subject.credit_code is not None:
                try:
                    codes[index] = normalize_credit_code(subject.credit_code, field="subjects.creditCode")
                except InvalidInput as refused:
                    rows[index] = _refused(index, refused)
            else:
                rows[index] = _person_row(ctx, index, subject, matter, purpose, legal_basis)
        rows |= _organization_rows(ctx, codes, matter)
        return [rows[i] for i in range(len(subjects))]


def _organization_rows(
    ctx: RequestContext, codes: dict[int, str], matter: CheckMatter
) -> dict[int, BulkCheckRow]:
    """The organisations' rows, found and checked a chunk at a time; an unknown code is NOT_FOUND."""
    found = reads.organization_ids(ctx.session, ctx.services.cipher, codes.values())
    rows = {
        i: _refused(i, NotFound("no organisation with this credit code"))
        for i, c in codes.items()
        if c not in found
    }
    checked = [(i, found[c]) for i, c in codes.items() if c in found]
    ctx.subjects_touched.update(subject_id for _i, subject_id in checked)
    subjects = caller_subjects(ctx.caller)
    outcomes = bulk_checks.check_organizations(
        ctx.session, [s for _i, s in checked], matter=matter, rules=ctx.services.lifecycle, now=ctx.now
    )
    for (index, _subject_id), (_same, outcome) in zip(checked, outcomes, strict=True):
        rows[index] = BulkCheckRow(
            index=index, error_code=None, check=CreditCheck(outcome=outcome, subjects=subjects)
        )
    return rows


def _person_row(
    ctx: RequestContext,
    index: int,
    subject: BulkCheckSubject,
    matter: CheckMatter,
    purpose: ConsentPurpose | None,
    legal_basis: LegalBasisInput | None,
) -> BulkCheckRow:
    """A person's row by the path of ``creditCheck``: admitted by consent or basis, then checked."""
    assert subject.id_number is not None
    try:
        admitted = admitted_person(
            ctx, id_number=subject.id_number, purpose=purpose, consent=subject.consent, legal_basis=legal_basis,
            field="subjects.idNumber",
        )  # fmt: skip
        if not CHECK_SCOPES <= admitted.scopes:
            raise ConsentScopeMissing("a credit check needs a consent opening RECORDS and LISTS")
    except ROW_REFUSALS as refused:
        return _refused(index, refused)
    outcome = credit_checks.check_subject(
        ctx.session,
        subject_id=admitted.person_id,
        is_person=True,
        matter=matter,
        rules=ctx.services.lifecycle,
        now=ctx.now,
        cipher=ctx.services.cipher,
    )
    subjects = caller_subjects(ctx.caller) | consent_subjects(admitted.scopes)
    return BulkCheckRow(index=index, error_code=None, check=CreditCheck(outcome=outcome, subjects=subjects))
