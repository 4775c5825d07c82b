"""Proofs served from the database: subtree hashes from stored nodes, leaf hashes, and the retention
checkpoint, fed to the RFC 9162 proof generators of ``gateway.audit.merkle``.

A subtree of at least 2^NODE_LEVEL leaves is one row of ``audit_nodes``; a smaller one is folded from
at most 2^NODE_LEVEL leaf hashes; a subtree behind the retention checkpoint is one of the
checkpoint's frontier nodes (pruning keeps exactly those: docs/audit.md, "Retention").
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from gateway.audit.heads import TreeHead
from gateway.audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    consistency_proof,
    inclusion_proof,
    node_hash,
    root_of,
    split_point,
)
from gateway.audit.models import STATE_ID, AuditEvent, AuditNode, AuditPrune, AuditState
from gateway.audit.store import NODE_LEVEL, latest_head


class TreeDataMissing(LookupError):
    """A proof needs tree data the log no longer (or never) had: an event behind the retention
    checkpoint, or a size beyond the tree."""


class TreeReader:
    """Subtree hashes and proofs over one connection; caches what it read for its lifetime."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._cache: dict[tuple[int, int], bytes] = {}
        checkpoint = conn.execute(select(AuditPrune).order_by(AuditPrune.tree_size.desc()).limit(1)).first()
        self.pruned_below = 0
        if checkpoint is not None:
            frontier = Frontier.from_bytes(int(checkpoint.tree_size), bytes(checkpoint.frontier))
            self.pruned_below = frontier.size
            self._cache.update({(level, idx): digest for level, idx, digest in frontier.nodes()})

    def size(self) -> int:
        return int(self.conn.execute(select(AuditState.size).where(AuditState.id == STATE_ID)).scalar_one())

    def latest_head(self) -> TreeHead | None:
        return latest_head(self.conn)

    def perfect(self, level: int, idx: int) -> bytes:
        """The root of the complete subtree over leaves [idx * 2^level, (idx + 1) * 2^level)."""
        key = (level, idx)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        start, end = idx << level, (idx + 1) << level
        if end <= self.pruned_below:
            raise TreeDataMissing(f"events [{start}, {end}) were pruned")
        digest: bytes | None = None
        if level >= NODE_LEVEL:
            digest = self.conn.execute(
                select(AuditNode.hash).where(AuditNode.level == level, AuditNode.idx == idx)
            ).scalar()
            digest = bytes(digest) if digest is not None else None
        if digest is None and level > NODE_LEVEL:
            digest = node_hash(self.perfect(level - 1, 2 * idx), self.perfect(level - 1, 2 * idx + 1))
        if digest is None:
            leaves = [
                bytes(h)
                for h in self.conn.execute(
                    select(AuditEvent.leaf_hash)
                    .where(AuditEvent.seq >= start, AuditEvent.seq < end)
                    .order_by(AuditEvent.seq)
                ).scalars()
            ]
            if len(leaves) != end - start:
                raise TreeDataMissing(f"events [{start}, {end}) are not all in the log")
            digest = root_of(leaves)
        self._cache[key] = digest
        return digest

    def subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a node [start, end) of an RFC 6962 tree."""
        n = end - start
        if n <= 0:
            return EMPTY_ROOT
        if n & (n - 1) == 0 and start % n == 0:
            return self.perfect(n.bit_length() - 1, start // n)
        k = split_point(n)
        return node_hash(self.subtree(start, start + k), self.subtree(start + k, end))

    def root(self, size: int) -> bytes:
        return self.subtree(0, size)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        self._within(size)
        return inclusion_proof(index, size, self.subtree)

    def consistency(self, first: int, second: int) -> list[bytes]:
        self._within(second)
        return consistency_proof(first, second, self.subtree)

    def _within(self, size: int) -> None:
        if size > self.size():
            raise TreeDataMissing(f"the tree has fewer than {size} events")
