"""What the containers run besides `swiftpaste`: health checks, the wait, the topics job."""

import os
import subprocess
import sys
from pathlib import Path

from swiftpaste.main.providers.messaging import kafka_topics
from swiftpaste.main.settings import Settings
from tests.conftest import PROJECT_ROOT, free_port
from tests.ops.conftest import DOCKER, DOCKER_ENV, OpsStack, read_env_file

WORKER_PORTS = ("RELAY", "INDEXER", "VIEWS", "CACHE", "SCHEDULER")


def container_command(
    *arguments: str, environment: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "swiftpaste.main.container", *arguments],
        env=environment,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_the_api_healthcheck_asks_the_api_for_readiness(ops_stack: OpsStack) -> None:
    ready = container_command("healthcheck", "api", environment=ops_stack.environment)
    assert ready.returncode == 0, ready.stderr
    nobody = ops_stack.environment | {"API_PORT": str(free_port())}
    assert container_command("healthcheck", "api", environment=nobody).returncode == 1


def test_the_worker_healthcheck_finds_the_worker_on_any_of_the_ports(
    ops_stack: OpsStack,
) -> None:
    closed = {f"{name}_HTTP_PORT": str(free_port()) for name in WORKER_PORTS}
    nobody = ops_stack.environment | closed
    assert container_command("healthcheck", "worker", environment=nobody).returncode == 1
    for service in ("relay", "consumer-views", "scheduler"):
        running = ops_stack.processes[service]
        name = service.removeprefix("consumer-").upper()
        one_worker = nobody | {f"{name}_HTTP_PORT": str(running.port)}
        result = container_command("healthcheck", "worker", environment=one_worker)
        assert result.returncode == 0, service


def test_wait_for_database_then_runs_the_command(ops_stack: OpsStack) -> None:
    result = container_command(
        "wait-for-database",
        "--timeout",
        "30",
        "--",
        sys.executable,
        "-c",
        "print('migrating now')",
        environment=ops_stack.environment,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "migrating now"


def test_wait_for_database_gives_up_after_its_timeout() -> None:
    unreachable = f"postgresql://nobody@127.0.0.1:{free_port()}/nothing"
    environment = dict(os.environ) | {"DATABASE_URL": unreachable}
    result = container_command(
        "wait-for-database", "--timeout", "1", "--", "true", environment=environment
    )
    assert result.returncode == 1
    assert "PostgreSQL did not accept a connection in time" in result.stderr


def test_the_topics_job_creates_every_topic_with_its_partitions(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    stub = tmp_path / "bin" / "kafka-topics.sh"
    stub.parent.mkdir()
    # Reports 2 partitions for every topic it is asked to describe.
    stub.write_text(
        "#!/usr/bin/env bash\n"
        f'echo "$*" >> {calls}\n'
        'if [[ " $* " == *" --describe "* ]]; then\n'
        '    echo "Topic: x  TopicId: y  PartitionCount: 2  ReplicationFactor: 1"\n'
        "fi\n",
    )
    stub.chmod(0o755)
    docker_env = read_env_file(DOCKER_ENV)
    environment = {"PATH": f"{stub.parent}:{os.environ['PATH']}", **docker_env}
    result = subprocess.run(
        ["bash", str(DOCKER / "kafka" / "create-topics.sh")],
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    created = [line.split() for line in calls.read_text().splitlines() if "--create" in line]
    settings = Settings.model_validate(
        {name.lower(): value for name, value in docker_env.items() if value}
        | {"jwt_secret": "x" * 40},
    )
    expected = {
        (topic.name, str(topic.partitions), str(topic.replication_factor))
        for topic in kafka_topics(settings)
    }
    assert {
        (
            args[args.index("--topic") + 1],
            args[args.index("--partitions") + 1],
            args[args.index("--replication-factor") + 1],
        )
        for args in created
    } == expected
    assert all("--if-not-exists" in args for args in created)
    assert all(
        args[args.index("--bootstrap-server") + 1] == docker_env["KAFKA_BOOTSTRAP_SERVERS"]
        for args in created
    )
    # The described topics have 2 partitions: those configured with more are reported.
    assert "swiftpaste.snippet-events has 2 partitions, 6 configured" in result.stderr
    assert "swiftpaste.dead-letters" not in result.stderr
