"""A minimal RESP2 client for the one hot read: pipelined commands over an asyncio Protocol.

Why not redis-py here: the cache-hit read sends one pipeline (the rate-limit script and two
GETs) per request, and redis-py spends about 145 µs of CPU on it (command packing through
its encoder, the connection pool's bookkeeping, a StreamReader, the RESP3 parser, retry and
observability hooks), more than the whole request of a bare FastAPI app. This client costs
about 20 µs for the same round trip (`bench/cpu.py` measures both), so it earns its place on
that path and nowhere else: every other Redis call stays on redis-py.

What it does: packs commands as RESP arrays, writes a whole pipeline at once, parses the
replies (simple strings, errors, integers, bulk strings, nested arrays) as they arrive, and
keeps a pool of connections, each used by one pipeline at a time. It does what the settings
ask of redis-py: REDIS_SOCKET_TIMEOUT_SECONDS bounds connecting, every reply and the wait for
a free connection when REDIS_MAX_CONNECTIONS are all busy; the URL's username, password and
database are used.
It does not retry: its one caller hands a failed request to the regular read path, whose
redis-py client retries as configured, so a request gets the same retries either way.
A URL asking for anything else (TLS options, RESP3, a client name...) is not supported:
`LeanRedis.from_url` then returns None and the caller goes without it.
"""

import asyncio
import contextlib
import ssl
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, cast

from redis.asyncio.connection import SSLConnection, parse_url

Arg = str | bytes | int | float

_CRLF = b"\r\n"
# Connections opened at once. A burst of requests on a cold pool would otherwise open one
# each, all at the same moment, and on a busy machine some of those connects outlast the
# timeout; a few connections serve many requests, one round trip after another, while the
# pool grows.
_MAX_CONNECTING = 4
_SUPPORTED_URL_OPTIONS = frozenset({"host", "port", "db", "username", "password", "path"})


class LeanRedisError(Exception):
    """The round trip failed: connecting, a timeout, a lost connection, a full pool."""


class ReplyError:
    """An error reply (`-ERR ...`) in its place among a pipeline's replies."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
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


def parse_reply(  # noqa: PLR0911 - one return per kind of reply
    buffer: bytes | bytearray, start: int
) -> tuple[Reply, int] | None:
    """The reply starting at `start` and where the next begins, or None if incomplete."""
    end = buffer.find(_CRLF, start)
    if end < 0:
        return None
    kind = buffer[start]
    if kind == 36:  # noqa: PLR2004 - b"$": bulk string
        length = int(buffer[start + 1 : end])
        if length < 0:
            return None, end + 2
        stop = end + 2 + length
        if len(buffer) < stop + 2:
            return None
        return bytes(buffer[end + 2 : stop]), stop + 2
    if kind == 58:  # noqa: PLR2004 - b":": integer
        return int(buffer[start + 1 : end]), end + 2
    if kind == 42:  # noqa: PLR2004 - b"*": array
        count = int(buffer[start + 1 : end])
        if count < 0:
            return None, end + 2
        items: list[Reply] = []
        position = end + 2
        for _ in range(count):
            parsed = parse_reply(buffer, position)
            if parsed is None:
                return None
            item, position = parsed
            items.append(item)
        return items, position
    if kind == 43:  # noqa: PLR2004 - b"+": simple string
        return bytes(buffer[start + 1 : end]), end + 2
    if kind == 45:  # noqa: PLR2004 - b"-": error
        return ReplyError(bytes(buffer[start + 1 : end]).decode("utf-8", "replace")), end + 2
    raise LeanRedisError(f"not a RESP2 reply: {bytes(buffer[start : start + 16])!r}")


class _Connection(asyncio.Protocol):
    """One socket; at most one pipeline in flight, whose replies it collects."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._waiter: asyncio.Future[list[Reply]] | None = None
        self._expected = 0
        self.closed = False

    # --- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one.
        self._transport = cast("asyncio.Transport", transport)

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:
            self.close()  # nothing was asked: the stream is out of step
            return
        self._buffer += data
        replies: list[Reply] = []
        position = 0
        try:
            for _ in range(self._expected):
                parsed = parse_reply(self._buffer, position)
                if parsed is None:
                    return  # wait for the rest
                reply, position = parsed
                replies.append(reply)
        except (LeanRedisError, ValueError, IndexError) as error:
            self._fail(LeanRedisError(f"unreadable reply: {error}"))
            self.close()
            return
        if position != len(self._buffer):
            self._fail(LeanRedisError("more replies than commands"))
            self.close()
            return
        self._buffer.clear()
        waiter, self._waiter = self._waiter, None
        if not waiter.done():
            waiter.set_result(replies)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(LeanRedisError(f"connection lost: {exc or 'closed by the server'}"))

    # --- use ----------------------------------------------------------------------------

    async def execute(self, payload: bytes, replies: int, timeout_seconds: float) -> list[Reply]:
        if self.closed or self._transport is None or self._transport.is_closing():
            raise LeanRedisError("connection closed")
        waiter: asyncio.Future[list[Reply]] = self._loop.create_future()
        self._waiter = waiter
        self._expected = replies
        self._transport.write(payload)
        timer = self._loop.call_later(timeout_seconds, self._time_out, waiter)
        try:
            return await waiter
        finally:
            timer.cancel()
            if not waiter.done() or waiter.cancelled():
                # Cancelled while waiting: the reply would arrive for nobody.
                self.close()

    def _time_out(self, waiter: "asyncio.Future[list[Reply]]") -> None:
        if not waiter.done():
            waiter.set_exception(LeanRedisError("timed out waiting for Redis"))
        self.close()

    def _fail(self, error: LeanRedisError) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    def close(self) -> None:
        self.closed = True
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
    max_connections: int = 100


class LeanRedis:
    """A pool of RESP2 connections that runs whole pipelines; see the module docstring."""

    def __init__(self, options: LeanRedisOptions) -> None:
        self._options = options
        self._idle: list[_Connection] = []
        self._open = 0
        self._connecting = 0
        self._closed = False
        self._waiting: deque[asyncio.Future[None]] = deque()

    @classmethod
    def from_url(
        cls, url: str, *, socket_timeout_seconds: float, max_connections: int
    ) -> "LeanRedis | None":
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
                max_connections=max_connections,
            ),
        )

    @property
    def options(self) -> LeanRedisOptions:
        return self._options

    async def execute(self, payload: bytes, replies: int) -> list[Reply]:
        """Send `payload` (packed commands) and return its `replies` replies, errors in place.

        Raises LeanRedisError when Redis cannot be reached or does not answer in time.
        """
        connection = await self._acquire()
        try:
            result = await connection.execute(
                payload, replies, self._options.socket_timeout_seconds
            )
        finally:
            self._release(connection)
        return result

    async def execute_commands(self, commands: Sequence[Sequence[Arg]]) -> list[Reply]:
        return await self.execute(b"".join(pack(*command) for command in commands), len(commands))

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
        self._open = 0
        while self._waiting:
            self._wake_one()

    # --- pool ---------------------------------------------------------------------------

    async def _acquire(self) -> _Connection:
        deadline: float | None = None
        while True:
            while self._idle:
                connection = self._idle.pop()
                if not connection.closed:
                    return connection
                self._open -= 1
            if self._closed:
                raise LeanRedisError("client closed")
            if self._open < self._options.max_connections and self._connecting < _MAX_CONNECTING:
                self._open += 1
                self._connecting += 1
                try:
                    return await self._connect()
                except BaseException:
                    self._open -= 1
                    raise
                finally:
                    self._connecting -= 1
                    self._wake_one()  # another may connect now, or take a freed connection
            # Every connection is busy (or enough are being opened): wait for one, as long
            # as a reply may take.
            loop = asyncio.get_running_loop()
            if deadline is None:
                deadline = loop.time() + self._options.socket_timeout_seconds
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiting.append(waiter)
            try:
                async with asyncio.timeout_at(deadline):
                    await waiter
            except TimeoutError:
                raise LeanRedisError("no connection to Redis free in time") from None
            finally:
                with contextlib.suppress(ValueError):
                    self._waiting.remove(waiter)

    def _release(self, connection: _Connection) -> None:
        if connection.closed or self._closed:
            connection.close()
            self._open -= 1
        else:
            self._idle.append(connection)
        self._wake_one()

    def _wake_one(self) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def _connect(self) -> _Connection:
        options = self._options
        loop = asyncio.get_running_loop()
        tls = ssl.create_default_context() if options.tls else None
        try:
            async with asyncio.timeout(options.socket_timeout_seconds):
                if options.path is not None:
                    _, connection = await loop.create_unix_connection(
                        lambda: _Connection(loop), options.path
                    )
                else:
                    _, connection = await loop.create_connection(
                        lambda: _Connection(loop), options.host, options.port, ssl=tls
                    )
        except (OSError, TimeoutError) as error:
            raise LeanRedisError(f"cannot connect to Redis: {error!r}") from error
        try:
            await self._hello(connection)
        except BaseException:
            connection.close()
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
        replies = await connection.execute(
            b"".join(commands), len(commands), options.socket_timeout_seconds
        )
        for reply in replies:
            if isinstance(reply, ReplyError):
                raise LeanRedisError(f"Redis refused the connection: {reply.message}")
