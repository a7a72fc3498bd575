"""The JSON log lines: what they hold, and the timestamp written without datetime per line."""

import asyncio
import io
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

from swiftpaste.main.logging import (
    DirectJsonLines,
    JsonFormatter,
    LoopBatchedStreamHandler,
    _ProcessTag,
)


def record(created: float, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord(
        "swiftpaste.access", logging.INFO, __file__, 1, "%s %s", ("GET", 200), None
    )
    made.created = created
    made.__dict__.update(extra)
    return made


@pytest.mark.parametrize(
    "created",
    [
        0.0,
        1_700_000_000.0,
        1_700_000_000.0005,
        1_700_000_000.0015,
        1_700_000_000.9994,
        1_700_000_000.9995,
        1_700_000_000.999_999_6,  # rounds up into the next second
        1_763_770_000.123_456,
    ],
)
def test_the_timestamp_is_datetimes_isoformat_in_milliseconds(created: float) -> None:
    line = json.loads(JsonFormatter().format(record(created)))
    expected = datetime.fromtimestamp(created, tz=UTC).isoformat(timespec="milliseconds")
    assert line["ts"] == expected


def test_consecutive_lines_across_a_second_keep_their_own_timestamps() -> None:
    formatter = JsonFormatter()
    stamps = [1_700_000_000.5, 1_700_000_001.25, 1_700_000_000.75, 1_700_000_061.0]
    for created in stamps:
        line = json.loads(formatter.format(record(created)))
        assert line["ts"] == datetime.fromtimestamp(created, tz=UTC).isoformat(
            timespec="milliseconds"
        )


def test_a_line_holds_the_message_and_the_extras_in_order() -> None:
    line = JsonFormatter().format(
        record(1_700_000_000.0, request_id="r-1", status=200, _private="no", path="/é")
    )
    assert json.loads(line) == {
        "ts": "2023-11-14T22:13:20.000+00:00",
        "level": "info",
        "logger": "swiftpaste.access",
        "message": "GET 200",
        "request_id": "r-1",
        "status": 200,
        "path": "/é",
    }
    assert list(json.loads(line)) == [
        "ts",
        "level",
        "logger",
        "message",
        "request_id",
        "status",
        "path",
    ]
    assert "/é" in line  # not escaped


def test_dates_are_written_in_iso_8601() -> None:
    line = JsonFormatter().format(record(1.0, when=datetime(2030, 1, 2, tzinfo=UTC)))
    assert json.loads(line)["when"] == "2030-01-02T00:00:00Z"


class Opaque:
    def __str__(self) -> str:
        return "opaque thing"


def test_values_json_cannot_encode_are_written_as_text() -> None:
    line = JsonFormatter().format(record(1.0, thing=Opaque(), text="naïve ✓"))
    entry = json.loads(line)
    assert (entry["thing"], entry["text"]) == ("opaque thing", "naïve ✓")
    assert "naïve ✓" in line  # UTF-8 as is, not escaped


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def handler_on(stream: CountingStream) -> logging.Logger:
    logger = logging.getLogger(f"test.batched.{id(stream)}")
    logger.propagate = False
    logger.handlers[:] = [LoopBatchedStreamHandler(stream)]
    logger.setLevel(logging.INFO)
    return logger


def test_without_a_running_loop_each_line_is_written_at_once() -> None:
    stream = CountingStream()
    logger = handler_on(stream)
    logger.info("one")
    assert stream.getvalue() == "one\n"
    logger.info("two")
    assert (stream.getvalue(), stream.writes) == ("one\ntwo\n", 2)


async def test_in_a_loop_the_lines_of_one_iteration_are_written_together_in_order() -> None:
    stream = CountingStream()
    logger = handler_on(stream)
    for number in range(5):
        logger.info("line %d", number)
    assert stream.getvalue() == ""  # kept until the loop runs its callbacks
    await asyncio.sleep(0)
    assert stream.getvalue() == "".join(f"line {n}\n" for n in range(5))
    assert stream.writes == 1
    logger.info("later")
    await asyncio.sleep(0)
    assert stream.getvalue().endswith("line 4\nlater\n")
    assert stream.writes == 2


async def test_flush_and_other_threads_write_what_is_kept_first() -> None:
    stream = CountingStream()
    logger = handler_on(stream)
    logger.info("first")
    await asyncio.to_thread(logger.info, "from a thread")
    assert stream.getvalue() == "first\nfrom a thread\n"
    logger.info("kept")
    for handler in logger.handlers:
        handler.flush()
    assert stream.getvalue().endswith("from a thread\nkept\n")
    await asyncio.sleep(0)
    assert stream.getvalue().count("kept") == 1


@contextmanager
def json_root() -> Iterator[io.StringIO]:
    """The root logger as `configure_logging` leaves it, writing into a string. Entered in
    the test itself: pytest adds its own capture handlers to the root before each test."""
    stream = io.StringIO()
    handler = LoopBatchedStreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(_ProcessTag("api"))
    handlers, level = logging.root.handlers[:], logging.root.level
    logging.root.handlers[:] = [handler]
    logging.root.setLevel(logging.INFO)  # setLevel: the loggers' level caches are cleared
    try:
        yield stream
    finally:
        logging.root.handlers[:] = handlers
        logging.root.setLevel(level)


ACCESS_FIELDS = {
    "request_id": "0f" * 16,
    "method": "GET",
    "route": "/v1/api/snippet/{short_id}",
    "path": "/v1/api/snippet/abcdEFGH",
    "status": 200,
    "latency_ms": 0.42,
    "client": "127.0.0.1",
}


def test_a_direct_line_is_the_line_logging_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.123)
    logger = logging.getLogger("swiftpaste.access")

    with json_root() as stream:
        assert DirectJsonLines(logger).write("GET /v1/api/snippet/{short_id} 200", ACCESS_FIELDS)
        record = logger.makeRecord(
            logger.name, logging.INFO, __file__, 1, "%s %s %s",
            ("GET", "/v1/api/snippet/{short_id}", 200), None, extra=ACCESS_FIELDS,
        )  # fmt: skip
        logger.handle(record)
        logging.root.handlers[0].flush()

    direct, regular = stream.getvalue().splitlines()
    assert direct == regular
    assert json.loads(direct)["process_name"] == "api"


def test_another_logging_setup_gets_the_line_the_regular_way() -> None:
    logger = logging.getLogger("swiftpaste.access")
    with json_root() as stream:
        logging.root.handlers.append(logging.Handler())  # as a test's log capture does

        assert not DirectJsonLines(logger).write("GET / 200", ACCESS_FIELDS)
    assert stream.getvalue() == ""
