"""Consent: a person lets one organisation read their record, for one purpose, within limits.

Modelled on the consent artefacts of open-banking and account-aggregator systems and on the
credit-reporting rule that a query of personal credit needs the person's written consent and an
agreed purpose (000 个人 五(二), 001 (十五)). A consent names its grantee (credit code), purpose,
scopes (field groups), expiry and maximum number of uses; the person can pause, resume and revoke it.

Services take a session and never commit: the request's unit of work decides.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from gateway.access import consent_uses
from gateway.clock import as_utc
from gateway.domain import ConsentPurpose, ConsentScope, ConsentStatus
from gateway.errors import (
    ConsentExhausted,
    ConsentExpired,
    ConsentPaused,
    ConsentPurposeMismatch,
    ConsentRevoked,
    ConsentWrongGrantee,
    InvalidInput,
    NotFound,
    PersonUnavailable,
)
from gateway.identifiers import normalize_credit_code
from gateway.store import keyset
from gateway.store.keyset import After
from gateway.store.models import Consent

MAX_TTL = timedelta(days=365)
MAX_USES = 1_000
_CONSENT_ID = re.compile(r"[0-9a-f]{32}")  # secrets.token_hex(16), as grant() makes them
PERSON_UNAVAILABLE_MESSAGE = "no person record is available for this identity number with this consent"

# The statements of ``use``, on every consented lookup, are built once at import with named
# parameters: building them per call cost more Python than the database spent running them.
_CONSENT_BY_ID = select(Consent).where(Consent.id == bindparam("consent_id"))
# One atomic conditional UPDATE: it counts the use only while the consent still has uses left, is
# active and has not expired, whatever another transaction did since the checks read the row. It is
# a Core statement on the table: the ORM's UPDATE path copied and annotated the statement on every
# execution, for an object it does not need to synchronise (``use`` reads the row back itself).
_CONSENTS = Consent.__table__
_COUNT_USE = (
    update(_CONSENTS)
    .where(
        _CONSENTS.c.id == bindparam("consent_id"),
        _CONSENTS.c.uses < _CONSENTS.c.max_uses,
        _CONSENTS.c.status == ConsentStatus.ACTIVE,
        _CONSENTS.c.expires_at > bindparam("now"),
    )
    .values(uses=_CONSENTS.c.uses + 1, updated_at=bindparam("updated_at"))
)
# The same UPDATE returning the counted row (SQLite >= 3.35, PostgreSQL): its values are set on the
# session's object as loaded, in place of a separate refresh SELECT.
_COUNT_USE_RETURNING = _COUNT_USE.returning(*_CONSENTS.c)
_CONSENT_COLUMNS = tuple((attr.key, attr.columns[0]) for attr in Consent.__mapper__.column_attrs)


@dataclass(frozen=True, slots=True)
class CountedUse:
    """A consent as its counted use left it, and the use's row, which the lookup's audit event pairs
    (``gateway.access.consent_uses``)."""

    consent: Consent
    use_id: str


class ConsentAction(StrEnum):
    PAUSE = "PAUSE"
    RESUME = "RESUME"
    REVOKE = "REVOKE"


@dataclass(frozen=True, slots=True)
class ConsentGrant:
    grantee_code: str
    purpose: ConsentPurpose
    scopes: frozenset[ConsentScope]
    ttl: timedelta
    max_uses: int

    def validated(self) -> ConsentGrant:
        code = normalize_credit_code(self.grantee_code, field="grantee")
        if not self.scopes:
            raise InvalidInput("scopes", "name at least one scope")
        if not timedelta(minutes=1) <= self.ttl <= MAX_TTL:
            raise InvalidInput("ttlSeconds", f"must be between 60 and {int(MAX_TTL.total_seconds())} seconds")
        if not 1 <= self.max_uses <= MAX_USES:
            raise InvalidInput("maxUses", f"must be between 1 and {MAX_USES}")
        return ConsentGrant(code, self.purpose, self.scopes, self.ttl, self.max_uses)


def scopes_of(consent: Consent) -> frozenset[ConsentScope]:
    return frozenset(ConsentScope(s) for s in consent.scopes.split(",") if s)


def grant(session: Session, *, person_id: str, request: ConsentGrant, now: datetime) -> Consent:
    req = request.validated()
    consent = Consent(
        id=secrets.token_hex(16),
        person_id=person_id,
        grantee_code=req.grantee_code,
        purpose=req.purpose,
        scopes=",".join(sorted(req.scopes)),
        status=ConsentStatus.ACTIVE,
        created_at=now,
        updated_at=now,
        expires_at=now + req.ttl,
        max_uses=req.max_uses,
        uses=0,
    )
    session.add(consent)
    session.flush()
    return consent


def list_for_person(
    session: Session, *, person_id: str, after: After | None = None, limit: int | None = None
) -> Sequence[Consent]:
    """The person's consents, newest first (then by id); ``after`` and ``limit`` make a keyset page."""
    stmt = (
        select(Consent)
        .where(Consent.person_id == person_id)
        .order_by(Consent.created_at.desc(), Consent.id)
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(keyset.following(Consent.created_at, Consent.id, after))
    return session.scalars(stmt).all()


def change(
    session: Session, *, person_id: str, consent_id: str, action: ConsentAction, now: datetime
) -> Consent:
    """Pause, resume or revoke one's own consent. Revocation is final."""
    if not _CONSENT_ID.fullmatch(consent_id):  # an id is 32 hex digits; anything else, say a NUL, is none
        raise NotFound("no such consent")
    consent = session.scalar(select(Consent).where(Consent.id == consent_id, Consent.person_id == person_id))
    if consent is None:
        raise NotFound("no such consent")
    if consent.status is ConsentStatus.REVOKED:
        raise ConsentRevoked("the consent was revoked; grant a new one")
    target = {
        ConsentAction.PAUSE: ConsentStatus.PAUSED,
        ConsentAction.RESUME: ConsentStatus.ACTIVE,
        ConsentAction.REVOKE: ConsentStatus.REVOKED,
    }[action]
    consent.status = target
    consent.updated_at = now
    session.flush()
    return consent


def use(
    session: Session,
    *,
    consent_id: str,
    person_id: str | None,
    caller_org: str | None,
    purpose: ConsentPurpose,
    now: datetime,
) -> CountedUse:
    """Check a consent for this caller and purpose, and count one use, atomically.

    Checks run grantee first, so an organisation holding someone else's consent learns nothing about
    its state. ``person_id`` is the subject the caller asked for (None when the identity number is
    unknown); a mismatch is PERSON_UNAVAILABLE, the same answer as for a lookup without consent, and
    the use is not counted.

    The returned row is as the UPDATE left it: read back by its RETURNING clause where the database
    has one, else by a refresh. The use's row is reserved in the same transaction; it counts for good
    once the audit event of the lookup is committed with it (``consent_uses``).
    """
    consent = session.scalars(_CONSENT_BY_ID, {"consent_id": consent_id}).one_or_none()
    if consent is None or caller_org is None or not secrets.compare_digest(consent.grantee_code, caller_org):
        raise ConsentWrongGrantee("this consent was not granted to the calling organisation")
    if consent.status is ConsentStatus.REVOKED:
        raise ConsentRevoked("the person revoked this consent")
    if consent.status is ConsentStatus.PAUSED:
        raise ConsentPaused("the person paused this consent")
    if as_utc(consent.expires_at) <= now:
        raise ConsentExpired("the consent has expired")
    if consent.purpose is not purpose:
        raise ConsentPurposeMismatch("the stated purpose is not the purpose the person agreed to")
    if person_id is None or not secrets.compare_digest(consent.person_id, person_id):
        raise PersonUnavailable(PERSON_UNAVAILABLE_MESSAGE)
    params = {"consent_id": consent_id, "now": now, "updated_at": now}
    if session.get_bind(Consent).dialect.update_returning:
        row = session.execute(_COUNT_USE_RETURNING, params).one_or_none()
        if row is None:
            raise ConsentExhausted("the consent has no uses left")
        for key, column in _CONSENT_COLUMNS:
            set_committed_value(consent, key, row._mapping[column])
    else:
        counted = session.execute(_COUNT_USE, params)
        if counted.rowcount != 1:  # type: ignore[attr-defined]
            raise ConsentExhausted("the consent has no uses left")
        session.refresh(consent)
    return CountedUse(consent, consent_uses.reserve(session, consent_id=consent_id, now=now))
