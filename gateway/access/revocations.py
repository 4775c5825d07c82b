"""The token revocation list, shared by every worker through the database (``revoked_tokens``).

A revocation is a row: written by ``revoke`` in the revoking request's unit of work, kept until the
token would have expired anyway (its ``exp`` when known, else the longest lifetime a token may have).
Every worker answers "is this ``jti`` revoked?" from its own copy of the unexpired rows, read again
at most ``refresh`` seconds after the last read: a revocation made on one worker is refused by every
other within ``refresh`` seconds (``GATEWAY_REVOCATION_REFRESH``, 1 s by default), and at once on the
worker that made it. The copy is a set of short strings (the list holds only tokens not yet expired),
so the check on a request costs a set lookup and, once a second, one indexed SELECT.

It fails closed: when the list is due to be read again and cannot be, the request is refused with
SHARED_STATE_UNAVAILABLE rather than answered on a list that may miss a revocation.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gateway.errors import SharedStateUnavailable
from gateway.store.models import RevokedToken

log = logging.getLogger("gateway.access")

_TOKENS = RevokedToken.__table__


def revoke(session: Session, *, token_id: str, expires_at: datetime, now: datetime) -> None:
    """Put ``token_id`` on the list until ``expires_at``; revoking it again changes nothing."""
    values = {"token_id": token_id, "revoked_at": now, "expires_at": expires_at}
    dialect = session.get_bind(RevokedToken).dialect.name
    if dialect == "postgresql":
        stmt = postgresql.insert(_TOKENS).values(values).on_conflict_do_nothing(index_elements=["token_id"])
    elif dialect == "sqlite":
        stmt = sqlite.insert(_TOKENS).values(values).on_conflict_do_nothing(index_elements=["token_id"])
    else:  # pragma: no cover - the gateway runs on SQLite and PostgreSQL
        stmt = insert(_TOKENS).values(values)
    session.execute(stmt)


class SharedRevocationList:
    """``RevocationCheck`` over ``revoked_tokens``: a per-worker copy read again every ``refresh`` s."""

    def __init__(
        self,
        engine: Engine,
        *,
        refresh: float,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.refresh = refresh
        self.clock = clock
        self.monotonic = monotonic
        self.reads = 0  # reads of the table, for tests and the benchmark
        self._ids: frozenset[str] = frozenset()
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def __call__(self, token_id: str) -> bool:
        return token_id in self._current()

    def noted(self, token_id: str) -> None:
        """A revocation this worker just wrote: refused here at once, before the next read."""
        with self._lock:
            self._ids = self._ids | {token_id}

    def _current(self) -> frozenset[str]:
        if self.monotonic() - self._read_at < self.refresh:
            return self._ids
        with self._lock:
            started = self.monotonic()
            if started - self._read_at < self.refresh:  # another thread read it meanwhile
                return self._ids
            try:
                with self.engine.connect() as conn:
                    ids = frozenset(
                        conn.scalars(select(_TOKENS.c.token_id).where(_TOKENS.c.expires_at > self.clock()))
                    )
            except Exception:
                log.warning("the revocation list could not be read", exc_info=True)
                raise SharedStateUnavailable("the token revocation list cannot be read") from None
            self.reads += 1
            self._ids = ids
            self._read_at = started
            return ids


def kept_until(now: datetime, *, exp: float | None, max_ttl: int, leeway: int) -> datetime:
    """How long a revocation must be kept: until the token's ``exp`` (plus leeway) when known, else
    for the longest lifetime any token may have."""
    if exp is not None:
        return datetime.fromtimestamp(exp, tz=now.tzinfo) + timedelta(seconds=leeway)
    return now + timedelta(seconds=max_ttl + leeway)


def prune_expired(engine: Engine, *, now: datetime) -> int:
    """Drop the revocations of tokens that have expired anyway; returns how many."""
    with engine.begin() as conn:
        return conn.execute(delete(_TOKENS).where(_TOKENS.c.expires_at <= now)).rowcount  # type: ignore[attr-defined]
