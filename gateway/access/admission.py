"""Whether a partner may read a person: the one rule, with its two doors.

A partner reads a person (``person(...)``, ``creditCheck`` of a person) either

- with the person's **consent** for the stated purpose (``gateway.access.consent.use``: grantee, state,
  expiry, purpose, subject, counted use; 000 个人 五(二), 001 (十五)), or
- **without consent, under a legal basis**, when its agency kind may state that statutory purpose
  (``gateway.access.lawful``; 001 (十七), the credit-reporting rule's exceptions).

Nothing else opens a person. An unknown identity number, a missing consent, and a basis stated by an
agency the policy does not name all give PERSON_UNAVAILABLE: the gateway is no oracle of who exists.
What is wrong with the request itself (both doors at once, no purpose) is refused whoever it names.

Services take a session and never commit: the request's unit of work decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.access import consent as consents
from gateway.access.lawful import PERSON_UNAVAILABLE_MESSAGE as NO_BASIS_MESSAGE
from gateway.access.lawful import LawfulAccessRules, LawfulLookup, LegalBasis
from gateway.access.tokens import Caller
from gateway.domain import ConsentPurpose, ConsentScope
from gateway.errors import InvalidInput, PersonUnavailable
from gateway.store.models import Consent


@dataclass(frozen=True, slots=True)
class Admission:
    """A lookup the rule let through: whom, which consent scopes it opens, and by which door."""

    person_id: str
    scopes: frozenset[ConsentScope]
    consent: Consent | None
    lawful: LawfulLookup | None
    use_id: str | None = None  # the counted use's row, which the lookup's audit event pairs


def check_request(*, consent: str | None, purpose: ConsentPurpose | None, basis: LegalBasis | None) -> None:
    """The request names one door and what that door needs; INVALID_INPUT otherwise. Decided on the
    arguments alone, before anybody is looked up."""
    if basis is not None and consent is not None:
        raise InvalidInput("legalBasis", "state either a consent or a legal basis, not both")
    if basis is not None and purpose is not None:
        raise InvalidInput("purpose", "a lookup under a legal basis states its purpose in legalBasis.purpose")
    if basis is None and consent is not None and purpose is None:
        raise InvalidInput("purpose", "a lookup with consent states the purpose the person consented to")


def admit(
    session: Session,
    *,
    caller: Caller,
    person_id: str | None,
    consent_id: str | None,
    purpose: ConsentPurpose | None,
    basis: LegalBasis | None,
    rules: LawfulAccessRules,
    now: datetime,
) -> Admission:
    """Let the lookup of ``person_id`` (None: nobody has the identity number) through one door, or
    raise. ``consent_id`` is the id of a consent token whose signature was already checked."""
    check_request(consent=consent_id, purpose=purpose, basis=basis)
    if basis is not None:
        lookup = rules.admit(caller, basis, now=now)
        if person_id is None:
            raise PersonUnavailable(NO_BASIS_MESSAGE)
        return Admission(person_id=person_id, scopes=lookup.scopes, consent=None, lawful=lookup)
    if consent_id is None or purpose is None:
        raise PersonUnavailable(consents.PERSON_UNAVAILABLE_MESSAGE)
    counted = consents.use(
        session,
        consent_id=consent_id,
        person_id=person_id,
        caller_org=caller.org_code,
        purpose=purpose,
        now=now,
    )
    assert person_id is not None  # use() raised PersonUnavailable otherwise
    return Admission(
        person_id=person_id,
        scopes=consents.scopes_of(counted.consent),
        consent=counted.consent,
        lawful=None,
        use_id=counted.use_id,
    )
