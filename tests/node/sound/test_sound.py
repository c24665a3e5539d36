"""Announcers: the fake's bookkeeping and the real pygame.mixer backend on SDL's disk/dummy
audio drivers (the disk driver writes exactly what would reach the loudspeaker)."""

from __future__ import annotations

import array
import sys
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.announce import all_clip_names, call_clips
from node.hardware.errors import HardwareError
from node.hardware.sound import (
    DEFAULT_CLIPS_DIR,
    FakeAnnouncer,
    PygameAnnouncer,
    make_announcer,
    missing_clips,
)

RATE = 22050


def write_clip(folder: Path, name: str, base: int, frames: int) -> bytes:
    """A recognisable synthetic clip (a ramp around ``base``); returns its sample bytes."""
    samples = array.array("h", (base + i % 97 for i in range(frames)))
    if sys.byteorder == "big":
        samples.byteswap()
    folder.mkdir(parents=True, exist_ok=True)
    with wave.open(str(folder / f"{name}.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())
    return samples.tobytes()


def wav_frames(path: Path) -> bytes:
    with wave.open(str(path), "rb") as w:
        return w.readframes(w.getnframes())


@pytest.fixture
def clips(tmp_path: Path) -> dict[str, bytes]:
    folder = tmp_path / "clips" / "id"
    return {
        "chime": write_clip(folder, "chime", 1000, RATE // 10),
        "satu": write_clip(folder, "satu", -3000, RATE // 7),
        "dua": write_clip(folder, "dua", 5000, RATE // 13),
        "long": write_clip(folder, "long", 200, 2 * RATE),  # 2 s: keeps the worker busy
    }


@pytest.fixture
def disk_audio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    out = tmp_path / "speaker.raw"
    monkeypatch.setenv("SDL_AUDIODRIVER", "disk")
    monkeypatch.setenv("SDL_DISKAUDIOFILE", str(out))
    monkeypatch.setenv("SDL_DISKAUDIODELAY", "0")  # as fast as possible (~46 MB/s): quit soon
    return out


@pytest.fixture
def dummy_audio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")  # real-time playback, no output


@pytest.fixture
def announcer(tmp_path: Path, clips: dict[str, bytes]) -> Iterator[PygameAnnouncer]:
    an = PygameAnnouncer(tmp_path / "clips", "id", names=list(clips))
    try:
        yield an
    finally:
        an.close()


def test_announcements_reach_the_speaker_gapless_and_in_order(
    disk_audio: Path, announcer: PygameAnnouncer, clips: dict[str, bytes]
) -> None:
    first, second = ["chime", "satu", "dua", "satu"], ["dua", "chime"]
    assert announcer.buffer_for(first) == b"".join(clips[c] for c in first)
    announcer.announce(first)
    announcer.announce(second)
    assert announcer.wait_idle(timeout=30)
    announcer.close()  # stop the disk driver writing silence
    speaker = disk_audio.read_bytes()
    a = speaker.find(announcer.buffer_for(first))
    b = speaker.find(announcer.buffer_for(second))
    assert a >= 0 and b >= 0, "an announcement did not reach the speaker as one gapless run"
    assert b >= a + len(announcer.buffer_for(first))  # one at a time, never overlapping
    assert announcer.history == [first, second]


def test_repeated_pending_call_collapses(dummy_audio: None, announcer: PygameAnnouncer) -> None:
    announcer.announce(["long"])  # playing (or pending) for two seconds
    for _ in range(3):
        announcer.announce(["chime", "satu"])  # RECALL pressed three times meanwhile
    announcer.announce(["chime", "dua"])
    assert announcer.wait_idle(timeout=30)
    assert announcer.history == [["long"], ["chime", "satu"], ["chime", "dua"]]
    announcer.announce(["chime", "satu"])  # once played, the same call may come again
    assert announcer.wait_idle(timeout=30)
    assert announcer.history[-1] == ["chime", "satu"] and len(announcer.history) == 4


def test_unknown_clip_is_rejected_in_the_callers_thread(
    dummy_audio: None, announcer: PygameAnnouncer
) -> None:
    with pytest.raises(ValueError, match="tiga"):
        announcer.announce(["chime", "tiga"])
    assert announcer.wait_idle(timeout=5) and announcer.history == []


def test_missing_clips_are_listed_at_startup(tmp_path: Path, clips: dict[str, bytes]) -> None:
    with pytest.raises(HardwareError, match=r"2 sound clip\(s\) missing .*: empat, tiga"):
        PygameAnnouncer(tmp_path / "clips", "id", names=["chime", "tiga", "empat"])
    with pytest.raises(HardwareError, match="nomor_antrian"):
        make_announcer({"backend": "pygame", "lang": "id", "clips_dir": str(tmp_path / "clips")})


def test_committed_clips_load_and_concatenate(dummy_audio: None) -> None:
    assert missing_clips(DEFAULT_CLIPS_DIR, "en", all_clip_names("en")) == []
    an = PygameAnnouncer(DEFAULT_CLIPS_DIR, "id")
    try:
        call = call_clips("B-023", 3)
        expected = b"".join(wav_frames(DEFAULT_CLIPS_DIR / "id" / f"{c}.wav") for c in call)
        assert an.buffer_for(call) == expected
    finally:
        an.close()


def test_fake_announcer_records_and_collapses_pending_repeats() -> None:
    fake = make_announcer({"backend": "fake", "lang": "id"})
    assert isinstance(fake, FakeAnnouncer)
    fake.announce(call_clips("A-001", 1))
    fake.hold()  # like the real worker busy with a long announcement
    fake.announce(call_clips("B-023", 3))
    fake.announce(call_clips("B-023", 3))
    fake.announce(call_clips("C-002", 2))
    assert len(fake.played) == 1
    fake.release()
    assert fake.played == [
        call_clips("A-001", 1),
        call_clips("B-023", 3),
        call_clips("C-002", 2),
    ]


def test_unknown_backend_is_an_error_not_a_fake() -> None:
    with pytest.raises(HardwareError, match="unknown sound backend 'alsa'"):
        make_announcer({"backend": "alsa"})


# -- the hall's scheduling rule on the real backend (core.announce_queue) ------------------


@pytest.fixture
def realtime_disk_audio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The disk driver at its default pace (one buffer per buffer's duration): playing
    takes as long as on a loudspeaker, so calls really queue up behind a long one."""
    out = tmp_path / "speaker.raw"
    monkeypatch.setenv("SDL_AUDIODRIVER", "disk")
    monkeypatch.setenv("SDL_DISKAUDIOFILE", str(out))
    monkeypatch.delenv("SDL_DISKAUDIODELAY", raising=False)
    return out


class ManualClock:
    """Monotonic milliseconds that move only when the test says so."""

    def __init__(self) -> None:
        self.ms = 0

    def __call__(self) -> int:
        return self.ms


def playing_now(an: PygameAnnouncer) -> None:
    """Wait until the worker took the first call off the queue (it is being played)."""
    for _ in range(500):
        if an.pending == 0:
            return
        import time

        time.sleep(0.002)
    raise AssertionError("the announcer never started playing")


def occurrences(data: bytes, needle: bytes) -> int:
    count, start = 0, 0
    while (i := data.find(needle, start)) >= 0:
        count, start = count + 1, i + len(needle)
    return count


def test_on_disk_a_repeated_pending_call_is_heard_once_and_a_recall_again(
    realtime_disk_audio: Path, tmp_path: Path, clips: dict[str, bytes]
) -> None:
    an = PygameAnnouncer(tmp_path / "clips", "id", names=list(clips))
    try:
        an.announce(["long"])  # two seconds at the loudspeaker's pace
        playing_now(an)
        outcomes = [an.announce(["chime", "satu"]) for _ in range(3)]  # RECALL x3 meanwhile
        an.announce(["chime", "dua"])
        assert outcomes == ["queued", "collapsed", "collapsed"]
        assert an.wait_idle(timeout=30)
        an.announce(["chime", "satu"])  # said already: a recall is heard again
        assert an.wait_idle(timeout=30)
    finally:
        an.close()
    speaker = realtime_disk_audio.read_bytes()
    satu, dua = an.buffer_for(["chime", "satu"]), an.buffer_for(["chime", "dua"])
    assert occurrences(speaker, satu) == 2 and occurrences(speaker, dua) == 1
    first_satu = speaker.find(satu)
    assert speaker.find(clips["long"]) < first_satu < speaker.find(dua) < speaker.rfind(satu)
    assert an.history == [["long"], ["chime", "satu"], ["chime", "dua"], ["chime", "satu"]]


def test_on_disk_a_call_too_old_is_never_heard_and_the_log_says_so(
    realtime_disk_audio: Path,
    tmp_path: Path,
    clips: dict[str, bytes],
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = ManualClock()
    an = PygameAnnouncer(tmp_path / "clips", "id", names=list(clips), max_age_s=60, clock=clock)
    try:
        an.announce(["long"])
        playing_now(an)
        # Waits behind "long"; by its turn the hall's clock says a minute and more went by.
        assert an.announce(["chime", "satu"], label="A-001 -> loket 1") == "queued"
        clock.ms = 61_000
        assert an.announce(["chime", "dua"], label="B-002 -> loket 2") == "queued"  # fresh
        # Already 90 s old when it arrives (a counter's offline call pushed late).
        assert an.announce(["dua", "satu"], age_ms=90_000, label="C-021 -> loket 3") == "stale"
        assert an.wait_idle(timeout=30)
    finally:
        an.close()
    speaker = realtime_disk_audio.read_bytes()
    assert an.buffer_for(["chime", "dua"]) in speaker
    assert an.buffer_for(["chime", "satu"]) not in speaker
    assert an.buffer_for(["dua", "satu"]) not in speaker
    assert an.history == [["long"], ["chime", "dua"]]
    assert an.dropped == [["dua", "satu"], ["chime", "satu"]]
    said = [r.getMessage() for r in caplog.records if r.name == "node.hardware.sound"]
    assert any("C-021 -> loket 3" in m and "90 s old" in m and "60 s limit" in m for m in said)
    assert any("A-001 -> loket 1" in m and "61 s old" in m for m in said)


def test_fake_announcer_drops_stale_calls_like_the_real_one() -> None:
    configured = make_announcer({"backend": "fake", "max_age_s": 30})
    assert configured.announce(["satu"], age_ms=31_000) == "stale"
    assert configured.announce(["dua"], age_ms=29_000) == "queued"
    assert configured.played == [["dua"]] and configured.dropped == [["satu"]]
    clock = ManualClock()
    fake = FakeAnnouncer(max_age_s=30, clock=clock)
    fake.hold()
    fake.announce(["chime", "satu"])
    clock.ms = 20_000
    fake.announce(["chime", "dua"])
    clock.ms = 31_000
    fake.release()
    assert fake.played == [["chime", "dua"]] and fake.dropped == [["chime", "satu"]]
