"""Hall announcements: the interface, the shipped fake and the pygame.mixer backend.

An announcement is a list of clip names (``core.announce.call_clips``); each name is the
file ``<clips_dir>/<lang>/<name>.wav``. ``announce`` only enqueues: the caller (the display
update) never waits for audio. One worker thread plays announcements one at a time, and a
call that is already waiting in the queue is not queued twice (a double-pressed RECALL).

Why one concatenated buffer: ``Channel.queue`` holds a single pending sound, so chaining
clips through it leaves audible gaps or drops clips; the clips' raw samples joined into one
``Sound(buffer=...)`` play gapless.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from core.announce import all_clip_names
from node.hardware.errors import HardwareError, missing_driver
from node.hardware.settings import setting

BACKENDS = ("pygame", "fake")
DEFAULT_CLIPS_DIR = Path(__file__).resolve().parents[2] / "sounds"


@runtime_checkable
class Announcer(Protocol):
    """Plays announcements in order, never overlapping; ``announce`` returns at once."""

    def announce(self, clips: list[str]) -> None: ...

    def close(self) -> None: ...


class FakeAnnouncer:
    """Shipped fake: records each announcement in ``.played`` (collapsing pending repeats).

    It "plays" synchronously, so nothing is ever pending unless ``hold()`` is used: between
    ``hold()`` and ``release()`` calls queue up (and collapse) like on the real backend.
    """

    def __init__(self, lang: str = "id") -> None:
        self.lang = lang
        self.played: list[list[str]] = []
        self.closed = False
        self._pending: deque[tuple[str, ...]] = deque()
        self._held = False

    def announce(self, clips: list[str]) -> None:
        call = tuple(clips)
        if call in self._pending:
            return
        self._pending.append(call)
        if not self._held:
            self.release()

    def hold(self) -> None:
        self._held = True

    def release(self) -> None:
        self._held = False
        while self._pending:
            self.played.append(list(self._pending.popleft()))

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
    the default. ``.history`` lists the announcements whose playback finished, in order.
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
        self._pending: deque[tuple[str, ...]] = deque()
        self._cond = threading.Condition()
        self._busy = False
        self._stop = False
        self._worker = threading.Thread(target=self._run, name="announcer", daemon=True)
        self._worker.start()

    def buffer_for(self, clips: Sequence[str]) -> bytes:
        """The samples played for ``clips``: the clips' raw samples back to back."""
        unknown = [c for c in clips if c not in self._raw]
        if unknown:
            raise ValueError(f"unknown sound clip(s): {', '.join(unknown)}")
        return b"".join(self._raw[c] for c in clips)

    def announce(self, clips: list[str]) -> None:
        self.buffer_for(clips)  # reject unknown names now, in the caller's thread
        call = tuple(clips)
        with self._cond:
            if self._stop:
                raise HardwareError("announcer is closed")
            if call not in self._pending:  # a repeat of a waiting call adds nothing
                self._pending.append(call)
                self._cond.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is pending or playing (for shutdown and tests)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._stop)
                if self._stop:
                    return
                call = self._pending.popleft()
                self._busy = True
            try:
                self._play(call)
            except Exception:  # noqa: BLE001 - one bad playback must not kill the hall's audio
                import logging

                logging.getLogger(__name__).exception("announcement %s failed", call)
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

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._worker.join(timeout=5)
        self._mixer.quit()


def make_announcer(section: Any) -> Announcer:
    """Build the announcer chosen by the ``[sound]`` section: ``backend`` (pygame|fake),
    ``lang`` (id|en), ``clips_dir`` (default: the repo's ``sounds/``), ``device``, ``buffer``."""
    backend = setting(section, "backend", "fake")
    lang = setting(section, "lang", "id")
    if backend == "fake":
        return FakeAnnouncer(lang)
    if backend == "pygame":
        clips_dir = setting(section, "clips_dir", None) or DEFAULT_CLIPS_DIR
        return PygameAnnouncer(
            clips_dir,
            lang,
            device=setting(section, "device", None),
            buffer=int(setting(section, "buffer", 2048)),  # 2048-4096 avoids underruns on a Pi
        )
    raise HardwareError(f"unknown sound backend {backend!r}; expected one of {BACKENDS}")
