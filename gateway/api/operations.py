"""The subjects' fields of the Query and Mutation roots (composed in ``gateway.api.schema``):
organisation and person lookups, the individual's and the enterprise's own record, consents,
providers' submissions.

Each field declares the roles that may run it (``for_roles``); resolvers call services and wrap
results in guarded types; all decisions about data live below this layer."""

from __future__ import annotations

from datetime import timedelta

import strawberry
from strawberry.types import Info

from gateway.access import consent as consents
from gateway.access.consent import ConsentAction, ConsentGrant
from gateway.access.own import own_organization
from gateway.access.subjects import SELF, caller_subjects, consent_subjects, reading, viewer_for
from gateway.access.tokens import Role
from gateway.api import paging
from gateway.api.consented import LegalBasisInput, admitted_person
from gateway.api.context import RequestContext
from gateway.api.paging import PageInfo
from gateway.api.record_inputs import RecordSubmission, submission_mapping
from gateway.api.roles import for_roles
from gateway.api.types import Consent, Organization, Person
from gateway.audit.changes import Change, ChangeKind
from gateway.domain import ConsentPurpose, ConsentScope
from gateway.errors import NotFound
from gateway.identifiers import normalize_credit_code
from gateway.store import reads
from gateway.store.reads import OrganizationView
from gateway.store.submissions import SubmissionResult, submit_records


@strawberry.input
class GrantConsentInput:
    grantee: str = strawberry.field(description="Credit code of the organisation that may use the consent.")
    purpose: ConsentPurpose
    scopes: list[ConsentScope]
    ttl_seconds: int = strawberry.field(default=30 * 24 * 3600, description="Lifetime, at most one year.")
    max_uses: int = strawberry.field(default=1, description="How many lookups the consent allows (1-1000).")


@strawberry.type(description="A page of consents (consentsPage).")
class ConsentConnection:
    nodes: list[Consent]
    page_info: PageInfo


@strawberry.type
class ConsentGrantPayload:
    consent: Consent
    token: str = strawberry.field(description="Signed consent token to hand to the grantee.")


@strawberry.type
class Rejection:
    index: int
    field: str | None
    reason: str


@strawberry.type
class SubmitRecordsPayload:
    created: int
    updated: int
    unchanged: int
    rejected: list[Rejection]


def _person_for_self(ctx: RequestContext) -> Person:
    assert ctx.caller.person_id is not None
    view = reads.persons_by_id(ctx.session, ctx.services.cipher, [ctx.caller.person_id]).get(
        ctx.caller.person_id
    )
    if view is None:
        raise NotFound("no record for this person")
    ctx.subjects_touched.add(view.subject_id)
    return Person(
        view=view,
        policy_subjects=caller_subjects(ctx.caller) | {SELF},
        viewer=viewer_for(ctx.caller, own_record=True),
    )


def organization_for_caller(ctx: RequestContext, view: OrganizationView) -> Organization:
    """An organisation as the caller reads it: its own record under ``self:organization`` for the
    enterprise it is, else as the caller's role (an enterprise reading another, as the public)."""
    ctx.subjects_touched.add(view.subject_id)
    read = reading(ctx.caller, own_record=ctx.is_own(view.subject_id))
    return Organization(
        view=view,
        policy_subjects=read.policy_subjects,
        viewer=read.viewer,
        person_subjects=read.policy_subjects,
    )


@strawberry.type
class SubjectQuery:
    @strawberry.field(description="An organisation or agency by its unified social credit code.")
    def organization(self, info: Info, credit_code: str) -> Organization | None:
        ctx: RequestContext = info.context
        code = normalize_credit_code(credit_code, field="creditCode")
        view = reads.find_organization(ctx.session, ctx.services.cipher, code)
        if view is None:
            return None
        return organization_for_caller(ctx, view)

    @strawberry.field(
        description=(
            "A person's record, for a partner holding the person's consent for the stated purpose, or "
            "for an agency the policy lets read without consent, under the legal basis it states "
            "(legalBasis, in place of consent and purpose). An unknown identity number and a missing, "
            "non-matching or unentitled consent or basis give the same error."
        ),
        extensions=for_roles(Role.PARTNER),
    )
    def person(
        self,
        info: Info,
        id_number: str,
        purpose: ConsentPurpose | None = None,
        consent: str | None = None,
        legal_basis: LegalBasisInput | None = None,
    ) -> Person:
        ctx: RequestContext = info.context
        admitted = admitted_person(
            ctx,
            id_number=id_number,
            purpose=purpose,
            consent=consent,
            legal_basis=legal_basis,
            field="idNumber",
        )
        person_id = admitted.person_id
        view = reads.persons_by_id(ctx.session, ctx.services.cipher, [person_id])[person_id]
        subjects = caller_subjects(ctx.caller) | consent_subjects(admitted.scopes)
        return Person(view=view, policy_subjects=subjects, viewer=viewer_for(ctx.caller))

    @strawberry.field(
        description="The calling individual's own record: free of charge, no consent needed.",
        extensions=for_roles(Role.INDIVIDUAL),
    )
    def me(self, info: Info) -> Person:
        ctx: RequestContext = info.context
        return _person_for_self(ctx)

    @strawberry.field(
        description=(
            "The calling enterprise's own record (the organisation its token's credit code names): "
            "free of charge, unpublished parts included; its legal representative's identity masked."
        ),
        extensions=for_roles(Role.ENTERPRISE),
    )
    def my_organization(self, info: Info) -> Organization:
        ctx: RequestContext = info.context
        view = own_organization(ctx.session, ctx.services.cipher, ctx.caller)
        if view is None:
            raise NotFound("no organisation with this token's credit code is in the store")
        return organization_for_caller(ctx, view)

    @strawberry.field(
        description="The calling individual's consents, newest first.", extensions=for_roles(Role.INDIVIDUAL)
    )
    def consents(self, info: Info) -> list[Consent]:
        ctx: RequestContext = info.context
        assert ctx.caller.person_id is not None
        return [Consent(row=c) for c in consents.list_for_person(ctx.session, person_id=ctx.caller.person_id)]

    @strawberry.field(
        description=(
            "The calling individual's consents, newest first, a page at a time: `first` is 1 to 500, "
            "pass pageInfo.endCursor as `after` for the next page."
        ),
        extensions=for_roles(Role.INDIVIDUAL),
    )
    def consents_page(
        self, info: Info, first: int = paging.DEFAULT_PAGE, after: str | None = None
    ) -> ConsentConnection:
        """``consents`` as a keyset page. A new field rather than arguments on ``consents``: that
        field's list type is published, and a connection in its place would break every client."""
        ctx: RequestContext = info.context
        person_id = ctx.caller.person_id
        assert person_id is not None
        result = paging.page(
            lambda cursor, limit: consents.list_for_person(
                ctx.session, person_id=person_id, after=cursor, limit=limit
            ),
            first=first,
            after=after,
            key=lambda c: (c.created_at, c.id),
        )
        return ConsentConnection(nodes=[Consent(row=c) for c in result.rows], page_info=result.page_info)


def _change(info: Info, consent_id: strawberry.ID, action: ConsentAction) -> Consent:
    ctx: RequestContext = info.context
    assert ctx.caller.person_id is not None
    row = consents.change(
        ctx.session, person_id=ctx.caller.person_id, consent_id=str(consent_id), action=action, now=ctx.now
    )
    return Consent(row=row)


@strawberry.type
class SubjectMutation:
    @strawberry.mutation(
        description="Grant an organisation access to your record for one purpose.",
        extensions=for_roles(Role.INDIVIDUAL),
    )
    def grant_consent(self, info: Info, input: GrantConsentInput) -> ConsentGrantPayload:
        ctx: RequestContext = info.context
        me = _person_for_self(ctx)
        request = ConsentGrant(
            grantee_code=input.grantee,
            purpose=input.purpose,
            scopes=frozenset(input.scopes),
            ttl=timedelta(seconds=input.ttl_seconds),
            max_uses=input.max_uses,
        )
        row = consents.grant(ctx.session, person_id=me.view.subject_id, request=request, now=ctx.now)
        token = ctx.services.consent_tokens.issue(row)
        return ConsentGrantPayload(consent=Consent(row=row), token=token)

    @strawberry.mutation(extensions=for_roles(Role.INDIVIDUAL))
    def pause_consent(self, info: Info, id: strawberry.ID) -> Consent:
        return _change(info, id, ConsentAction.PAUSE)

    @strawberry.mutation(extensions=for_roles(Role.INDIVIDUAL))
    def resume_consent(self, info: Info, id: strawberry.ID) -> Consent:
        return _change(info, id, ConsentAction.RESUME)

    @strawberry.mutation(
        description="Revoke a consent for good; later uses are refused with CONSENT_REVOKED.",
        extensions=for_roles(Role.INDIVIDUAL),
    )
    def revoke_consent(self, info: Info, id: strawberry.ID) -> Consent:
        return _change(info, id, ConsentAction.REVOKE)

    @strawberry.mutation(
        description=(
            "Data providers submit records of their own authority (who produces is responsible); "
            "validated exactly as imports are."
        ),
        extensions=for_roles(Role.PROVIDER),
    )
    def submit_records(self, info: Info, records: list[RecordSubmission]) -> SubmitRecordsPayload:
        ctx: RequestContext = info.context
        assert ctx.caller.org_code is not None
        result: SubmissionResult = submit_records(
            ctx.session,
            ctx.services.cipher,
            provider_code=ctx.caller.org_code,
            records=[submission_mapping(r) for r in records],
            calendar=ctx.services.calendar,
            now=ctx.now,
        )
        if result.changed:
            ctx.changes.append(
                Change(
                    ChangeKind.RECORDS_SUBMITTED,
                    result.changed,
                    {
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                        "rejected": len(result.rejected),
                        "records": {sid: sorted(ids) for sid, ids in result.changed.items()},
                    },
                )
            )
        return SubmitRecordsPayload(
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            rejected=[Rejection(index=i, field=f, reason=r) for i, f, r in result.rejected],
        )
