"""Who looked at me, over real HTTP: an individual sees the lookups of themself and nobody else's, with
organisation, purpose, consent and field groups, summary counts, and proofs that verify against a
signed head with nothing but the pure functions; no other role can read a history."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event

from gateway.access.tokens import Role
from gateway.api.app import create_app
from gateway.audit.events import CallerFacts, RequestOutcome, draft_document
from gateway.audit.heads import HeadSigner, TreeHead, audit_public_keys, verify_head
from gateway.audit.merkle import leaf_hash, verify_inclusion
from gateway.audit.settings import AuditSettings
from gateway.audit.store import AuditLog, HeadSchedule
from gateway.store import db
from tests.audit_helpers import PERSON_QUERY, grant, individual, partner, post, sequences
from tests.cli import run_cli
from tests.gateway_fixtures import BANK_CODE, COMPANY, LI, ZHANG, GatewayEnv, build_env
from tests.server import running

HISTORY = """
query($first: Int!, $after: String, $own: Boolean!) {
  me { queryHistory(first: $first, after: $after, includeOwn: $own) {
    hasMore endCursor
    head { treeSize rootHash timestamp keyId signature }
    entries { seq time role agencyKind organization organizationName purpose consentId fieldGroups outcome
              ownRead leafHash proofPending event proof { leafIndex treeSize leafHash path } }
    summary { lastMonth lastTwoYears organizationsLastMonth organizationsLastTwoYears ownReadsLastMonth
              byPurpose { purpose lastMonth lastTwoYears } }
  } }
}"""
AUDIT_WRITES = re.compile(
    r"^\s*(UPDATE|DELETE)\b.*\baudit_(events|event_keys|heads|nodes|prunes)\b", re.I | re.S
)


@dataclass
class Lookups:
    env: GatewayEnv
    client: httpx.Client
    zhang: list[int]  # sequence numbers of the bank's lookups of Zhang
    li: list[int]
    consent: str  # the consent id the bank used for Zhang


def history(client: httpx.Client, headers: dict[str, str], first: int = 20, **more: Any) -> dict[str, Any]:
    variables = {"first": first, "after": more.get("after"), "own": more.get("own", False)}
    body = post(client, HISTORY, variables, headers).json()
    assert "errors" not in body, body
    return body["data"]["me"]["queryHistory"]  # type: ignore[no-any-return]


def lookup(client: httpx.Client, env: GatewayEnv, who: Any, token: str | None) -> int:
    variables = {"id": who.id_number, "consent": token, "purpose": "FINANCIAL_SERVICE"}
    response = post(client, PERSON_QUERY, variables, partner(env))
    assert response.status_code == 200
    return sequences(response)[0]


@pytest.fixture
def audit_statements() -> Iterator[list[str]]:
    """Every UPDATE or DELETE any engine sends to an audit table while the test runs."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if AUDIT_WRITES.match(statement):
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


@pytest.fixture
def looked_up(tmp_path: Path, database_url: str, audit_statements: list[str]) -> Iterator[Lookups]:
    # A head after every event, so that every earlier event has a proof when the history is read.
    env = build_env(tmp_path, database_url, audit=AuditSettings(head_every_events=1))
    with running(create_app(env.settings)) as base, httpx.Client(base_url=base, timeout=10) as client:
        zhang_token, zhang_consent = grant(client, env, ["IDENTITY", "RECORDS"])
        li_token, _ = grant(client, env, ["IDENTITY", "CONTACT"], who="li")
        zhang = [lookup(client, env, ZHANG, zhang_token), lookup(client, env, ZHANG, zhang_token)]
        li = [lookup(client, env, LI, li_token)]
        lookup(client, env, ZHANG, None)  # refused: no consent, nothing of Zhang returned
        yield Lookups(env, client, zhang, li, zhang_consent)
    assert audit_statements == [], "nothing but appends may write the audit tables"


def test_a_person_sees_the_lookups_of_themself_and_nobody_elses(looked_up: Lookups) -> None:
    env, client = looked_up.env, looked_up.client
    seen = history(client, individual(env))
    entries = seen["entries"]
    assert [e["seq"] for e in entries] == sorted(looked_up.zhang, reverse=True)
    for entry in entries:
        assert entry["role"] == "partner" and entry["agencyKind"] == "FINANCE"
        assert entry["organization"] == BANK_CODE
        assert entry["purpose"] == "FINANCIAL_SERVICE" and entry["consentId"] == looked_up.consent
        assert entry["fieldGroups"] == ["IDENTITY", "RECORDS"]
        assert entry["outcome"] == "PARTIAL" and entry["ownRead"] is False  # phone: denied
        assert datetime.fromisoformat(entry["time"]).utcoffset() == timedelta(0)  # UTC on every database
        document = json.loads(entry["event"])
        assert document["subjects"] == [env.ids["zhang"]] and document["seq"] == entry["seq"]
        assert leaf_hash(entry["event"].encode("utf-8")).hex() == entry["leafHash"]
    li_seen = history(client, individual(env, "li"))["entries"]
    assert [e["seq"] for e in li_seen] == looked_up.li
    assert all(env.ids["zhang"] not in (e["event"] or "") for e in li_seen)


def test_each_proof_verifies_against_the_signed_head(looked_up: Lookups) -> None:
    env, client = looked_up.env, looked_up.client
    seen = history(client, individual(env))
    served = seen["head"]
    head = TreeHead(
        tree_size=served["treeSize"],
        root_hash=bytes.fromhex(served["rootHash"]),
        timestamp_ms=int(served["timestamp"]),
        key_id=served["keyId"],
        signature=base64.b64decode(served["signature"]),
    )
    assert verify_head(head, audit_public_keys(env.keyring)[head.key_id])
    assert seen["entries"]
    for entry in seen["entries"]:
        proof = entry["proof"]
        assert entry["proofPending"] is False and proof["treeSize"] == head.tree_size
        assert proof["leafIndex"] == entry["seq"] and proof["leafHash"] == entry["leafHash"]
        path = [bytes.fromhex(p) for p in proof["path"]]
        leaf = bytes.fromhex(proof["leafHash"])
        assert verify_inclusion(entry["seq"], head.tree_size, leaf, path, head.root_hash)
        assert not verify_inclusion(entry["seq"], head.tree_size, leaf_hash(b"forged"), path, head.root_hash)


def test_the_summary_counts_lookups_by_others_per_purpose(looked_up: Lookups) -> None:
    env, client = looked_up.env, looked_up.client
    history(client, individual(env))  # an own read: counted apart
    summary = history(client, individual(env))["summary"]
    assert (summary["lastMonth"], summary["lastTwoYears"]) == (2, 2)
    assert (summary["organizationsLastMonth"], summary["organizationsLastTwoYears"]) == (1, 1)
    assert summary["byPurpose"] == [{"purpose": "FINANCIAL_SERVICE", "lastMonth": 2, "lastTwoYears": 2}]
    assert summary["ownReadsLastMonth"] >= 2  # the consent grant and the history reads


def test_own_reads_are_shown_apart_and_pages_follow_the_cursor(looked_up: Lookups) -> None:
    env, client = looked_up.env, looked_up.client
    everything = history(client, individual(env), own=True)["entries"]
    own = [e for e in everything if e["ownRead"]]
    assert own and all(e["role"] == "individual" for e in own)
    assert {e["seq"] for e in everything} - {e["seq"] for e in own} == set(looked_up.zhang)
    first = history(client, individual(env), first=1)
    assert first["hasMore"] and [e["seq"] for e in first["entries"]] == [max(looked_up.zhang)]
    second = history(client, individual(env), first=1, after=first["endCursor"])
    assert [e["seq"] for e in second["entries"]] == [min(looked_up.zhang)]
    assert second["hasMore"] is False and second["endCursor"] is None


@pytest.mark.parametrize(
    ("variables", "field"),
    [({"first": 0}, "first"), ({"first": 51}, "first"), ({"first": 5, "after": "-1"}, "after"),
     ({"first": 5, "after": "x" * 30}, "after")],
)  # fmt: skip
def test_bad_paging_is_invalid_input(looked_up: Lookups, variables: dict[str, Any], field: str) -> None:
    body = post(
        looked_up.client, HISTORY, {"own": False, "after": None, **variables}, individual(looked_up.env)
    ).json()
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": field}
    assert error["path"] == ["me", "queryHistory"]


def test_no_other_role_reads_a_history(looked_up: Lookups) -> None:
    env, client = looked_up.env, looked_up.client
    token, _ = grant(client, env, ["IDENTITY", "CONTACT", "RECORDS", "LISTS"])
    consented = """query($id: String!, $consent: String) {
      person(idNumber: $id, consent: $consent, purpose: FINANCIAL_SERVICE) { id queryHistory { hasMore } } }"""
    body = post(client, consented, {"id": ZHANG.id_number, "consent": token}, partner(env)).json()
    assert body["data"]["person"] == {"id": env.ids["zhang"], "queryHistory": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN_FIELD"]
    representative = """query($code: String!) {
      organization(creditCode: $code) { legalRepresentative { queryHistory { hasMore } } } }"""
    for headers in (
        env.headers(Role.ADMIN, subject="admin-1"),
        env.headers(Role.AUDITOR, subject="auditor-1"),
        env.headers(Role.PROVIDER, org_code=BANK_CODE),
        individual(env, "li"),
        partner(env),
        {},
    ):
        body = post(client, representative, {"code": COMPANY.credit_code}, headers).json()
        assert body["data"]["organization"]["legalRepresentative"] == {"queryHistory": None}, body
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN_FIELD"
        assert error["path"] == ["organization", "legalRepresentative", "queryHistory"]
    # Zhang, as the company's legal representative, reads his own history through it.
    body = post(client, representative, {"code": COMPANY.credit_code}, individual(env)).json()
    assert body["data"]["organization"]["legalRepresentative"]["queryHistory"] == {"hasMore": False}


def test_entries_newer_than_the_newest_head_wait_for_their_proof(tmp_path: Path, database_url: str) -> None:
    env = build_env(tmp_path, database_url)  # heads every 1000 events or 300 s: none yet
    with running(create_app(env.settings)) as base, httpx.Client(base_url=base, timeout=10) as client:
        token, _ = grant(client, env, ["IDENTITY"])
        seq = lookup(client, env, ZHANG, token)
        seen = history(client, individual(env))
    (entry,) = seen["entries"]
    assert entry["seq"] == seq and entry["proof"] is None and entry["proofPending"] is True
    assert seen["head"] is None or seen["head"]["treeSize"] <= seq


def _old_lookup(env: GatewayEnv, n: int) -> dict[str, Any]:
    return draft_document(
        time=datetime(2015, 1, 1, tzinfo=UTC) + timedelta(days=n),
        request_id=f"{n:016x}",
        batch_index=0,
        batch_size=1,
        caller=CallerFacts(id="bank", role="partner", organization=BANK_CODE, agency_kind="FINANCE"),
        client="10.0.0.1",
        operation_type="query",
        root_fields=["person"],
        subjects=[env.ids["zhang"]],
        field_outcomes={("Person.name", "WHOLE"): 1},
        purpose="LOAN_APPROVAL",
        outcome=RequestOutcome.ANSWERED,
        http_status=200,
        duration_us=1_000,
    )


def test_proofs_of_retained_lookups_still_verify_after_a_prune(tmp_path: Path, database_url: str) -> None:
    env = build_env(tmp_path, database_url, audit=AuditSettings(head_every_events=1))
    engine = db.make_engine(database_url)
    old = AuditLog(HeadSigner(env.keyring), HeadSchedule(), clock=lambda: datetime(2015, 3, 1, tzinfo=UTC))
    try:
        with engine.begin() as conn:  # 40 lookups of Zhang in 2015, under one head
            old.append(conn, [_old_lookup(env, n) for n in range(40)])
    finally:
        engine.dispose()
    keyring = env.settings.keyring_path
    pruned = run_cli(
        "audit", "prune", "--before", "2020-01-01", "--yes", keyring=keyring, database_url=database_url
    )
    assert pruned.returncode == 0 and "starts at index 32" in pruned.stdout, pruned.stderr
    with running(create_app(env.settings)) as base, httpx.Client(base_url=base, timeout=10) as client:
        token, _ = grant(client, env, ["IDENTITY"])
        seq = lookup(client, env, ZHANG, token)
        seen = history(client, individual(env), first=50)
    root = bytes.fromhex(seen["head"]["rootHash"])
    assert [e["seq"] for e in seen["entries"]] == [seq, *range(39, 31, -1)]
    for entry in seen["entries"]:
        proof = entry["proof"]
        path = [bytes.fromhex(p) for p in proof["path"]]
        assert verify_inclusion(entry["seq"], proof["treeSize"], bytes.fromhex(entry["leafHash"]), path, root)
    assert seen["summary"]["lastTwoYears"] == 1  # 2015 is long ago
    verified = run_cli("audit", "verify", keyring=keyring, database_url=database_url)
    assert verified.returncode == 0, verified.stdout
