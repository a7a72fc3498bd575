"""The embedded stack really starts, serves, reuses, survives restarts and stops its servers."""

import asyncio
import json
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from swiftpaste.devstack.embedded import EmbeddedServerError, EmbeddedStack
from tests.conftest import eventually

pytestmark = pytest.mark.embedded


def _free_port() -> int:
    """A port nothing listens on now, so the tests never meet a running development stack."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _new_stack(data_dir: Path, *, attached: bool = True) -> EmbeddedStack:
    return EmbeddedStack(
        data_dir,
        postgres_port=_free_port(),
        redis_port=_free_port(),
        kafka_port=_free_port(),
        attached=attached,
    )


def _same_stack(stack: EmbeddedStack) -> EmbeddedStack:
    """Another handle on the same data dir and ports, as a second process would build it."""
    return EmbeddedStack(
        stack.data_dir,
        postgres_port=stack.postgres.port,
        redis_port=stack.valkey.port,
        kafka_port=stack.kafka.port,
    )


def _pids(stack: EmbeddedStack) -> list[int]:
    pids = [status.pid for status in stack.status()]
    assert None not in pids, stack.status()
    return [pid for pid in pids if pid is not None]


def _with_children(pids: list[int]) -> list[int]:
    """The servers and their workers (PostgreSQL's backends and background processes)."""
    children = [child.pid for pid in pids for child in psutil.Process(pid).children(recursive=True)]
    return pids + children


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


async def _all_gone(pids: list[int]) -> None:
    async def gone() -> bool:
        return all(_gone(pid) for pid in pids)

    await eventually(gone, within=15, what="every server process ended")


async def _query(stack: EmbeddedStack, *statements: str) -> object:
    """Run `statements` in one transaction; return the single value the last one selects."""
    engine = create_async_engine(stack.endpoints.database_url)
    try:
        async with engine.begin() as connection:
            results = [await connection.execute(text(statement)) for statement in statements]
            return results[-1].scalar_one()
    finally:
        await engine.dispose()


def _run_launcher(stack: EmbeddedStack, *, attached: bool, then: str = "") -> subprocess.Popen[str]:
    """Another Python process that starts `stack`'s servers, as `swiftpaste infra up` would."""
    code = (
        "from pathlib import Path\nfrom swiftpaste.devstack.embedded import EmbeddedStack\n"
        f"stack = EmbeddedStack(Path({str(stack.data_dir)!r}), postgres_port={stack.postgres.port},"
        f" redis_port={stack.valkey.port}, kafka_port={stack.kafka.port}, attached={attached})\n"
        f"stack.up()\n{then}"
    )
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    stack = _new_stack(tmp_path_factory.mktemp("stack"))
    stack.up()
    yield stack
    stack.down()


async def test_all_three_servers_answer(stack: EmbeddedStack) -> None:
    assert await _query(stack, "SELECT 1") == 1
    assert await _query(stack, "SELECT current_database()") == "swiftpaste"

    redis = Redis.from_url(stack.endpoints.redis_url)
    try:
        assert await redis.ping()
    finally:
        await redis.aclose()

    bootstrap = stack.endpoints.kafka_bootstrap_servers
    topic = f"test-{uuid.uuid4().hex}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"hello")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        message = await asyncio.wait_for(consumer.getone(), timeout=10)
    finally:
        await consumer.stop()
    assert message.value == b"hello"


def test_status_reports_every_server_running_and_ready(stack: EmbeddedStack) -> None:
    statuses = stack.status()

    assert [status.name for status in statuses] == ["postgres", "valkey", "kafka"]
    assert [status.port for status in statuses] == [
        stack.postgres.port,
        stack.valkey.port,
        stack.kafka.port,
    ]
    assert all(status.running and status.ready and status.pid for status in statuses)


def test_up_again_reuses_the_running_servers(stack: EmbeddedStack) -> None:
    pids = _pids(stack)

    stack.up()
    _same_stack(stack).up()

    assert _pids(stack) == pids


async def test_postgres_data_survives_a_restart(stack: EmbeddedStack) -> None:
    await _query(stack, "CREATE TABLE kept (id int)", "INSERT INTO kept VALUES (42)", "SELECT 1")
    old_pid = stack.postgres.pid()

    stack.postgres.stop()
    assert not stack.postgres.is_running()
    stack.postgres.start()

    assert stack.postgres.pid() != old_pid
    assert await _query(stack, "SELECT id FROM kept") == 42


def test_down_stops_every_process_and_is_idempotent(tmp_path: Path) -> None:
    stack = _new_stack(tmp_path)
    stack.up()
    pids = _with_children(_pids(stack))

    stack.down()

    assert all(_gone(pid) for pid in pids)
    assert not list(tmp_path.glob("*.pid"))
    assert not any(status.running for status in stack.status())
    stack.down()


@pytest.mark.parametrize(
    ("server", "label"), [("postgres", "PostgreSQL"), ("valkey", "Valkey"), ("kafka", "Kafka")]
)
def test_a_taken_port_is_a_clear_error(tmp_path: Path, server: str, label: str) -> None:
    stack = _new_stack(tmp_path)
    taken = getattr(stack, server).port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as foreign:
        foreign.bind(("127.0.0.1", taken))
        foreign.listen()

        with pytest.raises(EmbeddedServerError, match=rf"{label}.* port {taken} .*already in use"):
            stack.up()

    assert not any(status.running for status in stack.status())


def test_a_server_failing_to_start_reports_its_log(tmp_path: Path) -> None:
    stack = _new_stack(tmp_path)
    (tmp_path / "postgres").mkdir()
    (tmp_path / "postgres" / "PG_VERSION").write_text("18\n")  # a data dir without its files

    with pytest.raises(EmbeddedServerError) as raised:
        stack.up()

    message = str(raised.value)
    assert f"PostgreSQL on 127.0.0.1:{stack.postgres.port} exited during startup" in message
    assert "postgresql.conf" in message  # PostgreSQL's own words, from the tail of its log
    assert not any(status.running for status in stack.status())


async def test_a_detached_stack_outlives_its_launcher_and_another_instance_stops_it(
    tmp_path: Path,
) -> None:
    stack = _new_stack(tmp_path, attached=False)
    try:
        with _run_launcher(stack, attached=False) as launcher:
            assert launcher.wait(timeout=60) == 0

        assert all(status.running and status.ready for status in stack.status())
        pids = _with_children(_pids(stack))
    finally:
        stack.down()

    await _all_gone(pids)


async def test_an_attached_stack_dies_with_its_killed_launcher(tmp_path: Path) -> None:
    stack = _new_stack(tmp_path)
    report_pids = (
        "import json, time\n"
        "print(json.dumps([status.pid for status in stack.status()]), flush=True)\n"
        "time.sleep(120)\n"
    )
    with _run_launcher(stack, attached=True, then=report_pids) as launcher:
        try:
            assert launcher.stdout is not None
            pids = _with_children(json.loads(launcher.stdout.readline()))
        finally:
            launcher.kill()  # SIGKILL: the launcher gets no chance to stop anything itself

    await _all_gone(pids)
    assert not any(status.running for status in stack.status())
