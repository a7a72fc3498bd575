"""AsyncpgSearchQueries: ranked full-text search over `search_documents`, in one statement.

The GIN index finds the matches; one visit per match checks visibility, filters and
scores it; a window count gives the total; the top of the ranking is joined to content,
author and views. The SQL is compiled once per query shape. The plan, the cheap score
and the measurements behind them: docs/adr/0004-search-in-postgresql.md.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
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
from sqlalchemy.types import DateTime, Uuid

from swiftpaste.application.ports.search import SearchCriteria, SearchHit, SearchHits
from swiftpaste.application.search.query import AnyOf
from swiftpaste.application.snippets.read_models import Author
from swiftpaste.infrastructure.persistence.read_pool import ReadPool, Statement
from swiftpaste.infrastructure.persistence.tables import search_documents, snippets, users
from swiftpaste.infrastructure.persistence.text_search import (
    match_text,
    title_match_text,
    tsquery_parameter,
    tsquery_text,
)

TITLE_SCORE = 1.0
CONTENT_SCORE = 0.4
SCORE_UNIT = 10
"""The statement scores in tenths: 10 in the title, 4 in the content only."""

_documents = search_documents.c
_option = search_documents.alias("option").c
_IN_TITLE = literal_column(str(round(TITLE_SCORE * SCORE_UNIT)), Integer)
_IN_CONTENT = literal_column(str(round(CONTENT_SCORE * SCORE_UNIT)), Integer)
_NOWHERE = literal_column("0", Integer)


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
    # Per required clause, what the ranking asks: the title vector (`t…`, its own form of
    # the match) and, for an `or` alternative, the search vector (`m…`).
    for index, clause in enumerate(criteria.query.required):
        if isinstance(clause, AnyOf):
            for option_index, option in enumerate(clause.options):
                values[f"t{index}_{option_index}"] = title_match_text(option)
                values[f"m{index}_{option_index}"] = match_text(option)
        else:
            values[f"t{index}"] = title_match_text(clause)
    return values


def _in(vector: ColumnElement[Any], parameter: str) -> ColumnElement[bool]:
    return vector.bool_op("@@")(tsquery_parameter(parameter))


def _clause_score(index: int, options: int) -> ColumnElement[int]:
    if not options:
        # A required match is in the title or, since the document matched, in the content.
        return case((_in(_documents.title_vector, f"t{index}"), _IN_TITLE), else_=_IN_CONTENT)
    # Which alternatives the content holds: each a set from the GIN index, hashed once
    # (reading every matching document's vector instead costs several times more).
    total: ColumnElement[int] | None = None
    for option in range(options):
        name = f"{index}_{option}"
        in_content = select(_option.snippet_id).where(_in(_option.search_vector, f"m{name}"))
        score = case(
            (_in(_documents.title_vector, f"t{name}"), _IN_TITLE),
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


def _excerpt() -> ColumnElement[str]:
    """The content's first `excerpt` characters. Most contents are shorter: `octet_length`
    answers that from the stored size, without counting the characters `left` walks."""
    limit = bindparam("excerpt", type_=Integer)
    return case(
        (func.octet_length(_documents.content) <= limit, _documents.content),
        else_=func.left(_documents.content, limit),
    )


def _statement(shape: _Shape) -> Select[Any]:
    parts = [_clause_score(index, options) for index, options in enumerate(shape.clauses)]
    score = sum(parts[1:], start=parts[0]).label("score")
    matches = (
        select(_documents.snippet_id, _documents.snippet_created_at, score)
        .where(*_conditions(shape))
        .offset(literal_column("0", Integer))  # a fence: the score is computed in the scan
        .subquery("matches")
    )
    ranked = (
        select(
            matches.c.snippet_id,
            matches.c.snippet_created_at,
            matches.c.score,
            func.count().over().label("total"),
        )
        .order_by(
            matches.c.score.desc(),
            matches.c.snippet_created_at.desc(),
            matches.c.snippet_id.desc(),
        )
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
            _excerpt().label("excerpt"),
            _documents.owner_id,
            users.c.username,
            snippets.c.views,
        )
        .select_from(
            ranked.join(search_documents, _documents.snippet_id == ranked.c.snippet_id)
            .join(snippets, snippets.c.id == ranked.c.snippet_id)
            .outerjoin(users, users.c.id == _documents.owner_id)
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


@lru_cache(maxsize=512)
def _compiled(shape: _Shape, *, count: bool) -> Statement:
    return Statement.of(_count_statement(shape) if count else _statement(shape))


def search_sql(criteria: SearchCriteria) -> tuple[str, tuple[Any, ...]]:
    """The SQL a search runs and its arguments (public: the benchmark EXPLAINs it)."""
    compiled = _compiled(_shape(criteria), count=False)
    return compiled.sql, compiled.arguments(_parameters(criteria))


def _hit(row: Any) -> SearchHit:
    created_at: datetime = row["snippet_created_at"]
    return SearchHit(
        snippet_id=row["snippet_id"],
        short_id=row["short_id"],
        title=row["title"],
        author=None if row["owner_id"] is None else Author(row["owner_id"], row["username"]),
        language=row["language"],
        latest_version=row["version"],
        views=row["views"],
        created_at=created_at,
        score=round(row["score"] / SCORE_UNIT, 4),
        content_excerpt=row["excerpt"],
    )


class AsyncpgSearchQueries:
    """Each search is one statement on the read pool."""

    def __init__(self, pool: ReadPool) -> None:
        self._pool = pool

    async def search(self, criteria: SearchCriteria) -> SearchHits:
        shape, values = _shape(criteria), _parameters(criteria)
        page = _compiled(shape, count=False)
        rows = await self._pool.fetch(page.sql, page.arguments(values))
        if rows:
            total = int(rows[0]["total"])
        elif criteria.offset == 0:
            total = 0
        else:
            # Past the last page: the total from a count of its own.
            count = _compiled(shape, count=True)
            (counted,) = await self._pool.fetch(count.sql, count.arguments(values))
            total = int(counted[0])
        return SearchHits(hits=tuple(map(_hit, rows)), total=total)
