"""Table definitions (SQLAlchemy Core). Domain objects are mapped to and from rows by hand."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Uuid,
    false,
    func,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR

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
    # NULL: an anonymous snippet, which has a delete token's digest instead.
    Column("owner_id", Uuid, ForeignKey("users.id", ondelete="CASCADE")),
    Column("delete_token_digest", String(64)),
    Column("latest_version", Integer, nullable=False),
    Column("views", BigInteger, nullable=False, server_default="0"),
    Column("aggregate_version", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("deleted_at", DateTime(timezone=True)),
    CheckConstraint(
        "(owner_id IS NULL) = (delete_token_digest IS NOT NULL)", name="owner_or_delete_token"
    ),
    # The file name given on create, if any (downloads are saved under it).
    Column("filename", String(255)),
)
# The owner's listing: newest first.
Index("ix_snippets_owner_id_created_at", snippets.c.owner_id, snippets.c.created_at.desc())

snippet_versions = Table(
    "snippet_versions",
    metadata,
    Column("snippet_id", Uuid, ForeignKey("snippets.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content", Text, nullable=False),
    Column("visibility", String(8), nullable=False),
    Column("language", String(32)),
    Column("expires_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # When the scheduler announced the end of the share window (NULL: not yet).
    Column("expired_at", DateTime(timezone=True)),
    # Conditions on reads by others than the owner: once (the content is erased at
    # `burned_at`), a number of times (`views_used` counts them), with a password.
    Column("burn_after_reading", Boolean, nullable=False, server_default=false()),
    Column("max_views", Integer),
    Column("views_used", Integer, nullable=False, server_default="0"),
    Column("password_hash", Text),
    Column("burned_at", DateTime(timezone=True)),
    PrimaryKeyConstraint("snippet_id", "version"),
    CheckConstraint("visibility IN ('public', 'unlisted', 'private')", name="visibility"),
    CheckConstraint("version >= 1", name="version_positive"),
    CheckConstraint("max_views BETWEEN 1 AND 1000000", name="max_views_range"),
)
# The scheduler's work list: shared versions whose window ended but was not announced.
Index(
    "ix_snippet_versions_expires_at_due",
    snippet_versions.c.expires_at,
    postgresql_where=snippet_versions.c.expires_at.is_not(None)
    & snippet_versions.c.expired_at.is_(None),
)

# Personal access tokens: only the SHA-256 digest of each secret is kept.
personal_access_tokens = Table(
    "personal_access_tokens",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("scopes", ARRAY(String(32)), nullable=False),
    Column("token_digest", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True)),
    Column("last_used_at", DateTime(timezone=True)),
)
# A user's tokens, newest first.
Index(
    "ix_personal_access_tokens_user_id_created_at",
    personal_access_tokens.c.user_id,
    personal_access_tokens.c.created_at.desc(),
)

# Idempotency keys of creates, claimed and answered in the create's transaction. A row is
# keyed by a digest of the caller and the key; its reply is sealed with the key itself
# (persistence.idempotency), so what the table holds reveals no delete token.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key_digest", String(64), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("sealed_reply", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
# Keys older than a day are forgotten, oldest first.
Index("ix_idempotency_keys_created_at", idempotency_keys.c.created_at)

OUTBOX_CHANNEL = "swiftpaste_outbox"
"""NOTIFY channel the unit of work signals on commit; the relay LISTENs on it."""

# Lifecycle events waiting for the relay, written in the transaction of the change.
outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("event_type", String(64), nullable=False),
    Column("topic", String(249), nullable=False),
    Column("message_key", String(64), nullable=False),
    Column("message", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True)),
)
# The relay's queue: pending rows in commit order.
Index("ix_outbox_pending", outbox.c.id, postgresql_where=outbox.c.published_at.is_(None))
Index("ix_outbox_published_at", outbox.c.published_at)

# What the indexer keeps for search: each live snippet's latest version.
search_documents = Table(
    "search_documents",
    metadata,
    Column("snippet_id", Uuid, ForeignKey("snippets.id", ondelete="CASCADE"), primary_key=True),
    Column("short_id", String(8), nullable=False),
    Column("owner_id", Uuid, index=True),
    Column("title", String(1000), nullable=False),
    Column("content", Text, nullable=False),
    Column("language", String(32)),
    # Who finds it: 'public' everyone, 'private' its owner only (unlisted versions, and
    # versions read once, a number of times or with a password, are found by the owner).
    Column("visibility", String(7), nullable=False),
    Column("version", Integer, nullable=False),
    Column("expires_at", DateTime(timezone=True)),
    Column("snippet_created_at", DateTime(timezone=True), nullable=False),
    Column("aggregate_version", Integer, nullable=False),
    Column("indexed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Lexemes cut by application.search.code_terms (never by PostgreSQL's parser): the
    # title's alone (cheap to test for the ranking's "matched in the title"), and the
    # title (weight A) with the content (weight B) in the keyed form (with part prefixes
    # and split joins, so a prefix query is exact lookups), which the GIN index serves.
    # A row written without them is stored but found by nothing until a reindex.
    Column("title_vector", TSVECTOR, nullable=False, server_default=text("''::tsvector")),
    Column("search_vector", TSVECTOR, nullable=False, server_default=text("''::tsvector")),
    # A search visits the row of every match (visibility, ranking, recency): rows above
    # 512 bytes move their content and search vector out of line (TOAST), so the heap
    # stays narrow (~350 bytes a row) and a query touches few pages. The GIN index
    # answers `search_vector @@ …` exactly, so the big vector is rarely read.
    postgresql_with={"toast_tuple_target": 512},
)
# Full-text search: every query goes through this index (`search_vector @@ tsquery`).
# A small pending list: new documents are merged in small batches, and a search never
# scans more than 256 kB of unmerged entries.
Index(
    "ix_search_documents_search_vector",
    search_documents.c.search_vector,
    postgresql_using="gin",
    postgresql_with={"gin_pending_list_limit": 256},
)

# Per consumer group and partition, the next offset whose effect is not yet stored:
# written in the transaction that applies a batch, so a redelivered batch is skipped.
consumer_offsets = Table(
    "consumer_offsets",
    metadata,
    Column("group_id", String(255), nullable=False),
    Column("topic", String(249), nullable=False),
    Column("partition", Integer, nullable=False),
    Column("next_offset", BigInteger, nullable=False),
    Column(
        "updated_at",
        DateTime(timezone=True),
        nullable=False,
        server_default=text("now()"),
    ),
    PrimaryKeyConstraint("group_id", "topic", "partition"),
)
