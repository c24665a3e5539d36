"""Benchmark 6: the hall's voice — call -> first sample out, and the backlog after a burst.

Both run a real hub subprocess and, in this process, a real hall display node (its own
SyncClient long-polling over HTTP, the display role, ``PygameAnnouncer`` on SDL's *disk*
audio driver at the loudspeaker's pace: what the file receives is what a sound card would).

- ``first_sample``: a counter calls (``POST .../next``, timed from sending it) and the clock
  stops when the first non-silent sample of the announcement reaches the disk driver's file.
  The clips are synthetic (30 ms each, loud from their first sample) so each call is short and
  its start unmistakable; the pipeline measured is the real one. Per mixer buffer size.
- ``burst``: 30 calls in 10 s from eight counters (a hall after an outage), with the shipped
  Indonesian clips (5.6-7.4 s an announcement). ``at_10s``: what the announcer holds when the
  burst ends (waiting, said, dropped). ``simulated``: the same 30 calls through
  ``core.announce_queue`` in virtual time with the real clip lengths, with the shipped limit
  and with no limit, to show what the rule saves. ``--full`` also lets the real run drain
  and reports its lag and drain time beside the simulation's.
"""

from __future__ import annotations

import array
import os
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path
from typing import Any

from bench.harness import Hub
from bench.ops import counter, issue
from bench.profile import counter_ids
from bench.stats import summary_ms, target

SIZES = {"smoke": (3, (2048,)), "quick": (12, (2048, 4096)), "full": (40, (2048, 4096))}
BURST_CALLS, BURST_S = 30, 10.0
RATE = 22050
POLL_S = 0.001


def run(size: str) -> dict[str, Any]:
    calls, buffers = SIZES[size]
    from core.announce_queue import DEFAULT_MAX_AGE_S

    out: dict[str, Any] = {"max_age_s": DEFAULT_MAX_AGE_S, "first_sample": {}}
    with tempfile.TemporaryDirectory(prefix="bench-hall-") as tmp:
        with Hub(pair=["K1", "D1", *counter_ids()]) as hub:
            clips = synthetic_clips(Path(tmp) / "clips")
            for buffer in buffers:
                out["first_sample"][f"buffer_{buffer}"] = first_sample(
                    hub, Path(tmp) / f"b{buffer}", clips, buffer, calls
                )
            out["burst"] = burst(hub, Path(tmp) / "burst", drain=size == "full")
    figure = out["first_sample"][f"buffer_{buffers[-1]}"]
    lag = out["burst"]["simulated"]["with_limit"]["max_lag_s"]
    out["targets"] = {
        # A clerk presses NEXT; the hall hears the chime within half a second.
        f"first_sample_p90_ms_buffer_{buffers[-1]}": target(
            figure["call_to_first_sample"]["p90_ms"], 500, unit="ms"
        ),
        # After a burst, nothing is said later than the limit after its call.
        "burst_max_lag_s": target(lag, DEFAULT_MAX_AGE_S, unit="s"),
    }
    return out


# -- call -> first sample ---------------------------------------------------------------------


def synthetic_clips(folder: Path) -> Path:
    """Every clip name the composer uses, 30 ms each, never silent (loud from sample 0)."""
    from core.announce import all_clip_names

    lang = folder / "id"
    lang.mkdir(parents=True)
    frames = RATE * 30 // 1000
    samples = array.array("h", (8000 + i % 64 for i in range(frames)))
    if sys.byteorder == "big":
        samples.byteswap()
    for name in all_clip_names("id"):
        with wave.open(str(lang / f"{name}.wav"), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(samples.tobytes())
    return folder


class DiskAudio:
    """SDL's disk audio driver for this process (restored afterwards): the file is the
    loudspeaker, written at its pace (no SDL_DISKAUDIODELAY=0, which races ahead)."""

    def __init__(self, path: Path):
        self.path = path
        self.saved: dict[str, str | None] = {}

    def __enter__(self) -> DiskAudio:
        for key, value in (("SDL_AUDIODRIVER", "disk"), ("SDL_DISKAUDIOFILE", str(self.path))):
            self.saved[key] = os.environ.get(key)
            os.environ[key] = value
        self.saved["SDL_DISKAUDIODELAY"] = os.environ.pop("SDL_DISKAUDIODELAY", None)
        return self

    def __exit__(self, *exc: object) -> None:
        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def first_sound_after(self, offset: int, deadline: float) -> float | None:
        """perf_counter when a non-zero sample first appears at or after byte ``offset``."""
        with self.path.open("rb") as f:
            while time.perf_counter() < deadline:
                f.seek(offset)
                chunk = f.read()
                usable = len(chunk) - len(chunk) % 2
                if usable and any(chunk[:usable]):
                    return time.perf_counter()
                offset += usable
                time.sleep(POLL_S)
        return None

    def size(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0


def hall_node(hub: Hub, data_dir: Path, announcer: Any) -> Any:
    """A real display node on this process's threads, talking HTTP to the hub."""
    from core.config import node_config_from_dict
    from node.app import build_node
    from node.hardware.screen import FakeScreen
    from node.roles.base import Devices

    config = node_config_from_dict(
        {
            "node": {
                "id": "D1",
                "role": "display",
                "hub_url": hub.url,
                "token": hub.tokens["D1"],
                "data_dir": str(data_dir),
            },
            "sound": {"backend": "fake"},  # the real announcer is handed in below
        }
    )
    node = build_node(config, hardware=Devices(announcer=announcer, screen=FakeScreen()))
    node.start()
    deadline = time.perf_counter() + 30
    while node.ctx.sync.online is not True and time.perf_counter() < deadline:
        time.sleep(0.05)
    return node


def first_sample(hub: Hub, tmp: Path, clips: Path, buffer: int, calls: int) -> dict[str, Any]:
    from node.hardware.sound import PygameAnnouncer

    tmp.mkdir(parents=True)
    kiosk, clerk = hub.client("K1"), hub.client("C01")
    for _ in range(calls):
        issue(kiosk, "A")
    latencies, rpc, missed = [], [], 0
    with DiskAudio(tmp / "speaker.raw") as disk:
        announcer = PygameAnnouncer(clips, "id", buffer=buffer)
        node = hall_node(hub, tmp / "node", announcer)
        try:
            time.sleep(0.5)  # the mixer is writing silence: the file exists and grows
            for _ in range(calls):
                offset = disk.size()
                t0 = time.perf_counter()
                status, _, seconds = counter(clerk, "C01", "next")
                heard = disk.first_sound_after(offset, t0 + 5)
                if status != 200 or heard is None:
                    missed += 1
                else:
                    latencies.append(heard - t0)
                    rpc.append(seconds)
                announcer.wait_idle(timeout=10)
                time.sleep(buffer / RATE * 2)  # the last buffer of sound is out, silence again
                counter(clerk, "C01", "done")
        finally:
            node.stop()  # closes the announcer (the mixer stops writing)
    kiosk.close()
    clerk.close()
    return {
        "buffer_samples": buffer,
        "buffer_ms": round(buffer / RATE * 1000, 1),
        "call_to_first_sample": summary_ms(latencies),
        "call_rpc": summary_ms(rpc),
        "missed": missed,
    }


# -- the backlog after 30 calls in 10 s --------------------------------------------------------


def burst(hub: Hub, tmp: Path, *, drain: bool) -> dict[str, Any]:
    from core.announce import call_clips
    from core.announce_queue import DEFAULT_MAX_AGE_S
    from core.paths import sounds_dir
    from node.hardware.sound import PygameAnnouncer

    tmp.mkdir(parents=True)
    counters = counter_ids()
    kiosk = hub.client("K1")
    for _ in range(BURST_CALLS):
        issue(kiosk, "B")
    kiosk.close()
    clerks = {cid: hub.client(cid) for cid in counters}
    made: list[tuple[float, str, int]] = []  # (perf_counter, label, counter number)
    with DiskAudio(tmp / "speaker.raw"):
        announcer = PygameAnnouncer(sounds_dir(), "id", buffer=4096)  # the shipped voice
        node = hall_node(hub, tmp / "node", announcer)
        finished: list[tuple[float, list[str]]] = []
        stop = threading.Event()
        watcher = threading.Thread(target=_watch, args=(announcer, finished, stop), daemon=True)
        watcher.start()
        try:
            t0 = time.perf_counter()
            for k in range(BURST_CALLS):
                cid = counters[k % len(counters)]
                time.sleep(max(0.0, t0 + k * BURST_S / BURST_CALLS - time.perf_counter()))
                counter(clerks[cid], cid, "done")
                status, body, _ = counter(clerks[cid], cid, "next")
                if status == 200 and body.get("ticket"):
                    made.append((time.perf_counter(), body["ticket"]["label"], int(cid[1:])))
            time.sleep(max(0.0, t0 + BURST_S - time.perf_counter()))
            at_10s = {
                "calls_made": len(made),
                "waiting": announcer.pending,
                "said": len(announcer.history),
                "dropped": len(announcer.dropped),
            }
            real: dict[str, Any] | None = None
            if drain:
                announcer.wait_idle(timeout=DEFAULT_MAX_AGE_S + 60)
                time.sleep(0.2)
                real = _real_figures(made, finished, announcer, t0)
        finally:
            stop.set()
            node.stop()
    for client in clerks.values():
        client.close()
    durations = {name: _seconds(sounds_dir("id") / f"{name}.wav") for name in _names(made)}
    calls = [(t - made[0][0], call_clips(label, n)) for t, label, n in made] if made else []
    return {
        "calls": BURST_CALLS,
        "over_s": BURST_S,
        "announcement_s": _spread([sum(durations[c] for c in clips) for _, clips in calls]),
        "at_10s": at_10s,
        "simulated": {
            "with_limit": simulate(calls, durations, DEFAULT_MAX_AGE_S),
            "limit_30s": simulate(calls, durations, 30),  # a stricter hall, for comparison
            "no_limit": simulate(calls, durations, None),
        },
        "real_drained": real,
    }


def _watch(announcer: Any, finished: list, stop: threading.Event) -> None:
    seen = 0
    while not stop.is_set():
        history = announcer.history
        while seen < len(history):
            finished.append((time.perf_counter(), history[seen]))
            seen += 1
        time.sleep(0.01)


def _real_figures(made: list, finished: list, announcer: Any, t0: float) -> dict[str, Any]:
    from core.announce import call_clips

    called = {tuple(call_clips(label, n)): t for t, label, n in made}
    # One at a time and gapless while the hall is busy: each started when the one before
    # ended (the first one's start is not known, so it has no lag here).
    lags = [
        started - called[tuple(clips)]
        for (started, _), (_, clips) in zip(finished, finished[1:], strict=False)
        if tuple(clips) in called
    ]
    return {
        "said": len(announcer.history),
        "dropped": len(announcer.dropped),
        "max_lag_s": round(max(lags), 1) if lags else None,
        "drained_s": round(finished[-1][0] - t0, 1) if finished else None,
    }


def simulate(
    calls: list[tuple[float, list[str]]], durations: dict[str, float], limit_s: float | None
) -> dict[str, Any]:
    """The rule in virtual time: who is said when, who is dropped, when the hall is quiet."""
    from core.announce_queue import MAX_MAX_AGE_S, AnnounceQueue

    def ms(seconds: float) -> int:
        return int(round(seconds * 1000))

    q = AnnounceQueue(ms(limit_s or MAX_MAX_AGE_S))
    free_at, i, said, dropped, lags = 0.0, 0, 0, 0, []
    waiting_at_10s: int | None = None

    def speak(now: float) -> None:
        nonlocal free_at, said, dropped
        item, gone = q.take(ms(now))
        dropped += len(gone)
        if item is not None:
            said += 1
            lags.append(now - item.at_ms / 1000)
            free_at = now + sum(durations[c] for c in item.clips)

    while i < len(calls) or len(q):
        arrives = i < len(calls) and (not len(q) or calls[i][0] <= free_at)
        when = calls[i][0] if arrives else free_at
        if waiting_at_10s is None and when >= BURST_S:
            waiting_at_10s = len(q)
        if arrives:
            t, clips = calls[i]
            i += 1
            if q.offer(clips, ms(t), ms(t))[0] == "stale":
                dropped += 1
            if free_at <= t:
                speak(t)
        else:
            speak(free_at)
    return {
        "limit_s": limit_s,
        "waiting_at_10s": waiting_at_10s or 0,
        "said": said,
        "dropped": dropped,
        "max_lag_s": round(max(lags), 1) if lags else None,
        "drained_s": round(free_at, 1),
    }


def _names(made: list) -> set[str]:
    from core.announce import call_clips

    return {c for _, label, n in made for c in call_clips(label, n)}


def _seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def _spread(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"min": None, "max": None}
    return {"min": round(min(values), 2), "max": round(max(values), 2)}
