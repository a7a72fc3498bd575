"""keyed search vectors: part prefixes and split joins, so prefix queries are exact lookups

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22

The search vector changes form (see `application.search.code_terms`, "Two forms"): each
part's prefixes of 3 to 16 characters are added, marked `>` (`>fib`, `>fibo`, …), and
each join is stored split after its first part (`get|userbyid`), without positions,
instead of glued at its first part's position. A prefix query then looks each word up
exactly instead of walking every lexeme that starts with it. The title vector keeps its
form.

The stored vectors are converted here, in SQL: in the glued form a join is the lexeme at
the position of a shorter lexeme it starts with (its first part). A lexeme that is also
a part elsewhere keeps its positions; the result is otherwise what the indexer writes,
and `swiftpaste reindex` rewrites it exactly. The GIN index is rebuilt afterwards, outside
the transaction, rather than updated row by row (which commits the migrations before it).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "ix_search_documents_search_vector"

# The keyed form of a glued search vector (code_terms: MIN_PREFIX_LENGTH 3,
# MAX_MARKED_PREFIX 16, MAX_LEXEME_LENGTH 64). A document holds at most 900,000 bytes of
# lexemes (MAX_LEXEME_BYTES): keys past it are left out, as the indexer leaves them out,
# so no vector outgrows PostgreSQL's 1 MiB.
_KEYED = """
CREATE FUNCTION pg_temp.keyed_search_vector(vector tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE AS $$
WITH occurrences AS (
    SELECT entry.lexeme, position
    FROM unnest(vector) AS entry, unnest(entry.positions) AS position
), joins AS (
    SELECT DISTINCT ON (j.lexeme, j.position) j.lexeme, j.position, p.lexeme AS part
    FROM occurrences AS j
    JOIN occurrences AS p ON p.position = j.position
        AND length(p.lexeme) < length(j.lexeme) AND starts_with(j.lexeme, p.lexeme)
    ORDER BY j.lexeme, j.position, length(p.lexeme)
), only_joins AS (
    SELECT o.lexeme FROM occurrences AS o LEFT JOIN joins USING (lexeme, position)
    GROUP BY o.lexeme HAVING bool_and(joins.part IS NOT NULL)
), parts AS (
    SELECT lexeme FROM unnest(vector) EXCEPT SELECT lexeme FROM only_joins
), keys AS (
    SELECT left(part || '|' || substr(lexeme, length(part) + 1), 65) AS key
    FROM joins WHERE length(part) < 64
    UNION
    SELECT '>' || left(lexeme, size)
    FROM parts, generate_series(3, least(length(lexeme), 16)) AS size
), spent AS (
    SELECT key, sum(octet_length(key)) OVER (ORDER BY key) AS bytes FROM keys
)
SELECT ts_delete(vector, ARRAY(SELECT lexeme FROM only_joins))
    || array_to_tsvector(ARRAY(
        SELECT key FROM spent
        WHERE bytes <= 900000 - (SELECT coalesce(sum(octet_length(lexeme)), 0) FROM parts)
    ))
$$
"""

# Back to the glued form: prefixes dropped, joins glued again (without positions).
_GLUED = """
CREATE FUNCTION pg_temp.glued_search_vector(vector tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE AS $$
SELECT ts_delete(vector, ARRAY(
        SELECT lexeme FROM unnest(vector) WHERE lexeme LIKE '>%' OR lexeme LIKE '%|%'
    ))
    || array_to_tsvector(ARRAY(
        SELECT DISTINCT replace(lexeme, '|', '') FROM unnest(vector) WHERE lexeme LIKE '%|%'
    ))
$$
"""


def _rewrite(function_sql: str, function: str) -> None:
    op.execute(function_sql)
    op.drop_index(_INDEX, table_name="search_documents", if_exists=True)
    op.execute(f"UPDATE search_documents SET search_vector = pg_temp.{function}(search_vector)")  # noqa: S608
    op.execute(f"DROP FUNCTION pg_temp.{function}(tsvector)")
    # After a commit: built in the transaction that rewrote them, the index would take the
    # old row versions too. VACUUM FULL drops those and packs the rows again (a search
    # visits the row of every match: a heap left half empty doubles the pages it reads).
    with op.get_context().autocommit_block():
        op.execute("VACUUM (FULL, ANALYZE) search_documents")
        op.create_index(
            _INDEX,
            "search_documents",
            ["search_vector"],
            postgresql_using="gin",
            postgresql_with={"gin_pending_list_limit": 256},
        )


def upgrade() -> None:
    _rewrite(_KEYED, "keyed_search_vector")


def downgrade() -> None:
    _rewrite(_GLUED, "glued_search_vector")
