"""What happens when a message cannot be processed: retry, wait out outages, dead-letter.

- Unreadable (invalid JSON, wrong schema, `PoisonMessage`): dead-lettered at once;
  no retry can fix it.
- A dependency away or busy (the check is injected; PostgreSQL or Redis unreachable,
  timeouts, deadlocks): not the message's fault. Retried with a capped backoff that
  uses up no attempt; after `outage_budget_seconds` the delivery is nacked and Kafka
  hands it out again, so a long outage stalls the consumer instead of emptying it
  into the dead-letter topic.
- Anything else: retried after `backoff * 2^n` until `max_attempts` attempts failed,
  then dead-lettered. Either way the delivery is then acked and the consumer goes on.
- A batch whose handler committed all but some records (`PartlyFailed`): judged by the
  cause, retried as a whole, and in the end only the failed records are dead-lettered.

Each attempt runs in a fresh Dishka request scope (this middleware sits outside
Dishka's), so a retry never reuses a session a failure left broken.
"""

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from faststream import BaseMiddleware
from faststream.exceptions import HandlerException
from faststream.message import StreamMessage
from pydantic import ValidationError

from swiftpaste.presentation.consumers.dead_letters import records_of
from swiftpaste.presentation.consumers.metrics import (
    CONSUMER_MESSAGES,
    CONSUMER_PROCESSING_SECONDS,
)
from swiftpaste.presentation.consumers.subscription import Outcome

logger = logging.getLogger(__name__)

TransientCheck = Callable[[BaseException], bool]
Sleep = Callable[[float], Awaitable[None]]

DEAD_LETTERED = "dead_lettered"
RETRIED = "retried"


class DeadLetterSink(Protocol):
    async def send(self, records: Sequence[Any], error: BaseException, *, attempts: int) -> None:
        """Publish the records with the error; return once the broker has them."""


class PoisonMessage(Exception):
    """A handler's verdict that this message can never be processed: dead-letter it now."""


class PartlyFailed(Exception):
    """Some records of a batch failed; the handler committed the rest.

    Judged (transient, unreadable, attempts) by its `cause`; when the batch is finally
    given up on, only these `records` are dead-lettered.
    """

    def __init__(self, records: Sequence[Any], cause: Exception) -> None:
        super().__init__(f"{len(records)} record(s) of the batch failed: {cause}")
        self.records = tuple(records)
        self.cause = cause


_UNREADABLE = (ValidationError, PoisonMessage, UnicodeDecodeError, json.JSONDecodeError)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    max_attempts: int
    backoff_seconds: float
    outage_backoff_cap_seconds: float = 5.0
    outage_budget_seconds: float = 60.0
    """How long one delivery waits out an outage before it is nacked for redelivery;
    well under `max.poll.interval.ms`, so the member is never evicted for waiting."""

    def delay_before_retry(self, failures: int) -> float:
        """After the n-th failed attempt: backoff * 2^(n-1)."""
        return self.backoff_seconds * 2.0 ** (failures - 1)

    def delay_during_outage(self, waits: int) -> float:
        base = max(self.backoff_seconds, 0.05)
        return min(self.outage_backoff_cap_seconds, base * 2.0 ** (waits - 1))


class FailureHandling:
    """A FastStream broker middleware applying the policy above to one consumer."""

    def __init__(
        self,
        *,
        consumer: str,
        policy: RetryPolicy,
        dead_letters: DeadLetterSink,
        is_transient: TransientCheck,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.consumer = consumer
        self.policy = policy
        self.dead_letters = dead_letters
        self.is_transient = is_transient
        self.sleep = sleep

    def __call__(self, msg: Any, /, *, context: Any) -> "_FailureHandlingScope":
        return _FailureHandlingScope(msg, context=context, handling=self)

    async def process(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> str:
        """Run the handler until it succeeds or the message is dead-lettered; the outcome."""
        failures = 0
        outage_waits = 0
        outage_waited = 0.0
        while True:
            try:
                result = await call_next(msg)
            except HandlerException:
                raise  # an explicit ack/nack/reject from the handler is FastStream's business
            except Exception as raised:
                failed_records = _failed_records(raised, msg)
                error = raised.cause if isinstance(raised, PartlyFailed) else raised
                if isinstance(error, _UNREADABLE):
                    logger.warning(
                        "unreadable message; dead-lettering it: %s",
                        error,
                        extra=self._context(msg),
                    )
                    await self.dead_letters.send(failed_records, error, attempts=1)
                    return DEAD_LETTERED
                if self.is_transient(error):
                    outage_waits += 1
                    delay = self.policy.delay_during_outage(outage_waits)
                    if outage_waited + delay > self.policy.outage_budget_seconds:
                        logger.warning(
                            "a dependency is still unavailable; leaving the message for "
                            "redelivery: %s",
                            error,
                            extra=self._context(msg),
                        )
                        raise
                    logger.warning(
                        "a dependency is unavailable; retrying in %.2fs: %s",
                        delay,
                        error,
                        extra=self._context(msg),
                    )
                    CONSUMER_MESSAGES.labels(self.consumer, RETRIED).inc()
                    await self.sleep(delay)
                    outage_waited += delay
                    continue
                failures += 1
                if failures >= self.policy.max_attempts:
                    logger.exception(
                        "message failed %d times; dead-lettering it",
                        failures,
                        extra=self._context(msg),
                    )
                    await self.dead_letters.send(failed_records, error, attempts=failures)
                    return DEAD_LETTERED
                delay = self.policy.delay_before_retry(failures)
                logger.warning(
                    "attempt %d failed; retrying in %.2fs: %s",
                    failures,
                    delay,
                    error,
                    extra=self._context(msg),
                )
                CONSUMER_MESSAGES.labels(self.consumer, RETRIED).inc()
                await self.sleep(delay)
                continue
            return Outcome.SKIPPED.value if result == Outcome.SKIPPED else Outcome.OK.value

    def _context(self, msg: StreamMessage[Any]) -> dict[str, Any]:
        first = records_of(msg.raw_message)[0]
        return {
            "consumer": self.consumer,
            "topic": getattr(first, "topic", None),
            "partition": getattr(first, "partition", None),
            "offset": getattr(first, "offset", None),
        }


def _failed_records(error: Exception, msg: StreamMessage[Any]) -> tuple[Any, ...]:
    """The records an error concerns: the delivery's, unless the handler named a part."""
    return error.records if isinstance(error, PartlyFailed) else records_of(msg.raw_message)


class _FailureHandlingScope(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: Any, handling: FailureHandling) -> None:
        super().__init__(msg, context=context)
        self._handling = handling

    async def consume_scope(
        self,
        call_next: Callable[[StreamMessage[Any]], Awaitable[Any]],
        msg: StreamMessage[Any],
    ) -> Any:
        consumer = self._handling.consumer
        started = time.perf_counter()
        try:
            outcome = await self._handling.process(call_next, msg)
        finally:
            CONSUMER_PROCESSING_SECONDS.labels(consumer).observe(time.perf_counter() - started)
        CONSUMER_MESSAGES.labels(consumer, outcome).inc()
        # Nothing is sent back: the handlers' outcome is for the metrics only.
        return None
