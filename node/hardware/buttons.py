"""Counter buttons: NEXT, RECALL, SKIP, DONE, TRANSFER and the optional SKM rating row.

Events are ``(name, kind)`` with ``name`` in :data:`BUTTON_NAMES` or :data:`RATING_NAMES`
values and ``kind`` ``"press"`` or ``"hold"`` (held for ``hold_ms``).  What a hold means is the
agent's business, but the meanings are fixed here so the docs and the staff training agree:

- hold DONE = "done and call next" (one gesture for the usual flow),
- hold SKIP = "recall the last skipped ticket" (the no-show who turned up after all),
- a hold on NEXT, RECALL or TRANSFER means the same as a press.

Rating buttons (``rate_4`` sangat puas .. ``rate_1`` tidak puas) never hold: a visitor leaning
on one still rates once.

Threading: gpiozero calls our edge handlers on its own threads; they only update the
debouncer under a lock and put :class:`ButtonEvent` on :attr:`ButtonPanelBase.events` (a
``queue.Queue``).  With ``on_event`` the panel's worker thread calls it, one event at a time,
never on a library thread; without it, the agent consumes with :meth:`get`.  The worker also
polls the debouncers (hold detection, confirming a release), so a panel must be closed.

Example (simulation)::

    panel = FakeButtonPanel(on_event=lambda name, kind: print(name, kind))
    panel.press("next")              # -> next press
    panel.press("done", hold=True)   # -> done hold
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from core.health import DeviceStatus
from node.hardware.debounce import Debouncer
from node.hardware.errors import HardwareError
from node.hardware.settings import setting

BUTTON_NAMES = ("next", "recall", "skip", "done", "transfer")
# Config key (SKM wording) -> event name; the digit is the SKM score sent to the hub.
RATING_NAMES = {
    "sangat_puas": "rate_4",
    "puas": "rate_3",
    "kurang_puas": "rate_2",
    "tidak_puas": "rate_1",
}
ALL_NAMES = BUTTON_NAMES + tuple(RATING_NAMES.values())
HOLD_MEANINGS = {"done": "done_and_next", "skip": "recall_skipped"}

# Keyboard for `loket node run --simulate`: lower case = press, upper case = hold.
KEYMAP = {"n": "next", "r": "recall", "s": "skip", "d": "done", "t": "transfer"}
KEYMAP.update({str(score): f"rate_{score}" for score in range(1, 5)})
KEY_HELP = (
    "n=NEXT r=RECALL s=SKIP d=DONE t=TRANSFER (capital = hold: D done+next, S recall skipped); "
    "1-4 = rating (4 sangat puas .. 1 tidak puas)"
)

DEFAULT_DEBOUNCE_MS = 30
DEFAULT_HOLD_MS = 1500
DEFAULT_MIN_INTERVAL_MS = 1000

OnEvent = Callable[[str, str], None]

log = logging.getLogger(__name__)


class ButtonEvent(NamedTuple):
    name: str
    kind: str  # "press" | "hold"
    at_ms: float


def key_to_press(key: str) -> tuple[str, bool] | None:
    """Map a simulation key to ``(name, hold)``; None for keys that mean nothing."""
    if len(key) != 1:
        return None
    name = KEYMAP.get(key.lower())
    if name is None:
        return None
    return name, key.isupper()


def _monotonic_ms() -> float:
    return time.monotonic() * 1000.0


def _timing(config: Any) -> dict[str, Any]:
    """Debounce, hold and minimum-interval settings, with the defaults, for both panels."""
    return {
        "debounce_ms": setting(config, "debounce_ms", DEFAULT_DEBOUNCE_MS),
        "hold_ms": setting(config, "hold_ms", DEFAULT_HOLD_MS),
        "min_interval_ms": setting(config, "min_interval_ms", DEFAULT_MIN_INTERVAL_MS),
    }


class ButtonPanelBase:
    """Debounce + queue + worker shared by the real and the fake panel (and the kiosk's)."""

    known_names: tuple[str, ...] | None = ALL_NAMES  # None: any name (kiosk service ids)

    def __init__(
        self,
        names: Iterable[str],
        on_event: OnEvent | None = None,
        *,
        debounce_ms: int = DEFAULT_DEBOUNCE_MS,
        hold_ms: int = DEFAULT_HOLD_MS,
        min_interval_ms: int = DEFAULT_MIN_INTERVAL_MS,
        clock: Callable[[], float] | None = None,
        threaded: bool = True,
    ) -> None:
        self.on_event = on_event
        self.events: queue.Queue[ButtonEvent] = queue.Queue()
        self._clock = clock or _monotonic_ms
        self._lock = threading.Lock()
        self._debouncers: dict[str, Debouncer] = {}
        for name in names:
            if self.known_names is not None and name not in self.known_names:
                raise ValueError(f"unknown button {name!r}; expected one of {self.known_names}")
            self._debouncers[name] = Debouncer(
                debounce_ms, self.hold_ms_for(name, hold_ms), min_interval_ms
            )
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        if threaded:
            self._worker = threading.Thread(target=self._run, name="loket-buttons", daemon=True)

    def hold_ms_for(self, name: str, hold_ms: int) -> int | None:
        """The hold time of one button; None: it never holds (a rating is one press)."""
        return None if name.startswith("rate_") else hold_ms

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._debouncers)

    @property
    def suppressed(self) -> dict[str, int]:
        """Events dropped by ``min_interval_ms``, per button (health / self-test)."""
        return {name: d.suppressed for name, d in self._debouncers.items()}

    def get(self, timeout: float | None = None) -> ButtonEvent | None:
        """Next event, waiting up to ``timeout`` seconds (None = forever); None if none."""
        try:
            return self.events.get(timeout=timeout) if timeout != 0 else self.events.get_nowait()
        except queue.Empty:
            return None

    def dispatch(self) -> int:
        """Call ``on_event`` for every queued event, in this thread; returns how many.

        Without ``on_event`` it does nothing: the queue is then the agent's to read."""
        if self.on_event is None:
            return 0
        count = 0
        while (event := self.get(0)) is not None:
            count += 1
            self.on_event(event.name, event.kind)
        return count

    def tick(self) -> None:
        """Poll every debouncer (the worker does this; tests with a fake clock call it)."""
        self._poll_at(self._clock())

    def status(self) -> DeviceStatus:
        """``offline`` once closed (or its worker died), else ``ok`` with the buttons known.
        A button that never closes its contact cannot be seen from here: ``loket selftest``
        asks for each press."""
        if self._stop.is_set():
            return DeviceStatus("offline", "button panel closed")
        worker = self._worker
        if worker is not None and worker.ident is not None and not worker.is_alive():
            return DeviceStatus("offline", "the button thread died")
        return DeviceStatus("ok", ", ".join(self.names))

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._worker is not None and self._worker.is_alive():
            self._worker.join(timeout=2)

    def __enter__(self) -> ButtonPanelBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ------------------------------------------------------------------------
    def _start(self) -> None:
        if self._worker is not None:
            self._worker.start()

    def _initial(self, name: str, pressed: bool) -> None:
        with self._lock:
            self._debouncers[name].start(pressed, self._clock())

    def _edge(self, name: str, pressed: bool, now: float | None = None) -> list[ButtonEvent]:
        # Runs on gpiozero's threads: bookkeeping and a queue put, nothing slow.
        with self._lock:
            now = self._clock() if now is None else now
            out = self._put(name, self._debouncers[name].edge(pressed, now), now)
        self._wake.set()
        return out

    def _poll_at(self, now: float) -> list[ButtonEvent]:
        with self._lock:
            out: list[ButtonEvent] = []
            for name, deb in self._debouncers.items():
                out += self._put(name, deb.poll(now), now)
            return out

    def _put(self, name: str, kinds: list[str], now: float) -> list[ButtonEvent]:
        out = [ButtonEvent(name, kind, now) for kind in kinds]
        for event in out:
            self.events.put(event)
        return out

    def _busy(self) -> bool:
        with self._lock:
            return any(d.busy for d in self._debouncers.values())

    def _run(self) -> None:
        # Poll fast only while a button is down or settling; otherwise sleep until an edge.
        while not self._stop.is_set():
            self._wake.wait(0.01 if self._busy() else 0.5)
            self._wake.clear()
            self.tick()
            if self.on_event is not None:
                try:
                    self.dispatch()
                except Exception:  # one failing handler must not kill the buttons
                    log.exception("button handler failed")


class ButtonPanel(ButtonPanelBase):
    """Real buttons on GPIO through gpiozero (one DigitalInputDevice per configured pin).

    ``config`` is the ``[buttons]`` section: ``pin_factory``, ``pull_up`` (true: button to GND,
    internal pull-up, active low), ``debounce_ms``, ``hold_ms``, ``min_interval_ms``, ``pins``
    (``next``.. ``transfer`` -> BCM pin) and optional ``rating_pins`` (``sangat_puas``..).
    Tests pass a gpiozero ``MockFactory`` as ``pin_factory``; otherwise it is made by name.
    """

    def __init__(
        self,
        config: Any,
        on_event: OnEvent | None = None,
        *,
        pin_factory: Any = None,
        clock: Callable[[], float] | None = None,
        threaded: bool = True,
    ) -> None:
        pins = _pin_map(config)
        super().__init__(
            pins,
            on_event,
            **_timing(config),
            clock=clock,
            threaded=threaded,
        )
        self._devices: list[Any] = open_input_pins(self, pins, config, pin_factory)
        self._start()

    def close(self) -> None:
        super().close()
        close_devices(self._devices)


def open_input_pins(
    panel: ButtonPanelBase, pins: Mapping[str, Any], config: Any, pin_factory: Any = None
) -> list[Any]:
    """One gpiozero input per ``name -> pin``, its edges fed to ``panel``'s debouncers
    (``config``: ``pin_factory`` by name when none is given, ``pull_up``). All or none open."""
    if pin_factory is None:
        from node.hardware.pins import make_pin_factory

        pin_factory = make_pin_factory(setting(config, "pin_factory", None))
    from gpiozero import DigitalInputDevice
    from gpiozero.exc import GPIOZeroError

    pull_up = bool(setting(config, "pull_up", True))
    devices: list[Any] = []
    try:
        for name, pin in pins.items():
            dev = DigitalInputDevice(
                pin, pull_up=pull_up, bounce_time=None, pin_factory=pin_factory
            )
            devices.append(dev)
            panel._initial(name, dev.is_active)
            dev.when_activated = _bind(panel._edge, name, True)
            dev.when_deactivated = _bind(panel._edge, name, False)
    except GPIOZeroError as exc:
        close_devices(devices)
        raise HardwareError(f"cannot open button pins {dict(pins)}: {exc}") from exc
    return devices


def close_devices(devices: list[Any]) -> None:
    for dev in devices:
        dev.close()
    devices.clear()


class FakeButtonPanel(ButtonPanelBase):
    """Shipped fake: :meth:`press` feeds the same debounce/queue path as real edges.

    A press is simulated as a clean contact on a virtual timeline starting at the clock's
    now (or after the previous simulated press), so ``min_interval_ms`` applies exactly as on
    hardware: pressing twice without advancing the clock drops the second press.
    Unthreaded by default: ``press`` then delivers to ``on_event`` before it returns.
    """

    def __init__(
        self,
        config: Any = None,
        on_event: OnEvent | None = None,
        *,
        clock: Callable[[], float] | None = None,
        threaded: bool = False,
    ) -> None:
        # The staff buttons are always there; the rating row only when configured (or when
        # there is no config at all), as on a real counter.
        names = list(ALL_NAMES)
        if config is not None:
            names = list(BUTTON_NAMES) + [n for n in _pin_map(config) if n.startswith("rate_")]
        super().__init__(
            names,
            on_event,
            **_timing(config),
            clock=clock,
            threaded=threaded,
        )
        self._cursor = float("-inf")
        self._hold_ms = setting(config, "hold_ms", DEFAULT_HOLD_MS)
        self._debounce_ms = setting(config, "debounce_ms", DEFAULT_DEBOUNCE_MS)
        self._start()

    def press(self, name: str, hold: bool = False) -> list[ButtonEvent]:
        """Press and release ``name`` (held for ``hold_ms`` if ``hold``); returns the events
        this press produced (also queued, or delivered to ``on_event`` when unthreaded)."""
        if name not in self._debouncers:
            raise ValueError(f"no button {name!r} on this panel; it has {self.names}")
        settle = self._debounce_ms + 1
        t = max(self._clock(), self._cursor)
        up = t + (max(self._hold_ms, settle) if hold else settle)
        produced = self._edge(name, True, t)
        produced += self._poll_at(t + settle)
        if hold:
            produced += self._poll_at(up)
        produced += self._edge(name, False, up)
        produced += self._poll_at(up + settle)
        self._cursor = up + settle
        if self._worker is None and self.on_event is not None:
            self.dispatch()
        return produced


def make_buttons(config: Any, on_event: OnEvent | None = None, **kwargs: Any) -> ButtonPanelBase:
    """The panel named by ``config.backend``: ``"gpio"`` or ``"fake"``."""
    backend = setting(config, "backend", "gpio")
    if backend == "gpio":
        return ButtonPanel(config, on_event, **kwargs)
    if backend == "fake":
        return FakeButtonPanel(config, on_event, **kwargs)
    raise HardwareError(f"unknown buttons backend {backend!r}; expected 'gpio' or 'fake'")


def pin_map(config: Any) -> dict[str, int | str]:
    """Button name -> configured pin (``pins`` and ``rating_pins``), e.g. for the self-test."""
    return _pin_map(config)


def _pin_map(config: Any) -> dict[str, int | str]:
    """Event name -> pin from ``pins`` and ``rating_pins``; unknown keys are errors."""
    out: dict[str, int | str] = {}
    pins: Mapping[str, Any] = setting(config, "pins", None) or {}
    for key, pin in pins.items():
        if key not in BUTTON_NAMES:
            raise HardwareError(f"buttons.pins.{key}: unknown button; expected {BUTTON_NAMES}")
        out[key] = pin
    rating: Mapping[str, Any] = setting(config, "rating_pins", None) or {}
    for key, pin in rating.items():
        if key not in RATING_NAMES:
            raise HardwareError(
                f"buttons.rating_pins.{key}: unknown rating; expected {tuple(RATING_NAMES)}"
            )
        out[RATING_NAMES[key]] = pin
    return out


def _bind(fn: Callable[[str, bool], None], name: str, pressed: bool) -> Callable[[], None]:
    # gpiozero inspects a callback's arity; a zero-argument closure is the unambiguous kind.
    def handler() -> None:
        fn(name, pressed)

    return handler
