"""A TCP relay that holds every byte for a fixed time in each direction: the network black
box's delay where the kernel has no ``tc netem`` (``bench.netlab.Lab.delay``).

Each accepted connection gets its own connection to the target and one queue per direction:
a chunk read at ``t`` is written at ``t + delay``, in order, while reading goes on, so a
stream's throughput is not cut to one chunk per delay. An end of stream (FIN) is held like
data and passed on as a half-close; a reset or error on either side closes both at once.

What it does not do that netem would: the TCP handshake and ACKs are not delayed (the relay
accepts at once and reaches the target over loopback); only the bytes are. Loss and cuts are
still made on the real link by iptables, around the relay.

``python -m bench.slowlink --listen 10.77.0.1:0 --to 10.77.0.1:8080 --delay-ms 150`` prints
``slowlink listening on HOST:PORT`` once bound and ``slowlink connection N from ADDR`` for each
connection, then runs until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time

CHUNK = 64 * 1024
LISTENING = "slowlink listening on"
CONNECTION = "slowlink connection"


class DelayRelay:
    """``relay = DelayRelay(("10.77.0.1", 8080), 150)``; ``port = await relay.start()``."""

    def __init__(
        self,
        target: tuple[str, int],
        delay_ms: float,
        *,
        listen: tuple[str, int] = ("127.0.0.1", 0),
        source: str | None = None,
        announce: bool = False,
    ):
        if delay_ms < 0:
            raise ValueError(f"delay_ms must be >= 0, not {delay_ms}")
        self.target = target
        self.delay_s = delay_ms / 1000
        self.listen = listen
        self.source = source  # the address the target sees (None: the kernel's choice)
        self.announce = announce
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.Task] = set()

    async def start(self) -> int:
        """Bind and accept; the bound port."""
        self._server = await asyncio.start_server(self._accept, *self.listen)
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop accepting and close every relayed connection."""
        if self._server is not None:
            self._server.close()
        for task in list(self._open):
            task.cancel()
        await asyncio.gather(*self._open, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter):
        self.connections += 1
        if self.announce:
            peer = c_writer.get_extra_info("peername")
            print(f"{CONNECTION} {self.connections} from {peer[0]}:{peer[1]}", flush=True)
        task = asyncio.current_task()
        assert task is not None
        self._open.add(task)
        try:
            await self._relay(c_reader, c_writer)
        finally:
            self._open.discard(task)

    async def _relay(self, c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter):
        source = (self.source, 0) if self.source else None
        try:
            t_reader, t_writer = await asyncio.open_connection(*self.target, local_addr=source)
        except OSError:
            c_writer.transport.abort()  # the target is down: the client sees its connection end
            return
        ways = [
            asyncio.ensure_future(self._direction(c_reader, t_writer)),
            asyncio.ensure_future(self._direction(t_reader, c_writer)),
        ]
        try:
            done, _ = await asyncio.wait(ways, return_when=asyncio.FIRST_EXCEPTION)
            if any(not t.cancelled() and t.exception() is not None for t in done):
                raise ConnectionError("one side failed")
        except (ConnectionError, asyncio.CancelledError):
            for writer in (c_writer, t_writer):
                writer.transport.abort()  # a reset on one side is passed on as an abrupt end
            for way in ways:
                way.cancel()
            await asyncio.gather(*ways, return_exceptions=True)
            return
        for writer in (c_writer, t_writer):
            writer.close()

    async def _direction(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        """Copy ``reader`` to ``writer``, each chunk written ``delay_s`` after it was read;
        an error on the reading side is held like data (a reset travels the link too)."""
        held: asyncio.Queue[tuple[float, bytes | Exception]] = asyncio.Queue()

        async def read() -> None:
            while True:
                try:
                    data: bytes | Exception = await reader.read(CHUNK)
                except Exception as err:  # passed on to the writing side, in its turn
                    data = err
                held.put_nowait((time.monotonic() + self.delay_s, data))
                if not isinstance(data, bytes) or not data:
                    return

        reading = asyncio.ensure_future(read())
        try:
            while True:
                due, data = await held.get()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if isinstance(data, Exception):
                    raise data
                if not data:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()
        finally:
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reading


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: expected HOST:PORT")
    return host, int(port)


async def _serve(args: argparse.Namespace) -> None:
    relay = DelayRelay(
        args.to, args.delay_ms, listen=args.listen, source=args.source, announce=True
    )
    port = await relay.start()
    print(f"{LISTENING} {args.listen[0]}:{port} delay {args.delay_ms} ms", flush=True)
    await asyncio.Event().wait()  # until killed: the kernel closes every relayed socket


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.slowlink", description=__doc__)
    parser.add_argument("--listen", type=_address, required=True, help="HOST:PORT (0: any)")
    parser.add_argument("--to", type=_address, required=True, help="target HOST:PORT")
    parser.add_argument("--delay-ms", type=float, required=True)
    parser.add_argument("--source", default=None, help="local address for the target side")
    args = parser.parse_args(argv)
    try:
        asyncio.run(_serve(args))
    except KeyboardInterrupt:
        return 0
    except OSError as err:
        print(f"slowlink: {err}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
