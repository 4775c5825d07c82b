"""Lookups per second through the gateway with and without the audit log, in one run.

    python scripts/bench audit [--quick] [--clients 32] [--requests 60] [--rounds 2] [--database-url URL]
        [--window-ms 2] [--out bench-results]

Builds a store (``stores.fresh_store``: by default a fresh SQLite file in a temporary directory; on
PostgreSQL the schema ``bench_audit``, prefix ``--pg-schema``) with organisations and persons, then
drives the gateway in process (httpx ASGITransport, no network) with ``--clients`` concurrent
clients, each sending ``--requests`` lookups one after another:

- organisation lookups by a partner (read-only requests: the audit event is the only write);
- consented person lookups by a partner (each also counts a consent use: one write of its own).

Each kind runs on the same data with the gateway as it is (every event group-committed before its
response) and with the event writer replaced by one that discards events, alternating for
``--rounds`` rounds and keeping the best of each. Prints lookups/s for both, the ratio, and how many
events the audit writer committed per transaction, and writes them as ``audit.json``. ``--quick``
is 3 clients, 2 lookups each, one round. The audit-free gateway exists only here: the gateway itself
has no way to turn the log off.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import options
import reports
import stores
from discarding import DiscardingCommitter
from sqlalchemy.orm import Session

from gateway.access import consent
from gateway.access.consent_tokens import ConsentTokens
from gateway.access.tokens import Role, TokenIssuer
from gateway.api.app import Gateway, create_app
from gateway.audit.settings import AuditSettings
from gateway.domain import AgencyKind, ConsentPurpose, ConsentScope
from gateway.identifiers import credit_code_check_char, id_number_check_char
from gateway.settings import Settings
from gateway.store.inputs import OrganizationInput, PersonInput

ROOT = Path(__file__).resolve().parents[2]
BANK = "91370000999999100Q"
ORG_QUERY = (
    "query($c: String!) { organization(creditCode: $c) { name creditCode records { documentNumber } } }"
)
PERSON_QUERY = (
    "query($id: String!, $c: String) { person(idNumber: $id, consent: $c, purpose: FINANCIAL_SERVICE)"
    " { name idNumber records { documentNumber } } }"
)


def _code(n: int) -> str:
    first17 = f"91371702{n:09d}"
    return first17 + credit_code_check_char(first17)


def _id_number(n: int) -> str:
    first17 = f"371702{19700101 + n % 28:08d}{n % 1000:03d}"
    return first17 + id_number_check_char(first17)


def build_store(home: stores.StoreHome, clients: int, uses: int) -> tuple[list[str], list[tuple[str, str]]]:
    """Organisations and persons; one consent per client, for the bank, with ``uses`` uses."""
    keyring = home.keyring()
    now = datetime.now(UTC)
    orgs = [OrganizationInput(name=f"示例商贸有限公司{n}", credit_code=_code(n)) for n in range(200)]
    persons = [
        PersonInput(name=f"测试{n}", id_number=_id_number(n), phone=f"138{n:08d}") for n in range(clients)
    ]
    tokens = ConsentTokens.from_keyring(keyring)
    engine = home.engine()
    try:
        results = stores.write(engine, home.cipher(), [*orgs, *persons], now=now)
        grant = consent.ConsentGrant(
            grantee_code=BANK,
            purpose=ConsentPurpose.FINANCIAL_SERVICE,
            scopes=frozenset({ConsentScope.IDENTITY, ConsentScope.RECORDS}),
            ttl=timedelta(days=1),
            max_uses=uses,
        )
        lookups: list[tuple[str, str]] = []
        with Session(engine) as session, session.begin():
            for person, result in zip(persons, results[len(orgs) :], strict=True):
                row = consent.grant(session, person_id=result.id, request=grant, now=now)
                lookups.append((person.id_number, tokens.issue(row)))
    finally:
        engine.dispose()
    return [o.credit_code for o in orgs], lookups


async def drive(app: Any, headers: dict[str, str], bodies: list[list[dict[str, Any]]]) -> float:
    """Send each client's bodies one after another, all clients at once; return lookups per second.
    One untimed lookup per client first warms the caches (parser, validation, verified tokens)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as client:

        async def one_client(mine: list[dict[str, Any]]) -> None:
            for body in mine:
                response = await client.post("/graphql", json=body)
                if response.status_code != 200 or "errors" in response.json():
                    raise SystemExit(f"unexpected answer: {response.status_code} {response.text[:300]}")

        await asyncio.gather(*(one_client(mine[:1]) for mine in bodies))
        started = time.perf_counter()
        await asyncio.gather(*(one_client(mine) for mine in bodies))
        elapsed = time.perf_counter() - started
    return sum(len(b) for b in bodies) / elapsed


FULL: dict[str, Any] = {"clients": 32, "requests": 60, "rounds": 2}
QUICK: dict[str, Any] = {"clients": 3, "requests": 2, "rounds": 1}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    def helped(text: str, name: str) -> str:
        return options.default_help(text, FULL, QUICK, name)

    parser.add_argument("--clients", type=int, help=helped("concurrent clients", "clients"))
    parser.add_argument("--requests", type=int, help=helped("lookups per client and run", "requests"))
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    parser.add_argument(
        "--pg-schema", default="bench", help="on PostgreSQL the store is the schema <this>_audit"
    )
    parser.add_argument("--window-ms", type=float, default=AuditSettings().group_window_ms)
    parser.add_argument(
        "--rounds", type=int, help=helped("runs of each variant, alternating; best kept", "rounds")
    )


def run(args: argparse.Namespace) -> int:
    options.settle(args, FULL, QUICK)
    kinds: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        home = stores.fresh_store(Path(tmp) / "store", args.database_url, schema=f"{args.pg_schema}_audit")
        codes, consents = build_store(home, args.clients, uses=2 * args.rounds * (args.requests + 1))
        settings = Settings(
            database_url=home.url,
            keyring_path=home.keyring_path,
            policy_dir=ROOT / "policies",
            rate_per_second=0.0,
            audit=replace(AuditSettings(), group_window_ms=args.window_ms),
        )
        token = TokenIssuer(home.keyring(), issuer=settings.issuer_id).issue(
            role=Role.PARTNER, org_code=BANK, agency_kind=AgencyKind.FINANCE
        )
        headers = {"Authorization": f"Bearer {token.value}"}
        org_bodies = [
            [
                {"query": ORG_QUERY, "variables": {"c": codes[(c * 7 + i) % len(codes)]}}
                for i in range(args.requests)
            ]
            for c in range(args.clients)
        ]
        person_bodies = [
            [{"query": PERSON_QUERY, "variables": {"id": number, "c": token_}}] * args.requests
            for number, token_ in consents
        ]
        print(f"{home.database}, {args.clients} concurrent clients x {args.requests} lookups, "
              f"group window {args.window_ms} ms")  # fmt: skip
        for kind, bodies in (("organisation", org_bodies), ("person (consented)", person_bodies)):
            audited_app, plain_app = create_app(settings), create_app(settings)
            plain: Gateway = plain_app.state.gateway
            plain.committer = DiscardingCommitter()  # type: ignore[assignment]
            audited: Gateway = audited_app.state.gateway
            without, with_audit = 0.0, 0.0
            for _ in range(args.rounds):  # alternate, keep the best of each: the machine's noise only slows
                without = max(without, asyncio.run(drive(plain_app, headers, bodies)))
                with_audit = max(with_audit, asyncio.run(drive(audited_app, headers, bodies)))
            committer = audited.committer
            committer.close()
            per_tx = committer.events / committer.transactions if committer.transactions else 0.0
            print(
                f"{kind:>20} lookups: without audit {without:8.1f}/s, with audit {with_audit:8.1f}/s, "
                f"ratio {with_audit / without:.2f}; {committer.events} events in "
                f"{committer.transactions} transactions ({per_tx:.1f} per transaction)"
            )
            kinds[kind.split()[0]] = {
                "without_audit_per_s": round(without, 1), "with_audit_per_s": round(with_audit, 1),
                "ratio": round(with_audit / without, 3), "events": committer.events,
                "transactions": committer.transactions, "events_per_transaction": round(per_tx, 2),
            }  # fmt: skip
            audited.dispose()
            plain.dispose()
    document = {
        "database": home.database, "clients": args.clients, "requests": args.requests,
        "rounds": args.rounds, "window_ms": args.window_ms, "lookups": kinds,
    }  # fmt: skip
    reports.write_report(document, args.out, "audit")
    return 0
