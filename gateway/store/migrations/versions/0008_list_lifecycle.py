"""list lifecycle: objections to list entries, an entry's exit reason, who made a record's version

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-07 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "list_objections",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("list_entry_id", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=False),
        sa.Column("authority_code", sa.String(length=18), nullable=False),
        sa.Column(
            "filer_kind",
            sa.Enum(
                "SUBJECT", "LEGAL_REPRESENTATIVE", "AGENCY", name="filerkind", native_enum=False, length=40
            ),
            nullable=False,
        ),
        sa.Column("filed_by", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "OPEN", "CORRECTED", "REVOKED", "UPHELD", name="objectionstatus", native_enum=False, length=40
            ),
            nullable=False,
        ),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["list_entry_id"],
            ["list_entries.id"],
            name=op.f("fk_list_objections_list_entry_id_list_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_list_objections_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_objections")),
    )
    with op.batch_alter_table("list_objections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_list_objections_authority_code"), ["authority_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_list_objections_filed_by"), ["filed_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_list_objections_list_entry_id"), ["list_entry_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_list_objections_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_list_objections_subject_id"), ["subject_id"], unique=False)

    with op.batch_alter_table("list_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exit_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changed_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.drop_column("changed_by")
    with op.batch_alter_table("list_entries", schema=None) as batch_op:
        batch_op.drop_column("exit_reason")
    with op.batch_alter_table("list_objections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_list_objections_subject_id"))
        batch_op.drop_index(batch_op.f("ix_list_objections_status"))
        batch_op.drop_index(batch_op.f("ix_list_objections_list_entry_id"))
        batch_op.drop_index(batch_op.f("ix_list_objections_filed_by"))
        batch_op.drop_index(batch_op.f("ix_list_objections_authority_code"))
    op.drop_table("list_objections")
