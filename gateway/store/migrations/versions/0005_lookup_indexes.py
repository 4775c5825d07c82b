"""lookup indexes: an authority's records by receipt time; the authority-only index goes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 22:40:00.000000

The quarterly data-quality measures read one authority's records received in a window. The index on
``authority_code`` alone found every record the authority ever issued and filtered them by receipt
time; ``(authority_code, received_at)`` reads the window only. The authority-only index is dropped:
the unique key ``(authority_code, document_number, category)`` and the new index both start with the
authority and serve lookups by it, and one B-tree fewer per record is one fewer to write in bulk.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_credit_records_authority_code_received_at", ["authority_code", "received_at"], unique=False
        )
        batch_op.drop_index(batch_op.f("ix_credit_records_authority_code"))


def downgrade() -> None:
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_records_authority_code"), ["authority_code"], unique=False
        )
        batch_op.drop_index("ix_credit_records_authority_code_received_at")
