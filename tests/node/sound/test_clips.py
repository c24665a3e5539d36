"""Every clip core/announce.py can ask for exists in the committed sounds/ in the right format."""

from __future__ import annotations

import array
import sys
import wave
from pathlib import Path

import pytest

from core.announce import all_clip_names

SOUNDS = Path(__file__).resolve().parents[3] / "sounds"
RATE = 22050
MAX_SECONDS = 2.0
MAX_TRAILING_SILENCE_S = 0.15
SILENCE = 328  # about -40 dBFS: below this a sample counts as silence


def clip_paths(lang: str) -> list[tuple[str, Path]]:
    return [(name, SOUNDS / lang / f"{name}.wav") for name in all_clip_names(lang)]


def samples(path: Path) -> array.array:
    with wave.open(str(path), "rb") as w:
        data = array.array("h", w.readframes(w.getnframes()))
    if sys.byteorder == "big":
        data.byteswap()
    return data


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_clip_exists(lang: str) -> None:
    missing = [name for name, path in clip_paths(lang) if not path.is_file()]
    assert missing == [], f"missing clips in sounds/{lang}: {missing}"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_clip_is_22050_hz_mono_16_bit_and_short(lang: str) -> None:
    for _name, path in clip_paths(lang):
        with wave.open(str(path), "rb") as w:
            fmt = (w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getcomptype())
            assert fmt == (RATE, 1, 2, "NONE"), f"{path.name}: {fmt}"
            seconds = w.getnframes() / RATE
        assert 0.1 < seconds <= MAX_SECONDS, f"{path.name}: {seconds:.2f} s"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_clips_have_no_long_silence_at_either_end(lang: str) -> None:
    for _name, path in clip_paths(lang):
        data = samples(path)
        loud = [i for i, s in enumerate(data) if abs(s) > SILENCE]
        assert loud, f"{path.name} is silent"
        assert loud[0] / RATE <= 0.05, f"{path.name}: {loud[0] / RATE:.2f} s of leading silence"
        trailing = (len(data) - 1 - loud[-1]) / RATE
        assert trailing <= MAX_TRAILING_SILENCE_S, f"{path.name}: {trailing:.2f} s trailing"


def test_no_stray_files() -> None:
    for lang in ("id", "en"):
        extra = {p.stem for p in (SOUNDS / lang).glob("*.wav")} - set(all_clip_names(lang))
        assert extra == set(), f"sounds/{lang} has clips no code asks for: {sorted(extra)}"
