"""trusted documents: GraphQL documents registered to run by their SHA-256 id

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-07 12:45:00.000000

``trusted_documents`` holds the operations partners registered (``credit-gateway documents add``),
each under ``sha256:<hex>`` of its text, shared by every worker (docs/partner-guide.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trusted_documents",
        sa.Column("id", sa.String(length=71), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trusted_documents")),
    )


def downgrade() -> None:
    op.drop_table("trusted_documents")
