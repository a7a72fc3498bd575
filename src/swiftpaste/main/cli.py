"""The `swiftpaste` command line: serve, migrate, relay, consume, scheduler, infra, dev..."""

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from swiftpaste.main.settings import ConfigurationError, load_settings

if TYPE_CHECKING:
    from swiftpaste.devstack.embedded import EmbeddedStack

CONSUMERS = ("indexer", "views", "cache")
SERVER_URL_VARIABLES = ("DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS")


def _fail(message: str) -> None:
    sys.stderr.write(f"swiftpaste: {message}\n")
    raise SystemExit(2)


def _serve(args: argparse.Namespace) -> None:
    import uvicorn  # noqa: PLC0415 - only this command needs the server

    from swiftpaste.main.multiprocess_metrics import prepare_metrics_directory  # noqa: PLC0415
    from swiftpaste.presentation.http.server_protocol import (  # noqa: PLC0415
        EnvelopeHttpToolsProtocol,
    )

    settings = load_settings()
    workers = args.workers or settings.api_workers
    # Before any worker imports prometheus-client: they inherit the directory to share.
    metrics_directory = prepare_metrics_directory(settings.prometheus_multiproc_dir, workers)
    try:
        uvicorn.run(
            "swiftpaste.main.api:create_app",
            factory=True,
            host=args.host or settings.api_host,
            port=args.port or settings.api_port,
            workers=workers,
            loop="uvloop",
            # httptools, whose refusals of unparsable requests carry the error envelope.
            http=EnvelopeHttpToolsProtocol,
            access_log=False,
            log_config=None,
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=10,
        )
    finally:
        metrics_directory.cleanup()


def _migrate(args: argparse.Namespace) -> None:
    from swiftpaste.main.migrations import upgrade  # noqa: PLC0415

    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        _fail("DATABASE_URL: is required but not set")
    upgrade(database_url, args.revision)  # type: ignore[arg-type]  # checked just above


def _relay(_: argparse.Namespace) -> None:
    from swiftpaste.main.relay import run_relay  # noqa: PLC0415

    run_relay(load_settings())


def _outbox(args: argparse.Namespace) -> None:
    from swiftpaste.main.relay import print_outbox_status  # noqa: PLC0415

    print_outbox_status(load_settings())


def _consume(args: argparse.Namespace) -> None:
    from swiftpaste.main.consumers import run_consumer  # noqa: PLC0415

    run_consumer(args.name, load_settings())


def _scheduler(_: argparse.Namespace) -> None:
    from swiftpaste.main.scheduler import run_scheduler  # noqa: PLC0415

    run_scheduler(load_settings())


def _reindex(_: argparse.Namespace) -> None:
    from swiftpaste.main.reindex import run_reindex  # noqa: PLC0415

    run_reindex(load_settings())


def _seed(args: argparse.Namespace) -> None:
    from swiftpaste.devstack.seed import run_seed  # noqa: PLC0415
    from swiftpaste.main.providers.security import argon2_parameters  # noqa: PLC0415

    settings = load_settings()
    run_seed(settings.database_url, argon2_parameters(settings), args.count, args.users)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _data_dir() -> Path:
    return Path(os.environ.get("SWIFTPASTE_DATA_DIR", ".data/dev")).resolve()


def _embedded_stack(*, attached: bool) -> "EmbeddedStack":
    try:
        from swiftpaste.devstack.embedded import EmbeddedStack  # noqa: PLC0415
    except ImportError:
        _fail(
            "the embedded servers are development dependencies: run through `uv run` "
            "(or install the project with its dev group)"
        )
    return EmbeddedStack(
        _data_dir(),
        postgres_port=int(os.environ.get("EMBEDDED_POSTGRES_PORT", "5432")),
        redis_port=int(os.environ.get("EMBEDDED_REDIS_PORT", "6379")),
        kafka_port=int(os.environ.get("EMBEDDED_KAFKA_PORT", "9092")),
        attached=attached,
    )


def _infra(args: argparse.Namespace) -> None:
    from swiftpaste.devstack.embedded import EmbeddedServerError  # noqa: PLC0415

    stack = _embedded_stack(attached=False)
    try:
        if args.action == "up":
            fresh_broker = not stack.kafka.is_running()
            endpoints = stack.up()
            if fresh_broker:
                from swiftpaste.main.migrations import forget_stream_positions  # noqa: PLC0415

                # Tansu starts with empty topics: offsets recorded against the old ones go.
                forget_stream_positions(endpoints.database_url)
            print(f"export DATABASE_URL={endpoints.database_url}")
            print(f"export REDIS_URL={endpoints.redis_url}")
            print(f"export KAFKA_BOOTSTRAP_SERVERS={endpoints.kafka_bootstrap_servers}")
        elif args.action == "down":
            stack.down()
        else:
            for status in stack.status():
                state = "ready" if status.ready else ("running" if status.running else "stopped")
                pid = status.pid if status.pid is not None else "-"
                print(f"{status.name:<10} port {status.port:<6} pid {pid!s:<8} {state}")
    except EmbeddedServerError as error:
        _fail(str(error))


def _dev(_: argparse.Namespace) -> None:
    from swiftpaste.devstack.supervisor import ProcessSpec, Supervisor  # noqa: PLC0415
    from swiftpaste.main.migrations import forget_stream_positions, upgrade  # noqa: PLC0415

    stack = None
    fresh_broker = False
    env = {"ENVIRONMENT": os.environ.get("ENVIRONMENT", "development")}
    if all(os.environ.get(name) for name in SERVER_URL_VARIABLES):
        sys.stdout.write(
            "dev | using the servers named by DATABASE_URL, REDIS_URL, KAFKA_BOOTSTRAP_SERVERS\n"
        )
    else:
        from swiftpaste.devstack.embedded import EmbeddedServerError  # noqa: PLC0415

        stack = _embedded_stack(attached=True)
        fresh_broker = not stack.kafka.is_running()
        sys.stdout.write(f"dev | starting PostgreSQL, Valkey and Tansu in {_data_dir()}\n")
        try:
            endpoints = stack.up()
        except EmbeddedServerError as error:
            stack.down()
            _fail(str(error))
        env |= {
            "DATABASE_URL": endpoints.database_url,
            "REDIS_URL": endpoints.redis_url,
            "KAFKA_BOOTSTRAP_SERVERS": endpoints.kafka_bootstrap_servers,
        }
    os.environ.update(env)
    try:
        load_settings()  # refuse a bad configuration before starting anything else
        sys.stdout.write("dev | applying migrations\n")
        upgrade(os.environ["DATABASE_URL"])
        if fresh_broker:
            # Tansu starts with empty topics: offsets recorded against the old ones go.
            forget_stream_positions(os.environ["DATABASE_URL"])
        python = sys.executable
        specs = [
            ProcessSpec("api", [python, "-m", "swiftpaste", "serve"]),
            ProcessSpec("relay", [python, "-m", "swiftpaste", "relay"]),
            *(
                ProcessSpec(name, [python, "-m", "swiftpaste", "consume", name])
                for name in CONSUMERS
            ),
            ProcessSpec("scheduler", [python, "-m", "swiftpaste", "scheduler"]),
        ]
        code = asyncio.run(Supervisor(specs).run())
    finally:
        # Ctrl-C reaches every process of the terminal's group, and `uv run` forwards
        # it once more: a second interrupt must not cut the orderly shutdown short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if stack is not None:
            sys.stdout.write("dev | stopping PostgreSQL, Valkey and Tansu\n")
            stack.down()
    raise SystemExit(code)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="swiftpaste", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the HTTP API (uvicorn)")
    serve.add_argument("--host", help="bind address (default API_HOST)")
    serve.add_argument("--port", type=int, help="port (default API_PORT)")
    serve.add_argument("--workers", type=int, help="worker processes (default API_WORKERS)")
    serve.set_defaults(handler=_serve)

    migrate = commands.add_parser("migrate", help="apply database migrations (alembic upgrade)")
    migrate.add_argument("--revision", default="head", help="target revision (default head)")
    migrate.set_defaults(handler=_migrate)

    relay = commands.add_parser(
        "relay", help="publish the outbox to Kafka (safe to run as several replicas)"
    )
    relay.set_defaults(handler=_relay)

    outbox = commands.add_parser("outbox", help="inspect the transactional outbox")
    outbox.add_argument("action", choices=("status",), help="status: the backlog")
    outbox.set_defaults(handler=_outbox)

    consume = commands.add_parser("consume", help="run one Kafka consumer")
    consume.add_argument("name", choices=CONSUMERS, help="which consumer")
    consume.set_defaults(handler=_consume)

    scheduler = commands.add_parser(
        "scheduler", help="announce ended share windows (snippet.expired), every few seconds"
    )
    scheduler.set_defaults(handler=_scheduler)

    reindex = commands.add_parser("reindex", help="rebuild every search document from the database")
    reindex.set_defaults(handler=_reindex)

    seed = commands.add_parser(
        "seed", help="write N realistic snippets (code and prose) in bulk, for benchmarks and demos"
    )
    seed.add_argument("--count", type=_positive, default=1000, help="snippets (default 1000)")
    seed.add_argument(
        "--users", type=_positive, default=None, help="new accounts owning them (default N/100)"
    )
    seed.set_defaults(handler=_seed)

    infra = commands.add_parser(
        "infra", help="start, stop or inspect the embedded PostgreSQL, Valkey and Tansu"
    )
    infra.add_argument("action", choices=("up", "down", "status"))
    infra.set_defaults(handler=_infra)

    dev = commands.add_parser(
        "dev",
        help="the whole system on embedded servers: migrations, API, relay, consumers, scheduler",
    )
    dev.set_defaults(handler=_dev)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], None] = args.handler
    try:
        handler(args)
    except ConfigurationError as error:
        _fail(str(error))
