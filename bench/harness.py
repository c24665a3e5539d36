"""Start a real `loket hub serve` subprocess on a free loopback port and pair tokens.

Each benchmark gets its own hub (temp data dir on a real disk, generated profile),
so `--only NAME` runs alone and no run inherits another's events.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from bench.client import Client
from bench.machine import REPO
from bench.profile import hub_profile

HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0


class BenchError(RuntimeError):
    """A benchmark could not run (hub did not start, an API call failed)."""


def free_port() -> int:
    """A port the kernel says is free on loopback (a small race is acceptable here)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def loket_argv(*args: str) -> list[str]:
    """The `loket` command: $BENCH_LOKET if set (e.g. an installed /opt/loket/.venv/bin/loket),
    else this checkout's loket.cli run by this interpreter (the package need not be installed)."""
    override = os.environ.get("BENCH_LOKET")
    if override:
        return [*shlex.split(override), *args]
    return [sys.executable, "-c", "import sys; from loket.cli import main; sys.exit(main())", *args]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    # Hardware libraries must never look for devices during a benchmark.
    env.setdefault("GPIOZERO_PIN_FACTORY", "mock")
    env.setdefault("SDL_AUDIODRIVER", "dummy")
    env.setdefault("SDL_VIDEODRIVER", "dummy")
    return env


def wait_http(port: int, path: str, deadline_s: float, proc: subprocess.Popen) -> float:
    """Poll GET path until 200; returns when it answered (perf_counter)."""
    end = time.perf_counter() + deadline_s
    while time.perf_counter() < end:
        if proc.poll() is not None:
            raise BenchError(f"process exited with {proc.returncode} before {path} answered")
        try:
            with socket.create_connection((HOST, port), timeout=0.5) as s:
                s.sendall(f"GET {path} HTTP/1.0\r\nHost: {HOST}\r\n\r\n".encode())
                head = s.recv(64)
            if head.startswith(b"HTTP/1.") and b" 200 " in head[:16]:
                return time.perf_counter()
        except OSError:
            pass
        time.sleep(0.01)
    raise BenchError(f"{path} on port {port} not ready within {deadline_s} s")


class Hub:
    """A hub subprocess: `with Hub(pair=["K1", "C01"]) as hub: hub.client("K1")`."""

    def __init__(self, pair: list[str] | None = None, threads: int = 48, keep: bool = False):
        self.pair_ids = list(pair or [])
        self.threads = threads
        self.keep = keep
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-hub-"))
        self.data_dir = self.tmp / "data"
        self.config_path = self.tmp / "hub.toml"
        self.port = free_port()
        self.tokens: dict[str, str] = {}
        self.proc: subprocess.Popen | None = None
        self.startup_s: float | None = None

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise BenchError("hub not started")
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> Hub:
        try:
            self.data_dir.mkdir(parents=True)
            self.config_path.write_text(hub_profile(self.data_dir, self.port, self.threads))
            for node_id in self.pair_ids:
                self.tokens[node_id] = self.pair(node_id)
            self.start()
        except BaseException:
            # __exit__ does not run when __enter__ raises: clean up here.
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def pair(self, node_id: str) -> str:
        """`loket hub pair <node-id>`: returns the bearer token it prints."""
        out = subprocess.run(
            loket_argv("hub", "pair", "--config", str(self.config_path), node_id),
            capture_output=True,
            text=True,
            timeout=60,
            env=child_env(),
            cwd=self.tmp,
        )
        if out.returncode != 0:
            raise BenchError(f"loket hub pair {node_id} failed: {out.stderr.strip()[-500:]}")
        return parse_token(out.stdout)

    def start(self) -> None:
        log = open(self.tmp / "hub.log", "ab")  # noqa: SIM115 - closed with the process
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            loket_argv("hub", "serve", "--config", str(self.config_path)),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=child_env(),
            cwd=self.tmp,
        )
        log.close()
        try:
            ready = wait_http(self.port, "/healthz", START_TIMEOUT_S, self.proc)
        except BenchError as exc:
            self.stop()
            raise BenchError(f"{exc}; hub log tail: {self.log_tail()}") from exc
        self.startup_s = ready - t0

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def log_tail(self, n: int = 800) -> str:
        try:
            return (self.tmp / "hub.log").read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def client(self, node_id: str | None = None, timeout: float = 30.0) -> Client:
        return Client(HOST, self.port, self.tokens.get(node_id) if node_id else None, timeout)


def parse_token(stdout: str) -> str:
    """The token in `loket hub pair` output: the longest url-safe word of 20+ characters."""
    words = re.findall(r"[A-Za-z0-9_\-\.]{20,}", stdout)
    if not words:
        raise BenchError(f"no token in `loket hub pair` output: {stdout.strip()[-300:]}")
    return max(words, key=len)
