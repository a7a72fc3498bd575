"""JSON logs to stdout, one object per line, ready for Loki."""

import asyncio
import logging
import math
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from pydantic_core import to_json

# Attributes every LogRecord has; anything else was passed through `extra=`.
_STANDARD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys() | {"message", "asctime"},
)


class JsonFormatter(logging.Formatter):
    """Every API request writes one line (the access log), so this is kept lean: the
    timestamp's date and time are formatted once per second, and the line is encoded by
    pydantic-core's serializer (compact, UTF-8 as is; anything it does not know is written
    as its `str`), about four times faster than the standard library's encoder."""

    def __init__(self) -> None:
        super().__init__()
        self._second = -1.0
        self._second_text = ""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self._timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **{
                key: value
                for key, value in record.__dict__.items()
                if key not in _STANDARD_ATTRIBUTES and key[0] != "_"
            },
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return to_json(entry, fallback=str).decode()

    def _timestamp(self, created: float) -> str:
        """`datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")`."""
        fraction, second = math.modf(created)
        microseconds = round(fraction * 1e6)  # rounded as datetime.fromtimestamp rounds
        if microseconds >= 1_000_000:  # noqa: PLR2004
            second += 1
            microseconds -= 1_000_000
        if second != self._second:
            moment = datetime.fromtimestamp(second, tz=UTC)
            self._second_text = moment.strftime("%Y-%m-%dT%H:%M:%S")
            self._second = second
        return f"{self._second_text}.{microseconds // 1000:03d}+00:00"


class LoopBatchedStreamHandler(logging.StreamHandler[TextIO]):
    """A StreamHandler that writes once per event-loop iteration, not once per line.

    The API logs a line per request; written one by one, each line costs a write system
    call (stdout is unbuffered in the images). Lines emitted on the thread of a running
    event loop are kept, in order, and written together by a callback the loop runs as
    soon as the current callbacks are done, a fraction of a millisecond later. Anywhere
    else (no running loop, another thread), and on `flush()` (logging's shutdown calls
    it), whatever is kept is written first, then the line: the order never changes.
    """

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._lines: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
        except Exception:  # noqa: BLE001 - logging's contract: report, never raise
            self.handleError(record)
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or (self._lines and loop is not self._loop):
            self._lines.append(line)
            self._write_kept()
            return
        self._lines.append(line)
        if len(self._lines) == 1:
            self._loop = loop
            loop.call_soon(self.flush)

    def flush(self) -> None:
        self.acquire()
        try:
            self._write_kept()
        finally:
            self.release()

    def _write_kept(self) -> None:
        """Write and flush what is kept; the caller holds the handler's lock."""
        if self._lines:
            text = "".join(self._lines)
            self._lines.clear()
            try:
                self.stream.write(text)
            except Exception:  # noqa: BLE001 - as StreamHandler.emit: never raise
                self.handleError(logging.makeLogRecord({"msg": "log write failed"}))
        super().flush()  # the same (reentrant) lock


def configure_logging(level: str = "INFO", process: str | None = None) -> None:
    """Route every logger (ours, uvicorn's, FastStream's) through one JSON handler."""
    handler = LoopBatchedStreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    if process:
        handler.addFilter(_ProcessTag(process))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Thread and process names are not in the lines; skip looking them up for each record.
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers[:] = []
        uvicorn_logger.propagate = True
    # Our access log replaces uvicorn's, which has no request id or route template.
    logging.getLogger("uvicorn.access").disabled = True


class _ProcessTag(logging.Filter):
    def __init__(self, process: str) -> None:
        super().__init__()
        self._process = process

    def filter(self, record: logging.LogRecord) -> bool:
        record.process_name = self._process
        return True
