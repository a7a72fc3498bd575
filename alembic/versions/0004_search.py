"""search: code-aware search vectors on the search documents, and their GIN index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21

The vectors are written by the indexer (and `swiftpaste reindex`) from lexemes the
application cuts itself. Documents already stored get an approximation built by
PostgreSQL's own parser (`simple` configuration), so they stay findable by plain words
right after the upgrade; run `swiftpaste reindex` to give them the code-aware form
(identifier parts and joins) too.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Bounded, so no stored content can overflow a tsvector during the upgrade.
_APPROXIMATE_TITLE = "setweight(to_tsvector('simple', title), 'A')"
_APPROXIMATE_CONTENT = "setweight(to_tsvector('simple', left(content, 100000)), 'B')"


def upgrade() -> None:
    # Big values out of line, so the rows a search visits stay small (see tables.py).
    op.execute("ALTER TABLE search_documents SET (toast_tuple_target = 512)")
    for name in ("title_vector", "search_vector"):
        op.add_column(
            "search_documents",
            sa.Column(
                name, postgresql.TSVECTOR(), nullable=False, server_default=sa.text("''::tsvector")
            ),
        )
    op.execute(
        f"UPDATE search_documents SET title_vector = {_APPROXIMATE_TITLE},"  # noqa: S608
        f" search_vector = {_APPROXIMATE_TITLE} || {_APPROXIMATE_CONTENT}"
    )
    op.create_index(
        "ix_search_documents_search_vector",
        "search_documents",
        ["search_vector"],
        postgresql_using="gin",
        postgresql_with={"gin_pending_list_limit": 256},
    )


def downgrade() -> None:
    op.drop_index(
        "ix_search_documents_search_vector",
        table_name="search_documents",
        postgresql_using="gin",
    )
    op.drop_column("search_documents", "search_vector")
    op.drop_column("search_documents", "title_vector")
    op.execute("ALTER TABLE search_documents RESET (toast_tuple_target)")
