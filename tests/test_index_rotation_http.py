"""Index key rotation beside a running gateway, over real HTTP: a partner's lookups by identity
number answer while the rotation is interrupted half-way, after it resumes and retires the old key,
and on a gateway started afterwards; the auditor still finds the person's earlier events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.access.tokens import Role
from gateway.api.app import create_app
from gateway.keys.index_rotation import index_status, rotate_index
from gateway.keys.keyring import load_keyring
from gateway.store import db
from tests.api_client import gql, grant, partner
from tests.gateway_fixtures import LI, ZHANG, GatewayEnv, build_env
from tests.server import running

PERSON = """
query($id: String!, $consent: String, $purpose: ConsentPurpose!) {
  person(idNumber: $id, consent: $consent, purpose: $purpose) { id name }
}"""
EVENTS = """
query($filter: AuditEventFilter, $first: Int!) {
  auditEvents(filter: $filter, first: $first) { nodes { seq rootFields subjects } }
}"""


class Interrupted(Exception):
    pass


def _stop_after_first(_rows: int) -> None:
    raise Interrupted


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> GatewayEnv:
    return build_env(tmp_path, database_url)


def _lookup(client: httpx.Client, env: GatewayEnv, number: str, token: str) -> dict[str, Any]:
    body = gql(client, PERSON, {"id": number, "consent": token, "purpose": "FINANCIAL_SERVICE"}, partner(env))
    assert "errors" not in body, body
    person: dict[str, Any] = body["data"]["person"]
    return person


def test_lookups_by_identity_number_answer_during_and_after_an_interrupted_index_rotation(
    env: GatewayEnv,
) -> None:
    keyring_path = env.settings.keyring_path
    engine = db.make_engine(env.settings.database_url)
    try:
        # Step 1 of docs/keys.md: the new key first, then every gateway (re)started with both keys.
        rotate_index(keyring_path, engine, add_only=True)
        people = {"zhang": ZHANG.id_number, "li": LI.id_number}
        with running(create_app(env.settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
            tokens = {who: grant(client, env, ["IDENTITY"], uses=10, who=who)[1] for who in people}
            before = {who: _lookup(client, env, number, tokens[who]) for who, number in people.items()}
            assert {who: p["id"] for who, p in before.items()} == {w: env.ids[w] for w in people}

            with pytest.raises(Interrupted):  # one person recomputed, the other not yet
                rotate_index(keyring_path, engine, batch_size=1, on_batch=_stop_after_first)
            assert index_status(load_keyring(keyring_path), engine).counts["persons"] == {1: 1, 2: 1}
            during = {who: _lookup(client, env, number, tokens[who]) for who, number in people.items()}

            result = rotate_index(keyring_path, engine, batch_size=1)
            assert (result.retired, result.remaining) == (1, 0)
            after = {who: _lookup(client, env, number, tokens[who]) for who, number in people.items()}
        assert before == during == after

        # A gateway started now holds the new index key only, and the old one is gone from the file.
        assert load_keyring(keyring_path).previous_index is None
        with running(create_app(env.settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
            restarted = {who: _lookup(client, env, number, tokens[who]) for who, number in people.items()}
            events = gql(
                client,
                EVENTS,
                {"filter": {"subjectIdNumber": ZHANG.id_number}, "first": 50},
                env.headers(Role.AUDITOR, subject="auditor-1"),
            )
        assert restarted == before
        nodes = events["data"]["auditEvents"]["nodes"]
        # Zhang's grant and the four lookups before, during, after and on the new gateway.
        assert [n["rootFields"] for n in nodes].count(["person"]) == 4
        assert [n["rootFields"] for n in nodes].count(["grantConsent"]) == 1
    finally:
        engine.dispose()
