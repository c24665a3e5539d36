"""Console wrappers of the fake printer, announcer and screen: they do what the fake does and
also say on the terminal what a person would see or hear (``loket node run --simulate`` and
``loket demo``)."""

from __future__ import annotations

import sys
import threading
from typing import Any, TextIO

_OUT = threading.Lock()


def say(line: str, out: TextIO | None = None) -> None:
    """One whole line to the terminal: several simulated devices talk from their own threads,
    and ``print`` writes the text and the newline separately, so lines could interleave."""
    out = out or sys.stdout
    with _OUT:
        out.write(line + "\n")
        out.flush()


def _tag(device: str, label: str) -> str:
    # "[printer]", or "[printer K2]" where a demo runs several kiosks.
    return f"[{device} {label}]" if label else f"[{device}]"


class ConsolePrinter:
    """Fake printer that also says on the terminal what it printed."""

    def __init__(self, inner: Any, label: str = ""):
        self.inner = inner
        self.tag = _tag("printer", label)

    def print_ticket(self, ticket: Any) -> None:
        self.inner.print_ticket(ticket)
        mark = " (OFFLINE)" if ticket.offline else ""
        say(f"{self.tag} {ticket.label} {ticket.service_name}{mark}")

    def print_notice(self, notice: Any) -> None:
        self.inner.print_notice(notice)
        say(f"{self.tag} {notice.title}: {' / '.join(notice.lines)}")

    def status(self) -> Any:
        return self.inner.status()

    def close(self) -> None:
        self.inner.close()


class ConsoleAnnouncer:
    """Fake announcer that prints the clip names it was asked to play."""

    def __init__(self, inner: Any, label: str = ""):
        self.inner = inner
        self.tag = _tag("sound", label)

    def announce(self, clips: list[str], *, age_ms: int = 0, label: str | None = None) -> Any:
        outcome = self.inner.announce(clips, age_ms=age_ms, label=label)
        # Only what the hall will hear: a collapsed repeat or a stale call says nothing.
        if outcome == "queued":
            say(f"{self.tag} {' '.join(clips)}")
        return outcome

    def status(self) -> Any:
        return self.inner.status()

    def close(self) -> None:
        self.inner.close()


class ConsoleScreen:
    """Fake hall screen that prints who is being called."""

    def __init__(self, inner: Any, label: str = ""):
        self.inner = inner
        self.tag = _tag("screen", label)
        self._said: str | None = None

    def render(self, view: dict) -> None:
        self.inner.render(view)
        now = view.get("now")
        line = f"{self.tag} {now['label']} -> loket {now['counter']}" if now else None
        # The board re-renders for every waiting count; the terminal hears of a new call only.
        if line and line != self._said:
            say(line)
        self._said = line or self._said

    def status(self) -> Any:
        return self.inner.status()

    def close(self) -> None:
        self.inner.close()


__all__ = ["ConsoleAnnouncer", "ConsolePrinter", "ConsoleScreen", "say"]
