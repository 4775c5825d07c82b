"""The auditor API over real HTTP: paging through the log, the subject filter, counts, anomaly flags,
the verification status, and proofs that verify against the served heads with the pure functions."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from gateway.access.tokens import Role
from gateway.api.app import create_app
from gateway.audit.heads import HeadSigner, TreeHead, audit_public_keys, verify_head
from gateway.audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from gateway.audit.store import AuditLog, HeadSchedule
from gateway.clock import utcnow
from gateway.domain import AgencyKind
from tests.audit_helpers import (
    PERSON_QUERY,
    connection,
    event_count,
    grant,
    individual,
    partner,
    post,
)
from tests.gateway_fixtures import LI, MARKET, ZHANG, GatewayEnv, build_env
from tests.server import running

EVENTS = """
query($filter: AuditEventFilter, $first: Int!, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    nodes { seq callerId role organization outcome errorCodes consentId subjects pseudonyms rootFields
            fieldsWhole fieldsDenied body leafHash }
    pageInfo { endCursor hasNextPage }
  }
}"""
HEAD = "treeSize rootHash timestamp keyId signature"
VERIFICATION = f"query($full: Boolean!) {{ auditVerification(full: $full) {{ treeSize headSignatureValid headMatchesTree latestHead {{ {HEAD} }} fullCheck {{ ok eventsChecked firstBadIndex problem }} }} }}"
INCLUSION = f"query($seq: Long!, $size: Long) {{ auditInclusionProof(seq: $seq, treeSize: $size) {{ seq treeSize event leafHash path rootHash head {{ {HEAD} }} }} }}"
CONSISTENCY = f"query($first: Long!, $second: Long) {{ auditConsistencyProof(first: $first, second: $second) {{ first second firstRootHash secondRootHash path firstHead {{ {HEAD} }} secondHead {{ {HEAD} }} }} }}"


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> GatewayEnv:
    return build_env(tmp_path, database_url)


@pytest.fixture
def client(env: GatewayEnv) -> Iterator[httpx.Client]:
    with running(create_app(env.settings)) as base, httpx.Client(base_url=base, timeout=10) as http:
        yield http


def auditor(env: GatewayEnv) -> dict[str, str]:
    return env.headers(Role.AUDITOR, subject="auditor-1")


def ask(
    client: httpx.Client, query: str, variables: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    response = post(client, query, variables, headers)
    assert response.status_code == 200, response.text
    return response.json()


def data(
    client: httpx.Client, query: str, variables: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    body = ask(client, query, variables, headers)
    assert "errors" not in body, body["errors"]
    return body["data"]


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def traffic(client: httpx.Client, env: GatewayEnv) -> str:
    """A consented lookup of Zhang, a refused lookup of Li, a wrong grantee, public reads; the consent id."""
    token, consent_id = grant(client, env, ["IDENTITY", "RECORDS"])
    post(
        client,
        PERSON_QUERY,
        {"id": ZHANG.id_number, "consent": token, "purpose": "FINANCIAL_SERVICE"},
        partner(env),
    )
    post(client, PERSON_QUERY, {"id": LI.id_number, "purpose": "FINANCIAL_SERVICE"}, partner(env))
    other = partner(env, org=MARKET.credit_code, kind=AgencyKind.MARKET_REGULATION)
    post(
        client, PERSON_QUERY, {"id": ZHANG.id_number, "consent": token, "purpose": "FINANCIAL_SERVICE"}, other
    )
    for _ in range(3):
        post(client, "{ __typename }")
    return consent_id


def walk(
    client: httpx.Client, env: GatewayEnv, first: int, filter: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        page = data(client, EVENTS, {"filter": filter, "first": first, "after": after}, auditor(env))[
            "auditEvents"
        ]
        nodes.extend(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


def sign_head(env: GatewayEnv) -> None:
    audit_log = AuditLog(HeadSigner(env.keyring), HeadSchedule(), clock=utcnow)
    with connection(env.settings.database_url) as conn:
        audit_log.sign_head(conn)


def test_an_auditor_pages_through_every_event_exactly_once(client: httpx.Client, env: GatewayEnv) -> None:
    traffic(client, env)
    total = event_count(env.settings.database_url)
    nodes = walk(client, env, first=2)
    seqs = [n["seq"] for n in nodes]
    # Each page request adds its own event at the end, which a later page then shows: still every
    # event exactly once, in order.
    assert seqs == list(range(len(seqs))) and len(seqs) >= total
    for node in nodes:
        assert hashlib.sha256(b"\x00" + node["body"].encode()).hexdigest() == node["leafHash"]
        assert json.loads(node["body"])["seq"] == node["seq"]


@pytest.mark.parametrize("role", [Role.PARTNER, Role.INDIVIDUAL, Role.PROVIDER, Role.ADMIN, Role.PUBLIC])
@pytest.mark.parametrize(
    "query",
    [
        "{ auditEvents { nodes { seq } } }",
        "{ auditStats { events } }",
        "{ auditAnomalies { kind } }",
        "{ auditVerification { treeSize } }",
        "{ auditInclusionProof(seq: 0, treeSize: 1) { path } }",
    ],
)
def test_everyone_but_an_auditor_is_refused(
    client: httpx.Client, env: GatewayEnv, role: Role, query: str
) -> None:
    post(client, "{ __typename }")
    headers = {
        Role.PARTNER: partner(env),
        Role.INDIVIDUAL: individual(env),
        Role.PROVIDER: env.headers(Role.PROVIDER, org_code=MARKET.credit_code),
        Role.ADMIN: env.headers(Role.ADMIN, subject="admin-1"),
        Role.PUBLIC: {},
    }[role]
    body = ask(client, query, {}, headers)
    assert codes(body) == ["FORBIDDEN_OPERATION"] and body["data"] is None


def test_filters_narrow_the_events(client: httpx.Client, env: GatewayEnv) -> None:
    consent_id = traffic(client, env)
    everything = walk(client, env, first=500)

    def matching(filter: dict[str, Any]) -> list[int]:
        return [n["seq"] for n in walk(client, env, first=500, filter=filter)]

    def seqs(pred: Any) -> list[int]:
        return [n["seq"] for n in everything if pred(n)]

    assert matching({"role": "partner"}) == seqs(lambda n: n["role"] == "partner")
    assert matching({"organization": MARKET.credit_code}) == seqs(
        lambda n: n["organization"] == MARKET.credit_code
    )
    assert matching({"outcome": "REFUSED"}) == seqs(lambda n: n["outcome"] == "REFUSED")
    assert matching({"operation": "person"}) == seqs(lambda n: n["rootFields"] == ["person"])
    assert matching({"errorCode": "CONSENT_WRONG_GRANTEE"}) == seqs(
        lambda n: n["consentId"] == consent_id and n["organization"] == MARKET.credit_code
    )
    assert matching({"callerId": "anonymous"}) == seqs(lambda n: n["callerId"] == "anonymous")
    assert len(matching({"operation": "person"})) == 3
    assert matching({"from": "2000-01-01T00:00:00Z", "to": "2001-01-01T00:00:00Z"}) == []


def test_the_subject_filter_finds_a_persons_lookups_by_identity_number_and_shows_no_plaintext(
    client: httpx.Client, env: GatewayEnv
) -> None:
    traffic(client, env)
    response = post(
        client, EVENTS, {"filter": {"subjectIdNumber": ZHANG.id_number}, "first": 50}, auditor(env)
    )
    body = response.json()
    nodes = body["data"]["auditEvents"]["nodes"]
    # Zhang's own grant, the bank's answered lookup, the refused one of the wrong grantee; not Li's.
    assert [n["rootFields"] for n in nodes] == [["grantConsent"], ["person"], ["person"]]
    assert any(n["subjects"] == [env.ids["zhang"]] for n in nodes)
    assert ZHANG.id_number not in response.text and LI.id_number not in response.text
    # The auditor's own search is logged with the number pseudonymised, like every other request.
    with connection(env.settings.database_url) as conn:
        bodies = [bytes(b).decode() for b in conn.execute(text("SELECT body FROM audit_events")).scalars()]
    assert not any(ZHANG.id_number in b for b in bodies)
    assert json.loads(bodies[-1])["variables"]["filter"]["subjectIdNumber"].startswith("idn:")


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"first": 0}, "first"),
        ({"first": 501}, "first"),
        ({"first": 5, "after": "not-a-cursor"}, "after"),
        ({"first": 5, "after": base64.urlsafe_b64encode(b"seq:-1").decode()}, "after"),
        ({"first": 5, "filter": {"subjectIdNumber": "110101199001011234"}}, "subjectIdNumber"),
        ({"first": 5, "filter": {"from": "2026-03-12T00:00:00Z", "to": "2026-03-11T00:00:00Z"}}, "to"),
        ({"first": 5, "filter": {"from": "2026-03-12T00:00:00", "to": "2026-03-11T00:00:00+08:00"}}, "to"),
    ],
)
def test_bad_paging_or_filter_input_is_invalid_input(
    client: httpx.Client, env: GatewayEnv, variables: dict[str, Any], field: str
) -> None:
    body = ask(client, EVENTS, variables, auditor(env))
    assert codes(body) == ["INVALID_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == field


def test_stats_count_events_refusals_and_distinct_persons(client: httpx.Client, env: GatewayEnv) -> None:
    traffic(client, env)
    before = event_count(env.settings.database_url)
    stats = data(client, "{ auditStats { events refusals distinctPersons outcomes { outcome events } "
                         "callers { callerId role organization events refusals distinctPersons } "
                         "organizations { organization events refusals distinctPersons } } }", {}, auditor(env))["auditStats"]  # fmt: skip
    assert stats["events"] == before
    assert stats["distinctPersons"] == 2  # Zhang and Li were named
    assert sum(o["events"] for o in stats["outcomes"]) == before
    bank = next(
        c for c in stats["callers"] if c["role"] == "partner" and c["organization"] != MARKET.credit_code
    )
    assert (bank["events"], bank["refusals"], bank["distinctPersons"]) == (2, 1, 2)
    market = next(o for o in stats["organizations"] if o["organization"] == MARKET.credit_code)
    assert (market["events"], market["refusals"], market["distinctPersons"]) == (1, 1, 1)
    assert stats["refusals"] == sum(c["refusals"] for c in stats["callers"])


def test_the_wrong_grantee_is_flagged(client: httpx.Client, env: GatewayEnv) -> None:
    consent_id = traffic(client, env)
    flags = data(
        client, "{ auditAnomalies { kind callerId organization count seqs detail } }", {}, auditor(env)
    )
    wrong = [f for f in flags["auditAnomalies"] if f["kind"] == "CONSENT_NOT_GRANTEE"]
    assert (
        len(wrong) == 1
        and wrong[0]["organization"] == MARKET.credit_code
        and consent_id in wrong[0]["detail"]
    )


def test_the_verification_status_and_a_full_check(client: httpx.Client, env: GatewayEnv) -> None:
    traffic(client, env)
    sign_head(env)
    status = data(client, VERIFICATION, {"full": True}, auditor(env))["auditVerification"]
    head = status["latestHead"]
    assert status["headSignatureValid"] is True and status["headMatchesTree"] is True
    assert head["treeSize"] == status["treeSize"] == event_count(env.settings.database_url) - 1
    assert status["fullCheck"]["ok"] is True and status["fullCheck"]["firstBadIndex"] is None
    assert verify_head(served_head(head), audit_public_keys(env.keyring)[head["keyId"]])
    assert data(client, VERIFICATION, {"full": False}, auditor(env))["auditVerification"]["fullCheck"] is None


def served_head(head: dict[str, Any]) -> TreeHead:
    return TreeHead(head["treeSize"], bytes.fromhex(head["rootHash"]), head["timestamp"], head["keyId"],
                    base64.b64decode(head["signature"]))  # fmt: skip


def test_served_proofs_verify_against_the_served_heads(client: httpx.Client, env: GatewayEnv) -> None:
    traffic(client, env)
    sign_head(env)
    older = data(client, VERIFICATION, {"full": False}, auditor(env))["auditVerification"]["latestHead"]
    for _ in range(5):
        post(client, "{ __typename }")
    sign_head(env)
    newer = data(client, VERIFICATION, {"full": False}, auditor(env))["auditVerification"]["latestHead"]
    keys = audit_public_keys(env.keyring)
    assert newer["treeSize"] > older["treeSize"]
    for seq in (0, 3, older["treeSize"] - 1):
        proof = data(client, INCLUSION, {"seq": seq, "size": older["treeSize"]}, auditor(env))[
            "auditInclusionProof"
        ]
        leaf = leaf_hash(proof["event"].encode("utf-8"))
        assert leaf.hex() == proof["leafHash"]
        assert proof["head"] == older
        assert verify_inclusion(seq, older["treeSize"], leaf, [bytes.fromhex(p) for p in proof["path"]],
                                bytes.fromhex(older["rootHash"]))  # fmt: skip
    # Any caller with a token may check that the log only grew; the default second is the newest head.
    proof = data(client, CONSISTENCY, {"first": older["treeSize"]}, partner(env))["auditConsistencyProof"]
    assert (proof["firstHead"], proof["secondHead"]) == (older, newer)
    assert verify_head(served_head(newer), keys[newer["keyId"]])
    assert verify_consistency(older["treeSize"], newer["treeSize"], bytes.fromhex(older["rootHash"]),
                              bytes.fromhex(newer["rootHash"]), [bytes.fromhex(p) for p in proof["path"]])  # fmt: skip
    assert codes(ask(client, CONSISTENCY, {"first": 1}, {})) == ["FORBIDDEN_OPERATION"]


@pytest.mark.parametrize(
    ("query", "variables", "field"),
    [
        (INCLUSION, {"seq": 0, "size": 10_000}, "treeSize"),
        (INCLUSION, {"seq": 5, "size": 5}, "seq"),
        (INCLUSION, {"seq": -1, "size": 5}, "seq"),
        (CONSISTENCY, {"first": 6, "second": 5}, "first"),
        (CONSISTENCY, {"first": 1, "second": 10_000_000_000}, "second"),
    ],
)
def test_proofs_beyond_the_tree_are_invalid_input(
    client: httpx.Client, env: GatewayEnv, query: str, variables: dict[str, Any], field: str
) -> None:
    for _ in range(6):
        post(client, "{ __typename }")
    body = ask(client, query, variables, auditor(env))
    assert codes(body) == ["INVALID_INPUT"] and body["errors"][0]["extensions"]["field"] == field


def test_a_non_integer_sequence_number_is_bad_user_input(client: httpx.Client, env: GatewayEnv) -> None:
    body = ask(client, INCLUSION, {"seq": "3", "size": 5}, auditor(env))
    assert codes(body) == ["BAD_USER_INPUT"]


ALL_DIGIT_AGENCY = "113717004228567147"  # a valid credit code of digits only, like the demo partner's


def test_an_agency_with_an_all_digit_credit_code_is_logged_under_its_own_id(
    client: httpx.Client, env: GatewayEnv
) -> None:
    headers = env.headers(
        Role.PARTNER, subject=ALL_DIGIT_AGENCY, org_code=ALL_DIGIT_AGENCY, agency_kind=AgencyKind.FINANCE
    )
    assert "errors" not in ask(client, "{ __typename }", {}, headers)
    nodes = data(client, EVENTS, {"filter": {"callerId": ALL_DIGIT_AGENCY}, "first": 10}, auditor(env))[
        "auditEvents"
    ]["nodes"]
    assert [(n["callerId"], n["organization"], n["pseudonyms"]) for n in nodes] == [
        (ALL_DIGIT_AGENCY, ALL_DIGIT_AGENCY, [])
    ]
    stats = data(client, "{ auditStats { distinctPersons } }", {}, auditor(env))["auditStats"]
    assert stats["distinctPersons"] == 0  # the agency's code is no phantom person


@pytest.mark.parametrize("literal", ["1.5", '"7"', "FOO", "true", "99999999999999999999999"])
def test_a_sequence_number_literal_that_is_no_whole_number_is_a_validation_error(
    client: httpx.Client, env: GatewayEnv, literal: str
) -> None:
    for headers in (auditor(env), {}):
        response = post(client, f"{{ auditInclusionProof(seq: {literal}) {{ path }} }}", {}, headers)
        assert response.status_code in (200, 400), response.text
        body = response.json()
        assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"], body
