"""Dishka providers of the consumers and `swiftpaste reindex`, beside the service's own."""

from collections.abc import AsyncIterator

from dishka import Provider, Scope, alias, provide
from sqlalchemy.ext.asyncio import AsyncEngine

from swiftpaste.application.ports.consumers import (
    CacheEvictor,
    SearchDocuments,
    SnippetSnapshots,
    ViewLedger,
)
from swiftpaste.application.search.index_snippets import IndexSnippets
from swiftpaste.application.search.rebuild_index import RebuildSearchIndex
from swiftpaste.application.snippets.count_views import CountViews
from swiftpaste.application.snippets.evict_cached_snippet import EvictCachedSnippet
from swiftpaste.infrastructure.cache.snippet_cache import RedisSnippetCache
from swiftpaste.infrastructure.persistence.engine import make_engine
from swiftpaste.infrastructure.persistence.search_documents import (
    SqlaSearchDocuments,
    SqlaSnippetSnapshots,
)
from swiftpaste.infrastructure.persistence.view_counts import SqlaViewLedger
from swiftpaste.main.providers.database import engine_options
from swiftpaste.main.settings import Settings


class ConsumerProvider(Provider):
    """Adapters and use cases of the consumers; one message (or batch) is one REQUEST."""

    @provide(scope=Scope.APP, override=True)
    async def engine(self, settings: Settings) -> AsyncIterator[AsyncEngine]:
        # A delivery that meets a dead connection fails as an outage, the pool drops the
        # connection and the delivery is retried: no round trip per batch to test it first.
        engine = make_engine(engine_options(settings, pre_ping=False))
        yield engine
        await engine.dispose()

    cache_evictor = alias(source=RedisSnippetCache, provides=CacheEvictor)

    evict_cached_snippet = provide(EvictCachedSnippet, scope=Scope.APP)

    snapshots = provide(SqlaSnippetSnapshots, scope=Scope.REQUEST, provides=SnippetSnapshots)
    search_documents = provide(SqlaSearchDocuments, scope=Scope.REQUEST, provides=SearchDocuments)
    view_ledger = provide(SqlaViewLedger, scope=Scope.REQUEST, provides=ViewLedger)

    index_snippets = provide(IndexSnippets, scope=Scope.REQUEST)
    rebuild_search_index = provide(RebuildSearchIndex, scope=Scope.REQUEST)
    count_views = provide(CountViews, scope=Scope.REQUEST)
