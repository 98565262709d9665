"""A throw-away PostgreSQL server on loopback for the tests (Debian's ``postgresql`` package).

``make test`` installs the package (like Chromium); this module finds its binaries, runs
``initdb`` in a temporary folder and starts the server on a free port of 127.0.0.1 with its
socket in that folder. When the tests run as root the server runs as the ``postgres`` user
(PostgreSQL refuses to run as root). Everything it made is removed when it stops.

    with PostgresServer() as pg:
        pg.url("postgres", database="postgres")           # the superuser (trust on loopback)
        pg.create_database("attune")
        pg.create_role("alice", "secret")                   # a LOGIN role, no superuser
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SUPERUSER = "postgres"


def postgres_bin() -> Path | None:
    """The folder of Debian's PostgreSQL binaries (the newest installed), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder, started on entry and removed on exit."""

    def __init__(self) -> None:
        binaries = postgres_bin()
        if binaries is None:
            raise RuntimeError("PostgreSQL is not installed: `make test` installs Debian's postgresql package")
        self.bin = binaries
        self.folder = Path(tempfile.mkdtemp(prefix="attune-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.as_postgres = os.geteuid() == 0
        self.process: subprocess.Popen | None = None

    def _run(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        command = [str(a) for a in args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)

    def start(self) -> PostgresServer:
        os.chmod(self.folder, 0o700)
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(self.bin / "initdb", "-D", self.data, "-U", SUPERUSER, "--auth-local=trust",
                  "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        # Loopback only; the superuser may come in without a password over TCP on loopback
        # (the tests' admin), every other role needs its password.
        hba = self.data / "pg_hba.conf"
        rules = ("local all all trust\n"
                 f"host all {SUPERUSER} 127.0.0.1/32 trust\n"
                 "host all all 127.0.0.1/32 scram-sha-256\n")
        hba.write_text(rules)
        command = [str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port),
                   "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.folder}",
                   "-c", "fsync=on", "-c", "max_connections=200", "-c", "shared_buffers=64MB"]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        log = open(self.folder / "server.log", "ab")  # noqa: SIM115 - closed in stop()
        self._log = log
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"PostgreSQL did not start: {(self.folder / 'server.log').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
                if self.sql("SELECT 1", database="postgres").strip() == "1":
                    return self
            except (OSError, subprocess.CalledProcessError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("PostgreSQL did not accept connections within 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # smart shutdown would wait for clients: SIGINT is "fast"
            try:
                self.process.send_signal(2)
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        if getattr(self, "_log", None):
            self._log.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- administration ------------------------------------------------------------------

    def sql(self, statement: str, *, database: str = "postgres", user: str = SUPERUSER) -> str:
        """Run SQL through psql over the local socket; its unaligned output."""
        return self._run(self.bin / "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.folder,
                         "-p", str(self.port), "-U", user, "-d", database, "-c", statement).stdout

    def url(self, user: str = SUPERUSER, password: str | None = None, *, database: str = "postgres",
            workshop: str | None = None) -> str:
        auth = f"{user}:{password}" if password else user
        query = f"?workshop={workshop}" if workshop else ""
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}{query}"

    def create_database(self, name: str | None = None, *, template: str | None = None, owner: str | None = None) -> str:
        name = name or f"attune_{secrets.token_hex(4)}"
        self.sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
                 + (f' OWNER "{owner}"' if owner else ""))
        return name

    def create_role(self, name: str, password: str, *, member_of: str | None = None) -> str:
        self.sql(f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}'"
                 + (f' IN ROLE "{member_of}"' if member_of else ""))
        return name
