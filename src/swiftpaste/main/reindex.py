"""`swiftpaste reindex`: rebuild every search document from the database."""

import asyncio
import sys

from dishka import make_async_container

from swiftpaste.application.search.rebuild_index import RebuildReport, RebuildSearchIndex
from swiftpaste.main.consumer_providers import ConsumerProvider
from swiftpaste.main.logging import configure_logging
from swiftpaste.main.providers import infrastructure_providers
from swiftpaste.main.settings import Settings

PAGE_SIZE = 500


async def reindex(settings: Settings, page_size: int = PAGE_SIZE) -> RebuildReport:
    container = make_async_container(
        *infrastructure_providers(),
        ConsumerProvider(),
        context={Settings: settings},
    )
    try:
        async with container() as request:
            rebuild = await request.get(RebuildSearchIndex)
            return await rebuild(page_size)
    finally:
        await container.close()


def run_reindex(settings: Settings) -> None:
    configure_logging(settings.log_level, process="reindex")
    report = asyncio.run(reindex(settings))
    sys.stdout.write(
        f"reindexed {report.written} snippets; removed {report.removed} stale documents\n"
    )
