"""Consent over real HTTP: counted uses under concurrency across two gateway instances, expiry,
pause and resume, and scopes."""

from __future__ import annotations

import base64
import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from gateway.access.consent_tokens import ConsentTokens
from gateway.access.masking import mask_id_number, mask_name
from gateway.api.app import create_app
from gateway.store import db
from gateway.store.models import Consent
from tests.api_client import GRANT, codes, gql, grant, individual, partner, post
from tests.gateway_fixtures import BANK_CODE, ZHANG, GatewayEnv, build_env
from tests.server import running

PERSON = """
query($id: String!, $consent: String, $purpose: ConsentPurpose!) {
  person(idNumber: $id, consent: $consent, purpose: $purpose) { id name phone }
}"""
REQUESTS = 50
MAX_USES = 10


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> GatewayEnv:
    return build_env(tmp_path, database_url)


@pytest.fixture
def bases(env: GatewayEnv) -> Iterator[list[str]]:
    """Two gateway instances (what several workers are) serving one database."""
    with ExitStack() as stack:
        yield [stack.enter_context(running(create_app(env.settings))) for _ in range(2)]


def stored_uses(env: GatewayEnv, consent_id: str) -> int:
    engine = db.make_engine(env.settings.database_url)
    try:
        with Session(engine) as session:
            row = session.get(Consent, consent_id)
            assert row is not None
            return row.uses
    finally:
        engine.dispose()


def test_fifty_concurrent_lookups_on_two_instances_spend_exactly_the_granted_uses(
    env: GatewayEnv, bases: list[str]
) -> None:
    with httpx.Client(base_url=bases[0], timeout=30) as client:
        consent_id, token = grant(client, env, ["IDENTITY"], uses=MAX_USES)
    variables = {"id": ZHANG.id_number, "consent": token, "purpose": "FINANCIAL_SERVICE"}
    headers = partner(env)
    start = threading.Barrier(REQUESTS)
    answers: list[httpx.Response | BaseException] = [RuntimeError("no answer")] * REQUESTS

    def lookup(i: int) -> None:
        with httpx.Client(base_url=bases[i % 2], timeout=60) as client:
            start.wait()
            try:
                answers[i] = post(client, PERSON, variables, headers)
            except httpx.HTTPError as exc:
                answers[i] = exc

    threads = [threading.Thread(target=lookup, args=(i,)) for i in range(REQUESTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    outcomes: Counter[str] = Counter()
    for answer in answers:
        assert isinstance(answer, httpx.Response), answer
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        if body["data"] is not None and body["data"]["person"] is not None:
            assert body["data"]["person"]["name"] == ZHANG.name
            outcomes["answered"] += 1
        else:
            outcomes[",".join(codes(body))] += 1
    assert outcomes == {"answered": MAX_USES, "CONSENT_EXHAUSTED": REQUESTS - MAX_USES}
    assert stored_uses(env, consent_id) == MAX_USES


class MovableClock:
    """The gateway's service clock, stopped at the start of the test and moved only by the test (the
    caller-token clock is not touched)."""

    def __init__(self) -> None:
        self.start = datetime.now(UTC)
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return self.start + self.offset


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def client(env: GatewayEnv, clock: MovableClock) -> Iterator[httpx.Client]:
    app = create_app(env.settings)
    # A consent lives at least 60 s (gateway.access.consent.ConsentGrant) and the settings have no clock:
    # expiry is reached by moving the clock the gateway's services read "now" from.
    gateway = app.state.gateway
    gateway.services = replace(gateway.services, clock=clock)
    with running(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        yield http


def lookup(client: httpx.Client, env: GatewayEnv, token: str, query: str = PERSON) -> dict[str, Any]:
    variables = {"id": ZHANG.id_number, "consent": token, "purpose": "FINANCIAL_SERVICE"}
    return gql(client, query, variables, partner(env))


def change(
    client: httpx.Client, env: GatewayEnv, action: str, consent_id: str, who: str = "zhang"
) -> dict[str, Any]:
    mutation = f"mutation($id: ID!) {{ {action}Consent(id: $id) {{ id status uses }} }}"
    return gql(client, mutation, {"id": consent_id}, individual(env, who))


def test_a_consent_answers_until_its_expiry_and_then_is_refused_as_expired(
    client: httpx.Client, env: GatewayEnv, clock: MovableClock
) -> None:
    consent_id, token = grant(client, env, ["IDENTITY"], uses=5, ttl=60)
    assert lookup(client, env, token)["data"]["person"]["name"] == ZHANG.name
    clock.offset = timedelta(seconds=59)
    assert lookup(client, env, token)["data"]["person"]["name"] == ZHANG.name
    clock.offset = timedelta(seconds=61)
    expired = lookup(client, env, token)
    assert expired["data"] is None and codes(expired) == ["CONSENT_EXPIRED"]
    assert stored_uses(env, consent_id) == 2


@pytest.mark.parametrize("ttl", [59, 366 * 24 * 3600])
def test_a_consent_lifetime_outside_one_minute_to_one_year_is_refused(
    client: httpx.Client, env: GatewayEnv, ttl: int
) -> None:
    variables = {"grantee": BANK_CODE, "purpose": "EMPLOYMENT", "scopes": ["IDENTITY"], "uses": 1, "ttl": ttl}
    body = gql(client, GRANT, variables, individual(env))
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "ttlSeconds"}


def test_a_paused_consent_is_refused_and_answers_again_once_resumed(
    client: httpx.Client, env: GatewayEnv
) -> None:
    consent_id, token = grant(client, env, ["IDENTITY"], uses=5)
    assert lookup(client, env, token)["data"]["person"] is not None
    assert change(client, env, "pause", consent_id)["data"]["pauseConsent"]["status"] == "PAUSED"
    paused = lookup(client, env, token)
    assert paused["data"] is None and codes(paused) == ["CONSENT_PAUSED"]
    assert change(client, env, "resume", consent_id)["data"]["resumeConsent"]["status"] == "ACTIVE"
    assert lookup(client, env, token)["data"]["person"]["name"] == ZHANG.name
    listed = gql(client, "{ consents { id status uses } }", None, individual(env))
    assert listed["data"]["consents"] == [{"id": consent_id, "status": "ACTIVE", "uses": 2}]


def test_only_the_person_who_granted_a_consent_can_pause_it(client: httpx.Client, env: GatewayEnv) -> None:
    consent_id, token = grant(client, env, ["IDENTITY"])
    body = change(client, env, "pause", consent_id, who="li")
    assert body["data"] is None and codes(body) == ["NOT_FOUND"]
    assert lookup(client, env, token)["data"]["person"] is not None


def test_a_revoked_consent_cannot_be_resumed(client: httpx.Client, env: GatewayEnv) -> None:
    consent_id, token = grant(client, env, ["IDENTITY"])
    assert change(client, env, "revoke", consent_id)["data"]["revokeConsent"]["status"] == "REVOKED"
    assert codes(change(client, env, "resume", consent_id)) == ["CONSENT_REVOKED"]
    assert codes(lookup(client, env, token)) == ["CONSENT_REVOKED"]


FIELDS = "query($id: String!, $consent: String, $purpose: ConsentPurpose!) {" \
    " person(idNumber: $id, consent: $consent, purpose: $purpose) { name idNumber phone address } }"  # fmt: skip


def shown(body: dict[str, Any]) -> dict[str, Any]:
    denied = {e["path"][-1]: e["extensions"]["code"] for e in body.get("errors", [])}
    assert set(denied.values()) <= {"FORBIDDEN_FIELD"}
    return {k: ("denied" if k in denied else v) for k, v in body["data"]["person"].items()}


def test_each_consent_opens_the_fields_of_its_own_scopes(client: httpx.Client, env: GatewayEnv) -> None:
    _, identity = grant(client, env, ["IDENTITY"])
    _, contact = grant(client, env, ["CONTACT"])
    _, both = grant(client, env, ["IDENTITY", "CONTACT"])
    assert shown(lookup(client, env, identity, FIELDS)) == {
        "name": ZHANG.name, "idNumber": ZHANG.id_number, "phone": "denied", "address": "denied",
    }  # fmt: skip
    assert shown(lookup(client, env, contact, FIELDS)) == {
        "name": mask_name(ZHANG.name), "idNumber": mask_id_number(ZHANG.id_number),
        "phone": ZHANG.phone, "address": ZHANG.address,
    }  # fmt: skip
    assert shown(lookup(client, env, both, FIELDS)) == {
        "name": ZHANG.name, "idNumber": ZHANG.id_number, "phone": ZHANG.phone, "address": ZHANG.address,
    }  # fmt: skip


def test_scopes_come_from_the_stored_consent_not_from_the_token(
    client: httpx.Client, env: GatewayEnv
) -> None:
    consent_id, token = grant(client, env, ["IDENTITY"])
    # A token whose scopes claim was widened after signing does not verify.
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["scopes"] = ["CONTACT", "IDENTITY", "LISTS", "RECORDS"]
    widened = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert codes(lookup(client, env, f"{head}.{widened}.{signature}")) == ["CONSENT_INVALID"]
    # Even a genuinely signed token naming more scopes opens only what the person granted.
    engine = db.make_engine(env.settings.database_url)
    try:
        with Session(engine) as session:
            row = session.get(Consent, consent_id)
            assert row is not None
            session.expunge(row)
    finally:
        engine.dispose()
    row.scopes = "CONTACT,IDENTITY"
    resigned = ConsentTokens.from_keyring(env.keyring).issue(row)
    assert shown(lookup(client, env, resigned, FIELDS))["phone"] == "denied"
