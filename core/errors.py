"""The one exception hierarchy of Loket.

Each class also derives from the builtin it refines, so callers that only know
``ValueError`` or ``OSError`` still catch what they expect (the gpiozero style).
"""

from __future__ import annotations

from dataclasses import dataclass


class LoketError(Exception):
    """Base class of every error Loket raises on purpose."""


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in one config file, located by its dotted key path."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"


class ConfigError(LoketError, ValueError):
    """A config file is missing, unreadable or invalid; lists every problem found."""

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} config problem(s):\n{lines}")


class JournalError(LoketError, OSError):
    """The append-only journal could not be read or written."""


class JournalCorruptError(JournalError):
    """A bad record is followed by good ones: corruption, not a torn write."""

    def __init__(self, path: str, line_no: int, detail: str = ""):
        self.path = str(path)
        self.line_no = line_no
        msg = f"{self.path}:{line_no}: corrupt journal record followed by valid records"
        if detail:
            msg += f" ({detail})"
        super().__init__(msg)


class JournalOrderError(JournalError):
    """The journal's records are not in hub sequence order: edited, or two hubs' files mixed."""


class DataFolderLocked(LoketError, OSError):
    """Another process (a running hub) holds the data folder's lock."""

    def __init__(self, path: str, pid: int | None):
        self.path = str(path)
        self.pid = pid
        holder = f"PID {pid}" if pid else "another process"
        super().__init__(
            f"data folder {self.path} is in use by a running hub ({holder}); stop it first, "
            "or give this hub another data_dir"
        )


class EventError(LoketError, ValueError):
    """An event is malformed or of an unknown type; the message names the field."""


class CommandRejected(LoketError, ValueError):
    """A command (issue, call, done...) cannot be carried out in the current state."""

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")
