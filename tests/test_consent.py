from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from gateway.access import consent as consents
from gateway.access.consent import ConsentAction, ConsentGrant
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
from gateway.keys.crypto import FieldCipher
from gateway.store.inputs import PersonInput
from gateway.store.models import Consent
from gateway.store.writer import StoreWriter
from gateway.workdays import WorkCalendar
from tests.helpers import credit_code, id_number

NOW = datetime(2026, 5, 6, 10, 0, tzinfo=UTC)
BANK = credit_code("913700001111111")
OTHER = credit_code("913700002222222")
PURPOSE = ConsentPurpose.FINANCIAL_SERVICE


@pytest.fixture
def person_ids(engine: Engine, cipher: FieldCipher) -> list[str]:
    people = [
        PersonInput(name="李娜", id_number=id_number(seq=1)),
        PersonInput(name="王芳", id_number=id_number(seq=2)),
    ]
    with Session(engine, expire_on_commit=False) as s, s.begin():
        results = StoreWriter(s, cipher, calendar=WorkCalendar()).write(people)
    return [r.id for r in results if r.id]


def _grant(engine: Engine, person_id: str, *, max_uses: int = 3, ttl: timedelta = timedelta(days=30)) -> str:
    req = ConsentGrant(BANK, PURPOSE, frozenset({ConsentScope.IDENTITY, ConsentScope.RECORDS}), ttl, max_uses)
    with Session(engine, expire_on_commit=False) as s, s.begin():
        return consents.grant(s, person_id=person_id, request=req, now=NOW).id


def _use(
    engine: Engine,
    consent_id: str,
    person_id: str | None,
    *,
    org: str = BANK,
    purpose: ConsentPurpose = PURPOSE,
    now: datetime = NOW,
) -> Consent:
    with Session(engine, expire_on_commit=False) as s, s.begin():
        return consents.use(
            s, consent_id=consent_id, person_id=person_id, caller_org=org, purpose=purpose, now=now
        ).consent


def test_a_consent_counts_its_uses_and_refuses_past_the_maximum(
    engine: Engine, person_ids: list[str]
) -> None:
    cid = _grant(engine, person_ids[0], max_uses=2)
    assert _use(engine, cid, person_ids[0]).uses == 1
    assert _use(engine, cid, person_ids[0]).uses == 2
    with pytest.raises(ConsentExhausted):
        _use(engine, cid, person_ids[0])


@pytest.mark.parametrize("returning", [True, False], ids=["update-returning", "refresh"])
def test_a_counted_use_returns_the_row_as_the_update_left_it_and_reserves_its_use_row(
    engine: Engine, person_ids: list[str], monkeypatch: pytest.MonkeyPatch, returning: bool
) -> None:
    """The conditional UPDATE reads the counted row back itself (RETURNING): the read and the UPDATE,
    no refresh, then the use's row (paired with the audit event later). Without RETURNING (a SQLite
    older than 3.35) the row is refreshed instead."""
    cid = _grant(engine, person_ids[0])
    monkeypatch.setattr(engine.dialect, "update_returning", returning)
    later = NOW + timedelta(hours=1)
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", count)
    try:
        row = _use(engine, cid, person_ids[0], now=later)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    counted = ["SELECT", "UPDATE"] if returning else ["SELECT", "UPDATE", "SELECT"]
    assert statements == [*counted, "INSERT"]
    with Session(engine) as s:
        stored = s.scalars(select(Consent).where(Consent.id == cid)).one()
        assert (row.uses, row.updated_at, row.status) == (1, later, ConsentStatus.ACTIVE)
        assert (stored.uses, stored.updated_at) == (row.uses, row.updated_at)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"org": OTHER}, ConsentWrongGrantee),
        ({"purpose": ConsentPurpose.EMPLOYMENT}, ConsentPurposeMismatch),
        ({"now": NOW + timedelta(days=31)}, ConsentExpired),
    ],
)
def test_each_refusal_has_its_own_error(
    engine: Engine, person_ids: list[str], kwargs: dict, error: type
) -> None:  # type: ignore[type-arg]
    cid = _grant(engine, person_ids[0])
    with pytest.raises(error):
        _use(engine, cid, person_ids[0], **kwargs)
    assert _use(engine, cid, person_ids[0]).uses == 1  # a refusal does not count a use


def test_pause_resume_and_final_revocation(engine: Engine, person_ids: list[str]) -> None:
    cid = _grant(engine, person_ids[0])
    change = lambda action: _change(engine, person_ids[0], cid, action)  # noqa: E731
    assert change(ConsentAction.PAUSE).status is ConsentStatus.PAUSED
    with pytest.raises(ConsentPaused):
        _use(engine, cid, person_ids[0])
    assert change(ConsentAction.RESUME).status is ConsentStatus.ACTIVE
    _use(engine, cid, person_ids[0])
    assert change(ConsentAction.REVOKE).status is ConsentStatus.REVOKED
    with pytest.raises(ConsentRevoked):
        _use(engine, cid, person_ids[0])
    with pytest.raises(ConsentRevoked):
        change(ConsentAction.RESUME)


def test_only_the_person_can_change_their_consent(engine: Engine, person_ids: list[str]) -> None:
    cid = _grant(engine, person_ids[0])
    with pytest.raises(NotFound):
        _change(engine, person_ids[1], cid, ConsentAction.REVOKE)


def test_consent_for_another_person_looks_like_an_unknown_person(
    engine: Engine, person_ids: list[str]
) -> None:
    cid = _grant(engine, person_ids[0])
    for target in (person_ids[1], None):
        with pytest.raises(PersonUnavailable) as info:
            _use(engine, cid, target)
        assert info.value.code == "PERSON_UNAVAILABLE"
    assert _use(engine, cid, person_ids[0]).uses == 1


def test_a_wrong_grantee_learns_nothing_about_the_consent_state(
    engine: Engine, person_ids: list[str]
) -> None:
    cid = _grant(engine, person_ids[0])
    _change(engine, person_ids[0], cid, ConsentAction.REVOKE)
    with pytest.raises(ConsentWrongGrantee):
        _use(engine, cid, person_ids[0], org=OTHER)


@pytest.mark.parametrize(
    ("ttl", "uses", "field"),
    [
        (timedelta(days=366), 1, "ttlSeconds"),
        (timedelta(seconds=10), 1, "ttlSeconds"),
        (timedelta(days=1), 0, "maxUses"),
    ],
)
def test_grants_are_bounded(
    engine: Engine, person_ids: list[str], ttl: timedelta, uses: int, field: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        _grant(engine, person_ids[0], max_uses=uses, ttl=ttl)
    assert info.value.field == field


def test_concurrent_uses_never_exceed_the_maximum(engine: Engine, person_ids: list[str]) -> None:
    cid = _grant(engine, person_ids[0], max_uses=10)
    outcomes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(50)

    def worker() -> None:
        barrier.wait()
        try:
            _use(engine, cid, person_ids[0])
            result = "ok"
        except ConsentExhausted:
            result = "exhausted"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 10
    assert outcomes.count("exhausted") == 40
    with Session(engine) as s:
        row = s.get(Consent, cid)
        assert row is not None and row.uses == 10


def _change(engine: Engine, person_id: str, cid: str, action: ConsentAction) -> Consent:
    with Session(engine, expire_on_commit=False) as s, s.begin():
        return consents.change(s, person_id=person_id, consent_id=cid, action=action, now=NOW)
