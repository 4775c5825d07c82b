"""Load on PostgreSQL with two workers: ``credit-gateway serve --workers 2`` run for real, 32 clients
(threads, each request on a new connection so that both workers answer) mixing consented lookups,
consent grants, record submissions and audit reads, with a greedy caller and a revoked token beside
them. Bounded by a number of requests, not by time; no assertion on speed.

It pins what must hold however the requests interleave across the workers:

- every request that was answered, refusals included, has its audit event, and the log holds no other
  (the ``X-Audit-Sequence`` headers are exactly the log's sequences), and ``audit verify`` passes;
- a consent is never used more often than granted, though more lookups than its uses race for it;
- a token revoked through one worker is refused by both; a caller's rate limit holds across both;
- nothing answers 5xx or ``INTERNAL_ERROR``.

The figures of a run (requests, duration, requests per second, answers by code) are printed with
``-s`` and recorded in docs/security.md, "Load".
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from gateway.access.tokens import Role
from tests.api_client import GRANT, grant
from tests.audit_helpers import PERSON_QUERY, connection
from tests.cli import run_cli
from tests.gateway_fixtures import BANK_CODE, COMPANY, MARKET, ZHANG, GatewayEnv, build_env
from tests.workers import gateway_env, serving

CLIENTS = 32
PER_CLIENT = 20
CONSENT_USES = 30  # per consent; the lookup clients try far more often than that
BURST, RATE = 30, 0.2  # every load client stays within its burst; the greedy caller does not
GREEDY = 60
ORGANIZATION = "query($code: String!) { organization(creditCode: $code) { name } }"
SUBMIT = """mutation($records: [RecordSubmission!]!) { submitRecords(records: $records) { created } }"""
AUDIT_READ = "{ auditEvents(first: 10) { nodes { seq outcome } } }"
REVOKE = "mutation($id: String!) { revokeToken(tokenId: $id) { tokenId } }"

Ask = Callable[[int], tuple[str, dict[str, Any]]]


class Recorder:
    """Sends requests on new connections and keeps every answer, from every thread."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.responses: list[httpx.Response] = []
        self._lock = threading.Lock()

    def post(self, query: str, variables: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        with httpx.Client(base_url=self.url, timeout=60) as client:
            response = client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        with self._lock:
            self.responses.append(response)
        return response

    def sequences(self) -> set[int]:
        return {int(s) for r in self.responses for s in r.headers.get("X-Audit-Sequence", "").split(",") if s}


def codes(response: httpx.Response) -> list[str]:
    return [e["extensions"]["code"] for e in response.json().get("errors", [])]


def _clients(env: GatewayEnv, consents: list[str]) -> list[tuple[dict[str, str], Ask]]:
    """Each client's caller (its own token, so its own rate bucket) and what its k-th request asks."""
    made: list[tuple[dict[str, str], Ask]] = []
    for n in range(CLIENTS):
        kind = n % 4
        if kind == 0:
            headers = env.headers(
                Role.PARTNER, org_code=BANK_CODE, agency_kind="FINANCE", subject=f"bank-{n}"
            )
            lookup = {
                "id": ZHANG.id_number,
                "purpose": "FINANCIAL_SERVICE",
                "consent": consents[(n // 4) % 2],
            }
            made.append((headers, lambda k, v=lookup: (PERSON_QUERY, v)))
        elif kind == 1:
            headers = env.headers(Role.INDIVIDUAL, person_id=env.ids["zhang"], subject=f"zhang-{n}")
            given = {"grantee": BANK_CODE, "purpose": "FINANCIAL_SERVICE", "scopes": ["IDENTITY"], "uses": 1,
                     "ttl": 3600}  # fmt: skip
            made.append((headers, lambda k, v=given: (GRANT, v)))
        elif kind == 2:
            headers = env.headers(Role.PROVIDER, org_code=MARKET.credit_code, subject=f"market-{n}")
            made.append((headers, lambda k, n=n: (SUBMIT, {"records": [_record(n, k)]})))
        else:
            made.append((env.headers(Role.AUDITOR, subject=f"auditor-{n}"), lambda k: (AUDIT_READ, {})))
    return made


def _record(n: int, k: int) -> dict[str, str]:
    return {
        "subjectCreditCode": COMPANY.credit_code, "category": "ADMINISTRATIVE_PENALTY",
        "documentNumber": f"菏市监罚〔2026〕{1000 + n * 100 + k}号", "authorityCode": MARKET.credit_code,
        "decisionDate": "2026-03-05", "content": "未按规定公示年报", "severity": "GENERAL",
    }  # fmt: skip


def _run(recorder: Recorder, headers: dict[str, str], ask: Ask) -> None:
    for k in range(PER_CLIENT):
        recorder.post(*ask(k), headers)


def _jti(token: str) -> str:
    return str(json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))["jti"])


def test_two_workers_under_mixed_load_keep_the_log_consents_revocations_and_rates(
    tmp_path: Path, postgres_url: str
) -> None:
    env = build_env(tmp_path, postgres_url, rate_per_second=RATE, rate_burst=BURST)
    environ = gateway_env(env.settings, revocation_refresh="1")
    org = {"code": COMPANY.credit_code}
    with serving(environ, workers=2, log=tmp_path / "serve.log") as served:
        recorder = Recorder(served.url)
        with httpx.Client(base_url=served.url, timeout=60) as setup:
            granted = [
                grant(setup, env, ["IDENTITY", "CONTACT", "RECORDS"], uses=CONSENT_USES) for _ in range(2)
            ]
        with connection(postgres_url) as conn:  # the two grants' events, logged before the load
            setup_seqs = set(conn.execute(text("SELECT seq FROM audit_events")).scalars())
        revokee = env.token(Role.PARTNER, org_code=BANK_CODE, agency_kind="FINANCE", subject="revokee")
        greedy = env.headers(Role.PARTNER, org_code=BANK_CODE, agency_kind="FINANCE", subject="greedy")
        threads = [
            threading.Thread(target=_run, args=(recorder, headers, ask))
            for headers, ask in _clients(env, [token for _, token in granted])
        ]
        greedy_answers: list[httpx.Response] = []
        threads.append(
            threading.Thread(
                target=lambda: greedy_answers.extend(
                    recorder.post(ORGANIZATION, org, greedy) for _ in range(GREEDY)
                )
            )
        )
        started = time.monotonic()
        for thread in threads:
            thread.start()
        before = recorder.post(ORGANIZATION, org, {"Authorization": f"Bearer {revokee}"})
        revoked = recorder.post(REVOKE, {"id": _jti(revokee)}, env.headers(Role.ADMIN, subject="ops"))
        time.sleep(1.5)  # the documented bound: GATEWAY_REVOCATION_REFRESH seconds, for the other worker
        after = [recorder.post(ORGANIZATION, org, {"Authorization": f"Bearer {revokee}"}) for _ in range(8)]
        for thread in threads:
            thread.join(300)
        elapsed = time.monotonic() - started
        assert not any(thread.is_alive() for thread in threads)

    responses = recorder.responses
    by_code = Counter(code for r in responses for code in codes(r) or ["(none)"])
    statuses = Counter(r.status_code for r in responses)
    print(f"\nload: {len(responses)} requests in {elapsed:.1f} s, {len(responses) / elapsed:.0f} per second;"
          f" statuses {dict(statuses)}; codes {dict(by_code)}")  # fmt: skip
    assert max(statuses) < 500 and "INTERNAL_ERROR" not in by_code
    assert set(by_code) <= {"(none)", "CONSENT_EXHAUSTED", "RATE_LIMITED", "TOKEN_REVOKED"}, by_code

    # Revocation across workers: answered before, refused by whichever worker answers after.
    assert before.status_code == 200 and revoked.json()["data"]["revokeToken"]["tokenId"] == _jti(revokee)
    assert [(r.status_code, codes(r)) for r in after] == [(401, ["TOKEN_REVOKED"])] * len(after)

    # The rate limit across workers: the burst plus what refilled meanwhile, never one burst per worker.
    allowed = sum(1 for r in greedy_answers if r.status_code == 200)
    assert {r.status_code for r in greedy_answers} == {200, 429}
    assert BURST <= allowed <= BURST + int(elapsed * RATE) + 1, (allowed, elapsed)

    # Consents: exactly the granted uses were spent, however many lookups raced for them.
    found = [r for r in responses if r.status_code == 200 and (r.json().get("data") or {}).get("person")]
    assert len(found) == 2 * CONSENT_USES
    with connection(postgres_url) as conn:
        uses = dict(
            conn.execute(text("SELECT id, uses FROM consents WHERE max_uses = :n"), {"n": CONSENT_USES}).all()
        )
        logged = set(conn.execute(text("SELECT seq FROM audit_events")).scalars())
    assert uses == {consent_id: CONSENT_USES for consent_id, _ in granted}

    # The log: one event per answered request (and per change it made), and nothing else.
    assert logged == recorder.sequences() | setup_seqs
    verified = run_cli("audit", "verify", keyring=env.settings.keyring_path, database_url=postgres_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "consent uses paired with their events (0 waiting" in verified.stdout
