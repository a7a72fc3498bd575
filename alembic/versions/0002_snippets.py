"""snippets: snippets and their immutable versions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "snippets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("short_id", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("views", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("aggregate_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_snippets_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snippets")),
        sa.UniqueConstraint("short_id", name=op.f("uq_snippets_short_id")),
    )
    op.create_index(
        "ix_snippets_owner_id_created_at",
        "snippets",
        ["owner_id", sa.literal_column("created_at DESC")],
        unique=False,
    )
    op.create_table(
        "snippet_versions",
        sa.Column("snippet_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("visibility", sa.String(length=7), nullable=False),
        sa.Column("language", sa.String(length=32), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "visibility IN ('public', 'private')", name=op.f("ck_snippet_versions_visibility")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_snippet_versions_version_positive")),
        sa.ForeignKeyConstraint(
            ["snippet_id"],
            ["snippets.id"],
            name=op.f("fk_snippet_versions_snippet_id_snippets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("snippet_id", "version", name=op.f("pk_snippet_versions")),
    )


def downgrade() -> None:
    op.drop_table("snippet_versions")
    op.drop_index("ix_snippets_owner_id_created_at", table_name="snippets")
    op.drop_table("snippets")
