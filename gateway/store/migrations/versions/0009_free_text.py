"""free text about persons: encrypted copies of content, reason and an individual business's name

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-07 12:00:00.000000

A record's content, a list entry's reason and an individual business's trade name may name a
natural person or their home address (000 双公示 二(四)1). Each gains an encrypted column for the
whole text (``*_enc``), and records and list entries a ``key_version`` (the rotation's work list),
while the clear column comes to hold the masked form (``gateway.store.free_text``).

This revision changes the schema only: rewriting the existing rows needs the keyring, which a
schema migration does not have. Downgrading refuses once any row is protected: the whole texts
would be lost with their columns. ``credit-gateway db upgrade`` says how many rows wait for it, and
``credit-gateway db protect-free-text`` rewrites them (batched, resumable, idempotent).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_PROTECTED = (
    ("credit_records", "content_enc"),
    ("list_entries", "reason_enc"),
    ("organizations", "name_enc"),
)


def upgrade() -> None:
    for table, column in (("credit_records", "content_enc"), ("list_entries", "reason_enc")):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("key_version", sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column(column, sa.LargeBinary(), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_{table}_key_version"), ["key_version"], unique=False)
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_enc", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    # The clear columns hold masked texts once rows are protected: dropping the encrypted ones would
    # lose the whole texts for good.
    bind = op.get_bind()
    for table, column in _PROTECTED:
        stored = sa.table(table, sa.column(column))
        if bind.execute(sa.select(sa.literal(1)).where(stored.c[column].is_not(None)).limit(1)).first():
            raise RuntimeError(
                f"{table}.{column} holds whole texts that the clear column has only masked; "
                "downgrading past 0009 would lose them"
            )
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("name_enc")
    for table, column in (("list_entries", "reason_enc"), ("credit_records", "content_enc")):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_key_version"))
            batch_op.drop_column(column)
            batch_op.drop_column("key_version")
