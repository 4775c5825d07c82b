"""responsible persons of organisations; a record's act date and whether its subject was a minor

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-09 10:00:00.000000

``responsible_persons`` holds who answers for an organisation in which role (legal representative,
principal, actual controller) and when, so that a black listing or a serious dishonesty reaches
them (docs/lifecycle.md). ``credit_records.act_date`` is the day of the act where it differs from the
decision; ``committed_as_minor`` is derived by the writer from the subject's birth date, and is false
for every record written before this revision (no record then carried an act date, and the decision
date of an adult's record stays an adult's).

Every organisation's legal representative known before this revision becomes an open
``LEGAL_REPRESENTATIVE`` holding, so that a listing of an organisation already in the store reaches its
representative at once. The holding's id is the organisation's subject id (one representative per
organisation; the writer's ids are random 128-bit values, so they never meet).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "responsible_persons",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "LEGAL_REPRESENTATIVE",
                "PRINCIPAL",
                "ACTUAL_CONTROLLER",
                name="responsiblerole",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["subjects.id"],
            name=op.f("fk_responsible_persons_organization_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["subjects.id"], name=op.f("fk_responsible_persons_person_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responsible_persons")),
    )
    with op.batch_alter_table("responsible_persons", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_responsible_persons_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_responsible_persons_person_id"), ["person_id"], unique=False)
    op.execute(
        "INSERT INTO responsible_persons (id, organization_id, person_id, role) "
        "SELECT subject_id, subject_id, legal_representative_id, 'LEGAL_REPRESENTATIVE' "
        "FROM organizations WHERE legal_representative_id IS NOT NULL"
    )
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("act_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("committed_as_minor", sa.Boolean(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.drop_column("committed_as_minor")
        batch_op.drop_column("act_date")
    with op.batch_alter_table("responsible_persons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_responsible_persons_person_id"))
        batch_op.drop_index(batch_op.f("ix_responsible_persons_organization_id"))
    op.drop_table("responsible_persons")
