"""A server binary as a child process: spawn, pid file, readiness wait and stop, written once."""

import contextlib
import ctypes
import logging
import math
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ClassVar

import psutil

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_POLL_SECONDS = 0.05
_LOG_TAIL_LINES = 25
# /proc/stat's boot time, from which psutil derives start times, can drift by a second; a pid
# reused by the same program within this window is not a realistic risk.
_START_TIME_TOLERANCE_SECONDS = 2.0


class EmbeddedServerError(RuntimeError):
    """An embedded server cannot start, did not become ready, or its port is taken."""


@dataclass(frozen=True, slots=True)
class ServerStatus:
    name: str
    port: int
    pid: int | None
    running: bool
    ready: bool


@dataclass(frozen=True, slots=True)
class Account:
    """The unprivileged account a child runs as (only needed when the launcher is root)."""

    uid: int
    gid: int


@dataclass(frozen=True, slots=True)
class _PidRecord:
    """`<data_dir>/<name>.pid`: the pid first, as in any pid file, then what verifies it."""

    pid: int
    port: int
    start_time: float

    def dump(self) -> str:
        return f"{self.pid}\n{self.port}\n{self.start_time!r}\n"

    @classmethod
    def load(cls, text: str) -> "_PidRecord | None":
        try:
            pid, port, start_time = text.split()
            return cls(int(pid), int(port), float(start_time))
        except ValueError:
            return None


class ServerProcess(ABC):
    """One server binary run as a child process and tracked through `<data_dir>/<name>.pid`.

    The pid file lets any process using the same data dir find, reuse and stop the server. It also
    records the process start time: with the executable name, that proves a pid still belongs to
    the server we started before anything signals it.
    """

    name: ClassVar[str]
    label: ClassVar[str]
    stop_signal: ClassVar[signal.Signals] = signal.SIGTERM

    def __init__(self, data_dir: Path, port: int, *, executable: Path, attached: bool) -> None:
        self.data_dir = data_dir
        self.port = port
        self.executable = executable
        self.attached = attached
        self.log_path = data_dir / f"{self.name}.log"
        self.pid_path = data_dir / f"{self.name}.pid"
        self._child: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    @abstractmethod
    def _arguments(self) -> list[str]:
        """The server's command line after the executable."""

    @abstractmethod
    def probe(self, port: int) -> bool:
        """Whether the server answers its protocol on `port` right now."""

    def _prepare(self) -> None:  # noqa: B027 - an optional hook, not an abstract method
        """Get the data directory ready before the server is spawned."""

    def _on_ready(self) -> None:  # noqa: B027 - an optional hook, not an abstract method
        """Finish setup once the server answers (started or reused)."""

    def _account(self) -> Account | None:
        """The account to run as; None runs the child as the launcher's own user."""
        return None

    def pid(self) -> int | None:
        """The server's pid if this data dir's server is running, else None."""
        process = self._process()
        return None if process is None else process.pid

    def is_running(self) -> bool:
        return self._process() is not None

    def status(self) -> ServerStatus:
        process = self._process()
        if process is None:
            return ServerStatus(self.name, self.port, None, running=False, ready=False)
        record = self._read_pid_file()
        port = self.port if record is None else record.port  # it may run on another port
        return ServerStatus(self.name, port, process.pid, running=True, ready=self.probe(port))

    def ensure_port_free(self) -> None:
        """Fail fast, before any slow setup, when another program already listens on our port.

        Without this check a readiness probe could be answered by that other program.
        """
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            # As the servers themselves do: connections in TIME_WAIT must not count as "in use".
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((HOST, self.port))
            except OSError as error:
                msg = (
                    f"{self.label} cannot start: port {self.port} on {HOST} is already in use"
                    f"{_listener_description(self.port)} ({error.strerror}). "
                    "Stop that program or choose another port."
                )
                raise EmbeddedServerError(msg) from error

    def start(self, timeout: float = 60.0) -> None:
        """Start the server, or reuse the one this data dir's pid file names; wait until ready."""
        process = self._process()
        spawned = process is None
        if process is None:
            self._spawn()
        else:
            record = self._read_pid_file()
            if record is not None and record.port != self.port:
                msg = (
                    f"{self.label} from {self.data_dir} already runs on port {record.port}, "
                    f"not {self.port}: stop it first"
                )
                raise EmbeddedServerError(msg)
            logger.info("reusing %s (pid %d) on port %d", self.name, process.pid, self.port)
        try:
            self._wait_ready(timeout)
            self._on_ready()
        except BaseException:
            if spawned:
                self.stop()
            raise

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the server this data dir's pid file names: stop signal, then SIGKILL. Idempotent."""
        process = self._process()
        if process is not None:
            logger.info("stopping %s (pid %d)", self.name, process.pid)
            with contextlib.suppress(psutil.NoSuchProcess):
                process.send_signal(self.stop_signal)
            if not _wait_exit(process, timeout):
                logger.warning("%s did not stop within %.0f s: killing it", self.name, timeout)
                with contextlib.suppress(psutil.NoSuchProcess):
                    process.kill()
                _wait_exit(process, timeout)
        if self._child is not None:
            self._child.wait()  # it has exited: this only reaps it
            self._child = None
        self.pid_path.unlink(missing_ok=True)

    def _spawn(self) -> None:
        self.ensure_port_free()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        self._prepare()
        argv = [str(self.executable), *self._arguments()]
        logger.info("starting %s: %s", self.name, shlex.join(argv))
        with self.log_path.open("ab") as log:
            self._child = self._popen(argv, log, server=True)
        start_time = psutil.Process(self._child.pid).create_time()
        record = _PidRecord(self._child.pid, self.port, start_time)
        temporary = self.pid_path.with_suffix(".pid.tmp")
        temporary.write_text(record.dump())
        temporary.replace(self.pid_path)  # atomic: a concurrent reader never sees half a file

    def _run_setup_command(self, argv: list[str], timeout: float) -> None:
        """Run a one-off command (initdb) as the server's account, its output in the server log."""
        with self.log_path.open("ab") as log:
            child = self._popen(argv, log, server=False)
        try:
            returncode = child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            raise self._failure(
                f"{Path(argv[0]).name} did not finish within {timeout:.0f} s"
            ) from None
        if returncode != 0:
            raise self._failure(f"{Path(argv[0]).name} exited with status {returncode}")

    def _popen(self, argv: list[str], log: BinaryIO, *, server: bool) -> subprocess.Popen[bytes]:
        account = self._account()
        death_signal = _death_signal(self.stop_signal) if server and self.attached else None
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.data_dir,
            env={**os.environ, "NO_COLOR": "1"},  # the output is a log file: no colour codes
            user=None if account is None else account.uid,
            group=None if account is None else account.gid,
            extra_groups=None if account is None else (),  # drop root's supplementary groups
            # A Ctrl+C in the launcher's terminal must not reach the servers: the launcher
            # decides when they stop (after the application using them).
            start_new_session=server,
            preexec_fn=death_signal,  # noqa: PLW1509 - two system calls, see _death_signal
        )

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.probe(self.port):
            if not self.is_running():
                raise self._failure("exited during startup")
            if time.monotonic() > deadline:
                raise self._failure(f"did not become ready within {timeout:.0f} s")
            time.sleep(_POLL_SECONDS)

    def _failure(self, reason: str) -> EmbeddedServerError:
        return EmbeddedServerError(
            f"{self.label} on {HOST}:{self.port} {reason}. "
            f"Last lines of {self.log_path}:\n{self._log_tail()}"
        )

    def _log_tail(self) -> str:
        try:
            with self.log_path.open("rb") as log:
                log.seek(self._log_offset)
                text = log.read().decode(errors="replace")
        except FileNotFoundError:
            return "    (no log)"
        lines = text.rstrip().splitlines()[-_LOG_TAIL_LINES:] or ["(empty)"]
        return "\n".join(f"    {line}" for line in lines)

    def _read_pid_file(self) -> _PidRecord | None:
        try:
            return _PidRecord.load(self.pid_path.read_text())
        except FileNotFoundError:
            return None

    def _process(self) -> psutil.Process | None:
        """The running server: our child, or the process the pid file names once verified."""
        if self._child is not None:
            if self._child.poll() is None:
                return psutil.Process(self._child.pid)  # our own child: nothing to verify
            self._child = None  # it exited (crashed, or stopped by another process): reaped now
        record = self._read_pid_file()
        if record is None:
            return None
        try:
            process = psutil.Process(record.pid)
            ours = (
                process.status() != psutil.STATUS_ZOMBIE
                and process.name() == self.executable.name
                and math.isclose(
                    process.create_time(), record.start_time, abs_tol=_START_TIME_TOLERANCE_SECONDS
                )
            )
        except psutil.Error:  # gone, or not ours to inspect
            return None
        return process if ours else None


def _death_signal(sig: signal.Signals) -> Callable[[], None] | None:
    """A preexec_fn making the child receive `sig` when its launcher dies, so no orphan remains.

    The kernel ties this to the launching *thread* and clears it on a uid change; CPython applies
    `user=` before preexec_fn, so the setting survives. preexec_fn is the only hook between fork
    and exec, hence the noqa where it is passed; this one keeps to two system calls.
    """
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded here, before the fork
    launcher = os.getpid()

    def set_death_signal() -> None:
        if libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != launcher:  # the launcher died before prctl took effect
            os._exit(1)

    return set_death_signal


def _wait_exit(process: psutil.Process, timeout: float) -> bool:
    """Wait until `process` exits; a zombie has exited (reaping it is its parent's business)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(_POLL_SECONDS)
    return False


def _listener_description(port: int) -> str:
    """' by pid N (name)' for the program listening on `port`, when we may know it."""
    try:
        pid = next(
            (
                connection.pid
                for connection in psutil.net_connections(kind="tcp")
                if connection.status == psutil.CONN_LISTEN
                and connection.laddr
                and connection.laddr.port == port
                and connection.pid is not None
            ),
            None,
        )
        return "" if pid is None else f" by pid {pid} ({psutil.Process(pid).name()})"
    except psutil.Error:  # the listener is not ours to inspect, or just went away
        return ""
