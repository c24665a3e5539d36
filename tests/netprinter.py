"""A fake ESC/POS network printer (raw TCP, port-9100 style) for tests.

It records every byte it receives and answers the real-time status queries like a printer:
DLE EOT 4 (paper) with ``reply``, DLE EOT 2 (offline cause) with ``cause``; ``None`` = silent.
Tests change both while it runs (paper runs out between two visitors).
"""

from __future__ import annotations

import socket
import threading

from node.hardware.printer_escpos import PAPER_STATUS_QUERY

PAPER_OK, PAPER_NEAR_END, PAPER_OUT = b"\x12", b"\x1e", b"\x72"
COVER_CLOSED, COVER_OPEN = b"\x12", b"\x16"


class FakeNetworkPrinter:
    """A TCP thread that records what it receives and answers DLE EOT 4 with ``reply`` and
    DLE EOT 2 with ``cause`` (None: silent); tests change both while it runs."""

    def __init__(self, reply: bytes | None, cause: bytes | None = b"\x12") -> None:
        self.reply = reply
        self.cause = cause
        self.run_out_during_next_job = False  # the paper ends while a ticket is printing
        self.jobs = 0
        self.received = bytearray()
        self._got = threading.Condition()
        self.connections = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.1)
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:  # serve every queued connection; stop() only ends a quiet server
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                if self._stop.is_set():
                    break
                continue
            self.connections += 1
            with conn:
                conn.settimeout(0.1)
                while True:  # drain until EOF: stop() only ends a connection gone quiet
                    try:
                        chunk = conn.recv(65536)
                    except TimeoutError:
                        if self._stop.is_set():
                            break
                        continue
                    if not chunk:
                        break
                    with self._got:
                        self.received += chunk
                        self._got.notify_all()
                    queries = split_queries(chunk)
                    if len(chunk) > 3 * len(queries):  # a job, not only status queries
                        self.jobs += 1
                        if self.run_out_during_next_job:
                            self.run_out_during_next_job = False
                            self.reply = PAPER_OUT
                    for query in queries:
                        answer = self.reply if query == PAPER_STATUS_QUERY else self.cause
                        if answer is not None:
                            conn.sendall(answer)

    def wait_received(self, n: int) -> bytes:
        """What arrived once ``n`` bytes did (or the deadline passed on a stalled machine)."""
        with self._got:
            self._got.wait_for(lambda: len(self.received) >= n, timeout=30)
            return bytes(self.received)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self._server.close()


def split_queries(chunk: bytes) -> list[bytes]:
    """The DLE EOT n real-time queries in what arrived, in order."""
    out = []
    at = chunk.find(b"\x10\x04")
    while at != -1 and at + 2 < len(chunk):
        out.append(chunk[at : at + 3])
        at = chunk.find(b"\x10\x04", at + 3)
    return out
