"""program clients: personal access tokens, anonymous snippets, idempotency keys

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24

An anonymous snippet has no owner account: `snippets.owner_id` may be NULL, and such a
snippet carries the digest of its delete token instead (a check keeps exactly one of the
two). Its search document has no owner either. Downgrading deletes anonymous snippets
(their versions and documents go with them), since the older schema cannot hold them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OWNER_OR_TOKEN = "ck_snippets_owner_or_delete_token"  # noqa: S105 - a name


def upgrade() -> None:
    op.add_column("snippets", sa.Column("delete_token_digest", sa.String(length=64)))
    op.alter_column("snippets", "owner_id", existing_type=sa.Uuid(), nullable=True)
    op.create_check_constraint(
        _OWNER_OR_TOKEN, "snippets", "(owner_id IS NULL) = (delete_token_digest IS NOT NULL)"
    )
    op.alter_column("search_documents", "owner_id", existing_type=sa.Uuid(), nullable=True)
    op.create_table(
        "personal_access_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_personal_access_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_access_tokens")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_personal_access_tokens_token_digest")),
    )
    op.create_index(
        "ix_personal_access_tokens_user_id_created_at",
        "personal_access_tokens",
        ["user_id", sa.literal_column("created_at DESC")],
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("sealed_reply", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_digest", name=op.f("pk_idempotency_keys")),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index(
        "ix_personal_access_tokens_user_id_created_at", table_name="personal_access_tokens"
    )
    op.drop_table("personal_access_tokens")
    op.execute("DELETE FROM search_documents WHERE owner_id IS NULL")
    op.alter_column("search_documents", "owner_id", existing_type=sa.Uuid(), nullable=False)
    op.execute("DELETE FROM snippets WHERE owner_id IS NULL")
    op.drop_constraint(_OWNER_OR_TOKEN, "snippets", type_="check")
    op.alter_column("snippets", "owner_id", existing_type=sa.Uuid(), nullable=False)
    op.drop_column("snippets", "delete_token_digest")
