"""The fast read lane's RESP2 client: packing commands and reading replies, without I/O."""

import asyncio
from uuid import UUID

import pytest

from swiftpaste.application.ports.rate_limit import RateLimitPolicy
from swiftpaste.infrastructure.cache import hot_read
from swiftpaste.infrastructure.cache.rate_limiter import _BUCKET_SCRIPT
from swiftpaste.infrastructure.cache.resp import (
    LeanRedis,
    LeanRedisError,
    ReplyError,
    _Connection,
    pack,
)


def test_commands_are_packed_as_arrays_of_bulk_strings() -> None:
    assert pack("GET", "snippet:aB3dE5fG:vlatest") == (
        b"*2\r\n$3\r\nGET\r\n$24\r\nsnippet:aB3dE5fG:vlatest\r\n"
    )
    # Numbers as redis-py writes them: ints plainly, floats by repr.
    assert pack("X", 120, 2.0, 1e9, b"\x00\r\n") == (
        b"*5\r\n$1\r\nX\r\n$3\r\n120\r\n$3\r\n2.0\r\n$12\r\n1000000000.0\r\n$3\r\n\x00\r\n\r\n"
    )


def test_the_pipeline_is_packed_as_the_generic_packer_would() -> None:
    policy = RateLimitPolicy("read", 120, 2.0)
    bucket = b"ratelimit:v2:read:ip:203.0.113.9"
    body = b"snippet:aB3dE5fG:v3"
    packed = (
        hot_read._EVALSHA_HEAD
        + hot_read._pack_bucket(("ip:203.0.113.9", policy))
        + hot_read._GET % (len(body), body)
    )
    assert packed == pack("EVALSHA", hot_read._SCRIPT_SHA, 1, bucket, 120, 2.0) + pack("GET", body)
    # After NOSCRIPT: the same, with the script itself.
    evaluated = hot_read._EVAL_HEAD + packed[len(hot_read._EVALSHA_HEAD) :]
    script = _BUCKET_SCRIPT
    assert evaluated == pack("EVAL", script, 1, bucket, 120, 2.0) + pack("GET", body)


def test_the_denylist_check_is_packed_as_the_generic_packer_would() -> None:
    session = UUID("12345678-1234-5678-1234-567812345678")
    assert hot_read._pack_exists(("jti-1", session)) == pack(
        "EXISTS", "auth:revoked-token:jti-1", f"auth:revoked-session:{session}"
    )


class FakeTransport:
    """What the connection writes; no socket."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.aborted = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def is_closing(self) -> bool:
        return self.aborted

    def abort(self) -> None:
        self.aborted = True


def connection() -> tuple[_Connection, FakeTransport]:
    made = _Connection(asyncio.get_running_loop(), timeout_seconds=5.0)
    transport = FakeTransport()
    made.connection_made(transport)  # type: ignore[arg-type]  # duck-typed transport
    return made, transport


@pytest.mark.parametrize(
    ("wire", "reply"),
    [
        (b"+OK\r\n", b"OK"),
        (b":42\r\n", 42),
        (b":-7\r\n", -7),
        (b"$5\r\nhe\r\nl\r\n", b"he\r\nl"),
        (b"$0\r\n\r\n", b""),
        (b"$-1\r\n", None),
        (b"*-1\r\n", None),
        (b"*0\r\n", []),
        (b"*4\r\n:1\r\n:119\r\n:500\r\n:0\r\n", [1, 119, 500, 0]),
        (b"*2\r\n*1\r\n$1\r\na\r\n$-1\r\n", [[b"a"], None]),
    ],
)
async def test_replies_are_read(wire: bytes, reply: object) -> None:
    made, _ = connection()
    first = made.send(pack("X"), 1)
    second = made.send(pack("Y"), 1)

    made.data_received(wire + b"+NEXT\r\n")

    assert await first == [reply]
    assert await second == [b"NEXT"]


async def test_error_replies_are_values_in_their_place() -> None:
    made, _ = connection()
    pipeline = made.send(pack("EVALSHA", "x", 0) + pack("GET", "k"), 2)

    made.data_received(b"-NOSCRIPT No matching script\r\n$2\r\nok\r\n")

    error, value = await pipeline
    assert isinstance(error, ReplyError)
    assert error.message == "NOSCRIPT No matching script"
    assert value == b"ok"


@pytest.mark.parametrize(
    "wire",
    [
        b"+OK\r\n*2\r\n:1\r\n$3\r\nabc\r\n:5\r\n",
        b"-ERR no\r\n*-1\r\n$0\r\n\r\n",
    ],
)
async def test_replies_arriving_a_byte_at_a_time_are_handed_out_in_order(wire: bytes) -> None:
    made, _ = connection()
    first = made.send(pack("A"), 1)
    second = made.send(pack("B") + pack("C"), 2)

    for index in range(len(wire)):
        made.data_received(wire[index : index + 1])
        if index < len(wire) - 1:
            assert not second.done()

    assert len(await first) == 1
    assert len(await second) == 2


async def test_pipelines_of_one_loop_round_are_written_at_once() -> None:
    made, transport = connection()
    made.send(pack("A"), 1)
    made.send(pack("B"), 1)
    assert transport.written == []  # not yet: at the end of this round

    await asyncio.sleep(0)

    assert transport.written == [pack("A") + pack("B")]


async def test_more_replies_than_commands_gives_the_connection_up() -> None:
    made, transport = connection()
    asked = made.send(pack("PING"), 1)

    made.data_received(b"+PONG\r\n+EXTRA\r\n")

    assert await asked == [b"PONG"]
    assert transport.aborted
    assert made.closed


async def test_an_unreadable_reply_fails_the_waiting_pipelines() -> None:
    made, transport = connection()
    asked = made.send(pack("PING"), 1)

    made.data_received(b"?what\r\n")

    with pytest.raises(LeanRedisError, match="unreadable reply"):
        await asked
    assert transport.aborted


@pytest.mark.parametrize(
    ("url", "supported"),
    [
        ("redis://127.0.0.1:6379/0", True),
        ("redis://:secret@cache:6380/2", True),
        ("redis://user:secret@cache/1", True),
        ("unix:///run/valkey.sock?db=3", True),
        ("rediss://cache:6380/0", True),
        ("redis://cache/0?ssl_cert_reqs=none", False),
        ("redis://cache/0?protocol=3", False),
        ("http://cache", False),
    ],
)
def test_urls_it_cannot_honour_give_no_client(url: str, *, supported: bool) -> None:
    client = LeanRedis.from_url(url, socket_timeout_seconds=0.1)
    assert (client is not None) is supported


def test_the_url_and_settings_are_honoured() -> None:
    client = LeanRedis.from_url("redis://user:secret@cache:6380/2", socket_timeout_seconds=0.25)
    assert client is not None
    options = client.options
    assert (options.host, options.port, options.db) == ("cache", 6380, 2)
    assert (options.username, options.password) == ("user", "secret")
    assert options.socket_timeout_seconds == 0.25
    assert not options.tls
