"""A minimal RESP2 client for the one hot read: pipelined commands over an asyncio Protocol.

Why not redis-py here: the cache-hit read sends one pipeline (the rate-limit script and two
GETs) per request, and redis-py spends several times this client's CPU on it (command
packing through its encoder, the connection pool's bookkeeping, a StreamReader, retry and
observability hooks): about 145 µs, more than the whole request of a bare FastAPI app,
against about 20 µs here (`bench/cpu.py`). So it earns its place on that path and nowhere
else: every other Redis call stays on redis-py.

What it does: packs commands as RESP arrays, writes a whole pipeline at once, reads the
replies as they arrive (hiredis, redis-py's own C parser; an error reply is a `ReplyError`
in its place), and shares one connection among all its callers (`_Connection`: pipelines
of one round of the event loop go out in one write). REDIS_SOCKET_TIMEOUT_SECONDS bounds
connecting and every reply, as it does for redis-py; the URL's username, password and
database are used.
It does not retry: its one caller hands a failed request to the regular read path, whose
redis-py client retries as configured, so a request gets the same retries either way.
A URL asking for anything else (TLS options, RESP3, a client name...) is not supported:
`LeanRedis.from_url` then returns None and the caller goes without it.
"""

import asyncio
import ssl
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias, cast

import hiredis
from redis.asyncio.connection import SSLConnection, parse_url

Arg = str | bytes | int | float

_SUPPORTED_URL_OPTIONS = frozenset({"host", "port", "db", "username", "password", "path"})


class LeanRedisError(Exception):
    """The round trip failed: connecting, a timeout, a lost connection."""


class ReplyError(Exception):
    """An error reply (`-ERR ...`) in its place among a pipeline's replies (returned, not
    raised; an Exception as hiredis builds it)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __repr__(self) -> str:
        return f"ReplyError({self.message!r})"


Reply: TypeAlias = "bytes | int | list[Reply] | ReplyError | None"


def pack(*args: Arg) -> bytes:
    """One command as a RESP array of bulk strings (numbers encoded as redis-py does)."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, bytes):
            value = arg
        elif isinstance(arg, str):
            value = arg.encode()
        elif isinstance(arg, float):
            value = repr(arg).encode()
        else:
            value = str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(value), value))
    return b"".join(parts)


@dataclass(slots=True)
class _Pipeline:
    """One caller's pipeline in the connection's queue: its future and how many replies."""

    future: "asyncio.Future[list[Reply]]"
    replies: int
    received: list[Reply] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None
    """The deadline of the last pipeline of a write: its replies come after all the others'."""


class _Connection(asyncio.Protocol):
    """One socket shared by every caller, pipelines queued first in, first out.

    Redis answers a connection's commands in order, so replies are handed out in the order
    the pipelines were sent. Pipelines sent during one round of the event loop's callbacks
    go out together, in one write at its end (automatic pipelining): under load the reads
    of many requests share one system call here and one read and one write in Redis.
    A caller that gives up (cancelled) keeps its place; its replies are read and dropped
    when they come, so the stream stays in step. When replies do not come in time, the
    connection is given up: every pipeline waiting on it fails at once (each was queued
    behind the one that did not come back), and the next request opens a new connection.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout_seconds: float) -> None:
        self._loop = loop
        self._timeout_seconds = timeout_seconds
        self._transport: asyncio.Transport | None = None
        # hiredis parses the replies (in C): error replies come back as ReplyError values.
        self._reader = hiredis.Reader(replyError=ReplyError, protocolError=LeanRedisError)
        self._queue: deque[_Pipeline] = deque()
        self._unsent: list[bytes] = []
        self.closed = False

    # --- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one.
        self._transport = cast("asyncio.Transport", transport)

    def data_received(self, data: bytes) -> None:
        reader = self._reader
        queue = self._queue
        try:
            reader.feed(data)
            while queue:
                pipeline = queue[0]
                received = pipeline.received
                while len(received) < pipeline.replies:
                    reply = reader.gets()
                    if reply is False:  # the rest has not arrived yet
                        return
                    received.append(reply)
                queue.popleft()
                if pipeline.timer is not None:
                    pipeline.timer.cancel()
                if not pipeline.future.done():
                    pipeline.future.set_result(received)
        except LeanRedisError as error:
            self.give_up(LeanRedisError(f"unreadable reply: {error}"))
            return
        if reader.has_data():
            self.give_up(LeanRedisError("more replies than commands"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.give_up(LeanRedisError(f"connection lost: {exc or 'closed by the server'}"))

    # --- use ----------------------------------------------------------------------------

    def send(self, payload: bytes, replies: int) -> "asyncio.Future[list[Reply]]":
        """Queue a pipeline of `replies` commands; it is written at the end of this round."""
        if self.closed or self._transport is None or self._transport.is_closing():
            raise LeanRedisError("connection closed")
        future: asyncio.Future[list[Reply]] = self._loop.create_future()
        self._queue.append(_Pipeline(future, replies))
        if not self._unsent:
            self._loop.call_soon(self._write)
        self._unsent.append(payload)
        return future

    def _write(self) -> None:
        unsent, self._unsent = self._unsent, []
        if self.closed or self._transport is None or not unsent:
            return
        self._transport.write(unsent[0] if len(unsent) == 1 else b"".join(unsent))
        last = self._queue[-1]
        last.timer = self._loop.call_later(self._timeout_seconds, self._time_out, last)

    def _time_out(self, pipeline: _Pipeline) -> None:
        if pipeline.timer is not None:  # still waiting (an answer cancels the timer)
            self.give_up(LeanRedisError("timed out waiting for Redis"))

    def give_up(self, error: LeanRedisError) -> None:
        """Close the connection; every pipeline still waiting fails with `error`."""
        self.closed = True
        self._unsent = []
        queue, self._queue = self._queue, deque()
        for pipeline in queue:
            if pipeline.timer is not None:
                pipeline.timer.cancel()
                pipeline.timer = None
            if not pipeline.future.done():
                pipeline.future.set_exception(error)
        if self._transport is not None:
            self._transport.abort()


@dataclass(frozen=True, slots=True, kw_only=True)
class LeanRedisOptions:
    host: str = "localhost"
    port: int = 6379
    path: str | None = None
    """A Unix socket instead of host and port."""
    db: int = 0
    username: str | None = None
    password: str | None = None
    tls: bool = False
    socket_timeout_seconds: float = 0.1


class LeanRedis:
    """One shared RESP2 connection that runs whole pipelines; see the module docstring."""

    def __init__(self, options: LeanRedisOptions) -> None:
        self._options = options
        self._connection: _Connection | None = None
        self._opening: asyncio.Task[_Connection] | None = None
        self._closed = False

    @classmethod
    def from_url(cls, url: str, *, socket_timeout_seconds: float) -> "LeanRedis | None":
        """A client for `url`, or None when the URL asks for options this client lacks."""
        try:
            parsed: dict[str, Any] = dict(parse_url(url))
        except ValueError:
            return None
        connection_class = parsed.pop("connection_class", None)
        if set(parsed) - _SUPPORTED_URL_OPTIONS:
            return None
        return cls(
            LeanRedisOptions(
                host=parsed.get("host") or "localhost",
                port=int(parsed.get("port") or 6379),
                path=parsed.get("path"),
                db=int(parsed.get("db") or 0),
                username=parsed.get("username"),
                password=parsed.get("password"),
                tls=connection_class is SSLConnection,
                socket_timeout_seconds=socket_timeout_seconds,
            ),
        )

    @property
    def options(self) -> LeanRedisOptions:
        return self._options

    async def execute(self, payload: bytes, replies: int) -> list[Reply]:
        """Send `payload` (packed commands) and return its `replies` replies, errors in place.

        Raises LeanRedisError when Redis cannot be reached or does not answer in time.
        """
        connection = self._connection
        if connection is None or connection.closed:
            connection = await self._connected()
        return await connection.send(payload, replies)

    async def execute_commands(self, commands: Sequence[Sequence[Arg]]) -> list[Reply]:
        return await self.execute(b"".join(pack(*command) for command in commands), len(commands))

    async def aclose(self) -> None:
        self._closed = True
        if self._opening is not None:
            self._opening.cancel()
        if self._connection is not None:
            self._connection.give_up(LeanRedisError("client closed"))

    # --- connecting ---------------------------------------------------------------------

    async def _connected(self) -> _Connection:
        """The connection, opened once for every caller that needs it meanwhile."""
        if self._closed:
            raise LeanRedisError("client closed")
        opening = self._opening
        if opening is None:
            opening = self._opening = asyncio.get_running_loop().create_task(self._connect())
            opening.add_done_callback(self._opened)
        # Shielded: a caller that gives up does not cancel the connect for the others.
        return await asyncio.shield(opening)

    def _opened(self, opening: "asyncio.Task[_Connection]") -> None:
        self._opening = None
        if opening.cancelled() or opening.exception() is not None:
            return  # the callers waiting get the error; the next request tries again
        connection = opening.result()
        if self._closed:
            connection.give_up(LeanRedisError("client closed"))
        else:
            self._connection = connection

    async def _connect(self) -> _Connection:
        options = self._options
        loop = asyncio.get_running_loop()
        tls = ssl.create_default_context() if options.tls else None
        timeout = options.socket_timeout_seconds
        try:
            async with asyncio.timeout(timeout):
                if options.path is not None:
                    _, connection = await loop.create_unix_connection(
                        lambda: _Connection(loop, timeout), options.path
                    )
                else:
                    _, connection = await loop.create_connection(
                        lambda: _Connection(loop, timeout), options.host, options.port, ssl=tls
                    )
        except (OSError, TimeoutError) as error:
            raise LeanRedisError(f"cannot connect to Redis: {error!r}") from error
        try:
            await self._hello(connection)
        except BaseException:
            connection.give_up(LeanRedisError("connection refused by Redis"))
            raise
        return connection

    async def _hello(self, connection: _Connection) -> None:
        options = self._options
        commands: list[bytes] = []
        if options.password is not None:
            auth: tuple[Arg, ...] = (options.password,)
            if options.username:
                auth = (options.username, options.password)
            commands.append(pack("AUTH", *auth))
        if options.db:
            commands.append(pack("SELECT", options.db))
        if not commands:
            return
        replies = await connection.send(b"".join(commands), len(commands))
        for reply in replies:
            if isinstance(reply, ReplyError):
                raise LeanRedisError(f"Redis refused the connection: {reply.message}")
