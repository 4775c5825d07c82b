"""Retention: remove the oldest events, only behind a signed head, keeping what verification needs.

Query records are kept at least ``GATEWAY_AUDIT_RETENTION_YEARS`` (5) years; local credit rules ask
for five to ten. A prune removes the events ``[0, P)`` where P is

- at most the newest signed head's size: nothing unsigned is ever removed, so a head an outside
  party holds always covers the checkpoint;
- at most the first event at or after the cutoff (events are in arrival order only roughly, so the
  prefix stops at the first young one);
- a multiple of 2^NODE_LEVEL, so every subtree that straddles P has a stored node, and every subtree
  wholly behind P that a later proof needs is one of P's frontier nodes.

Before anything is deleted, P's frontier is read from stored nodes, checked against the first signed
head at or after P (the frontier plus the leaves up to that head must give its signed root), and
written as a checkpoint (``audit_prunes``). Then events, their keys and the nodes wholly behind P are
deleted in batches, one transaction each. ``TreeReader`` serves proofs from the checkpoint and
``verify_log`` starts from it. A prune that stops half way resumes on the next run: the newest
checkpoint says how far to delete, and deleting what is already gone is a no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import Connection, Engine, delete, func, insert, select

from gateway.audit.heads import TreeHead
from gateway.audit.merkle import Frontier
from gateway.audit.models import AuditEvent, AuditEventKey, AuditHead, AuditNode, AuditPrune
from gateway.audit.store import NODE_LEVEL, head_of, latest_head
from gateway.audit.tree import TreeReader
from gateway.errors import GatewayError
from gateway.lifecycle.rules.periods import CHINA_STANDARD_TIME, add_months

BATCH = 5_000
_BLOCK = 1 << NODE_LEVEL


class AuditPruneRefused(GatewayError):
    """A prune that would remove what must be kept: events younger than the retention period, or
    tree data that does not agree with the signed heads."""

    code = "AUDIT_PRUNE_REFUSED"


@dataclass(frozen=True, slots=True)
class Plan:
    checkpoint: int  # P: events below it are (or will be) removed
    previous: int  # the checkpoint before this prune (0: none)
    leftover: int  # events still stored below P (an interrupted prune leaves some)
    cutoff: datetime
    head: TreeHead | None


def cutoff_moment(cutoff: date) -> datetime:
    """Midnight at the start of ``cutoff``, China Standard Time: the gateway's legal day."""
    return datetime.combine(cutoff, time(0), CHINA_STANDARD_TIME)


def check_retention(cutoff: date, *, now: datetime, years: int) -> None:
    """Refuse a cutoff less than ``years`` before today (China Standard Time)."""
    today = now.astimezone(CHINA_STANDARD_TIME).date()
    earliest = add_months(today, -12 * years)
    if cutoff > earliest:
        raise AuditPruneRefused(
            f"events are kept {years} years (GATEWAY_AUDIT_RETENTION_YEARS): the cutoff must be "
            f"{earliest.isoformat()} or earlier, not {cutoff.isoformat()}"
        )


def plan(conn: Connection, *, cutoff: date, now: datetime, years: int) -> Plan:
    """What a prune with ``cutoff`` removes; raises AuditPruneRefused for a young cutoff."""
    check_retention(cutoff, now=now, years=years)
    moment = cutoff_moment(cutoff)
    previous = int(conn.execute(select(func.max(AuditPrune.tree_size))).scalar() or 0)
    head = latest_head(conn)
    limit = head.tree_size if head is not None else 0
    young = conn.execute(
        select(func.min(AuditEvent.seq)).where(AuditEvent.seq >= previous, AuditEvent.time >= moment)
    ).scalar()
    if young is not None:
        limit = min(limit, int(young))
    checkpoint = max(previous, limit - limit % _BLOCK)
    leftover = int(
        conn.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.seq >= 0, AuditEvent.seq < checkpoint)
        ).scalar_one()
    )
    return Plan(checkpoint, previous, leftover, moment, head)


def write_checkpoint(conn: Connection, chosen: Plan, *, now: datetime) -> None:
    """Compute P's frontier from the stored tree, check it against a signed head, and store it.
    Does nothing when P is the newest checkpoint already (a resumed prune)."""
    size = chosen.checkpoint
    if size <= chosen.previous:
        return
    reader = TreeReader(conn)
    frontier = Frontier(size, [reader.perfect(level, idx) for level, idx, _ in _shape(size)])
    _check_against_head(conn, frontier)
    conn.execute(
        insert(AuditPrune).values(
            tree_size=size, frontier=frontier.to_bytes(), cutoff=chosen.cutoff, pruned_at=now
        )
    )


def _shape(size: int) -> list[tuple[int, int, bytes]]:
    """(level, index, placeholder) of the frontier nodes of a tree of ``size`` leaves."""
    return Frontier(size, [b""] * size.bit_count()).nodes()


def _check_against_head(conn: Connection, frontier: Frontier) -> None:
    """The first signed head at or after the checkpoint must be the checkpoint's frontier extended by
    the stored leaves up to that head: otherwise the stored tree is wrong, and pruning would destroy
    the evidence ``audit verify`` needs to say so."""
    row = conn.execute(
        select(AuditHead)
        .where(AuditHead.tree_size >= frontier.size)
        .order_by(AuditHead.tree_size, AuditHead.id)
        .limit(1)
    ).first()
    if row is None:
        raise AuditPruneRefused(f"no signed head covers the first {frontier.size} events")
    head = head_of(row)
    extended = frontier.copy()
    leaves = conn.execute(
        select(AuditEvent.seq, AuditEvent.leaf_hash)
        .where(AuditEvent.seq >= frontier.size, AuditEvent.seq < head.tree_size)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=2_000)
    )
    for seq, leaf in leaves:
        if int(seq) != extended.size:
            break
        extended.append(bytes(leaf))
    if extended.size != head.tree_size or extended.root() != head.root_hash:
        raise AuditPruneRefused(
            f"the stored tree does not give the root signed for size {head.tree_size}: "
            "run 'credit-gateway audit verify' before pruning"
        )


def delete_behind(
    engine: Engine, checkpoint: int, *, batch: int = BATCH, progress: Callable[[int], None] | None = None
) -> int:
    """Delete the events below ``checkpoint`` with their keys, then the nodes wholly behind it, one
    transaction per batch; returns the events deleted. Only ever called once the checkpoint is
    committed, so an interruption leaves a log that verifies and a prune that resumes."""
    done = 0
    while True:
        with engine.begin() as conn:
            seqs = list(
                conn.execute(
                    select(AuditEvent.seq)
                    .where(AuditEvent.seq >= 0, AuditEvent.seq < checkpoint)
                    .order_by(AuditEvent.seq)
                    .limit(batch)
                ).scalars()
            )
            if not seqs:
                break
            low, high = int(seqs[0]), int(seqs[-1])
            conn.execute(delete(AuditEventKey).where(AuditEventKey.seq >= low, AuditEventKey.seq <= high))
            conn.execute(delete(AuditEvent).where(AuditEvent.seq >= low, AuditEvent.seq <= high))
        done += len(seqs)
        if progress is not None:
            progress(done)
    with engine.begin() as conn:
        for level in range(NODE_LEVEL, checkpoint.bit_length() + 1):
            # node (level, idx) covers [idx << level, (idx + 1) << level): wholly behind P when
            # idx < P >> level. Nodes that straddle P stay: proofs and verification read them.
            conn.execute(
                delete(AuditNode).where(AuditNode.level == level, AuditNode.idx < checkpoint >> level)
            )
    return done
