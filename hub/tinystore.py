"""A TinyDB storage that never leaves a half-written file behind.

TinyDB 4.9's ``JSONStorage.write`` seeks to 0 and rewrites the file in place, so a crash in
the middle leaves JSON that cannot be loaded (TinyDB issues #467, #301; docs/hardware.md
"TinyDB 4.9"). Here every write goes to a temp file that is fsync'd and renamed over the old
one (``core.journal.write_atomic``), so a reader sees either the old or the new document set.

The parsed data is cached as its JSON text: the hub is the only process using the file and
every write goes through this object, so re-reading the file on each query would only cost
SD-card reads. ``read`` hands out a fresh copy because TinyDB mutates what it gets before
writing it back; a failed write must not leave a mutated cache.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from core.journal import write_atomic


class AtomicJSONStorage(Storage):
    """TinyDB storage: whole-file JSON, replaced atomically and durably on every write."""

    def __init__(self, path: str | os.PathLike[str], **_kwargs: Any):
        super().__init__()
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._text: str | None = None
        if self.path.exists():
            text = self.path.read_text(encoding="utf-8")
            if text.strip():
                json.loads(text)  # refuse to start on a damaged file rather than overwrite it
                self._text = text

    def read(self) -> dict[str, dict[str, Any]] | None:
        if self._text is None:
            return None
        return json.loads(self._text)

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        text = json.dumps(data, sort_keys=True, ensure_ascii=False, allow_nan=False)
        write_atomic(self.path, text.encode("utf-8"))
        self._text = text

    def close(self) -> None:
        pass
