"""Profiles and lab results.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "profiles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("person_json", sa.Text, nullable=False),
        sa.Column("baseline_date", sa.Date, nullable=False),
        sa.Column("created_at", sa.DateTime, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime, server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "lab_results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("profile_id", sa.Integer, sa.ForeignKey("profiles.id", ondelete="CASCADE"), nullable=False),
        sa.Column("measured_on", sa.Date, nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("canonical", sa.Float, nullable=False),
    )
    op.create_index("ix_lab_results_profile_id", "lab_results", ["profile_id"])


def downgrade() -> None:
    op.drop_index("ix_lab_results_profile_id", "lab_results")
    op.drop_table("lab_results")
    op.drop_table("profiles")
