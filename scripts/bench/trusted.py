"""The same operation sent as text and as a trusted document's id, side by side.

    python scripts/bench trusted [--quick] [--calls 1000] [--rounds 5] [--database-url URL] [--out DIR]

On a fresh store (a SQLite file, or the PostgreSQL schema ``<pg-schema>_trusted``) holding the request
benchmark's company (50 published records, a legal representative), each operation is registered
(``gateway.store.documents.add``, as ``credit-gateway documents add`` does) and then run by a partner
``calls`` times as text and ``calls`` times by id, interleaved in ``rounds`` so that a change of the
machine's load falls on both alike, at two layers:

- ``operation``: ``Gateway.execution.run`` alone, in this thread: what a trusted document changes
  (parse and validation caches, limits, Strawberry's per-request machinery against graphql-core's
  executor on the prepared AST), without HTTP, token or audit;
- ``request``: the whole gateway as served (``create_app``) through httpx's ASGI transport, one
  client: body, token, limits, execution, the audit event built and group-committed.

Two operations: ``organization``, the request benchmark's partner lookup (50 records, about 40
guarded fields each); ``name``, the same lookup selecting two fields, where the document's own work
weighs most. Writes ``trusted.json`` with each cell's rate and p50 and the ratio by id over text
(target: 1.5), with the load average. ``--quick``: 100 calls, 2 rounds. docs/performance.md,
"Trusted documents", has a run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import options
import reports
import stores
from request_apps import BANK, bench_callers, close_app
from request_data import _add_company
from request_path import QUERIES
from sqlalchemy.orm import Session

from gateway.access.tokens import Role, TokenIssuer
from gateway.api.app import Gateway, create_app
from gateway.domain import AgencyKind
from gateway.settings import Settings
from gateway.store import documents

ROOT = Path(__file__).resolve().parents[2]
FULL: dict[str, Any] = {"calls": 1_000, "rounds": 5}
QUICK: dict[str, Any] = {"calls": 100, "rounds": 2}
OPERATIONS = {
    "organization": QUERIES["organization"],
    "name": "query($c: String!) { organization(creditCode: $c) { name creditCode } }",
}
TARGET = 1.5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--calls", type=int, help=options.default_help("calls of each cell", FULL, QUICK, "calls")
    )
    parser.add_argument(
        "--rounds", type=int, help=options.default_help("text/id alternations", FULL, QUICK, "rounds")
    )
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    parser.add_argument(
        "--pg-schema", default="bench", help="on PostgreSQL the store is the schema <this>_trusted"
    )


def interleaved(calls: int, rounds: int, steps: dict[str, Callable[[], object]]) -> dict[str, list[float]]:
    """Seconds per call of each step, ``calls`` each, alternating in ``rounds`` after a warm-up."""
    for step in steps.values():
        for _ in range(max(5, calls // 20)):
            step()
    samples: dict[str, list[float]] = {name: [] for name in steps}
    per_round = max(1, calls // rounds)
    for _ in range(rounds):
        for name, step in steps.items():
            for _ in range(per_round):
                started = time.perf_counter()
                step()
                samples[name].append(time.perf_counter() - started)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    total = sum(samples)
    return {
        "calls": len(samples),
        "per_s": round(len(samples) / total, 1),
        "p50_ms": round(statistics.median(samples) * 1000, 3),
    }


def checked(body: dict[str, Any]) -> dict[str, Any]:
    if "errors" in body or not body.get("data", {}).get("organization"):
        raise RuntimeError(f"the benchmark's operation failed: {str(body)[:300]}")
    return body


def run(args: argparse.Namespace) -> int:
    options.settle(args, FULL, QUICK)
    with tempfile.TemporaryDirectory() as tmp:
        home = stores.fresh_store(Path(tmp) / "store", args.database_url, schema=f"{args.pg_schema}_trusted")
        engine = home.engine()
        try:
            code = _add_company(engine, home.cipher())
            with Session(engine) as session, session.begin():
                ids = {
                    name: documents.add(session, text, now=datetime.now(UTC), name=name)[0].id
                    for name, text in OPERATIONS.items()
                }
        finally:
            engine.dispose()
        settings = Settings(
            database_url=home.url,
            keyring_path=home.keyring_path,
            policy_dir=ROOT / "policies",
            rate_per_second=0.0,  # no bucket, as in the request benchmark
        )
        cells = measure(args, settings, home, code, ids)
    load = os.getloadavg()
    ratios = {
        f"{c['layer']}/{c['operation']}": round(c["id"]["per_s"] / c["text"]["per_s"], 2) for c in cells
    }
    for cell in cells:
        key = f"{cell['layer']}/{cell['operation']}"
        print(
            f"{home.database:>10} {key:>22}: text {cell['text']['per_s']:9.1f}/s  "
            f"id {cell['id']['per_s']:9.1f}/s  ratio {ratios[key]:.2f}",
            flush=True,
        )
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    targets = [
        {"target": f"trusted >= {TARGET} x text ({key})", "ratio": ratio, "met": ratio >= TARGET}
        for key, ratio in ratios.items()
    ]
    report = {
        "database": home.database,
        "calls": args.calls,
        "rounds": args.rounds,
        "load_average": [round(x, 2) for x in load],
        "cells": cells,
        "ratios": ratios,
        "targets": targets,
    }
    reports.write_report(report, args.out, "trusted")
    return 0


def measure(
    args: argparse.Namespace, settings: Settings, home: stores.StoreHome, code: str, ids: dict[str, str]
) -> list[dict[str, Any]]:
    app = create_app(settings)
    gateway: Gateway = app.state.gateway
    caller = bench_callers(BANK)["partner"]
    token = TokenIssuer(home.keyring(), issuer=settings.issuer_id).issue(
        role=Role.PARTNER, org_code=BANK, agency_kind=AgencyKind.FINANCE
    )
    headers = {"Authorization": f"Bearer {token.value}"}
    cells: list[dict[str, Any]] = []
    try:
        for name, text in OPERATIONS.items():
            variables = {"c": code}
            bodies = {
                "text": {"query": text, "variables": variables},
                "id": {"documentId": ids[name], "variables": variables},
            }
            steps = {
                kind: (lambda b=body: checked(gateway.execution.run(b, caller).body))
                for kind, body in bodies.items()
            }
            samples = interleaved(args.calls, args.rounds, steps)
            cells.append(
                {"layer": "operation", "operation": name, **{k: summary(v) for k, v in samples.items()}}
            )
            samples = asyncio.run(_requests(app, bodies, headers, args.calls, args.rounds))
            cells.append(
                {"layer": "request", "operation": name, **{k: summary(v) for k, v in samples.items()}}
            )
    finally:
        close_app(app)
    return cells


async def _requests(
    app: Any, bodies: dict[str, dict[str, Any]], headers: dict[str, str], calls: int, rounds: int
) -> dict[str, list[float]]:
    """``interleaved`` over the ASGI app, one client; each call awaited before the next starts."""
    transport = httpx.ASGITransport(app=app)
    samples: dict[str, list[float]] = {kind: [] for kind in bodies}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def one(body: dict[str, Any]) -> None:
            response = await client.post("/graphql", json=body, headers=headers)
            checked(response.json())

        for body in bodies.values():
            for _ in range(max(5, calls // 20)):
                await one(body)
        per_round = max(1, calls // rounds)
        for _ in range(rounds):
            for kind, body in bodies.items():
                for _ in range(per_round):
                    started = time.perf_counter()
                    await one(body)
                    samples[kind].append(time.perf_counter() - started)
    return samples
