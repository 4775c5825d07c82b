"""state shared by every worker: consent uses paired with their events, revoked tokens, rate buckets

Revision ID: 0010
Revises: 0005
Create Date: 2026-12-07 11:27:02.221207

``consent_uses`` pairs each counted use of a consent with the audit event of the lookup that spent
it (set in the audit writer's transaction), so that a worker killed between the lookup's commit and
its event leaves a use that can be found and given back. ``revoked_tokens`` and ``rate_buckets`` move
the token revocation list and the per-caller rate buckets out of each worker's memory.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_buckets",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("tokens", sa.Double(), nullable=False),
        sa.Column("updated", sa.Double(), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_buckets")),
    )
    with op.batch_alter_table("rate_buckets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_buckets_updated"), ["updated"], unique=False)

    op.create_table(
        "revoked_tokens",
        sa.Column("token_id", sa.String(length=256), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_revoked_tokens")),
    )
    with op.batch_alter_table("revoked_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_revoked_tokens_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "consent_uses",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("consent_id", sa.String(length=32), nullable=False),
        sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_seq", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consent_id"], ["consents.id"], name=op.f("fk_consent_uses_consent_id_consents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_uses")),
    )
    with op.batch_alter_table("consent_uses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_uses_consent_id"), ["consent_id"], unique=False)
        batch_op.create_index(
            "ix_consent_uses_event_seq_reserved_at", ["event_seq", "reserved_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("consent_uses", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_uses_event_seq_reserved_at")
        batch_op.drop_index(batch_op.f("ix_consent_uses_consent_id"))
    op.drop_table("consent_uses")
    with op.batch_alter_table("revoked_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_revoked_tokens_expires_at"))
    op.drop_table("revoked_tokens")
    with op.batch_alter_table("rate_buckets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_buckets_updated"))
    op.drop_table("rate_buckets")
