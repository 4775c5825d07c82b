"""The signed heads ``audit verify`` checks the recomputed tree against: the log's own (in order,
each signature valid) and those an outside party kept (``audit export-heads``), which must verify
too and must still be among the log's own once the events agree with every head."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select

from gateway.audit.findings import Finding, Problem, Stop
from gateway.audit.heads import TreeHead, verify_head
from gateway.audit.models import AuditHead
from gateway.audit.store import head_of


@dataclass(frozen=True, slots=True)
class CheckedHead:
    head: TreeHead
    label: str  # how a finding names it: "head #7", "external head of size 40"
    external: bool = False


def checked_heads(
    conn: Connection, public_keys: dict[str, bytes], external: Sequence[TreeHead]
) -> list[CheckedHead]:
    stored = [
        CheckedHead(head_of(r), f"head #{r.id}")
        for r in conn.execute(select(AuditHead).order_by(AuditHead.id))
    ]
    previous: TreeHead | None = None
    for item in stored:
        head = item.head
        if previous is not None and (
            head.tree_size < previous.tree_size or head.timestamp_ms < previous.timestamp_ms
        ):
            raise Stop(
                Finding(
                    Problem.HEAD_ORDER,
                    None,
                    f"{item.label} (size {head.tree_size}) is older or smaller than the head before it",
                )
            )
        previous = head
    heads = [
        *stored,
        *(CheckedHead(h, f"external head of size {h.tree_size}", external=True) for h in external),
    ]
    for item in heads:
        key = public_keys.get(item.head.key_id)
        if key is None or not verify_head(item.head, key):
            raise Stop(
                Finding(
                    Problem.BAD_SIGNATURE,
                    None,
                    f"{item.label} (size {item.head.tree_size}) does not verify with audit key {item.head.key_id!r}",
                )
            )
    return heads


def check_exported_heads_kept(heads: Sequence[CheckedHead], external: Sequence[TreeHead]) -> None:
    """Heads handed to an outside party were signed by the log itself, and the gateway never removes
    a head (retention keeps them): one the log no longer holds means its heads were deleted, and the
    log holds nothing newer than what that party saw. Checked once the events agree with every head,
    so a cut log is still reported as cut."""
    stored = [item.head for item in heads if not item.external]
    kept = {(head.tree_size, head.root_hash) for head in stored}
    for head in sorted(external, key=lambda h: h.tree_size):
        if (head.tree_size, head.root_hash) not in kept:
            newest = max((h.tree_size for h in stored), default=None)
            holds = (
                f"its newest head is of size {newest}" if newest is not None else "it holds no signed head"
            )
            raise Stop(
                Finding(
                    Problem.HEAD_MISSING,
                    head.tree_size,
                    f"the log no longer holds the exported head of size {head.tree_size}; {holds}",
                )
            )
