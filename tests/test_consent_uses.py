"""A consent's use counts for good only with the audit event of the lookup that spent it.

The lookup's transaction counts the use and reserves its row; the audit writer's transaction pairs
the row with the event it appends. A worker that dies in between (simulated here by committing a use
and never submitting its event) leaves a reserved row: verification names it once the grace period
has passed, and the release gives the use back. A request whose row was released can no longer be
paired: its event is logged, its answer withheld."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gateway.access import consent as consents
from gateway.access import consent_uses
from gateway.access.consent import ConsentGrant
from gateway.audit.committer import GroupCommitter, Pairing
from gateway.audit.events import CallerFacts, RequestOutcome, draft_document
from gateway.audit.heads import HeadSigner
from gateway.audit.store import AuditLog, HeadSchedule
from gateway.domain import ConsentPurpose, ConsentScope
from gateway.errors import AuditUnavailable, ConsentExhausted
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import Keyring
from gateway.store.inputs import PersonInput
from gateway.store.writer import StoreWriter
from gateway.workdays import WorkCalendar
from tests.helpers import credit_code, id_number

NOW = datetime(2026, 5, 6, 10, 0, tzinfo=UTC)
GRACE = timedelta(minutes=5)
BANK = credit_code("913700001111111")
PURPOSE = ConsentPurpose.FINANCIAL_SERVICE


@pytest.fixture
def consent(engine: Engine, cipher: FieldCipher) -> tuple[str, str]:
    """(person id, consent id) of a consent of two uses."""
    with Session(engine, expire_on_commit=False) as s, s.begin():
        [person] = StoreWriter(s, cipher, calendar=WorkCalendar()).write(
            [PersonInput(name="李娜", id_number=id_number(seq=1))]
        )
        assert person.id is not None
        grant = ConsentGrant(BANK, PURPOSE, frozenset({ConsentScope.IDENTITY}), timedelta(days=30), 2)
        return person.id, consents.grant(s, person_id=person.id, request=grant, now=NOW).id


def _use(engine: Engine, person_id: str, consent_id: str, now: datetime = NOW) -> str:
    """A lookup's unit of work: the use counted and its row reserved, committed."""
    with Session(engine) as s, s.begin():
        counted = consents.use(
            s, consent_id=consent_id, person_id=person_id, caller_org=BANK, purpose=PURPOSE, now=now
        )
        return counted.use_id


def _committer(engine: Engine, keyring: Keyring) -> GroupCommitter:
    log = AuditLog(HeadSigner(keyring), HeadSchedule(every_events=1000, every_seconds=3600), lambda: NOW)
    return GroupCommitter(engine, log, window=0.0, pairing=Pairing(consent_uses.claim, consent_uses.pair))


def _event(consent_id: str) -> dict[str, object]:
    return draft_document(
        time=NOW, request_id="r1", batch_index=0, batch_size=1, caller=CallerFacts(id=BANK, role="partner"),
        client=None, consent_id=consent_id, outcome=RequestOutcome.ANSWERED, http_status=200, duration_us=1,
    )  # fmt: skip


def _check(engine: Engine, now: datetime = NOW) -> consent_uses.UseCheck:
    with engine.connect() as conn:
        return consent_uses.check(conn, now=now, grace=GRACE)


def _uses(engine: Engine, consent_id: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(text("SELECT uses FROM consents WHERE id = :id"), {"id": consent_id}).scalar_one()
        )


def test_a_use_committed_with_its_event_is_paired_with_it(
    engine: Engine, keyring: Keyring, consent: tuple[str, str]
) -> None:
    person_id, consent_id = consent
    use_id = _use(engine, person_id, consent_id)
    committer = _committer(engine, keyring)
    try:
        [seq] = committer.submit([_event(consent_id)], [(0, use_id)]).result(30)
    finally:
        committer.close()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT event_seq FROM consent_uses")).scalar_one() == seq
    assert _check(engine, NOW + 2 * GRACE) == consent_uses.UseCheck(1, 1, 0, 0, 0, 0)


def test_a_use_whose_event_never_came_is_named_by_verification_then_given_back(
    engine: Engine, consent: tuple[str, str]
) -> None:
    person_id, consent_id = consent
    _use(engine, person_id, consent_id)  # the worker died before its event was committed
    _use(engine, person_id, consent_id)
    with pytest.raises(ConsentExhausted):  # reserved uses count against the grant meanwhile
        _use(engine, person_id, consent_id)
    assert _check(engine).ok and _check(engine).waiting == 2  # within the grace period: on its way
    late = _check(engine, NOW + GRACE + timedelta(seconds=1))
    assert not late.ok and late.stale == 2 and "2 uses past the grace period have no event" in late.problem()
    assert consent_uses.release_stale(engine, before=NOW) == 0  # nothing is older than the cutoff yet
    assert consent_uses.release_stale(engine, before=NOW + timedelta(seconds=1)) == 2
    assert _uses(engine, consent_id) == 0
    assert _check(engine, NOW + GRACE + timedelta(seconds=1)) == consent_uses.UseCheck(0, 0, 0, 0, 0, 0)
    _use(engine, person_id, consent_id)  # the person's uses are theirs again


def test_a_request_whose_use_was_released_has_its_event_logged_and_its_answer_withheld(
    engine: Engine, keyring: Keyring, consent: tuple[str, str]
) -> None:
    person_id, consent_id = consent
    use_id = _use(engine, person_id, consent_id)
    assert consent_uses.release_stale(engine, before=NOW + GRACE) == 1
    committer = _committer(engine, keyring)
    try:
        with pytest.raises(AuditUnavailable):
            committer.submit([_event(consent_id)], [(0, use_id)]).result(30)
    finally:
        committer.close()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one() == 1
    assert _uses(engine, consent_id) == 0
    assert _check(engine).ok


def test_verification_names_a_consent_counting_other_than_its_uses(
    engine: Engine, consent: tuple[str, str]
) -> None:
    _person_id, consent_id = consent
    with engine.begin() as conn:
        conn.execute(text("UPDATE consents SET uses = uses + 1 WHERE id = :id"), {"id": consent_id})
    found = _check(engine)
    assert found.miscounted == 1 and "1 consents count other than their uses" in found.problem()
