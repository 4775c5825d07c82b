"""The one path to a person's data for a partner: the person's consent for the stated purpose, or a
legal basis stated by an agency the policy allows to read without consent.

Used by ``person(...)`` and by ``creditCheck`` of a person. The rule is ``gateway.access.admission``;
this path validates the arguments, looks the person up, checks a consent token's signature, calls the
rule, and notes for the audit event what the lookup rested on. An unknown identity number and a
refused lookup give the same PERSON_UNAVAILABLE (the gateway is no oracle of who exists).
"""

from __future__ import annotations

import strawberry

from gateway.access import admission
from gateway.access.admission import Admission
from gateway.access.lawful import LegalBasis
from gateway.api.context import RequestContext
from gateway.domain import ConsentPurpose, StatutoryPurpose
from gateway.identifiers import normalize_id_number
from gateway.store import reads


@strawberry.input(
    description=(
        "What an agency reading a person without consent acts under (policies/lawful-access.toml "
        "names the agency kinds and their purposes). Refused with LEGAL_BASIS_INVALID unless it has the "
        "shape of a basis: law (2-60 characters), article (第…条[第…款][第（…）项] or Article n), and a "
        "case or document number with its year in brackets, ending in 号 (at most 38 characters)."
    )
)
class LegalBasisInput:
    law: str = strawberry.field(description="The law or regulation, e.g. 中华人民共和国民事诉讼法.")
    article: str = strawberry.field(description="The article, e.g. 第二百五十五条.")
    reference: str = strawberry.field(description="Case or document number, e.g. (2026)鲁1702执123号.")
    purpose: StatutoryPurpose

    def parsed(self) -> LegalBasis:
        return LegalBasis.parse(
            law=self.law, article=self.article, reference=self.reference, purpose=self.purpose
        )


def admitted_person(
    ctx: RequestContext,
    *,
    id_number: str,
    purpose: ConsentPurpose | None,
    consent: str | None,
    legal_basis: LegalBasisInput | None,
    field: str,
) -> Admission:
    """The admitted lookup (consent counted, or basis noted for the audit event), or raise."""
    number = normalize_id_number(id_number, field=field)
    basis = legal_basis.parsed() if legal_basis is not None else None
    admission.check_request(consent=consent, purpose=purpose, basis=basis)
    if basis is not None:
        ctx.legal_bases.add(basis.key)  # stated, whether admitted or not: the auditor sees both
    ctx.purpose = basis.purpose.value if basis is not None else (purpose.value if purpose else None)
    # Look the person up whatever the consent or basis says, so every failure costs the same.
    person_id = reads.find_person_id(ctx.session, ctx.services.cipher, number)
    consent_id = None
    if basis is None and consent is not None:
        consent_id = ctx.services.consent_tokens.verify(consent, now=ctx.now)
        ctx.consent_id = consent_id
    admitted = admission.admit(
        ctx.session, caller=ctx.caller, person_id=person_id, consent_id=consent_id, purpose=purpose,
        basis=basis, rules=ctx.services.lawful_access, now=ctx.now,
    )  # fmt: skip
    if admitted.use_id is not None:
        ctx.consent_uses.append(admitted.use_id)  # paired with this operation's audit event when it commits
    if admitted.lawful is not None and admitted.lawful.notice_after is not None:
        ctx.withhold_notice_until(admitted.lawful.notice_after)
    ctx.subjects_touched.add(admitted.person_id)
    return admitted
