"""Running a background worker (relay, consumer, scheduler) with its HTTP probes."""

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any

import uvicorn
import uvloop

from swiftpaste.main.heap import settle_after_startup
from swiftpaste.presentation.http.worker_probes import WorkerProbes

logger = logging.getLogger(__name__)


class _QuietServer(uvicorn.Server):
    """Leaves SIGINT/SIGTERM to the worker, which stops the server itself."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def probe_server(
    app: WorkerProbes | Callable[..., Awaitable[None]], host: str, port: int
) -> uvicorn.Server:
    """A uvicorn server for the probes, run inside the worker's event loop."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="none",
        lifespan="auto",
        access_log=False,
        log_config=None,
        server_header=False,
    )
    return _QuietServer(config)


def run_worker(main: Coroutine[Any, Any, None]) -> None:
    """Run a worker's main coroutine on uvloop, as the API runs.

    A worker spends much of its CPU in the event loop itself (socket writes and reads to
    PostgreSQL and Kafka, callbacks, timers), which uvloop does in C. What was built up to
    here (modules, the assembled app) lives as long as the process: the garbage collector
    is settled on it first (`heap.settle_after_startup`).
    """
    settle_after_startup()
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


async def run_until_signalled(
    work: Callable[[asyncio.Event], Awaitable[None]],
    probes: WorkerProbes,
    host: str,
    port: int,
) -> None:
    """Run `work(stop)` beside the probe server until SIGINT/SIGTERM sets `stop`.

    `work` must return soon after `stop` is set (finishing what it holds). Port 0
    disables the probe server.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    server = probe_server(probes, host, port) if port else None
    serving = asyncio.create_task(server.serve()) if server else None
    try:
        await work(stop)
    finally:
        if server is not None and serving is not None:
            server.should_exit = True
            with contextlib.suppress(Exception):
                await serving
