"""Each anomaly flag fires on crafted events in a real database, and stays quiet just below its
threshold."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gateway.access.consent import ConsentGrant, grant
from gateway.audit import queries
from gateway.audit.anomalies import AnomalyKind, Flag, Thresholds, detect
from gateway.audit.events import RequestOutcome
from gateway.audit.filters import EventFilter
from gateway.domain import ConsentPurpose, ConsentScope
from gateway.keys.keyring import Keyring
from gateway.store import db
from gateway.workdays import WorkCalendar
from tests.audit_review_helpers import CST_MORNING, append, event, minutes
from tests.gateway_fixtures import BANK_CODE, MARKET, GatewayEnv, build_env

CALENDAR = WorkCalendar.parse("2026-03-13 holiday\n2026-03-15 workday\n")
THRESHOLDS = Thresholds(
    persons_per_hour=3,
    refusal_burst=4,
    refusal_window=timedelta(minutes=10),
    working_hours=(time(8, 30), time(18, 0)),
    calendar=CALENDAR,
)


def flags(engine: Engine, kind: AnomalyKind, f: EventFilter | None = None) -> list[Flag]:
    window = f or EventFilter()
    with engine.connect() as conn:
        found = detect(
            queries.lookups(conn, window), queries.refusals(conn, window), queries.consent_uses(conn, window),
            THRESHOLDS,
        )  # fmt: skip
    return [x for x in found if x.kind is kind]


def test_more_distinct_persons_in_one_hour_than_the_norm_is_flagged(engine: Engine, keyring: Keyring) -> None:
    hour = CST_MORNING
    # bank: 4 distinct persons within 10:00-11:00 CST (one named twice); 3 in the next hour (at the limit)
    seqs = append(engine, keyring, [event(hour + minutes(i * 10), persons=[i % 4]) for i in range(5)])
    append(
        engine, keyring, [event(hour + timedelta(hours=1) + minutes(i), persons=[10 + i]) for i in range(3)]
    )
    # another caller with 3 persons in the first hour: at the limit, not over it
    append(engine, keyring, [event(hour + minutes(i), caller="other", persons=[i]) for i in range(3)])
    found = flags(engine, AnomalyKind.PERSONS_PER_HOUR)
    assert len(found) == 1
    flag = found[0]
    assert (flag.caller_id, flag.count, flag.threshold, flag.seqs) == ("bank", 4, 3, tuple(seqs))
    assert (flag.start, flag.end) == (hour, hour + timedelta(hours=1))


def test_several_persons_in_one_event_count_each(engine: Engine, keyring: Keyring) -> None:
    append(engine, keyring, [event(CST_MORNING, persons=[1, 2, 3, 4])])
    assert [f.count for f in flags(engine, AnomalyKind.PERSONS_PER_HOUR)] == [4]


def test_a_burst_of_refusals_is_flagged_and_fewer_are_not(engine: Engine, keyring: Keyring) -> None:
    refused = {"outcome": RequestOutcome.REFUSED, "errors": ["PERSON_UNAVAILABLE"]}
    burst = append(engine, keyring, [event(CST_MORNING + minutes(2 * i), **refused) for i in range(4)])  # type: ignore[arg-type]
    later = CST_MORNING + timedelta(hours=2)
    # three refusals in ten minutes, and a fourth eleven minutes after the first: no burst
    append(engine, keyring, [event(later + minutes(m), **refused) for m in (0, 5, 9, 11)])  # type: ignore[arg-type]
    append(engine, keyring, [event(later + minutes(1), caller="quiet") for _ in range(6)])
    found = flags(engine, AnomalyKind.REFUSAL_BURST)
    assert [(f.caller_id, f.count, f.seqs) for f in found] == [("bank", 4, tuple(burst))]
    assert (found[0].start, found[0].end) == (CST_MORNING, CST_MORNING + minutes(6))


def test_lookups_outside_working_hours_or_on_days_off_are_flagged(engine: Engine, keyring: Keyring) -> None:
    cst = lambda d, h, m=0: datetime(2026, 3, d, h, m, tzinfo=UTC) - timedelta(hours=8)  # noqa: E731
    working = [cst(11, 8, 30), cst(11, 17, 59), cst(15, 10)]  # Wednesday; an adjusted Sunday workday
    off = [cst(11, 8, 29), cst(11, 18, 0), cst(13, 10), cst(14, 10)]  # early, late, a holiday, Saturday
    append(engine, keyring, [event(t, persons=[1]) for t in working])
    off_seqs = append(engine, keyring, [event(t, persons=[2]) for t in off])
    append(engine, keyring, [event(cst(14, 11), root="organization")])  # no person named: not a lookup
    found = flags(engine, AnomalyKind.OFF_HOURS)
    assert sorted(s for f in found for s in f.seqs) == off_seqs
    assert [f.count for f in found] == [2, 1, 1]  # 11 March (twice), 13 March, 14 March


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> GatewayEnv:
    return build_env(tmp_path, database_url)


def test_a_consent_named_by_another_organisation_than_its_grantee_is_flagged(
    env: GatewayEnv, keyring: Keyring
) -> None:
    engine = db.make_engine(env.settings.database_url)
    try:
        with Session(engine) as session, session.begin():
            consent = grant(
                session,
                person_id=env.ids["zhang"],
                request=ConsentGrant(grantee_code=BANK_CODE, purpose=ConsentPurpose.FINANCIAL_SERVICE,
                                     scopes=frozenset({ConsentScope.IDENTITY}), ttl=timedelta(days=1), max_uses=5),
                now=CST_MORNING,
            )  # fmt: skip
            consent_id = consent.id
        append(engine, keyring, [event(CST_MORNING, org=BANK_CODE, consent_id=consent_id, persons=[1])])
        wrong = append(engine, keyring, [
            event(CST_MORNING + minutes(1), caller="market", org=MARKET.credit_code, consent_id=consent_id,
                  outcome=RequestOutcome.REFUSED, errors=["CONSENT_WRONG_GRANTEE"]),
            event(CST_MORNING + minutes(3), caller="market", org=MARKET.credit_code, consent_id=consent_id),
        ])  # fmt: skip
        unknown = append(engine, keyring, [event(CST_MORNING + minutes(5), consent_id="f" * 32)])
        found = flags(engine, AnomalyKind.CONSENT_NOT_GRANTEE)
        assert [(f.caller_id, f.count, f.seqs) for f in found] == [("market", 2, tuple(wrong)),
                                                                   ("bank", 1, tuple(unknown))]  # fmt: skip
        assert "not in the store" in found[1].detail
        # A time window narrows what is looked at.
        window = EventFilter(start=CST_MORNING + minutes(2), end=CST_MORNING + minutes(4))
        assert [f.seqs for f in flags(engine, AnomalyKind.CONSENT_NOT_GRANTEE, window)] == [(wrong[1],)]
    finally:
        engine.dispose()
