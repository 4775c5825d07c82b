"""Tables of the audit log (migration 0003). Registered on the store's metadata.

- ``audit_events``: one row per event; ``body`` holds its canonical bytes (the leaf), ``leaf_hash``
  their RFC 6962 leaf hash, the other columns are derived from the body (``events.project``);
- ``audit_event_keys``: what an event is indexed by (subjects, pseudonyms, root fields, codes);
- ``audit_state``: one row (id 1): the tree size and its frontier. Every append locks this row
  first, which orders concurrent writers on any number of workers (docs/audit.md, "Concurrency");
- ``audit_nodes``: roots of complete subtrees of at least 2^NODE_LEVEL leaves, so that a proof
  reads O(log n) rows instead of every leaf;
- ``audit_heads``: signed tree heads;
- ``audit_prunes``: retention checkpoints: the frontier at the size pruning stopped at.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.models import Base

STATE_ID = 1


class AuditEvent(Base):
    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    caller_id: Mapped[str | None] = mapped_column(String(256), index=True)
    role: Mapped[str | None] = mapped_column(String(20))
    organization: Mapped[str | None] = mapped_column(String(18), index=True)
    caller_person: Mapped[str | None] = mapped_column(String(32))
    operation_name: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(10), index=True)
    consent_id: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(40))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditEventKey(Base):
    __tablename__ = "audit_event_keys"
    __table_args__ = (Index("ix_audit_event_keys_kind_value", "kind", "value"),)

    seq: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("audit_events.seq", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    value: Mapped[str] = mapped_column(String(120), primary_key=True)


class AuditState(Base):
    __tablename__ = "audit_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
    frontier: Mapped[bytes] = mapped_column(LargeBinary)


class AuditNode(Base):
    __tablename__ = "audit_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditHead(Base):
    __tablename__ = "audit_heads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, index=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    timestamp_ms: Mapped[int] = mapped_column(BigInteger)
    key_id: Mapped[str] = mapped_column(String(40))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))


class AuditPrune(Base):
    __tablename__ = "audit_prunes"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    frontier: Mapped[bytes] = mapped_column(LargeBinary)
    cutoff: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    pruned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
