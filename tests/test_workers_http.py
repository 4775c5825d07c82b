"""Several workers on one database, over HTTP: ``credit-gateway serve`` run for real.

- A worker killed (``kill -9``) in the middle of consented lookups leaves no consent use without its
  audit event: uses reserved by the dead worker are given back once the grace period passes, every
  counted use is paired with its event, and ``audit verify`` passes.
- A token revoked through one worker is refused by another; a caller's rate limit holds across
  workers (docs/deployment.md, "State shared by the workers").
"""

from __future__ import annotations

import base64
import json
import os
import signal
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from gateway.access.tokens import Role
from gateway.store import db
from tests.api_client import grant, partner
from tests.audit_helpers import PERSON_QUERY
from tests.cli import run_cli
from tests.gateway_fixtures import BANK_CODE, COMPANY, ZHANG, build_env
from tests.workers import gateway_env, serving

ORGANIZATION = "query($code: String!) { organization(creditCode: $code) { name } }"
REVOKE = "mutation($id: String!) { revokeToken(tokenId: $id) { tokenId } }"


def _lookups(url: str, headers: dict[str, str], consent: str, stop: threading.Event, seqs: list[int]) -> None:
    variables = {"id": ZHANG.id_number, "purpose": "FINANCIAL_SERVICE", "consent": consent}
    while not stop.is_set():
        try:  # a new connection each time, so that both workers get lookups
            with httpx.Client(base_url=url, timeout=20) as client:
                response = client.post(
                    "/graphql", json={"query": PERSON_QUERY, "variables": variables}, headers=headers
                )
        except httpx.TransportError:
            continue  # the connection the killed worker held
        if response.status_code == 200 and (response.json().get("data") or {}).get("person"):
            seqs.append(int(response.headers["X-Audit-Sequence"]))


def test_a_worker_killed_mid_load_leaves_every_counted_consent_use_with_its_event(
    tmp_path: Path, database_url: str
) -> None:
    env = build_env(tmp_path, database_url, rate_per_second=0.0)
    environ = gateway_env(env.settings, audit_write_timeout="1", consent_use_grace="2")
    with serving(environ, workers=2, log=tmp_path / "serve.log") as served:
        with httpx.Client(base_url=served.url, timeout=20) as client:
            consents = [grant(client, env, ["IDENTITY", "RECORDS"], uses=1000) for _ in range(4)]
        stop, answered = threading.Event(), []  # type: ignore[var-annotated]
        threads = [
            threading.Thread(
                target=_lookups, args=(served.url, partner(env), consents[i % 4][1], stop, answered)
            )
            for i in range(12)
        ]
        for thread in threads:
            thread.start()
        time.sleep(2.0)
        victim = served.workers()[0]
        before = len(answered)
        os.kill(victim, signal.SIGKILL)
        time.sleep(2.0)
        stop.set()
        for thread in threads:
            thread.join(30)
        assert before > 0 and len(answered) > before  # the load ran, before the kill and after it
        time.sleep(6.0)  # past the grace period: the surviving workers give back the dead one's uses
    engine = db.make_engine(database_url)
    try:
        with engine.connect() as conn:
            counted = conn.execute(text("SELECT id, uses FROM consents")).all()
            uses = conn.execute(
                text(
                    "SELECT u.consent_id, u.event_seq, e.consent_id AS named FROM consent_uses u"
                    " LEFT JOIN audit_events e ON e.seq = u.event_seq"
                )
            ).all()
            logged = set(conn.execute(text("SELECT seq FROM audit_events")).scalars())
    finally:
        engine.dispose()
    per_consent = {cid: sum(1 for u in uses if u.consent_id == cid) for cid, _ in counted}
    assert {cid: n for cid, n in counted} == per_consent  # every counted use has its row...
    assert all(u.event_seq is not None and u.named == u.consent_id for u in uses)  # ...and its event
    assert set(answered) <= logged  # every answer that left has its event
    assert len(uses) >= len(answered)
    verified = run_cli("audit", "verify", "--workers", "1", keyring=env.settings.keyring_path,
                       database_url=database_url, consent_use_grace="2", audit_write_timeout="1")  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "consent uses paired with their events (0 waiting" in verified.stdout


def _jti(token: str) -> str:
    return str(json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))["jti"])


def _ask(url: str, token: str) -> httpx.Response:
    return httpx.post(
        f"{url}/graphql",
        json={"query": ORGANIZATION, "variables": {"code": COMPANY.credit_code}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=20,
    )


def test_a_token_revoked_through_one_worker_is_refused_by_the_other(
    tmp_path: Path, database_url: str
) -> None:
    env = build_env(tmp_path, database_url)
    environ = gateway_env(env.settings, revocation_refresh="1")
    token = env.token(Role.PARTNER, org_code=BANK_CODE, agency_kind="FINANCE")
    with serving(environ) as first, serving(environ) as second:
        assert _ask(second.url, token).status_code == 200  # the other worker knows and caches the token
        revoked = httpx.post(
            f"{first.url}/graphql",
            json={"query": REVOKE, "variables": {"id": _jti(token)}},
            headers=env.headers(Role.ADMIN, subject="ops"),
            timeout=20,
        )
        assert revoked.json()["data"]["revokeToken"]["tokenId"] == _jti(token)
        assert _ask(first.url, token).status_code == 401  # at once where it was revoked
        time.sleep(1.2)  # the documented bound: GATEWAY_REVOCATION_REFRESH seconds
        refused = _ask(second.url, token)
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["extensions"]["code"] == "TOKEN_REVOKED"


def test_the_rate_limit_holds_across_workers(tmp_path: Path, database_url: str) -> None:
    env = build_env(tmp_path, database_url, rate_per_second=0.5, rate_burst=6)
    token = env.token(Role.PARTNER, org_code=BANK_CODE, agency_kind="FINANCE")
    with serving(gateway_env(env.settings)) as first, serving(gateway_env(env.settings)) as second:
        started = time.monotonic()
        statuses = [_ask(served.url, token).status_code for _ in range(10) for served in (first, second)]
        elapsed = time.monotonic() - started
        other = env.token(Role.PARTNER, org_code=BANK_CODE, agency_kind="FINANCE", subject="another-bank")
        assert _ask(second.url, other).status_code == 200  # a bucket per caller
    granted = statuses.count(200)
    assert statuses.count(200) + statuses.count(429) == len(statuses)
    # The burst plus what refilled meanwhile, in total over both workers (one worker alone would give 6).
    assert 6 <= granted <= 6 + int(elapsed * 0.5) + 1, (granted, elapsed)
    assert 200 in statuses[:2] and statuses[-1] == 429
