"""FailureHandling: retry with backoff, wait out outages, dead-letter what keeps failing."""

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any, cast

import pytest
from faststream.exceptions import AckMessage
from faststream.message import StreamMessage
from pydantic import BaseModel, ValidationError

from swiftpaste.presentation.consumers.failures import (
    FailureHandling,
    PartlyFailed,
    PoisonMessage,
    RetryPolicy,
)
from swiftpaste.presentation.consumers.subscription import Outcome

RECORD = SimpleNamespace(topic="snippet-events", partition=2, offset=41)


class Outage(Exception):
    """Stands for "PostgreSQL unreachable" in these tests."""


class RecordingDeadLetters:
    def __init__(self) -> None:
        self.sent: list[tuple[tuple[Any, ...], BaseException, int]] = []

    async def send(self, records: Sequence[Any], error: BaseException, *, attempts: int) -> None:
        self.sent.append((tuple(records), error, attempts))


class Handler:
    """Fails with the given errors, in order, then returns `result`."""

    def __init__(self, *failures: BaseException, result: Any = Outcome.OK) -> None:
        self._failures = list(failures)
        self._result = result
        self.calls = 0

    async def __call__(self, msg: StreamMessage[Any]) -> Any:
        self.calls += 1
        if self._failures:
            raise self._failures.pop(0)
        return self._result


class Always:
    """Fails with `error` on every call."""

    def __init__(self, error: BaseException) -> None:
        self._error = error
        self.calls = 0

    async def __call__(self, msg: StreamMessage[Any]) -> Any:
        self.calls += 1
        raise self._error


@pytest.fixture
def dead_letters() -> RecordingDeadLetters:
    return RecordingDeadLetters()


@pytest.fixture
def sleeps() -> list[float]:
    return []


def handling(
    dead_letters: RecordingDeadLetters,
    sleeps: list[float],
    *,
    max_attempts: int = 3,
    outage_budget_seconds: float = 60.0,
) -> FailureHandling:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return FailureHandling(
        consumer="indexer",
        policy=RetryPolicy(
            max_attempts=max_attempts,
            backoff_seconds=0.5,
            outage_backoff_cap_seconds=3.0,
            outage_budget_seconds=outage_budget_seconds,
        ),
        dead_letters=dead_letters,
        is_transient=lambda error: isinstance(error, Outage),
        sleep=sleep,
    )


MESSAGE = cast("StreamMessage[Any]", SimpleNamespace(raw_message=RECORD))


def invalid() -> ValidationError:
    class Event(BaseModel):
        snippet_id: int

    try:
        Event.model_validate({"snippet_id": "x"})
    except ValidationError as error:
        return error
    raise AssertionError


async def test_a_message_handled_at_once_is_ok_or_skipped(
    dead_letters: RecordingDeadLetters, sleeps: list[float]
) -> None:
    policy = handling(dead_letters, sleeps)

    assert await policy.process(Handler(), MESSAGE) == "ok"
    assert await policy.process(Handler(result=Outcome.SKIPPED), MESSAGE) == "skipped"
    assert sleeps == []
    assert dead_letters.sent == []


async def test_a_failure_is_retried_after_a_backoff(
    dead_letters: RecordingDeadLetters, sleeps: list[float]
) -> None:
    handler = Handler(RuntimeError("flaky"))

    assert await handling(dead_letters, sleeps).process(handler, MESSAGE) == "ok"

    assert handler.calls == 2
    assert sleeps == [0.5]


async def test_a_message_that_keeps_failing_is_dead_lettered_after_the_last_attempt(
    dead_letters: RecordingDeadLetters, sleeps: list[float]
) -> None:
    error = RuntimeError("broken")
    handler = Always(error)

    outcome = await handling(dead_letters, sleeps, max_attempts=4).process(handler, MESSAGE)

    assert outcome == "dead_lettered"
    assert handler.calls == 4
    assert sleeps == [0.5, 1.0, 2.0]
    assert dead_letters.sent == [((RECORD,), error, 4)]


@pytest.mark.parametrize("error", [invalid(), PoisonMessage("never valid")])
async def test_an_unreadable_message_is_dead_lettered_without_a_retry(
    error: Exception, dead_letters: RecordingDeadLetters, sleeps: list[float]
) -> None:
    handler = Always(error)

    assert await handling(dead_letters, sleeps).process(handler, MESSAGE) == "dead_lettered"

    assert handler.calls == 1
    assert sleeps == []
    assert dead_letters.sent == [((RECORD,), error, 1)]


async def test_an_outage_is_waited_out_without_using_up_attempts(
    dead_letters: RecordingDeadLetters, sleeps: list[float]
) -> None:
    handler = Handler(*(Outage("database unreachable") for _ in range(6)))

    outcome = await handling(dead_letters, sleeps, max_attempts=1).process(handler, MESSAGE)

    assert outcome == "ok"
    assert handler.calls == 7
    assert sleeps == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]  # capped
    assert dead_letters.sent == []


async def test_a_long_outage_leaves_the_message_to_redelivery(
    dead_letters: RecordingDeadLetters, sleeps: list[float]
) -> None:
    handler = Always(Outage("database unreachable"))

    with pytest.raises(Outage):
        await handling(dead_letters, sleeps, outage_budget_seconds=10).process(handler, MESSAGE)

    assert sum(sleeps) <= 10
    assert dead_letters.sent == []


async def test_an_explicit_acknowledgement_from_the_handler_is_left_to_faststream(
    dead_letters: RecordingDeadLetters, sleeps: list[float]
) -> None:
    with pytest.raises(AckMessage):
        await handling(dead_letters, sleeps).process(Always(AckMessage()), MESSAGE)
    assert dead_letters.sent == []


async def test_a_batch_is_dead_lettered_record_by_record(
    dead_letters: RecordingDeadLetters, sleeps: list[float]
) -> None:
    batch = (RECORD, SimpleNamespace(topic="snippet-views", partition=0, offset=7))
    message = cast("StreamMessage[Any]", SimpleNamespace(raw_message=batch))

    await handling(dead_letters, sleeps, max_attempts=1).process(Always(RuntimeError()), message)

    assert dead_letters.sent[0][0] == batch


FAILED_RECORD = SimpleNamespace(topic="snippet-events", partition=2, offset=42)
PARTLY_FAILING_BATCH = cast(
    "StreamMessage[Any]", SimpleNamespace(raw_message=(RECORD, FAILED_RECORD))
)


async def test_a_partly_failed_batch_is_retried_then_only_its_failed_records_dead_lettered(
    dead_letters: RecordingDeadLetters, sleeps: list[float]
) -> None:
    cause = RuntimeError("this snippet cannot be indexed")
    handler = Always(PartlyFailed([FAILED_RECORD], cause))

    outcome = await handling(dead_letters, sleeps, max_attempts=3).process(
        handler, PARTLY_FAILING_BATCH
    )

    assert outcome == "dead_lettered"
    assert handler.calls == 3
    assert sleeps == [0.5, 1.0]
    assert dead_letters.sent == [((FAILED_RECORD,), cause, 3)]


async def test_a_batch_that_partly_failed_for_an_outage_waits_it_out(
    dead_letters: RecordingDeadLetters, sleeps: list[float]
) -> None:
    handler = Handler(PartlyFailed([FAILED_RECORD], Outage("database unreachable")))

    outcome = await handling(dead_letters, sleeps, max_attempts=1).process(
        handler, PARTLY_FAILING_BATCH
    )

    assert outcome == "ok"
    assert handler.calls == 2
    assert dead_letters.sent == []
