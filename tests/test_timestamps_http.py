"""Timestamps leave the gateway as instants with their UTC offset, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from gateway.api.app import create_app
from gateway.domain import Category
from gateway.keys.crypto import FieldCipher
from gateway.store import db
from gateway.store.inputs import RecordInput, SubjectRef
from gateway.store.writer import StoreWriter
from gateway.workdays import WorkCalendar
from tests.api_client import gql, individual, partner
from tests.gateway_fixtures import COMPANY, MARKET, GatewayEnv, build_env
from tests.server import running

CHINA = timezone(timedelta(hours=8))
RECEIVED = datetime(2026, 3, 2, 10, 0, tzinfo=CHINA)  # 02:00 UTC


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> GatewayEnv:
    env = build_env(tmp_path, database_url)
    record = RecordInput(
        subject=SubjectRef(credit_code=COMPANY.credit_code), category=Category.ADMINISTRATIVE_LICENSING,
        document_number="菏市监许〔2026〕8号", authority_code=MARKET.credit_code, decision_date=date(2026, 2, 27),
        content="食品经营许可（延续）", provider_code=MARKET.credit_code, received_at=RECEIVED,
    )  # fmt: skip
    engine = db.make_engine(database_url)
    try:
        with Session(engine) as session, session.begin():
            StoreWriter(session, FieldCipher(env.keyring), calendar=WorkCalendar.load()).write([record])
    finally:
        engine.dispose()
    return env


@pytest.fixture
def client(env: GatewayEnv) -> Iterator[httpx.Client]:
    with running(create_app(env.settings)) as base, httpx.Client(base_url=base, timeout=10) as http:
        yield http


def test_a_receipt_time_given_in_china_standard_time_comes_back_as_the_same_instant_in_utc(
    client: httpx.Client, env: GatewayEnv
) -> None:
    query = "query($c: String!) { organization(creditCode: $c) { records { documentNumber receivedAt } } }"
    records = gql(client, query, {"c": COMPANY.credit_code}, partner(env))["data"]["organization"]["records"]
    received = {r["documentNumber"]: r["receivedAt"] for r in records}
    assert received["菏市监许〔2026〕8号"] == "2026-03-02T02:00:00+00:00"
    assert all(datetime.fromisoformat(value).tzinfo is not None for value in received.values())


def test_consent_times_carry_their_offset_when_listed_as_when_granted(
    client: httpx.Client, env: GatewayEnv
) -> None:
    body = gql(client, GRANT_EXPIRY, None, individual(env))
    granted = body["data"]["grantConsent"]["consent"]
    listed = gql(client, "{ consents { id createdAt expiresAt } }", None, individual(env))["data"]["consents"]
    assert listed == [granted]
    for value in (granted["createdAt"], granted["expiresAt"]):
        assert datetime.fromisoformat(value).utcoffset() == timedelta(0)


GRANT_EXPIRY = f"""mutation {{ grantConsent(input: {{grantee: "{COMPANY.credit_code}", purpose: EMPLOYMENT,
  scopes: [IDENTITY]}}) {{ consent {{ id createdAt expiresAt }} }} }}"""
