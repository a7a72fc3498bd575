"""snippet filename: the optional file name given on create

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24

A snippet may be created with a file name: its language is taken from it when none is
given, and downloads are saved under it. Existing snippets have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("snippets", sa.Column("filename", sa.String(length=255), nullable=True))


def downgrade() -> None:
    op.drop_column("snippets", "filename")
