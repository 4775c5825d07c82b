"""What the state every worker shares costs one request: each statement timed alone, many times.

    python scripts/bench shared [--quick] [--calls 2000] [--database-url URL] [--out bench-results]

On a fresh store (a SQLite file, or the PostgreSQL schema ``bench_shared`` of ``--database-url``),
with the engines the gateway makes (``db.make_engine``; the requests' engine with its commits
flushed later, the audit writer's durable), it times, per call, in µs (median and p95):

- ``rate``: the shared rate bucket's upsert (``RateLimiter.take``), one caller, in its own transaction;
- ``revocation_cached``: the revocation check answered from the worker's copy (every request);
- ``revocation_read``: the same check when the copy is due (at most once per
  ``GATEWAY_REVOCATION_REFRESH`` per worker);
- ``use_counted``: a consent use read, counted and committed in a unit of work without its row (as
  before the pairing), and ``use_reserved``: ``consent.use`` as served, with its row;
- ``pair``: the claim and the pairing of one use, the two statements the audit writer adds to the
  transaction of its append (timed without the commit, which the append's events share).

Writes ``shared.json``. ``--quick``: 200 calls. docs/performance.md, "Shared state", has a run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import options
import reports
import stores
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gateway.access import consent as consents
from gateway.access import consent_uses
from gateway.access.consent import ConsentGrant
from gateway.access.revocations import SharedRevocationList, revoke
from gateway.api.ratelimit import RateLimiter
from gateway.domain import ConsentPurpose, ConsentScope
from gateway.identifiers import id_number_check_char
from gateway.store import db
from gateway.store.inputs import PersonInput

NOW = datetime(2026, 3, 2, tzinfo=UTC)
BANK = "91370000999999100Q"  # the partner of the request benchmark
PURPOSE = ConsentPurpose.FINANCIAL_SERVICE

FULL: dict[str, Any] = {"calls": 2_000}
QUICK: dict[str, Any] = {"calls": 200}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--calls", type=int, help=options.default_help("timed calls of each statement", FULL, QUICK, "calls")
    )
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    parser.add_argument(
        "--pg-schema", default="bench", help="on PostgreSQL the store is the schema <this>_shared"
    )


def timed(calls: int, step: Callable[[int], object], *, own: bool = False) -> dict[str, float]:
    """Median and p95 of ``step``'s wall time in µs (with ``own``, of the seconds it returns: it
    times a part of itself), after a tenth as many untimed calls."""
    for n in range(max(1, calls // 10)):
        step(-1 - n)
    samples = []
    for n in range(calls):
        started = time.perf_counter()
        result = step(n)
        took = float(result) if own else time.perf_counter() - started  # type: ignore[arg-type]
        samples.append(took * 1e6)
    samples.sort()
    return {
        "p50_us": round(statistics.median(samples), 1),
        "p95_us": round(samples[int(0.95 * (calls - 1))], 1),
    }


def run(args: argparse.Namespace) -> int:
    options.settle(args, FULL, QUICK)
    with tempfile.TemporaryDirectory() as tmp:
        home = stores.fresh_store(Path(tmp) / "store", args.database_url, schema=f"{args.pg_schema}_shared")
        first17 = "53010219800101123"
        [person] = stores.write(
            home.engine(), home.cipher(), [PersonInput(name="测试人", id_number=first17 + id_number_check_char(first17))],
            now=NOW,
        )  # fmt: skip
        assert person.id is not None
        requests = db.make_engine(home.url, flushed_later=True)
        durable = db.make_engine(home.url)
        try:
            results = measure(args.calls, person.id, requests, durable)
        finally:
            requests.dispose()
            durable.dispose()
    for name, cost in results.items():
        print(f"{home.database:>10} {name:>18}: p50 {cost['p50_us']:8.1f} µs  p95 {cost['p95_us']:8.1f} µs")
    reports.write_report(
        {"database": home.database, "calls": args.calls, "costs": results}, args.out, "shared"
    )
    return 0


def measure(calls: int, person_id: str, requests: Engine, durable: Engine) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    rate = RateLimiter(requests, per_second=1e9, burst=10**9)
    results["rate"] = timed(calls, lambda _n: rate.take("partner:bench"))

    with Session(requests) as s, s.begin():
        for n in range(100):
            revoke(s, token_id=f"jti-{n}", expires_at=NOW + timedelta(days=3650), now=NOW)
    cached = SharedRevocationList(requests, refresh=3600.0, clock=lambda: NOW)
    results["revocation_cached"] = timed(calls, lambda _n: cached("a-token-id"))
    reading = SharedRevocationList(requests, refresh=0.0, clock=lambda: NOW)
    results["revocation_read"] = timed(calls, lambda _n: reading("a-token-id"))

    grant = ConsentGrant(
        BANK, PURPOSE, frozenset({ConsentScope.IDENTITY}), timedelta(days=30), consents.MAX_USES
    )
    with Session(requests) as s, s.begin():
        ids = [consents.grant(s, person_id=person_id, request=grant, now=NOW).id for _ in range(8)]
    reserved: list[str] = []

    def counted(n: int) -> None:  # the use as it was before the pairing: read, count, commit
        with Session(requests) as s, s.begin():
            params = {"consent_id": ids[n % 4], "now": NOW, "updated_at": NOW}
            s.scalars(consents._CONSENT_BY_ID, params).one()
            s.execute(consents._COUNT_USE_RETURNING, params).one()

    def served(n: int) -> None:  # the use as served: the same, and its row reserved
        with Session(requests) as s, s.begin():
            used = consents.use(
                s, consent_id=ids[4 + n % 4], person_id=person_id, caller_org=BANK, purpose=PURPOSE, now=NOW
            )
            reserved.append(used.use_id)

    per_consent_calls = min(calls, 3 * consents.MAX_USES)  # four consents of MAX_USES, warm-up included
    results["use_counted"] = timed(per_consent_calls, counted)
    results["use_reserved"] = timed(per_consent_calls, served)

    def pair(_n: int) -> float:  # the two statements alone: the append's transaction commits them
        use_id = reserved.pop()
        with durable.connect() as conn, conn.begin() as tx:
            started = time.perf_counter()
            consent_uses.claim(conn, [use_id])
            consent_uses.pair(conn, [(use_id, 10_000 + len(reserved))])
            took = time.perf_counter() - started
            tx.rollback()
        return took

    results["pair"] = timed(min(calls, len(reserved) // 2), pair, own=True)
    return results
