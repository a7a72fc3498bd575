"""Runs the processes of `swiftpaste dev` as one.

Their output is interleaved line by line with a name prefix; when one exits or the
supervisor gets SIGINT/SIGTERM, all are stopped.
"""

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

_PR_SET_PDEATHSIG = 1
_COLORS = ("36", "33", "35", "32", "34", "31", "96", "93")


@dataclass(frozen=True, slots=True)
class ProcessSpec:
    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)


def die_with_parent() -> None:
    """preexec_fn: ask Linux to SIGTERM this child when its parent exits."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Supervisor:
    def __init__(self, specs: Sequence[ProcessSpec], *, stop_timeout_seconds: float = 10.0) -> None:
        self._specs = specs
        self._stop_timeout = stop_timeout_seconds
        self._width = max((len(spec.name) for spec in specs), default=0)
        self._color = sys.stdout.isatty()

    async def run(self) -> int:
        """Run until a child exits or SIGINT/SIGTERM arrives; return the exit code to use."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        processes = [await self._start(spec) for spec in self._specs]
        pumps = [
            asyncio.create_task(self._pump(spec, index, process))
            for index, (spec, process) in enumerate(zip(self._specs, processes, strict=True))
        ]
        waits = [asyncio.create_task(process.wait()) for process in processes]
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait([stopper, *waits], return_when=asyncio.FIRST_COMPLETED)
        exited = [
            spec.name
            for spec, process in zip(self._specs, processes, strict=True)
            if process.returncode is not None
        ]
        code = 0 if stop.is_set() and not exited else 1
        if exited and not stop.is_set():
            self._say(f"{', '.join(exited)} exited; stopping the others")
        else:
            self._say("stopping")
        await self._stop_all(processes)
        stopper.cancel()
        await asyncio.gather(*pumps, *waits, stopper, return_exceptions=True)
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        return code

    async def _start(self, spec: ProcessSpec) -> asyncio.subprocess.Process:
        self._say(f"starting {spec.name}: {' '.join(spec.argv)}")
        return await asyncio.create_subprocess_exec(
            *spec.argv,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, **spec.env},
            # Ctrl-C reaches only the supervisor, which then stops the children in order;
            # if it is killed outright they die with it, so no orphan is left behind.
            start_new_session=True,
            preexec_fn=die_with_parent,
        )

    async def _pump(
        self, spec: ProcessSpec, index: int, process: asyncio.subprocess.Process
    ) -> None:
        assert process.stdout is not None
        prefix = f"{spec.name:<{self._width}} | "
        if self._color:
            prefix = f"\033[{_COLORS[index % len(_COLORS)]}m{prefix}\033[0m"
        while line := await process.stdout.readline():
            sys.stdout.write(prefix + line.decode(errors="replace"))
            sys.stdout.flush()

    async def _stop_all(self, processes: Sequence[asyncio.subprocess.Process]) -> None:
        # Reverse start order: the API stops before the workers it feeds.
        for process in reversed(processes):
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.terminate()
        for process in reversed(processes):
            try:
                await asyncio.wait_for(process.wait(), timeout=self._stop_timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()

    def _say(self, message: str) -> None:
        sys.stdout.write(f"{'dev':<{self._width}} | {message}\n")
        sys.stdout.flush()
