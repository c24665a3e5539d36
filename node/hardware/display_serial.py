"""Serial / RS-485 LED number panels through pyserial.

The panel is a separate box on a cable: it gets unplugged, power-cycled and re-enumerated.
So a failing write never reaches the agent: on SerialException/OSError we close the port,
keep the *latest* frame, and retry after a back-off (1 s doubling to ``reconnect_s``, default
30 s) from :meth:`tick`
(the ticker thread) or the next update, reopening the same URL.  Use a stable path such as
``/dev/serial/by-id/usb-FTDI_...-if00-port0``: after a replug ``/dev/ttyUSB0`` may become
``ttyUSB1``, the by-id link follows the adapter.

- ``serial.serial_for_url`` accepts device paths and URLs (``loop://`` and ``socket://`` in
  tests and for panels behind a serial-to-Ethernet converter).
- ``write_timeout`` is always set (default 1 s): a panel holding CTS, or a dead USB adapter,
  must not freeze the counter.
- The offline dot does not blink on serial panels (a frame every half second would keep a
  slow RS-485 bus busy and make some panels flicker); it is steady.
- The latest frame is re-sent every ``refresh_s`` (default 60 s) so a panel that was
  power-cycled on its own shows the number again.
"""

from __future__ import annotations

import logging
from typing import Any

from node.hardware.display import BaseDisplay, Frame
from node.hardware.errors import HardwareError
from node.hardware.panel_framing import make_encoder
from node.hardware.settings import setting

log = logging.getLogger(__name__)

BACKOFF_MIN_S = 1.0
BACKOFF_MAX_S = 30.0


class SerialPanelDisplay(BaseDisplay):
    """A serial LED panel at ``url``; frames made by ``encoder`` (default generic ASCII)."""

    def __init__(
        self,
        url: str,
        *,
        digits: int = 8,
        baudrate: int = 9600,
        bytesize: int = 8,
        parity: str = "N",
        stopbits: float = 1,
        address: int | str = 1,
        encoder: Any = "ascii_stx",
        write_timeout: float = 1.0,
        reconnect_s: float = BACKOFF_MAX_S,
        refresh_s: float = 60.0,
        **base: Any,
    ) -> None:
        try:
            import serial
        except ImportError as exc:
            raise HardwareError(
                "the Python module 'serial' is not available; install pyserial "
                "(pip install pyserial, or apt install python3-serial)"
            ) from exc
        if not write_timeout or write_timeout <= 0:
            raise HardwareError("display.write_timeout must be > 0 (a stuck panel would hang)")
        self._serial_errors = (serial.SerialException, OSError)
        try:
            self.port = serial.serial_for_url(
                url,
                do_not_open=True,
                baudrate=baudrate,
                bytesize=bytesize,
                parity=parity,
                stopbits=stopbits,
                timeout=1.0,
                write_timeout=write_timeout,
            )
        except (ValueError, serial.SerialException) as exc:
            raise HardwareError(f"display.url {url!r}: {exc}") from exc
        self.url = url
        # A name from panel_framing (or "module:Class"), or an encoder object (tests, vendors).
        if isinstance(encoder, str):
            encoder = make_encoder(encoder, address=address, width=digits)
        self.encoder = encoder
        self.last_error: str | None = None
        self.frames_sent = 0
        self._latest: bytes | None = None
        self._delivered = True
        self._retry_at = 0.0
        self._backoff_max = reconnect_s
        self._backoff = min(BACKOFF_MIN_S, reconnect_s)
        self._refresh_s = refresh_s
        self._sent_at = 0.0
        base.setdefault("blink_s", 0)  # steady dot, see module docstring
        super().__init__(digits, **base)

    @classmethod
    def from_section(cls, section: Any, **kwargs: Any) -> SerialPanelDisplay:
        opts: dict[str, Any] = {"url": setting(section, "url")}
        keys = ("digits", "baudrate", "bytesize", "parity", "stopbits", "address", "encoder")
        for key in (*keys, "write_timeout", "reconnect_s", "refresh_s"):
            if setting(section, key, None) is not None:
                opts[key] = setting(section, key)
        return cls(**opts, **kwargs)

    @property
    def connected(self) -> bool:
        return bool(self.port.is_open)

    @property
    def pending(self) -> bool:
        """True while the latest frame has not reached the panel."""
        with self._lock:
            return not self._delivered

    def tick(self) -> None:
        with self._lock:
            super().tick()
            now = self._clock()
            if self._delivered and self._refresh_s > 0 and now - self._sent_at >= self._refresh_s:
                self._delivered = False
            self._send()

    def _present(self, frame: Frame, dot: bool) -> None:
        self._latest = self.encoder.encode(frame.text, offline=dot)
        self._delivered = False
        self._send(force=True)

    def _send(self, force: bool = False) -> None:
        """Deliver the latest frame if due; on failure close and schedule a reopen."""
        if self._delivered or self._latest is None:
            return
        now = self._clock()
        if now < self._retry_at and not force:  # a new frame is worth one try at once
            return
        try:
            if not self.port.is_open:
                self.port.open()
                log.info("serial panel %s open", self.url)
            self.port.write(self._latest)
        except self._serial_errors as exc:
            self._fail(exc, now)
            return
        self._delivered = True
        self._sent_at = now
        self.frames_sent += 1
        self._backoff = min(BACKOFF_MIN_S, self._backoff_max)
        self.last_error = None

    def _fail(self, exc: BaseException, now: float) -> None:
        if self.last_error is None:
            log.warning("serial panel %s failed: %s; retrying", self.url, exc)
        self.last_error = str(exc)
        try:
            self.port.close()
        except self._serial_errors:
            pass  # the device may already be gone; closing is best effort
        self._retry_at = now + self._backoff
        self._backoff = min(self._backoff * 2, self._backoff_max)

    def _shutdown(self) -> None:
        try:
            self.port.close()
        except self._serial_errors:
            pass
