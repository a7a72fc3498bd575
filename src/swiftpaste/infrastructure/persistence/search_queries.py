"""SqlaSearchQueries: ranked full-text search over `search_documents`, in one statement.

The query (application `SearchQuery`) is sent as tsquery values built from quoted
lexemes (`text_search`); filters are bound parameters. The plan is the GIN index on
`search_vector` (bitmap scan), then one visit per match to the document's narrow row
(visibility, expiry, owner, filters, title vector, creation time):

    ranked:  matches the caller may see → score → top `offset + limit` (heap sort),
             with `count(*) OVER ()` for the total from the same pass;
    page:    those rows joined to the content (a bounded prefix, for highlights),
             the author's username and the current view count.

The score is deliberately cheap — each required match asks the small title vector
whether it matches there (1.0) or not (0.4); an `or` alternative adds 1.0 in the title,
0.4 in the content only, 0 elsewhere — instead of `ts_rank_cd`, which reads every
matching document's whole vector and measured about 3x slower on common words over
100,000 documents, for an order nobody could explain from the results.

The planner picks the bitmap scan on its own: with the heap kept narrow (see
`tables.search_documents`) it does so even for a word in two thirds of the documents
(measured); only a word in nearly every document could tip it to a sequential scan.

Building and compiling a statement of this size costs more CPU than PostgreSQL spends
running it on a typical query, so the SQL is compiled once per *shape* (how many words,
which `or` groups, which filters) and then run with the values as parameters.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Dialect,
    Float,
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.types import DateTime, Uuid

from swiftpaste.application.ports.search import SearchCriteria, SearchHit, SearchHits
from swiftpaste.application.search.query import AnyOf
from swiftpaste.application.snippets.read_models import Author
from swiftpaste.infrastructure.persistence.tables import search_documents, snippets, users
from swiftpaste.infrastructure.persistence.text_search import (
    match_text,
    tsquery_parameter,
    tsquery_text,
)

TITLE_SCORE = 1.0
CONTENT_SCORE = 0.4

_documents = search_documents.c
_option = search_documents.alias("option").c
_IN_TITLE = literal_column(repr(TITLE_SCORE), Float)
_IN_CONTENT = literal_column(repr(CONTENT_SCORE), Float)
_NOWHERE = literal_column("0.0", Float)


@dataclass(frozen=True, slots=True)
class _Shape:
    """What the SQL depends on; the values go in as parameters."""

    clauses: tuple[int, ...]
    """Per required clause: 0 for a word or phrase, else the number of `or` options."""
    reader: bool
    author: bool
    language: bool
    after: bool
    before: bool


def _shape(criteria: SearchCriteria) -> _Shape:
    return _Shape(
        clauses=tuple(
            len(clause.options) if isinstance(clause, AnyOf) else 0
            for clause in criteria.query.required
        ),
        reader=criteria.reader_id is not None,
        author=criteria.author is not None,
        language=criteria.language is not None,
        after=criteria.created_after is not None,
        before=criteria.created_before is not None,
    )


def _parameters(criteria: SearchCriteria) -> dict[str, Any]:
    values: dict[str, Any] = {
        "query": tsquery_text(criteria.query),
        "reader": criteria.reader_id,
        "author": criteria.author.lower() if criteria.author else None,
        "language": criteria.language,
        "after": criteria.created_after,
        "before": criteria.created_before,
        "offset": criteria.offset,
        "limit": criteria.limit,
        "excerpt": criteria.excerpt_chars,
    }
    for index, clause in enumerate(criteria.query.required):
        if isinstance(clause, AnyOf):
            for option_index, option in enumerate(clause.options):
                values[f"m{index}_{option_index}"] = match_text(option)
        else:
            values[f"m{index}"] = match_text(clause)
    return values


def _in(vector: ColumnElement[Any], parameter: str) -> ColumnElement[bool]:
    return vector.bool_op("@@")(tsquery_parameter(parameter))


def _clause_score(index: int, options: int) -> ColumnElement[float]:
    if not options:
        # A required match is in the title or, since the document matched, in the content.
        return case((_in(_documents.title_vector, f"m{index}"), _IN_TITLE), else_=_IN_CONTENT)
    # Which alternatives the content holds: each a set from the GIN index, hashed once
    # (reading every matching document's vector instead costs several times more).
    total: ColumnElement[float] | None = None
    for option in range(options):
        name = f"m{index}_{option}"
        in_content = select(_option.snippet_id).where(_in(_option.search_vector, name))
        score = case(
            (_in(_documents.title_vector, name), _IN_TITLE),
            (_documents.snippet_id.in_(in_content), _IN_CONTENT),
            else_=_NOWHERE,
        )
        total = score if total is None else total + score
    assert total is not None
    return total


def _conditions(shape: _Shape) -> list[ColumnElement[bool]]:
    visible: ColumnElement[bool] = and_(
        _documents.visibility == literal_column("'public'"),
        or_(_documents.expires_at.is_(None), _documents.expires_at > func.now()),
    )
    if shape.reader:
        visible = or_(visible, _documents.owner_id == bindparam("reader", type_=Uuid))
    conditions = [_in(_documents.search_vector, "query"), visible]
    if shape.author:
        author_id = (
            select(users.c.id)
            .where(func.lower(users.c.username) == bindparam("author", type_=Text))
            .scalar_subquery()
        )
        conditions.append(_documents.owner_id == author_id)
    if shape.language:
        conditions.append(_documents.language == bindparam("language", type_=Text))
    if shape.after:
        moment = bindparam("after", type_=DateTime(timezone=True))
        conditions.append(_documents.snippet_created_at >= moment)
    if shape.before:
        moment = bindparam("before", type_=DateTime(timezone=True))
        conditions.append(_documents.snippet_created_at < moment)
    return conditions


def _statement(shape: _Shape) -> Select[Any]:
    parts = [_clause_score(index, options) for index, options in enumerate(shape.clauses)]
    score = sum(parts[1:], start=parts[0]).label("score")
    ranked = (
        select(
            _documents.snippet_id,
            _documents.snippet_created_at,
            score,
            func.count().over().label("total"),
        )
        .where(*_conditions(shape))
        .order_by(score.desc(), _documents.snippet_created_at.desc(), _documents.snippet_id.desc())
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
        .subquery("ranked")
    )
    return (
        select(
            ranked.c.snippet_id,
            ranked.c.score,
            ranked.c.total,
            _documents.short_id,
            _documents.title,
            _documents.language,
            _documents.version,
            _documents.snippet_created_at,
            func.left(_documents.content, bindparam("excerpt", type_=Integer)).label("excerpt"),
            _documents.owner_id,
            users.c.username,
            snippets.c.views,
        )
        .select_from(
            ranked.join(search_documents, _documents.snippet_id == ranked.c.snippet_id)
            .join(snippets, snippets.c.id == ranked.c.snippet_id)
            .join(users, users.c.id == _documents.owner_id)
        )
        # A snippet deleted a moment ago, whose document the indexer is about to remove.
        .where(snippets.c.deleted_at.is_(None))
        .order_by(
            ranked.c.score.desc(),
            ranked.c.snippet_created_at.desc(),
            ranked.c.snippet_id.desc(),
        )
    )


def _count_statement(shape: _Shape) -> Select[Any]:
    return select(func.count()).select_from(search_documents).where(*_conditions(shape))


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    """The parameters, in the order of the SQL's `$n` placeholders."""

    def arguments(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(values[name] for name in self.names)


@lru_cache(maxsize=512)
def _compiled(shape: _Shape, count: bool, dialect: Dialect) -> _Compiled:
    statement = _count_statement(shape) if count else _statement(shape)
    compiled = statement.compile(dialect=dialect)
    return _Compiled(str(compiled), tuple(compiled.positiontup or ()))


def search_sql(criteria: SearchCriteria, dialect: Dialect) -> tuple[str, tuple[Any, ...]]:
    """The SQL a search runs and its arguments (public: the benchmark EXPLAINs it)."""
    compiled = _compiled(_shape(criteria), False, dialect)  # noqa: FBT003
    return compiled.sql, compiled.arguments(_parameters(criteria))


def _hit(row: Any) -> SearchHit:
    created_at: datetime = row.snippet_created_at
    return SearchHit(
        snippet_id=row.snippet_id,
        short_id=row.short_id,
        title=row.title,
        author=Author(id=row.owner_id, username=row.username),
        language=row.language,
        latest_version=row.version,
        views=row.views,
        created_at=created_at,
        score=round(float(row.score), 4),
        content_excerpt=row.excerpt,
    )


class SqlaSearchQueries:
    """Each search on a pooled connection of its own, in autocommit: one statement, no
    BEGIN and ROLLBACK around it (on a loopback connection every round trip costs about
    as much CPU as the statement's own work in this process)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._dialect = engine.dialect

    async def _run(
        self, connection: AsyncConnection, shape: _Shape, values: dict[str, Any], *, count: bool
    ) -> list[Any]:
        compiled = _compiled(shape, count, self._dialect)
        result = await connection.exec_driver_sql(compiled.sql, compiled.arguments(values))
        return list(result.all())

    async def search(self, criteria: SearchCriteria) -> SearchHits:
        shape, values = _shape(criteria), _parameters(criteria)
        async with self._engine.connect() as pooled:
            connection = await pooled.execution_options(isolation_level="AUTOCOMMIT")
            rows = await self._run(connection, shape, values, count=False)
            if rows:
                total = int(rows[0].total)
            elif criteria.offset == 0:
                total = 0
            else:
                # Past the last page: the total from a count of its own.
                (counted,) = await self._run(connection, shape, values, count=True)
                total = int(counted[0])
        return SearchHits(hits=tuple(map(_hit, rows)), total=total)
