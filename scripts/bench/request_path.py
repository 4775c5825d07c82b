"""The request path: the bare framework path, the full gateway, and the gateway without its audit log,
side by side in one run on the same data.

    python scripts/bench request [--quick] [--database-url URL ...] [--people 10000,sqlite:1000000]
        [--transports asgi,uvicorn1,uvicorn2] [--concurrency 1,32] [--seconds 5] [--requests 20000]
        [--profile] [--seed-only] [--out bench-results]

docs/performance.md has the commands of the documented runs, their results and the profile.

For each database and population it seeds (or reuses) a store, then, per transport, runs three
lookups — a partner's consented ``person`` lookup, a partner's ``organization`` lookup of a company
with 50 records, and the public disclosure query of an organisation — through three gateways built
in ``request_apps.py``: ``bare`` (Strawberry's own view; no authentication, policy, consent or audit),
``full`` (the gateway as served) and ``noaudit`` (``full`` with no audit event built or written).
Variants run one after the other for each lookup and concurrency, so that the machine's drift hits
them alike. ``asgi`` calls the app in this process; ``uvicorn1``/``uvicorn2`` start uvicorn on
127.0.0.1 with 1 or 2 workers. Every cell is bounded by ``--requests`` and ``--seconds``.

Writes ``bench.json`` (every cell: lookups/s, p50/p95/p99 ms; the ratios full/bare and
audited/unaudited; the targets of docs/performance.md) and ``bench.png`` into ``--out``; with
``--profile`` also ``profile.txt``, a cProfile of the in-process full-path person lookup across all
threads. ``--quick`` is the small run CI does so that the benchmark never rots.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import options
import reports
import request_apps
import request_data
import request_load
import request_report
from request_load import Request

from gateway.access.tokens import Role, TokenIssuer
from gateway.domain import AgencyKind
from gateway.keys.keyring import load_keyring
from gateway.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
QUERIES = {
    "person": (
        "query($id: String!, $c: String) { person(idNumber: $id, purpose: FINANCIAL_SERVICE, consent: $c)"
        " { id name idNumber phone address records { category documentNumber decisionDate status content }"
        " listEntries { kind listName } } }"
    ),
    "organization": (
        "query($c: String!) { organization(creditCode: $c) { name creditCode registeredAddress"
        " legalRepresentative { name idNumber } records { id category documentNumber authorityName"
        " decisionDate content severity status displayUntil } listEntries { kind listName reason } } }"
    ),
    "public": (
        "query($c: String!) { organization(creditCode: $c) { name creditCode registeredAddress"
        " legalRepresentative { name } records { documentNumber category severity status content displayUntil }"
        " listEntries { kind listName reason records { documentNumber status } } } }"
    ),
}
CALLER_OF = {"person": "partner", "organization": "partner", "public": "public"}


def _population(item: str) -> tuple[str | None, int]:
    """'10000' (every database) or 'sqlite:1000000' (that database only)."""
    database, _, count = item.rpartition(":")
    return database or None, int(count)


FULL: dict[str, Any] = {
    "people": "10000", "transports": "asgi,uvicorn1,uvicorn2", "concurrency": "1,32", "seconds": 5.0,
    "requests": 20_000, "profile_requests": 1_000,
}  # fmt: skip
QUICK: dict[str, Any] = {
    "people": "2000", "transports": "asgi,uvicorn1", "concurrency": "1,4", "seconds": 0.5, "requests": 60,
    "profile_requests": 100,
}  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The request path's options; ``--quick`` (2,000 people, asgi and uvicorn1) is the suite's run."""

    def helped(text: str, name: str) -> str:
        return options.default_help(text, FULL, QUICK, name)

    parser.add_argument(
        "--database-url",
        action="append",
        help="'sqlite' (default: a file under --out/cache) or postgresql://…; repeat for both",
    )
    parser.add_argument(
        "--people",
        help=helped(
            "populations, comma-separated; 'sqlite:N' or 'postgresql:N' for one database only", "people"
        ),
    )
    parser.add_argument("--seed-only", action="store_true", help="build (or find) the stores, then stop")
    parser.add_argument("--transports", help=helped("comma-separated; none: only the profile", "transports"))
    parser.add_argument("--concurrency", help=helped("concurrent clients, comma-separated", "concurrency"))
    parser.add_argument("--seconds", type=float, help=helped("time bound of one cell", "seconds"))
    parser.add_argument("--requests", type=int, help=helped("request bound of one cell", "requests"))
    parser.add_argument(
        "--profile", action="store_true", help="also profile the in-process full person lookup"
    )
    parser.add_argument(
        "--profile-requests", type=int, help=helped("lookups under the profiler", "profile_requests")
    )
    parser.add_argument(
        "--pg-schema", default="bench", help="PostgreSQL stores live in schemas <this>_<people>"
    )
    parser.add_argument(
        "--rate-limit",
        action="store_true",
        help="run with the shared rate bucket on (a limit no load reaches, so every request pays its "
        "statement and none is refused); by default there is no bucket",
    )


def resolve(args: argparse.Namespace) -> argparse.Namespace:
    """The options as lists, with ``--quick``'s sizes where none was given."""
    options.settle(args, FULL, QUICK)
    args.people = [_population(item) for item in args.people.split(",")]
    args.transports = [t for t in args.transports.split(",") if t not in ("", "none")]  # none: profile only
    args.concurrency = [int(n) for n in args.concurrency.split(",")]
    args.requests = min(args.requests, request_data.PICKS * request_data.CONSENT_USES - 1_000)
    args.database_url = args.database_url or ["sqlite"]
    for transport in args.transports:
        if transport not in ("asgi", "uvicorn1", "uvicorn2"):
            raise SystemExit(f"unknown transport {transport!r}: asgi, uvicorn1, uvicorn2 or none")
    return args


class Cells:
    """What one store needs to build a cell's requests: tokens, identity numbers, fresh consents."""

    def __init__(self, store: request_data.Store) -> None:
        self.store = store
        keyring = load_keyring(Path(store.keyring_path))
        self.token = TokenIssuer(keyring, issuer=Settings().issuer_id).issue(
            role=Role.PARTNER, org_code=request_apps.BANK, agency_kind=AgencyKind.FINANCE, ttl=86_400
        )
        self.numbers = request_data.identity_numbers(store)

    def requests(self, query: str, variant: str) -> list[Request]:
        caller = CALLER_OF[query]
        if variant == "bare":
            headers = [(request_apps.CALLER_HEADER.encode(), caller.encode())]
        elif caller == "partner":
            headers = [(b"authorization", f"Bearer {self.token.value}".encode())]
        else:
            headers = []
        text = QUERIES[query]
        if query == "person":  # fresh consents for every cell: each lookup spends one use
            consents = request_data.grant_consents(self.store, request_apps.BANK)
            return [
                Request(request_load.graphql_body(text, {"id": n, "c": c}), headers)
                for n, c in zip(self.numbers, consents, strict=True)
            ]
        codes = [self.store.org_code] if query == "organization" else self.store.public_codes
        return [Request(request_load.graphql_body(text, {"c": code}), headers) for code in codes]


async def run_transport(
    args: argparse.Namespace, store: request_data.Store, cells: Cells, transport: str, log: Any
) -> list[dict[str, Any]]:
    settings = settings_for(store, rate_limit=args.rate_limit)
    rows: list[dict[str, Any]] = []
    with ExitStack() as stack:
        senders: dict[str, request_load.Send] = {}
        apps: list[Any] = []
        for variant in request_apps.VARIANTS:
            if transport == "asgi":
                app = request_apps.variant_app(variant, settings)
                apps.append(app)
                senders[variant] = request_load.asgi_sender(app)
            else:
                base = stack.enter_context(
                    request_load.uvicorn_server(
                        variant, int(transport[-1]), uvicorn_env(store, rate_limit=args.rate_limit)
                    )
                )
                limits = httpx.Limits(
                    max_connections=max(args.concurrency), max_keepalive_connections=max(args.concurrency)
                )
                client = httpx.AsyncClient(base_url=base, limits=limits, timeout=60)
                apps.append(client)
                senders[variant] = request_load.http_sender(client)
        try:
            for query in QUERIES:
                for concurrency in args.concurrency:
                    for variant in request_apps.VARIANTS:
                        requests = cells.requests(query, variant)
                        measured = await request_load.measure(
                            senders[variant], requests, concurrency=concurrency, max_requests=args.requests,
                            seconds=args.seconds, warmup=max(2 * concurrency, min(20, args.requests)),
                        )  # fmt: skip
                        row = {
                            "database": store.database, "people": store.people, "transport": transport,
                            "query": query, "variant": variant, "concurrency": concurrency, **measured.summary(),
                        }  # fmt: skip
                        log(
                            f"{store.database:>10} {store.people:>9,} {transport:>8} {query:>12} c={concurrency:<3}"
                            f" {variant:>7}: {row['lookups_per_s']:8.1f}/s p50 {row['p50_ms']:7.2f} ms"
                            f" p99 {row['p99_ms']:7.2f} ms{'  ERRORS ' + str(row['errors']) if row['errors'] else ''}"
                        )
                        rows.append(row)
        finally:
            for item in apps:
                if isinstance(item, httpx.AsyncClient):
                    await item.aclose()
                else:
                    await request_apps.aclose_app(item)
    return rows


# With --rate-limit: a bucket no benchmark drains, so each request pays the shared bucket's upsert.
UNREACHED_RATE = 1e9


def settings_for(store: request_data.Store, *, rate_limit: bool = False) -> Settings:
    return Settings(
        database_url=store.url,
        keyring_path=Path(store.keyring_path),
        policy_dir=ROOT / "policies",
        # the rate bucket would refuse a benchmark's load: no bucket, as in the audit benchmark
        rate_per_second=UNREACHED_RATE if rate_limit else 0.0,
        rate_burst=int(UNREACHED_RATE),
    )


def uvicorn_env(store: request_data.Store, *, rate_limit: bool = False) -> dict[str, str]:
    return {
        "GATEWAY_DATABASE_URL": store.url,
        "GATEWAY_KEYRING": store.keyring_path,
        "GATEWAY_POLICY_DIR": str(ROOT / "policies"),
        "GATEWAY_RATE_PER_SECOND": str(UNREACHED_RATE) if rate_limit else "0",
        "GATEWAY_RATE_BURST": str(int(UNREACHED_RATE)),
        "BENCH_PARTNER_ORG": request_apps.BANK,
    }


def run(args: argparse.Namespace) -> int:
    args = resolve(args)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()

    def log(message: str) -> None:
        print(message, flush=True)

    meta = request_report.machine(args, [url for url in args.database_url if url != "sqlite"])
    rows: list[dict[str, Any]] = []
    stores: list[request_data.Store] = []
    for url in args.database_url:
        dialect = "sqlite" if url == "sqlite" else "postgresql"
        for only, people in args.people:
            if only not in (None, dialect):
                continue
            store = request_data.prepare(
                None if url == "sqlite" else url, people, out / "cache", log=log, pg_schema=args.pg_schema
            )
            stores.append(store)
            if args.seed_only:
                continue
            cells = Cells(store)
            for transport in args.transports:
                rows.extend(asyncio.run(run_transport(args, store, cells, transport, log)))
    if args.seed_only:
        return 0
    report: dict[str, Any] = {
        "meta": {**meta, "seconds": round(time.time() - started, 1)},
        "stores": [
            {"database": s.database, "people": s.people, "seed_seconds": s.seed_seconds} for s in stores
        ],
        "cells": rows,
        "ratios": request_report.ratios(rows),
        "targets": request_report.targets(rows),
    }
    if args.profile:
        import request_profile

        report["profile"] = request_profile.profile(
            stores[0], settings_for(stores[0]), Cells(stores[0]), args.profile_requests, out / "profile.txt"
        )
    chart = (lambda path: request_report.chart(rows, path)) if rows else None
    reports.write_report(report, out, "bench", chart=chart)
    if rows:
        log(request_report.table(report))
    log(f"wrote the report into {out}")
    errors = sum(r["errors"] for r in rows)
    if errors:
        log(f"{errors} requests failed")
    return 1 if errors else 0
