"""index key rotation: the index key version of each person's and individual business's indexes

Revision ID: 0011
Revises: 0005
Create Date: 2027-01-12 10:00:00.000000

``keys rotate-index`` recomputes every blind index under a new index key, batch by batch; the
version each row's indexes were computed under is its work list, as ``key_version`` is for data-key
rotation. Every existing row was indexed under the only key there was, version 1. An organisation's
version is set only when it has an encrypted credit code (and therefore an index).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("index_version", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("index_version", sa.Integer(), nullable=True))
    op.execute("UPDATE organizations SET index_version = 1 WHERE credit_code_bidx IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("index_version")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_column("index_version")
