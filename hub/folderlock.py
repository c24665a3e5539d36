"""One hub per data folder: an exclusive ``flock`` on ``<data_dir>/hub.lock``.

The journal and TinyDB are written by one process only (a second writer interleaves journal
lines and overwrites ``hub.json`` with its own stale copy: a paired token lost). The lock is
taken when the :class:`hub.store.Store` opens, so ``loket hub serve`` holds it before it binds
its port, and a second ``serve``, ``pair`` or ``backup`` on the same folder learns at once
that a hub runs there and which PID it is. ``flock`` belongs to the open file: the kernel drops
it when the process dies, even by ``kill -9``, so a stale lock file never blocks a restart.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from core.errors import DataFolderLocked

LOCK_FILE = "hub.lock"


class FolderLock:
    """Held from :meth:`acquire` until :meth:`release` (or the process ends)."""

    def __init__(self, data_dir: str | os.PathLike[str]):
        self.path = Path(data_dir) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`DataFolderLocked` naming the holder's PID."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DataFolderLocked(str(self.path.parent), holder_pid(self.path.parent)) from None
        except BaseException:
            os.close(fd)
            raise
        # The PID is for people (and `loket hub pair` finding the running hub), not for locking.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the descriptor drops the flock

    @property
    def held(self) -> bool:
        return self._fd is not None


def holder_pid(data_dir: str | os.PathLike[str]) -> int | None:
    """The PID written by the process holding the lock (None if unreadable)."""
    try:
        text = (Path(data_dir) / LOCK_FILE).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def is_locked(data_dir: str | os.PathLike[str]) -> bool:
    """Whether a process holds the folder's lock right now (a probe; takes nothing)."""
    path = Path(data_dir) / LOCK_FILE
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also drops the shared lock if we got it
    return False
