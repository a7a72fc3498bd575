"""Each consumer reports how far its group is behind: `consumer_lag{consumer,topic,partition}`."""

import httpx
from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from swiftpaste.main.consumers import build_consumer_app, lag_monitor
from tests.conftest import Servers, eventually, free_port
from tests.consumers.conftest import (
    SnippetTables,
    consumer_settings,
    create_topics,
    deleted,
    publish,
    running,
)

RECORDS = 12
# Tansu, the embedded broker, may report an end offset a little behind what it holds.
END_OFFSET_SLACK = 3


def lag_samples(metrics_text: str, consumer: str, topic: str) -> dict[str, float]:
    """The consumer_lag value per partition for one consumer and topic."""
    return {
        sample.labels["partition"]: sample.value
        for family in text_string_to_metric_families(metrics_text)
        if family.name == "consumer_lag"
        for sample in family.samples
        if sample.labels["consumer"] == consumer and sample.labels["topic"] == topic
    }


async def test_lag_counts_what_the_group_has_not_consumed_and_falls_to_zero(
    servers: Servers, database_url: str, producer: AIOKafkaProducer, tables: SnippetTables
) -> None:
    settings = consumer_settings(servers, database_url, consumer_lag_interval_seconds=0.2)
    topic = settings.kafka_snippet_events_topic
    await create_topics(settings)
    for _ in range(RECORDS):  # distinct snippets: the records spread over the partitions
        await publish(producer, topic, deleted(await tables.create()))

    monitor = lag_monitor("cache", settings)
    try:
        before = await monitor.measure_once()
    finally:
        await monitor.stop()
    assert sorted(lag.partition for lag in before) == [0, 1, 2]
    assert all(lag.committed is None for lag in before)  # the group never ran
    assert RECORDS - END_OFFSET_SLACK <= sum(lag.lag for lag in before) <= RECORDS

    app = build_consumer_app("cache", settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://consumer") as http,
        running(app),
    ):

        async def caught_up() -> dict[str, float] | None:
            lags = lag_samples((await http.get("/metrics")).text, "cache", topic)
            return lags if len(lags) == 3 and not any(lags.values()) else None

        assert await eventually(caught_up) == {"0": 0.0, "1": 0.0, "2": 0.0}


async def test_an_unreachable_broker_is_counted_and_never_raised(
    servers: Servers, database_url: str
) -> None:
    nowhere = f"127.0.0.1:{free_port()}"
    settings = consumer_settings(
        servers,
        database_url,
        kafka_bootstrap_servers=nowhere,
        kafka_consumer_group_prefix="unreachable-lag",
        consumer_lag_interval_seconds=0.05,
        kafka_request_timeout_ms=500,
    )

    def errors() -> float:
        value = REGISTRY.get_sample_value("consumer_lag_errors_total", {"consumer": "views"})
        return value or 0.0

    before = errors()
    monitor = lag_monitor("views", settings)
    await monitor.start()
    try:

        async def counted_twice() -> bool:
            return errors() >= before + 2

        await eventually(counted_twice, within=30)
    finally:
        await monitor.stop()
