"""GraphQL types of the tree: signed heads, the verification status, and RFC 9162 proofs. Heads and
consistency proofs are not personal (sizes and hashes); inclusion proofs carry an event and are
served to auditors only (``audit_operations``)."""

from __future__ import annotations

import base64
from datetime import datetime

import strawberry

from gateway.api.audit.types import Long
from gateway.audit.findings import Report
from gateway.audit.heads import TreeHead
from gateway.audit.proofs import ConsistencyProof, InclusionProof, Status


@strawberry.type(description='A signed tree head (docs/audit.md, "Signed tree heads").')
class AuditSignedHead:
    head: strawberry.Private[TreeHead]

    @strawberry.field
    def tree_size(self) -> Long:
        return self.head.tree_size

    @strawberry.field(description="SHA-256 root hash, hex.")
    def root_hash(self) -> str:
        return self.head.root_hash.hex()

    @strawberry.field(description="Milliseconds since the Unix epoch, as signed.")
    def timestamp(self) -> Long:
        return self.head.timestamp_ms

    @strawberry.field
    def time(self) -> datetime:
        return self.head.time

    @strawberry.field
    def key_id(self) -> str:
        return self.head.key_id

    @strawberry.field(description="Ed25519 signature over the 50-byte TreeHeadSignature, base64.")
    def signature(self) -> str:
        return base64.b64encode(self.head.signature).decode("ascii")


def signed_head(head: TreeHead | None) -> AuditSignedHead | None:
    return None if head is None else AuditSignedHead(head=head)


@strawberry.type(description="A full recomputation of the log (credit-gateway audit verify).")
class AuditLogCheck:
    ok: bool
    events_checked: Long
    heads_checked: int
    first_bad_index: Long | None
    problem: str | None
    message: str | None

    @classmethod
    def of(cls, r: Report) -> AuditLogCheck:
        f = r.finding
        return cls(ok=r.ok, events_checked=r.events, heads_checked=r.heads,
                   first_bad_index=f.index if f else None, problem=f.problem.value if f else None,
                   message=f.message if f else None)  # fmt: skip


@strawberry.type
class AuditVerification:
    tree_size: Long
    latest_head: AuditSignedHead | None
    head_signature_valid: bool | None = strawberry.field(description="Null when no head was signed yet.")
    head_matches_tree: bool | None = strawberry.field(
        description="The head's root is the stored tree's root at its size; null when not checkable."
    )
    full_check: AuditLogCheck | None = strawberry.field(description="Only with full: true.")

    @classmethod
    def of(cls, s: Status) -> AuditVerification:
        return cls(tree_size=s.tree_size, latest_head=signed_head(s.head),
                   head_signature_valid=s.head_signature_valid, head_matches_tree=s.head_matches_tree,
                   full_check=AuditLogCheck.of(s.report) if s.report is not None else None)  # fmt: skip


def _hex(path: list[bytes]) -> list[str]:
    return [p.hex() for p in path]


@strawberry.type(description="RFC 9162 inclusion proof PATH(seq, D[treeSize]).")
class AuditInclusionProof:
    seq: Long
    tree_size: Long
    event: str = strawberry.field(description="The event's canonical bytes.")
    leaf_hash: str
    path: list[str]
    root_hash: str
    head: AuditSignedHead | None = strawberry.field(description="A head signed for treeSize, if any.")

    @classmethod
    def of(cls, p: InclusionProof) -> AuditInclusionProof:
        return cls(seq=p.seq, tree_size=p.tree_size, event=p.body.decode("utf-8"), leaf_hash=p.leaf_hash.hex(),
                   path=_hex(p.path), root_hash=p.root_hash.hex(), head=signed_head(p.head))  # fmt: skip


@strawberry.type(description="RFC 9162 consistency proof PROOF(first, D[second]).")
class AuditConsistencyProof:
    first: Long
    second: Long
    first_root_hash: str
    second_root_hash: str
    path: list[str]
    first_head: AuditSignedHead | None
    second_head: AuditSignedHead | None

    @classmethod
    def of(cls, p: ConsistencyProof) -> AuditConsistencyProof:
        return cls(first=p.first, second=p.second, first_root_hash=p.first_root.hex(),
                   second_root_hash=p.second_root.hex(), path=_hex(p.path),
                   first_head=signed_head(p.first_head), second_head=signed_head(p.second_head))  # fmt: skip
