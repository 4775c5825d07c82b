"""Appending events and signing tree heads, on a SQLAlchemy connection inside the caller's transaction.

Concurrency: every append (and every head) starts with ``UPDATE audit_state SET size = size WHERE
id = 1``. On PostgreSQL that takes the row lock, so appends of any number of workers run one after
another and each reads the size and frontier its predecessor committed (READ COMMITTED re-reads the
locked row); on SQLite the UPDATE takes the database write lock, and because it is the
transaction's first statement SQLite's busy handler can wait for it. Sequence numbers are the tree
size at lock time plus the position in the batch: no gaps (a failed append rolls back with the
state) and no duplicates (the lock, and the primary key besides).

The statements of an append are built once, at import, with named bound parameters: an append runs
for every audited request, and building and cache-keying the constructs anew each time cost more
Python than the database spent running them. The SQL sent is the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from gateway.audit.canonical import canonical_bytes
from gateway.audit.events import project
from gateway.audit.heads import HeadSigner, TreeHead, millis
from gateway.audit.merkle import Frontier, leaf_hash
from gateway.audit.models import STATE_ID, AuditEvent, AuditEventKey, AuditHead, AuditNode, AuditState

# Subtrees of at least 2^NODE_LEVEL leaves are stored when they complete (one row per 16 events), so
# a proof reads at most 16 leaf hashes per level below and one row per level above.
NODE_LEVEL = 4

_LOCK_STATE = update(AuditState).where(AuditState.id == STATE_ID).values(size=AuditState.size)
_READ_STATE = select(AuditState.size, AuditState.frontier).where(AuditState.id == STATE_ID)
_STATE_SIZE = select(AuditState.size).where(AuditState.id == STATE_ID)
_SAVE_STATE = (
    update(AuditState)
    .where(AuditState.id == STATE_ID)
    .values(size=bindparam("new_size"), frontier=bindparam("new_frontier"))
)
_LATEST_HEAD = select(AuditHead).order_by(AuditHead.id.desc()).limit(1)
_INSERT_EVENTS = insert(AuditEvent)
_INSERT_KEYS = insert(AuditEventKey)
_INSERT_NODES = insert(AuditNode)


class AuditStateMissing(RuntimeError):
    """The audit_state row is gone: the log cannot be appended to (run ``audit verify``)."""


@dataclass(frozen=True, slots=True)
class HeadSchedule:
    """When appends sign a head: after ``every_events`` new events, or when the newest head is
    ``every_seconds`` old and events came since."""

    every_events: int = 1_000
    every_seconds: float = 300.0


def lock_state(conn: Connection) -> Frontier:
    """Take the log's write lock (see the module docstring) and read the tree's frontier."""
    locked = conn.execute(_LOCK_STATE).rowcount
    if locked != 1:
        raise AuditStateMissing("the audit_state row is missing")
    row = conn.execute(_READ_STATE).one()
    return Frontier.from_bytes(int(row.size), bytes(row.frontier))


def latest_head(conn: Connection) -> TreeHead | None:
    row = conn.execute(_LATEST_HEAD).first()
    return None if row is None else head_of(row)


def head_of(row: Any) -> TreeHead:
    return TreeHead(
        tree_size=int(row.tree_size),
        root_hash=bytes(row.root_hash),
        timestamp_ms=int(row.timestamp_ms),
        key_id=row.key_id,
        signature=bytes(row.signature),
    )


class AuditLog:
    """Appends and signs on whatever connection it is given; holds no database state itself."""

    def __init__(self, signer: HeadSigner, schedule: HeadSchedule, clock: Callable[[], datetime]) -> None:
        self.signer = signer
        self.schedule = schedule
        self.clock = clock

    def append(self, conn: Connection, documents: Sequence[Mapping[str, Any]]) -> list[int]:
        """Append events (documents without ``seq``) in order; return their sequence numbers.
        Signs a head when one is due. The caller commits."""
        frontier = lock_state(conn)
        start = frontier.size
        events: list[dict[str, Any]] = []
        keys: list[dict[str, Any]] = []
        nodes: list[dict[str, Any]] = []
        for offset, draft in enumerate(documents):
            seq = start + offset
            document = {**draft, "seq": seq}
            body = canonical_bytes(document)
            leaf = leaf_hash(body)
            projection = project(document)
            events.append({"seq": seq, **projection.columns(), "body": body, "leaf_hash": leaf})
            keys.extend({"seq": seq, "kind": kind, "value": value} for kind, value in sorted(projection.keys))
            nodes.extend(
                {"level": level, "idx": idx, "hash": digest}
                for level, idx, digest in frontier.append(leaf)
                if level >= NODE_LEVEL
            )
        if events:
            conn.execute(_INSERT_EVENTS, events)
        if keys:
            conn.execute(_INSERT_KEYS, keys)
        if nodes:
            conn.execute(_INSERT_NODES, nodes)
        self._save(conn, frontier)
        if self._due(conn, frontier.size):
            self._sign(conn, frontier)
        return list(range(start, frontier.size))

    def sign_head(self, conn: Connection) -> TreeHead:
        """Sign a head over the current tree now (on demand), even if the newest head has its size."""
        return self._sign(conn, lock_state(conn))

    def head_due(self, conn: Connection) -> bool:
        """Whether a head is due, by a plain read (no lock): lets an idle writer skip the lock."""
        size = conn.execute(_STATE_SIZE).scalar()
        return size is not None and self._due(conn, int(size))

    def sign_if_due(self, conn: Connection) -> TreeHead | None:
        """Lock, and sign a head if the schedule says one is due (called by an idle writer)."""
        frontier = lock_state(conn)
        return self._sign(conn, frontier) if self._due(conn, frontier.size) else None

    def _due(self, conn: Connection, size: int) -> bool:
        head = latest_head(conn)
        if head is None:
            return size > 0
        pending = size - head.tree_size
        if pending <= 0:
            return False
        age_ms = millis(self.clock()) - head.timestamp_ms
        return pending >= self.schedule.every_events or age_ms >= self.schedule.every_seconds * 1000

    def _sign(self, conn: Connection, frontier: Frontier) -> TreeHead:
        previous = latest_head(conn)
        stamp = millis(self.clock())
        if previous is not None:
            stamp = max(stamp, previous.timestamp_ms)  # head times never go backwards
        head = self.signer.sign(frontier.size, frontier.root(), stamp)
        conn.execute(
            insert(AuditHead).values(
                tree_size=head.tree_size,
                root_hash=head.root_hash,
                timestamp_ms=head.timestamp_ms,
                key_id=head.key_id,
                signature=head.signature,
            )
        )
        return head

    @staticmethod
    def _save(conn: Connection, frontier: Frontier) -> None:
        conn.execute(_SAVE_STATE, {"new_size": frontier.size, "new_frontier": frontier.to_bytes()})
