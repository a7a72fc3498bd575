"""LeanRedis against a real Valkey: one shared connection, pipelines written together,
replies handed out in order, timeouts, cancelled callers and lost connections."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from swiftpaste.infrastructure.cache.resp import LeanRedis, LeanRedisError, Reply, ReplyError, pack
from tests.conftest import Servers, free_port


def lean(url: str, *, timeout: float = 0.5) -> LeanRedis:
    client = LeanRedis.from_url(url, socket_timeout_seconds=timeout)
    assert client is not None
    return client


@pytest.fixture
async def client(servers: Servers) -> AsyncIterator[LeanRedis]:
    client = lean(servers.endpoints.redis_url)
    yield client
    await client.aclose()


async def stat(client: LeanRedis, name: str) -> int:
    [info] = await client.execute_commands([("INFO", "stats")])
    assert isinstance(info, bytes)
    for line in info.decode().splitlines():
        key, _, value = line.partition(":")
        if key == name:
            return int(value)
    raise LookupError(name)


async def test_concurrent_pipelines_get_their_own_replies(client: LeanRedis) -> None:
    prefix = f"test:lean:{uuid.uuid4().hex}"

    async def round_trip(number: int) -> list[Reply]:
        key = f"{prefix}:{number}"
        return await client.execute(
            pack("SET", key, number, "PX", 10_000) + pack("GET", key) + pack("INCR", key), 3
        )

    replies = await asyncio.gather(*(round_trip(number) for number in range(300)))

    assert replies == [[b"OK", str(number).encode(), number + 1] for number in range(300)]


async def test_binary_values_and_error_replies_come_back_as_sent(client: LeanRedis) -> None:
    key = f"test:lean:{uuid.uuid4().hex}"
    value = b"v\r\n\x00" * 1000
    try:
        replies = await asyncio.gather(
            *(
                client.execute_commands([("SET", key, value), ("GET", key), ("GET", key + ":no")])
                for _ in range(10)
            )
        )
        assert replies == [[b"OK", value, None]] * 10
        [wrong] = await client.execute_commands([("HGET", key, "f")])
        assert isinstance(wrong, ReplyError)
        assert "WRONGTYPE" in wrong.message
    finally:
        await client.execute_commands([("DEL", key)])


async def test_a_burst_on_a_cold_client_opens_one_connection_for_all(servers: Servers) -> None:
    client = lean(servers.endpoints.redis_url)
    connects = 0
    connect = client._connect

    async def counted() -> Any:
        nonlocal connects
        connects += 1
        return await connect()

    client._connect = counted  # type: ignore[method-assign]
    try:
        ids = await asyncio.gather(
            *(client.execute_commands([("CLIENT", "ID")]) for _ in range(64))
        )
    finally:
        await client.aclose()

    assert connects == 1
    assert len({reply[0] for reply in ids}) == 1


async def test_pipelines_of_one_loop_round_go_out_in_one_write(client: LeanRedis) -> None:
    await client.execute_commands([("PING",)])  # connected
    reads_before = await stat(client, "total_reads_processed")

    await asyncio.gather(*(client.execute_commands([("PING",)]) for _ in range(200)))

    # The INFO call itself is one read; 200 separate writes would be 200 reads.
    assert await stat(client, "total_reads_processed") - reads_before <= 5


async def test_a_caller_that_gives_up_leaves_the_stream_in_step(client: LeanRedis) -> None:
    key = f"test:lean:{uuid.uuid4().hex}"
    await client.execute_commands([("SET", key, "after", "PX", 10_000)])
    empty_list = f"test:lean:{uuid.uuid4().hex}"
    blocked = asyncio.ensure_future(client.execute_commands([("BLPOP", empty_list, "0.2")]))
    await asyncio.sleep(0.05)

    queued_behind = asyncio.ensure_future(client.execute_commands([("GET", key)]))
    await asyncio.sleep(0)
    blocked.cancel()

    assert await queued_behind == [b"after"]
    assert await client.execute_commands([("ECHO", "still in step")]) == [b"still in step"]
    assert blocked.cancelled()


async def test_no_reply_in_time_fails_every_waiting_caller_then_reconnects(
    servers: Servers,
) -> None:
    client = lean(servers.endpoints.redis_url, timeout=0.1)
    try:
        [connection_id] = await client.execute_commands([("CLIENT", "ID")])
        empty_list = f"test:lean:{uuid.uuid4().hex}"
        blocked = client.execute_commands([("BLPOP", empty_list, "1")])
        behind = client.execute_commands([("PING",)])

        outcomes = await asyncio.gather(blocked, behind, return_exceptions=True)

        assert all(isinstance(outcome, LeanRedisError) for outcome in outcomes)
        assert "timed out" in str(outcomes[0])
        [new_id] = await client.execute_commands([("CLIENT", "ID")])
        assert new_id != connection_id
    finally:
        await client.aclose()


async def test_a_connection_the_server_closes_is_replaced(client: LeanRedis) -> None:
    [connection_id] = await client.execute_commands([("CLIENT", "ID")])
    assert isinstance(connection_id, int)
    killer = LeanRedis(client.options)
    try:
        assert await killer.execute_commands([("CLIENT", "KILL", "ID", connection_id)]) == [1]
    finally:
        await killer.aclose()
    await asyncio.sleep(0.05)  # the close reaches the client

    [new_id] = await client.execute_commands([("CLIENT", "ID")])

    assert new_id != connection_id


async def test_the_client_times_out_on_a_silent_server() -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def silent(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = lean(f"redis://127.0.0.1:{port}/0", timeout=0.1)
    try:
        started = time.monotonic()
        with pytest.raises(LeanRedisError, match="timed out"):
            await client.execute_commands([("GET", "x")])
        assert time.monotonic() - started < 1.0
        # The connection that timed out is given up: the next request opens another.
        with pytest.raises(LeanRedisError, match="timed out"):
            await client.execute_commands([("GET", "x")])
        assert len(accepted) == 2
    finally:
        await client.aclose()
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_an_unreachable_server_is_an_error_not_a_hang() -> None:
    client = lean(f"redis://127.0.0.1:{free_port()}/0", timeout=0.2)
    try:
        outcomes = await asyncio.wait_for(
            asyncio.gather(
                *(client.execute_commands([("PING",)]) for _ in range(10)),
                return_exceptions=True,
            ),
            timeout=2,
        )
    finally:
        await client.aclose()

    assert all(isinstance(outcome, LeanRedisError) for outcome in outcomes)
    assert "cannot connect" in str(outcomes[0])


async def test_a_closed_client_refuses_work(servers: Servers) -> None:
    client = lean(servers.endpoints.redis_url)
    assert await client.execute_commands([("PING",)]) == [b"PONG"]
    await client.aclose()

    with pytest.raises(LeanRedisError):
        await client.execute_commands([("PING",)])
