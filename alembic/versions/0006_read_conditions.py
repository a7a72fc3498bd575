"""read conditions: unlisted versions, burn after reading, view limits, passwords

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "snippet_versions"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_snippet_versions_visibility"), _TABLE, type_="check")
    op.alter_column(_TABLE, "visibility", type_=sa.String(length=8))
    op.create_check_constraint(
        op.f("ck_snippet_versions_visibility"),
        _TABLE,
        "visibility IN ('public', 'unlisted', 'private')",
    )
    op.add_column(
        _TABLE,
        sa.Column("burn_after_reading", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(_TABLE, sa.Column("max_views", sa.Integer(), nullable=True))
    op.add_column(_TABLE, sa.Column("views_used", sa.Integer(), server_default="0", nullable=False))
    op.add_column(_TABLE, sa.Column("password_hash", sa.Text(), nullable=True))
    op.add_column(_TABLE, sa.Column("burned_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        op.f("ck_snippet_versions_max_views_range"), _TABLE, "max_views BETWEEN 1 AND 1000000"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_snippet_versions_max_views_range"), _TABLE, type_="check")
    for column in ("burned_at", "password_hash", "views_used", "max_views", "burn_after_reading"):
        op.drop_column(_TABLE, column)
    op.drop_constraint(op.f("ck_snippet_versions_visibility"), _TABLE, type_="check")
    # Unlisted versions cannot be told apart from public ones after the downgrade: they
    # become private, which hides them rather than publishing them.
    op.execute("UPDATE snippet_versions SET visibility = 'private' WHERE visibility = 'unlisted'")
    op.alter_column(_TABLE, "visibility", type_=sa.String(length=7))
    op.create_check_constraint(
        op.f("ck_snippet_versions_visibility"), _TABLE, "visibility IN ('public', 'private')"
    )
