"""Proofs and verification status as the API serves them: the RFC 9162 paths of ``tree``, with the
signed heads they lead to, and the state of the log against its newest head.

Sizes are checked here, so a caller asking beyond the tree gets INVALID_INPUT naming the argument,
and one asking about pruned events gets AUDIT_PROOF_UNAVAILABLE, never an internal error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, select

from gateway.audit.findings import Report
from gateway.audit.heads import TreeHead, verify_head
from gateway.audit.models import AuditEvent, AuditHead
from gateway.audit.store import head_of, latest_head
from gateway.audit.tree import TreeDataMissing, TreeReader
from gateway.audit.verify import verify_log
from gateway.errors import AuditProofUnavailable, InvalidInput


@dataclass(frozen=True, slots=True)
class InclusionProof:
    seq: int
    tree_size: int
    body: bytes
    leaf_hash: bytes
    path: list[bytes]
    root_hash: bytes
    head: TreeHead | None  # the newest head signed for ``tree_size``, if any


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    first: int
    second: int
    first_root: bytes
    second_root: bytes
    path: list[bytes]
    first_head: TreeHead | None
    second_head: TreeHead | None


@dataclass(frozen=True, slots=True)
class Status:
    tree_size: int
    head: TreeHead | None
    head_signature_valid: bool | None  # None: no head yet
    head_matches_tree: bool | None  # None: no head, or its events were pruned
    report: Report | None  # the full check, when asked for


def head_at(conn: Connection, size: int) -> TreeHead | None:
    row = conn.execute(
        select(AuditHead).where(AuditHead.tree_size == size).order_by(AuditHead.id.desc()).limit(1)
    ).first()
    return None if row is None else head_of(row)


def _size(reader: TreeReader, size: int | None, *, field: str) -> int:
    """The tree size asked for, or the newest signed head's when none is given."""
    if size is None:
        head = reader.latest_head()
        if head is None:
            raise InvalidInput(field, "no head has been signed yet; give a tree size")
        return head.tree_size
    if size < 0 or size > reader.size():
        raise InvalidInput(field, f"must be between 0 and the tree size, {reader.size()}")
    return size


def inclusion(conn: Connection, seq: int, tree_size: int | None = None) -> InclusionProof:
    reader = TreeReader(conn)
    size = _size(reader, tree_size, field="treeSize")
    if not 0 <= seq < size:
        raise InvalidInput("seq", f"must be below the tree size, {size}")
    row = conn.execute(select(AuditEvent.body, AuditEvent.leaf_hash).where(AuditEvent.seq == seq)).first()
    if row is None or seq < reader.pruned_below:
        raise AuditProofUnavailable(f"event {seq} is behind the retention checkpoint")
    try:
        path, root = reader.inclusion(seq, size), reader.root(size)
    except TreeDataMissing as exc:
        raise AuditProofUnavailable(str(exc)) from None
    return InclusionProof(seq, size, bytes(row.body), bytes(row.leaf_hash), path, root, head_at(conn, size))


def consistency(conn: Connection, first: int, second: int | None = None) -> ConsistencyProof:
    reader = TreeReader(conn)
    size = _size(reader, second, field="second")
    if not 0 <= first <= size:
        raise InvalidInput("first", f"must be between 0 and {size}")
    try:
        path = reader.consistency(first, size)
        first_root, second_root = reader.root(first), reader.root(size)
    except TreeDataMissing as exc:
        raise AuditProofUnavailable(str(exc)) from None
    return ConsistencyProof(
        first, size, first_root, second_root, path, head_at(conn, first), head_at(conn, size)
    )


def status(conn: Connection, public_keys: Mapping[str, bytes], *, full: bool = False) -> Status:
    """The newest head: does it verify with an audit key, and is its root the stored tree's root at
    its size? With ``full``, also recompute the whole log (``verify_log``)."""
    reader = TreeReader(conn)
    head = latest_head(conn)
    signature_ok: bool | None = None
    matches: bool | None = None
    if head is not None:
        key = public_keys.get(head.key_id)
        signature_ok = key is not None and verify_head(head, key)
        if head.tree_size > reader.size():
            matches = False  # the log was cut behind its head
        else:
            try:
                matches = reader.root(head.tree_size) == head.root_hash
            except TreeDataMissing:
                matches = None
    report = verify_log(conn, dict(public_keys)) if full else None
    return Status(reader.size(), head, signature_ok, matches, report)
