"""Table definitions (SQLAlchemy Core). Domain objects are mapped to and from rows by hand."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Uuid,
    false,
    func,
    true,
)

# Deterministic constraint names: migrations stay reviewable and errors can be
# translated by name (see persistence.errors).
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    },
)

USERS_EMAIL_UNIQUE = "uq_users_email_lower"
SNIPPETS_SHORT_ID_UNIQUE = "uq_snippets_short_id"
USERS_USERNAME_UNIQUE = "uq_users_username_lower"

users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("email", String(320), nullable=False),
    Column("username", String(32), nullable=False),
    Column("hashed_password", Text, nullable=False),
    Column("is_active", Boolean, nullable=False, server_default=true()),
    Column("is_superuser", Boolean, nullable=False, server_default=false()),
    Column("is_verified", Boolean, nullable=False, server_default=false()),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index(USERS_EMAIL_UNIQUE, func.lower(users.c.email), unique=True)
Index(USERS_USERNAME_UNIQUE, func.lower(users.c.username), unique=True)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "user_id",
        Uuid,
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("family_id", Uuid, nullable=False, index=True),
    Column("token_digest", String(64), nullable=False, unique=True),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("rotated_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
)

snippets = Table(
    "snippets",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("short_id", String(8), nullable=False, unique=True),
    Column("title", String(1000), nullable=False),
    Column("owner_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("latest_version", Integer, nullable=False),
    Column("views", BigInteger, nullable=False, server_default="0"),
    Column("aggregate_version", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("deleted_at", DateTime(timezone=True)),
)
# The owner's listing: newest first.
Index("ix_snippets_owner_id_created_at", snippets.c.owner_id, snippets.c.created_at.desc())

snippet_versions = Table(
    "snippet_versions",
    metadata,
    Column("snippet_id", Uuid, ForeignKey("snippets.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content", Text, nullable=False),
    Column("visibility", String(7), nullable=False),
    Column("language", String(32)),
    Column("expires_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("snippet_id", "version"),
    CheckConstraint("visibility IN ('public', 'private')", name="visibility"),
    CheckConstraint("version >= 1", name="version_positive"),
)
