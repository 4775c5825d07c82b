"""Per-caller token buckets, shared by every worker through the database (``rate_buckets``).

A caller (or, without a token, a client address) has one bucket of ``burst`` tokens refilled at
``per_second``; each request takes one or is refused with RATE_LIMITED and a ``Retry-After``. The
bucket is one row, refilled and spent by one statement (an upsert whose ``DO UPDATE`` computes the
refill from the row as it is when the statement gets it, and returns whether a token was granted):
PostgreSQL locks the row for the statement, SQLite runs one writer at a time, so concurrent requests
on any number of workers spend one bucket and a caller gets the configured rate in total, not per
worker. The only tolerance is the clocks' (buckets are timed in Unix seconds from each worker's
clock): with NTP-synchronised workers, milliseconds of refill.

The statement runs on the requests' engine (commits not flushed on their own: a bucket is worth
nothing after a crash) in the thread pool, never on the event loop. Its cost per request is measured
in docs/performance.md ("Shared state across workers"). Keys are the SHA-256 of the caller id: an
identity provider may name a caller by an identity number, which must not be stored. A bucket full
again is the same as no bucket, so ``prune`` deletes those rows.

It fails closed: a bucket that cannot be read refuses the request with SHARED_STATE_UNAVAILABLE.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Double, Engine, bindparam, case, delete
from sqlalchemy.dialects import postgresql, sqlite

from gateway.errors import RateLimited, SharedStateUnavailable
from gateway.store.models import RateBucket

log = logging.getLogger("gateway.api")

_BUCKETS = RateBucket.__table__


class RateLimiter:
    def __init__(
        self,
        engine: Engine,
        *,
        per_second: float,
        burst: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.per_second = per_second
        self.burst = burst
        self.clock = clock
        self._take = _take_statement(
            postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        )

    def take(self, key: str) -> None:
        """Spend one request of ``key``'s allowance, or raise RateLimited."""
        if self.per_second <= 0:
            return
        params = {
            "key": hashlib.sha256(key.encode("utf-8")).hexdigest(),
            "now": self.clock(),
            "burst": float(self.burst),
            "rate": float(self.per_second),
        }
        try:
            with self.engine.begin() as conn:
                tokens, granted = conn.execute(self._take, params).one()
        except Exception:
            log.warning("the rate bucket could not be read", exc_info=True)
            raise SharedStateUnavailable("the rate limit cannot be read") from None
        if not granted:
            wait = max(1, math.ceil((1.0 - tokens) / self.per_second))
            raise RateLimited(f"too many requests from this caller; retry in {wait} s", retry_after=wait)

    def prune(self) -> int:
        """Delete the buckets that are full again (the same as none); returns how many."""
        if self.per_second <= 0:
            return 0
        full_since = self.clock() - self.burst / self.per_second
        with self.engine.begin() as conn:
            return conn.execute(delete(_BUCKETS).where(_BUCKETS.c.updated < full_since)).rowcount  # type: ignore[attr-defined]


def _take_statement(insert: Any) -> Any:
    """The one upsert of ``take``, built once with named parameters (``key``, ``now``, ``burst``,
    ``rate``): compiling it per request cost more than the database spent running it."""
    c = _BUCKETS.c
    now, burst = bindparam("now", type_=Double), bindparam("burst", type_=Double)
    elapsed = case((now > c.updated, now - c.updated), else_=0.0)
    filled = c.tokens + elapsed * bindparam("rate", type_=Double)
    refill = case((filled > burst, burst), else_=filled)
    stmt = insert(_BUCKETS).values(key=bindparam("key"), tokens=burst - 1.0, updated=now, granted=True)
    return stmt.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "tokens": case((refill >= 1.0, refill - 1.0), else_=refill),
            "updated": case((now > c.updated, now), else_=c.updated),
            "granted": refill >= 1.0,
        },
    ).returning(c.tokens, c.granted)
