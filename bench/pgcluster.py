"""A throwaway PostgreSQL cluster for tests and benchmarks (Debian's postgresql package).

``PgCluster(name).start()`` runs ``initdb`` into a fresh temp folder, starts ``postgres`` on a
free port with its unix socket in that folder, and ``stop()`` removes it all. This machine (and
CI) runs as root and postgres refuses to run as root, so the server runs as the ``postgres``
system user when we are root. Nothing is mocked: the tests run against this real server.

    with PgCluster("region-test") as pg:
        psycopg.connect(pg.dsn)
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class PgUnavailable(RuntimeError):
    """PostgreSQL's server binaries are not installed (apt-get install postgresql)."""


def pg_bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PgUnavailable("no initdb found: install PostgreSQL (apt-get install postgresql)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    """One private cluster: database ``loket``, superuser ``loket`` (trust auth, local only)."""

    def __init__(self, name: str = "region", *, fsync: bool = True) -> None:
        self.name = name
        self.fsync = fsync
        self.bindir = pg_bindir()
        self.root: Path | None = None
        self.port = 0
        self.proc: subprocess.Popen | None = None

    @property
    def dsn(self) -> str:
        return f"host={self.root} port={self.port} user=loket dbname=loket"

    def _as_postgres(self) -> dict:
        if os.geteuid() != 0:
            return {}
        pw = pwd.getpwnam("postgres")

        def demote() -> None:
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)

        return {"preexec_fn": demote}

    def start(self) -> PgCluster:
        self.root = Path(tempfile.mkdtemp(prefix=f"{self.name}-pg-"))
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        data = self.root / "data"
        subprocess.run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "loket",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            capture_output=True,
            **self._as_postgres(),
        )
        self.port = free_port()
        opts = [
            "-c",
            f"port={self.port}",
            "-c",
            f"unix_socket_directories={self.root}",
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "max_connections=60",
            "-c",
            f"fsync={'on' if self.fsync else 'off'}",
        ]
        self._log = log = open(self.root / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [str(self.bindir / "postgres"), "-D", str(data), *opts],
            stdout=log,
            stderr=subprocess.STDOUT,
            **self._as_postgres(),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._log.close()
                raise RuntimeError(f"postgres exited: {(self.root / 'server.log').read_text()}")
            ok = subprocess.run(
                [str(self.bindir / "pg_isready"), "-h", str(self.root), "-p", str(self.port)],
                capture_output=True,
            )
            if ok.returncode == 0:
                break
            time.sleep(0.1)
        subprocess.run(
            [
                str(self.bindir / "createdb"),
                "-h",
                str(self.root),
                "-p",
                str(self.port),
                "-U",
                "loket",
                "loket",
            ],
            check=True,
            capture_output=True,
        )
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # "fast" shutdown: SIGTERM would wait for clients
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> PgCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
