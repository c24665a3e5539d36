"""Hall announcements: the interface, the shipped fake and the pygame.mixer backend.

An announcement is a list of clip names (``core.announce.call_clips``); each name is the
file ``<clips_dir>/<lang>/<name>.wav``. ``announce`` only enqueues: the caller (the display
update) never waits for audio. One worker thread plays announcements one at a time; what
waits, collapses or is dropped as too old is decided by the hall's one scheduling rule,
``core.announce_queue`` (the browser board follows the same rule).

Why one concatenated buffer: ``Channel.queue`` holds a single pending sound, so chaining
clips through it leaves audible gaps or drops clips; the clips' raw samples joined into one
``Sound(buffer=...)`` play gapless.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from core.announce import all_clip_names
from core.announce_queue import DEFAULT_MAX_AGE_S, Announcement, AnnounceQueue, Outcome
from core.health import DeviceStatus
from node.hardware.errors import HardwareError, missing_driver
from node.hardware.settings import setting

log = logging.getLogger(__name__)

BACKENDS = ("pygame", "fake")
DEFAULT_CLIPS_DIR = Path(__file__).resolve().parents[2] / "sounds"


@runtime_checkable
class Announcer(Protocol):
    """Plays announcements in order, never overlapping; ``announce`` returns at once.

    ``age_ms`` is how old the call already is (from the hub record), ``label`` names it in
    the log line written when it is dropped as too old.
    """

    def announce(
        self, clips: list[str], *, age_ms: int = 0, label: str | None = None
    ) -> Outcome: ...

    def close(self) -> None: ...


def monotonic_ms() -> int:
    return int(time.monotonic() * 1000)


def _queue(max_age_s: float) -> AnnounceQueue:
    return AnnounceQueue(int(round(float(max_age_s) * 1000)))


def log_dropped(items: Iterable[Announcement], now_ms: int, max_age_ms: int) -> None:
    """Say in the log which calls the hall will not hear, and why (stale rule)."""
    for item in items:
        log.warning(
            "not announcing %s: the call is %.0f s old, over the %.0f s limit",
            item.describe(),
            item.age_ms(now_ms) / 1000,
            max_age_ms / 1000,
        )


class FakeAnnouncer:
    """Shipped fake: records each announcement in ``.played``, the stale ones in ``.dropped``.

    It "plays" synchronously, so nothing is ever pending unless ``hold()`` is used: between
    ``hold()`` and ``release()`` calls queue up, collapse and age like on the real backend
    (``clock``: milliseconds, monotonic; tests pass a FakeClock's ``mono_ms``).
    """

    def __init__(
        self,
        lang: str = "id",
        *,
        max_age_s: float = DEFAULT_MAX_AGE_S,
        clock: Callable[[], int] | None = None,
    ) -> None:
        self.lang = lang
        self.played: list[list[str]] = []
        self.dropped: list[list[str]] = []
        self.closed = False
        self._queue = _queue(max_age_s)
        self._clock = clock or monotonic_ms
        self._held = False

    def announce(self, clips: list[str], *, age_ms: int = 0, label: str | None = None) -> Outcome:
        now = self._clock()
        outcome, item = self._queue.offer(clips, now - age_ms, now, label or "")
        if outcome is Outcome.STALE:
            self._drop([item], now)
        if not self._held:
            self.release()
        return outcome

    def hold(self) -> None:
        self._held = True

    def release(self) -> None:
        self._held = False
        while True:
            now = self._clock()
            item, dropped = self._queue.take(now)
            self._drop(dropped, now)
            if item is None:
                return
            self.played.append(list(item.clips))

    def _drop(self, items: list[Announcement], now: int) -> None:
        log_dropped(items, now, self._queue.max_age_ms)
        self.dropped += [list(i.clips) for i in items]

    def status(self) -> DeviceStatus:
        return DeviceStatus("offline", "closed") if self.closed else DeviceStatus("ok")

    def close(self) -> None:
        self.closed = True


def missing_clips(clips_dir: Path, lang: str, names: Iterable[str]) -> list[str]:
    """The clip names that have no ``<clips_dir>/<lang>/<name>.wav`` file, sorted."""
    folder = Path(clips_dir) / lang
    return sorted(n for n in set(names) if not (folder / f"{n}.wav").is_file())


class PygameAnnouncer:
    """pygame.mixer backend. Loads every clip at start-up; a missing clip is an error there.

    ``names`` defaults to every clip ``core.announce`` can ask for in ``lang``; tests pass a
    few short synthetic clips instead. ``device`` is an SDL audio device name (ALSA), None for
    the default. ``.history`` lists the announcements whose playback finished, in order,
    ``.dropped`` the ones not played because they were older than ``max_age_s``; ``clock``
    (monotonic milliseconds) is what their age is measured on.
    """

    def __init__(
        self,
        clips_dir: str | os.PathLike[str] = DEFAULT_CLIPS_DIR,
        lang: str = "id",
        *,
        device: str | None = None,
        names: Iterable[str] | None = None,
        frequency: int = 22050,
        buffer: int = 2048,
        max_age_s: float = DEFAULT_MAX_AGE_S,
        clock: Callable[[], int] | None = None,
    ) -> None:
        names = list(all_clip_names(lang) if names is None else names)
        folder = Path(clips_dir) / lang
        missing = missing_clips(Path(clips_dir), lang, names)
        if missing:
            raise HardwareError(
                f"{len(missing)} sound clip(s) missing in {folder}: {', '.join(missing)} "
                "(run sounds/generate.sh or copy recorded WAVs, see sounds/README.md)"
            )
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        try:
            import pygame.mixer
        except ImportError as exc:
            raise missing_driver(
                "pygame", "pip install pygame (or apt install python3-pygame)"
            ) from exc
        self._mixer = pygame.mixer
        self._error = pygame.error
        try:
            # allowedchanges=0: SDL converts to exactly this format, so every clip's raw
            # samples share one layout and can be joined byte for byte.
            pygame.mixer.init(
                frequency=frequency,
                size=-16,
                channels=1,
                buffer=buffer,
                devicename=device,
                allowedchanges=0,
            )
        except pygame.error as exc:
            raise HardwareError(
                f"cannot open the audio device {device or '(default)'}: {exc}"
            ) from exc
        try:
            self._raw = {n: pygame.mixer.Sound(str(folder / f"{n}.wav")).get_raw() for n in names}
        except pygame.error as exc:
            pygame.mixer.quit()
            raise HardwareError(f"cannot load a sound clip from {folder}: {exc}") from exc
        self.lang = lang
        self.history: list[list[str]] = []
        self.dropped: list[list[str]] = []
        self._queue = _queue(max_age_s)
        self._clock = clock or monotonic_ms
        self._cond = threading.Condition()
        self._busy = False
        self._stop = False
        self._fault: str | None = None  # the last playback error, until one plays again
        self._worker = threading.Thread(target=self._run, name="announcer", daemon=True)
        self._worker.start()

    def buffer_for(self, clips: Sequence[str]) -> bytes:
        """The samples played for ``clips``: the clips' raw samples back to back."""
        unknown = [c for c in clips if c not in self._raw]
        if unknown:
            raise ValueError(f"unknown sound clip(s): {', '.join(unknown)}")
        return b"".join(self._raw[c] for c in clips)

    def announce(self, clips: list[str], *, age_ms: int = 0, label: str | None = None) -> Outcome:
        self.buffer_for(clips)  # reject unknown names now, in the caller's thread
        with self._cond:
            if self._stop:
                raise HardwareError("announcer is closed")
            now = self._clock()
            outcome, item = self._queue.offer(clips, now - age_ms, now, label or "")
            if outcome is Outcome.STALE:
                self._drop([item], now)
            else:
                self._cond.notify_all()
            return outcome

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is pending or playing (for shutdown and tests)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._busy, timeout)

    @property
    def pending(self) -> int:
        """How many announcements wait behind the one playing (benchmarks, status)."""
        with self._cond:
            return len(self._queue)

    def _drop(self, items: list[Announcement], now: int) -> None:
        log_dropped(items, now, self._queue.max_age_ms)
        self.dropped += [list(i.clips) for i in items]

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: len(self._queue) or self._stop)
                if self._stop:
                    return
                now = self._clock()
                item, dropped = self._queue.take(now)
                self._drop(dropped, now)
                if item is None:
                    self._cond.notify_all()  # wait_idle: the stale ones are gone
                    continue
                call = item.clips
                self._busy = True
            try:
                self._play(call)
                self._fault = None
            except Exception as exc:  # noqa: BLE001 - one bad playback must not kill the audio
                log.exception("announcement %s failed", item.describe())
                self._fault = f"playback failed: {exc}"[:200]
            with self._cond:
                self.history.append(list(call))
                self._busy = False
                self._cond.notify_all()

    def _play(self, call: tuple[str, ...]) -> None:
        sound = self._mixer.Sound(buffer=self.buffer_for(call))
        channel = sound.play()
        if channel is None:
            return
        # Poll rather than use an end event: pygame events need the display module.
        while channel.get_busy():
            with self._cond:
                if self._cond.wait_for(lambda: self._stop, timeout=0.02):
                    channel.stop()
                    return

    def status(self) -> DeviceStatus:
        """``offline`` once closed or when the audio thread died, ``fault`` after a failed
        playback (until the next one plays), else ``ok``."""
        if self._stop or not self._worker.is_alive():
            return DeviceStatus("offline", "the audio thread is not running")
        if self._fault is not None:
            return DeviceStatus("fault", self._fault)
        return DeviceStatus("ok", f"{len(self._raw)} clips loaded")

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._worker.join(timeout=5)
        self._mixer.quit()


def make_announcer(section: Any) -> Announcer:
    """Build the announcer chosen by the ``[sound]`` section: ``backend`` (pygame|fake),
    ``lang`` (id|en), ``max_age_s`` (calls older than this are not said), ``clips_dir``
    (default: the repo's ``sounds/``), ``device``, ``buffer``."""
    backend = setting(section, "backend", "fake")
    lang = setting(section, "lang", "id")
    max_age_s = setting(section, "max_age_s", None) or DEFAULT_MAX_AGE_S
    if backend == "fake":
        return FakeAnnouncer(lang, max_age_s=max_age_s)
    if backend == "pygame":
        clips_dir = setting(section, "clips_dir", None) or DEFAULT_CLIPS_DIR
        return PygameAnnouncer(
            clips_dir,
            lang,
            device=setting(section, "device", None),
            buffer=int(setting(section, "buffer", 2048)),  # 2048-4096 avoids underruns on a Pi
            max_age_s=max_age_s,
        )
    raise HardwareError(f"unknown sound backend {backend!r}; expected one of {BACKENDS}")
