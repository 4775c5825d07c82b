"""issued credit reports: serial, subject, validity, payload hash and what each cited

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-07 13:00:00.000000

``reportStatus(serial)`` says whether a signed report is still good: expired, or superseded because
a record it cited was corrected (a new version) or revoked, or a list entry it cited was revoked,
since it was issued (docs/reports.md, "Status").
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "issued_reports",
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("cited", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("serial", name=op.f("pk_issued_reports")),
    )
    with op.batch_alter_table("issued_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issued_reports_subject_id"), ["subject_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("issued_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issued_reports_subject_id"))
    op.drop_table("issued_reports")
