"""Helpers for the UI tests: handcrafted hub records (no hub needed) and CSRF scraping."""

from __future__ import annotations

import re
from datetime import UTC, datetime

DAY = "2026-11-28"
T0 = int(datetime(2026, 11, 28, 1, 0, tzinfo=UTC).timestamp() * 1000)  # 08:00 WIB
MIN = 60_000
PASSWORD = "rahasia-123"


def csrf_from(html: str) -> str:
    """The CSRF token a page embeds in its forms."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


class Log:
    """Builds a list of hub records with gapless hseq, like the hub's journal."""

    def __init__(self) -> None:
        self.records: list[dict] = []

    def add(self, kind: str, ticket: str | None, at_min: float, body: dict, eid: str = "") -> dict:
        hseq = len(self.records) + 1
        event = {
            "v": 1,
            "id": eid or f"hub:test:{hseq}",
            "origin": "hub",
            "inc": "test",
            "seq": hseq,
            "type": kind,
            "ticket": ticket,
            "req": None,
            "deps": [],
            "hlc": "",
            "clock": {},
            "body": body,
        }
        ms = T0 + int(at_min * MIN)
        record = {"hseq": hseq, "recv_ms": ms, "est_ms": ms, "event": event}
        self.records.append(record)
        return record

    def issue(self, label: str, at_min: float, public: str = "", day: str = DAY) -> str:
        key = f"{day}/{label}"
        service = label.split("-")[0]
        body = {
            "service": service,
            "number": int(label.split("-")[-1]),
            "label": label,
            "day": day,
            "mode": "online",
            "kiosk": "K1",
            "priority": 0,
            "lease": None,
            "public": public or f"pub{label.replace('-', '')}xxxxxxxx",
        }
        self.add("ticket.issued", key, at_min, body)
        return key

    def call(self, key: str, counter: str, at_min: float, eid: str = "") -> str:
        rec = self.add(
            "ticket.called",
            key,
            at_min,
            {"counter": counter, "expect_service": key.split("/")[1][0], "mode": "online"},
            eid,
        )
        return rec["event"]["id"]

    def simple(self, kind: str, key: str, counter: str, at_min: float, **extra) -> str:
        rec = self.add(kind, key, at_min, {"counter": counter, **extra})
        return rec["event"]["id"]
