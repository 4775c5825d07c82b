"""The one path to a person's data for a partner: the person's consent for the stated purpose.

Used by ``person(...)`` and by ``creditCheck`` of a person. An unknown identity number and a missing
or non-matching consent give the same PERSON_UNAVAILABLE (the gateway is no oracle of who exists);
``gateway.access.consent.use`` checks grantee, state, expiry, purpose and subject and counts one use.
"""

from __future__ import annotations

from gateway.access import consent as consents
from gateway.api.context import RequestContext
from gateway.domain import ConsentPurpose
from gateway.errors import PersonUnavailable
from gateway.identifiers import normalize_id_number
from gateway.store import reads
from gateway.store.models import Consent


def consented_person(
    ctx: RequestContext, *, id_number: str, purpose: ConsentPurpose, consent: str | None, field: str
) -> tuple[str, Consent]:
    """The person's subject id and the consent row, after counting one use."""
    number = normalize_id_number(id_number, field=field)
    ctx.purpose = purpose.value
    # Look the person up whatever the consent says, so both failures cost the same.
    person_id = reads.find_person_id(ctx.session, ctx.services.cipher, number)
    if consent is None:
        raise PersonUnavailable(consents.PERSON_UNAVAILABLE_MESSAGE)
    consent_id = ctx.services.consent_tokens.verify(consent, now=ctx.now)
    ctx.consent_id = consent_id
    counted = consents.use(
        ctx.session, consent_id=consent_id, person_id=person_id, caller_org=ctx.caller.org_code,
        purpose=purpose, now=ctx.now,
    )  # fmt: skip
    assert person_id is not None  # use() raised PersonUnavailable otherwise
    ctx.consent_uses.append(counted.use_id)  # paired with this operation's audit event when it commits
    ctx.subjects_touched.add(person_id)
    return person_id, counted.consent
