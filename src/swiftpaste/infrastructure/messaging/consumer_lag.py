"""How far a consumer group is behind the end of its topic, exported as `consumer_lag`.

The lag of a partition is its end offset (where the next record will be written) minus
the offset the group committed (the next record it will read). Before the group's first
commit it reads from the beginning (`auto_offset_reset="earliest"`), so the lag counts
from the partition's beginning offset. A broker whose end offsets trail the commits a
little (Tansu, the embedded broker, can under-report them) gives 0, never less.

The monitor reads both figures with clients of its own that join no group: measuring
never triggers a rebalance, and every replica of a consumer reports the whole group, so
dashboards take the largest value per partition.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from swiftpaste.infrastructure.messaging.metrics import CONSUMER_LAG, CONSUMER_LAG_ERRORS

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PartitionLag:
    topic: str
    partition: int
    end_offset: int
    committed: int | None
    """The group's committed offset; None before its first commit on this partition."""
    lag: int


def partition_lag(end_offset: int, committed: int | None, beginning_offset: int) -> int:
    """Records the group has yet to commit on one partition (never negative)."""
    start = committed if committed is not None and committed >= 0 else beginning_offset
    return max(end_offset - start, 0)


class KafkaGroupLag:
    """Reads a group's committed offsets and its topic's end offsets, outside the group."""

    def __init__(self, bootstrap_servers: str, client_id: str, request_timeout_ms: int) -> None:
        self._bootstrap_servers = bootstrap_servers
        self._client_id = client_id
        self._request_timeout_ms = request_timeout_ms
        self._admin: AIOKafkaAdminClient | None = None
        self._offsets: AIOKafkaConsumer | None = None

    async def measure(self, group_id: str, topic: str) -> list[PartitionLag]:
        admin, offsets = await self._connect()
        partitions = offsets.partitions_for_topic(topic)
        if not partitions:
            await offsets.topics()  # refreshes the cluster metadata
            partitions = offsets.partitions_for_topic(topic) or set()
        assigned = [TopicPartition(topic, partition) for partition in sorted(partitions)]
        if not assigned:
            return []
        # Named partitions: a broker may refuse the "all of the group's offsets" form.
        committed = await admin.list_consumer_group_offsets(group_id, partitions=assigned)
        end_offsets = await offsets.end_offsets(assigned)
        beginning_offsets = await offsets.beginning_offsets(assigned)
        lags = []
        for tp in assigned:
            stored = committed.get(tp)
            offset = stored.offset if stored is not None and stored.offset >= 0 else None
            lags.append(
                PartitionLag(
                    topic=tp.topic,
                    partition=tp.partition,
                    end_offset=end_offsets[tp],
                    committed=offset,
                    lag=partition_lag(end_offsets[tp], offset, beginning_offsets[tp]),
                ),
            )
        return lags

    async def close(self) -> None:
        """Close the clients; the next measurement connects again."""
        admin, offsets = self._admin, self._offsets
        self._admin = self._offsets = None
        if offsets is not None:
            with contextlib.suppress(Exception):
                await offsets.stop()
        if admin is not None:
            with contextlib.suppress(Exception):
                await admin.close()

    async def _connect(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None:
            admin = AIOKafkaAdminClient(
                bootstrap_servers=self._bootstrap_servers,
                client_id=self._client_id,
                request_timeout_ms=self._request_timeout_ms,
            )
            try:
                await admin.start()
            except BaseException:
                with contextlib.suppress(Exception):
                    await admin.close()
                raise
            self._admin = admin
        if self._offsets is None:
            offsets = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap_servers,
                client_id=self._client_id,
                group_id=None,
                enable_auto_commit=False,
                request_timeout_ms=self._request_timeout_ms,
            )
            try:
                await offsets.start()
            except BaseException:
                with contextlib.suppress(Exception):
                    await offsets.stop()
                raise
            self._offsets = offsets
        return self._admin, self._offsets


class ConsumerLagMonitor:
    """Measures one consumer's lag every `interval_seconds` into the `consumer_lag` gauge.

    A failed measurement (Kafka away or slow) is counted in `consumer_lag_errors_total`
    and logged once per outage; the gauge keeps its last values and the next
    measurement reconnects.
    """

    def __init__(
        self,
        source: KafkaGroupLag,
        *,
        consumer: str,
        group_id: str,
        topic: str,
        interval_seconds: float,
        timeout_seconds: float,
    ) -> None:
        self._source = source
        self._consumer = consumer
        self._group_id = group_id
        self._topic = topic
        self._interval = interval_seconds
        self._timeout = timeout_seconds
        self._task: asyncio.Task[None] | None = None
        self._failing = False
        CONSUMER_LAG_ERRORS.labels(consumer)

    async def measure_once(self) -> list[PartitionLag]:
        """Measure now and update the gauge; raises what the measurement raised."""
        lags = await asyncio.wait_for(
            self._source.measure(self._group_id, self._topic), self._timeout
        )
        for lag in lags:
            CONSUMER_LAG.labels(self._consumer, lag.topic, str(lag.partition)).set(lag.lag)
        return lags

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"consumer-lag-{self._consumer}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._source.close()

    async def _run(self) -> None:
        while True:
            try:
                await self.measure_once()
            except Exception as error:  # noqa: BLE001 - counted, logged, retried next interval
                CONSUMER_LAG_ERRORS.labels(self._consumer).inc()
                if not self._failing:
                    logger.warning(
                        "cannot measure the consumer lag; retrying every %.0fs: %s: %s",
                        self._interval,
                        type(error).__name__,
                        error,
                        extra={"consumer": self._consumer},
                    )
                self._failing = True
                await self._source.close()
            else:
                if self._failing:
                    logger.info(
                        "measuring the consumer lag again", extra={"consumer": self._consumer}
                    )
                self._failing = False
            await asyncio.sleep(self._interval)
