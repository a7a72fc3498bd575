"""The outbox relay: publishes committed outbox rows to Kafka, at least once.

A batch is one PostgreSQL transaction: lock up to `batch_size` pending rows in id
order (`FOR UPDATE SKIP LOCKED`), hand them all to the producer, wait until the
broker acknowledged every one (acks=all), mark them published, commit. If any send
fails the transaction rolls back, the rows stay pending and the batch is retried
after an exponential backoff; a row is never dropped. A crash between the
acknowledgement and the commit re-sends the batch, so consumers see duplicates,
never gaps.

The relay wakes on `LISTEN` (the unit of work NOTIFYs on commit), polls as a
fallback, drains without pausing while a backlog remains, and prunes published rows
once they are older than the retention period.

Replicas: several relays may run against one database. SKIP LOCKED gives each
replica disjoint rows, so no row is published twice by one pass of two replicas.
Order is kept within a replica (rows go out in id order, keyed by snippet id, so a
snippet's events land in one partition in order), but across replicas the order of
one snippet's events is best-effort: two replicas may hold consecutive events of
the same snippet in different batches. Redelivery after a failure has the same
effect. Consumers therefore keep the highest `aggregate_version` they applied per
snippet and ignore anything not newer.
"""

import asyncio
import contextlib
import logging
import math
import time
from collections import Counter
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import asyncpg
from aiokafka import AIOKafkaProducer
from sqlalchemy import (
    BigInteger,
    Interval,
    Row,
    Text,
    any_,
    bindparam,
    cast,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine

from swiftpaste.infrastructure.messaging.broker import KafkaOptions, TopicSpec, ensure_topics
from swiftpaste.infrastructure.messaging.metrics import (
    OUTBOX_BACKLOG,
    OUTBOX_OLDEST_PENDING_SECONDS,
    OUTBOX_PRUNED,
    OUTBOX_PUBLISH_BATCH_SECONDS,
    OUTBOX_PUBLISH_ERRORS,
    OUTBOX_PUBLISHED,
)
from swiftpaste.infrastructure.messaging.producer import make_producer
from swiftpaste.infrastructure.persistence.tables import OUTBOX_CHANNEL, outbox

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

_JSON = b"application/json"
_FIRST_BACKOFF_SECONDS = 0.25


class KafkaNotConnected(Exception):
    """The relay has no working producer at the moment."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayOptions:
    batch_size: int = 500
    poll_interval_seconds: float = 1.0
    """Fallback when a NOTIFY is missed; normally the relay wakes on LISTEN."""
    retention_seconds: float = 7 * 86_400
    """Published rows older than this are deleted."""
    max_backoff_seconds: float = 30.0
    prune_interval_seconds: float = 60.0
    prune_chunk_size: int = 5_000
    """Rows deleted per statement: pruning never holds a long transaction."""
    prune_max_chunks: int = 20
    """Chunks per pruning pass; the rest waits for the next pass."""
    backlog_refresh_seconds: float = 1.0
    """While draining, the backlog gauge is recounted at most this often."""
    connect_timeout_seconds: float = 3.0
    """For the LISTEN connection."""
    listener_retry_seconds: float = 1.0
    shutdown_grace_seconds: float = 5.0
    """How long a batch in flight may finish once stop is requested."""


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    pending: int
    oldest_pending_at: datetime | None
    published: int
    """Published rows still kept (pruned after the retention period)."""
    last_published_at: datetime | None
    checked_at: datetime
    """The database's clock when the figures were read."""


def listen_dsn(engine: AsyncEngine) -> str:
    """The engine's URL as a plain libpq DSN for a raw asyncpg connection."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


async def outbox_status(engine: AsyncEngine) -> OutboxStatus:
    """The backlog and what is kept, in one scan of the outbox."""
    pending = outbox.c.published_at.is_(None)
    statement = select(
        func.count().filter(pending),
        func.min(outbox.c.created_at).filter(pending),
        func.count().filter(outbox.c.published_at.is_not(None)),
        func.max(outbox.c.published_at),
        func.now(),
    )
    async with engine.connect() as connection:
        row = (await connection.execute(statement)).one()
    return OutboxStatus(
        pending=row[0],
        oldest_pending_at=row[1],
        published=row[2],
        last_published_at=row[3],
        checked_at=row[4],
    )


def _retrieve_exception(future: "asyncio.Future[Any]") -> None:
    """Mark a delivery failure as seen when nobody awaits that future any more."""
    if not future.cancelled():
        future.exception()


async def _wait_for_any(*events: asyncio.Event, within: float | None) -> None:
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)


class OutboxRelay:
    """Publishes pending outbox rows to Kafka; see the module docstring for guarantees.

    `start()` connects (or keeps trying later), `publish_batch()` publishes one batch,
    `run(stop)` is the long-running loop, `close()` releases the producer and the
    LISTEN connection. The engine belongs to the caller.

    Safe to run as several replicas: each batch holds its rows with SKIP LOCKED, so
    no row goes out twice in one pass. Per-snippet order across replicas (and after
    a redelivery) is best-effort; consumers guard with `aggregate_version`.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        kafka: KafkaOptions,
        topics: Sequence[TopicSpec],
        options: RelayOptions | None = None,
        *,
        dsn: str | None = None,
    ) -> None:
        """`topics` are created when the relay connects (and again after a reconnect:
        a broker may come back without them); a row naming another topic gets it
        created with the shape of the first one. `dsn` is for LISTEN (default: the
        engine's URL)."""
        self._engine = engine
        self._kafka = kafka
        self._topics = {topic.name: topic for topic in topics}
        self._template = topics[0] if topics else TopicSpec("", 1)
        self._options = options or RelayOptions()
        self._dsn = dsn or listen_dsn(engine)
        self._producer: AIOKafkaProducer | None = None
        self._reconnect = False
        self._known_topics: set[str] = set()
        self._wake = asyncio.Event()
        self._listener: Any = None
        self._listener_retry_at = 0.0
        self._backlog_counted_at = -math.inf
        self._send_timeout = 3 * kafka.request_timeout_ms / 1000 + 1
        self._select_pending = (
            select(
                outbox.c.id,
                outbox.c.event_type,
                outbox.c.topic,
                outbox.c.message_key,
                cast(outbox.c.message, Text).label("message"),
            )
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.id)
            .limit(self._options.batch_size)
            .with_for_update(skip_locked=True)
        )
        self._mark_published = (
            update(outbox)
            .where(outbox.c.id == any_(bindparam("ids", type_=ARRAY(BigInteger))))
            # The batch's transaction start: one timestamp per batch.
            .values(published_at=func.now())
        )
        expired = (
            select(outbox.c.id)
            .where(outbox.c.published_at < func.now() - bindparam("retention", type_=Interval))
            .limit(self._options.prune_chunk_size)
            .with_for_update(skip_locked=True)
        )
        self._prune_chunk = delete(outbox).where(outbox.c.id.in_(expired.scalar_subquery()))

    # -- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        """Connect to Kafka and create the topics; if Kafka is away, `run` keeps trying."""
        try:
            await self._ensure_producer(set())
        except Exception as error:  # noqa: BLE001 - any failure is retried the same way
            logger.warning("Kafka is not reachable yet; the relay keeps trying: %s", error)
        await self._count_backlog_quietly()

    async def close(self) -> None:
        await self._close_listener()
        await self._drop_producer()

    # -- one batch ---------------------------------------------------------------

    async def publish_batch(self) -> int:
        """Publish up to `batch_size` pending rows; return how many were published.

        Raises if Kafka or PostgreSQL failed; the rows of this batch then stay pending.
        """
        started = time.perf_counter()
        try:
            async with self._engine.connect() as connection, connection.begin():
                rows = (await connection.execute(self._select_pending)).all()
                if not rows:
                    return 0
                producer = await self._ensure_producer({row.topic for row in rows})
                await self._send(producer, rows)
                await connection.execute(self._mark_published, {"ids": [row.id for row in rows]})
        except Exception:
            OUTBOX_PUBLISH_ERRORS.inc()
            raise
        OUTBOX_PUBLISH_BATCH_SECONDS.observe(time.perf_counter() - started)
        for event_type, count in Counter(row.event_type for row in rows).items():
            OUTBOX_PUBLISHED.labels(event_type).inc(count)
        logger.debug("published outbox batch", extra={"rows": len(rows)})
        return len(rows)

    async def _send(self, producer: AIOKafkaProducer, rows: Sequence[Row[Any]]) -> None:
        """Queue every row, then wait for all acknowledgements together."""
        deliveries: list[asyncio.Future[Any]] = []
        try:
            async with asyncio.timeout(self._send_timeout):
                for row in rows:
                    delivery = await producer.send(
                        row.topic,
                        value=row.message.encode(),
                        key=row.message_key.encode(),
                        headers=[
                            ("event_type", row.event_type.encode()),
                            ("content-type", _JSON),
                        ],
                    )
                    delivery.add_done_callback(_retrieve_exception)
                    deliveries.append(delivery)
                results = await asyncio.gather(*deliveries, return_exceptions=True)
        except BaseException:
            # Start over with a fresh producer: its metadata may describe a broker
            # that lost its topics.
            self._reconnect = True
            raise
        for result in results:
            if isinstance(result, BaseException):
                self._reconnect = True
                raise result

    # -- Kafka connection ----------------------------------------------------------

    async def _ensure_producer(self, topics: set[str]) -> AIOKafkaProducer:
        timeout = self._kafka.request_timeout_ms / 1000
        if self._producer is None or self._reconnect:
            await self._drop_producer()
            producer = make_producer(self._kafka, client_id=f"{self._kafka.client_id}-relay")
            try:
                async with asyncio.timeout(2 * timeout):
                    await ensure_topics(self._kafka.bootstrap_servers, list(self._topics.values()))
                    await producer.start()
            except BaseException:
                with contextlib.suppress(Exception):
                    await producer.stop()
                raise
            self._producer = producer
            self._reconnect = False
            self._known_topics = set(self._topics)
            logger.info(
                "connected to Kafka", extra={"bootstrap_servers": self._kafka.bootstrap_servers}
            )
        missing = topics - self._known_topics
        if missing:
            specs = [
                TopicSpec(name, self._template.partitions, self._template.replication_factor)
                for name in sorted(missing)
            ]
            async with asyncio.timeout(timeout):
                await ensure_topics(self._kafka.bootstrap_servers, specs)
            self._known_topics |= missing
        return self._producer

    async def _drop_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is None:
            return
        # Stopping flushes what is still queued: bounded by the request timeout.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self._send_timeout):
                await producer.stop()

    async def check_kafka(self) -> None:
        """Readiness: raises unless the producer is connected and the broker answers."""
        producer = self._producer
        if producer is None or self._reconnect:
            raise KafkaNotConnected("the relay is not connected to Kafka")
        await producer.client.fetch_all_metadata()

    async def check_database(self) -> None:
        """Readiness: one round trip to PostgreSQL."""
        async with self._engine.connect() as connection:
            await connection.execute(select(1))

    # -- housekeeping --------------------------------------------------------------

    async def refresh_backlog(self) -> int:
        """Count pending rows into the `outbox_backlog` gauge and return the count."""
        statement = select(
            func.count(),
            func.extract("epoch", func.now() - func.min(outbox.c.created_at)),
        ).where(outbox.c.published_at.is_(None))
        async with self._engine.connect() as connection:
            count, oldest_age = (await connection.execute(statement)).one()
        OUTBOX_BACKLOG.set(count)
        OUTBOX_OLDEST_PENDING_SECONDS.set(max(float(oldest_age or 0), 0.0))
        self._backlog_counted_at = time.monotonic()
        return int(count)

    async def prune(self) -> int:
        """Delete published rows older than the retention period, in bounded chunks."""
        retention = timedelta(seconds=self._options.retention_seconds)
        total = 0
        for _ in range(self._options.prune_max_chunks):
            async with self._engine.begin() as connection:
                result = await connection.execute(self._prune_chunk, {"retention": retention})
            deleted = result.rowcount
            total += deleted
            if deleted < self._options.prune_chunk_size:
                break
        if total:
            OUTBOX_PRUNED.inc(total)
            logger.info("pruned published outbox rows", extra={"rows": total})
        return total

    async def _count_backlog_quietly(self, *, throttled: bool = False) -> None:
        if throttled and (
            time.monotonic() - self._backlog_counted_at < self._options.backlog_refresh_seconds
        ):
            return
        try:
            await self.refresh_backlog()
        except Exception as error:  # noqa: BLE001 - a metric must not stop the relay
            logger.warning("could not count the outbox backlog: %s", error)

    async def _prune_quietly(self) -> None:
        try:
            await self.prune()
        except Exception as error:  # noqa: BLE001 - retried at the next pass
            logger.warning("pruning the outbox failed: %s", error)

    # -- LISTEN --------------------------------------------------------------------

    async def _keep_listening(self) -> None:
        """Open the LISTEN connection if it is missing or broke; never raises."""
        if self.listening:
            return
        now = time.monotonic()
        if now < self._listener_retry_at:
            return
        self._listener_retry_at = now + self._options.listener_retry_seconds
        await self._close_listener()
        connection = None
        try:
            connection = await asyncpg.connect(
                self._dsn,
                timeout=self._options.connect_timeout_seconds,
                server_settings={"application_name": "swiftpaste-relay-listener"},
            )
            await connection.add_listener(OUTBOX_CHANNEL, self._on_notify)
            connection.add_termination_listener(self._on_listener_lost)
        except Exception as error:  # noqa: BLE001 - polling covers until the next try
            logger.warning("cannot LISTEN for outbox notifications; polling: %s", error)
            if connection is not None:
                connection.terminate()
            return
        self._listener = connection
        # Anything committed while nobody listened is picked up right away.
        self._wake.set()
        logger.info("listening for outbox notifications", extra={"channel": OUTBOX_CHANNEL})

    @property
    def listening(self) -> bool:
        """Whether the LISTEN connection is open (otherwise the relay only polls)."""
        return self._listener is not None and not self._listener.is_closed()

    def _idle_seconds(self) -> float:
        """How long to wait for a NOTIFY: the poll interval, or less to re-LISTEN."""
        poll = self._options.poll_interval_seconds
        if self.listening:
            return poll
        return min(poll, max(self._listener_retry_at - time.monotonic(), 0.05))

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    def _on_listener_lost(self, *_: object) -> None:
        logger.warning("the LISTEN connection closed; reconnecting")
        self._wake.set()

    async def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is None or listener.is_closed():
            return
        try:
            async with asyncio.timeout(self._options.connect_timeout_seconds):
                await listener.close()
        except Exception:  # noqa: BLE001 - the connection is gone either way
            listener.terminate()

    # -- the loop ------------------------------------------------------------------

    def _backoff(self, failures: int) -> float:
        return min(
            self._options.max_backoff_seconds,
            _FIRST_BACKOFF_SECONDS * 2.0 ** min(failures - 1, 16),
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set; return promptly after it is.

        A batch in flight when `stop` is set gets `shutdown_grace_seconds` to finish;
        if it is cut short its rows stay pending for the next relay.
        """
        failures = 0
        next_prune = time.monotonic()
        batch_size = self._options.batch_size
        try:
            while not stop.is_set():
                await self._keep_listening()
                # Cleared before the batch: a NOTIFY during it wakes the next round.
                self._wake.clear()
                try:
                    published = await self._unless_stopped(self.publish_batch(), stop)
                except Exception as error:  # noqa: BLE001 - every failure is retried alike
                    failures += 1
                    delay = self._backoff(failures)
                    logger.warning(
                        "publishing the outbox failed; retrying in %.2fs: %s: %s",
                        delay,
                        type(error).__name__,
                        error,
                        extra={"attempt": failures},
                    )
                    await self._count_backlog_quietly(throttled=True)
                    await _wait_for_any(stop, within=delay)
                    continue
                if published is None:
                    break
                if failures:
                    logger.info("publishing again", extra={"failed_attempts": failures})
                    failures = 0
                # Recounted at most every `backlog_refresh_seconds`: at a steady trickle
                # a count after each small batch would cost as much as the batch.
                await self._count_backlog_quietly(throttled=True)
                if published >= batch_size:
                    continue
                if time.monotonic() >= next_prune:
                    await self._prune_quietly()
                    next_prune = time.monotonic() + self._options.prune_interval_seconds
                if self._producer is None or self._reconnect:
                    # Idle but disconnected: reconnect now so readiness recovers.
                    with contextlib.suppress(Exception):
                        await self._unless_stopped(self._ensure_producer(set()), stop)
                await _wait_for_any(stop, self._wake, within=self._idle_seconds())
        finally:
            await self._close_listener()

    async def _unless_stopped(self, work: Awaitable[_T], stop: asyncio.Event) -> _T | None:
        """Await `work`; once `stop` is set, give it the grace period, then cancel it."""
        task = asyncio.ensure_future(work)
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not task.done():
                await asyncio.wait({task}, timeout=self._options.shutdown_grace_seconds)
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                return None
            return task.result()
        finally:
            stopping.cancel()
            if not task.done():  # we were cancelled ourselves
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
