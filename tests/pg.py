"""A real PostgreSQL server for the tests: Debian's binaries (`initdb`, `pg_ctl` under
/usr/lib/postgresql/<version>/bin), a cluster in a fresh tmp folder, trust auth, listening on 127.0.0.1
at a free port, one database per test. No mock: the store tests run against it as against SQLite.

    server = PostgresServer.start()
    url = server.create_database()      # postgresql+psycopg://postgres@127.0.0.1:<port>/<name>
    server.drop_database(url); server.stop()

`initdb` refuses to run as root, so as root the server runs as the `postgres` user (created when
missing) through `runuser`. BUDGETQA_PG_BIN points at another bin folder.
"""

from __future__ import annotations

import atexit
import glob
import itertools
import os
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
SERVER_USER = "postgres"
_names = itertools.count()


class PostgresMissing(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


def pg_bin_dir() -> Path:
    """The bin folder of the newest installed PostgreSQL (BUDGETQA_PG_BIN overrides)."""
    if os.environ.get("BUDGETQA_PG_BIN"):
        candidates = [os.environ["BUDGETQA_PG_BIN"]]
    else:
        candidates = sorted(glob.glob(PG_BIN_GLOB), key=lambda p: [int(n) for n in re.findall(r"\d+", p)])
    found = [Path(c) for c in candidates if (Path(c) / "initdb").is_file() and (Path(c) / "pg_ctl").is_file()]
    if not found:
        where = os.environ.get("BUDGETQA_PG_BIN") or PG_BIN_GLOB
        raise PostgresMissing(
            f"PostgreSQL server binaries (initdb, pg_ctl) not found under {where} — install Debian's "
            "postgresql package (`apt-get install postgresql`; scripts/test.sh does it when missing) "
            "or set BUDGETQA_PG_BIN to their folder")
    return found[-1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user() -> list[str]:
    """The command prefix that runs a server binary as an unprivileged user when we are root."""
    if os.geteuid() != 0:
        return []
    if subprocess.run(["id", "-u", SERVER_USER], capture_output=True, check=False).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/bin/sh", SERVER_USER], check=True)
    return ["runuser", "-u", SERVER_USER, "--"]


@dataclass
class PostgresServer:
    """One running cluster in a tmp folder; `stop()` ends it and deletes the folder."""

    bin_dir: Path
    root: Path
    port: int
    _running: bool = field(default=True, repr=False)

    @classmethod
    def start(cls, attempts: int = 3) -> PostgresServer:
        bin_dir = pg_bin_dir()
        # not under pytest's tmp folder: that one is private to root, the server user could not enter it
        root = Path(tempfile.mkdtemp(prefix="budgetqa-pg-"))
        prefix = _as_server_user()
        if prefix:
            shutil.chown(root, user=SERVER_USER)
        data = root / "data"
        _run(prefix + [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                       "--locale=C.UTF-8", "--no-sync"], root)
        for attempt in range(attempts):
            port = _free_port()
            options = (f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c synchronous_commit=off "
                       "-c full_page_writes=off -c max_connections=200")
            started = subprocess.run(prefix + [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"),
                                               "-w", "-t", "60", "-o", options, "start"],
                                     capture_output=True, text=True, check=False)
            if started.returncode == 0:
                server = cls(bin_dir, root, port)
                atexit.register(server.stop)  # also when the session ends without its finalizers
                return server
            if attempt == attempts - 1:  # the port may have been taken in between: try another
                log = (root / "server.log").read_text(errors="replace")[-2000:]
                shutil.rmtree(root, ignore_errors=True)
                raise RuntimeError(f"PostgreSQL did not start: {started.stdout}{started.stderr}\n{log}")
        raise AssertionError("unreachable")

    @property
    def admin_dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "t") -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        name = f"{prefix}{next(_names)}_{uuid.uuid4().hex[:8]}"
        self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_dsn, autocommit=True) as connection:
            connection.execute(statement)  # type: ignore[arg-type]

    def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        subprocess.run(_as_server_user() + [str(self.bin_dir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "fast",
                                            "-w", "stop"], capture_output=True, check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def _run(command: list[str], cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stdout}{done.stderr}")
