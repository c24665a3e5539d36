"""Realistic hub records for one ticket lifecycle (issued, called, done).

Both stores in the write-amplification benchmark get exactly these dicts, so
the figures compare storage engines, not payload sizes. Shapes follow
docs/contracts.md ("A hub record ... {hseq, recv_ms, est_ms, event}").
"""

from __future__ import annotations

from typing import Any

_DAY = "2026-11-28"
_BASE_MS = 1_795_860_000_000  # a fixed wall clock: results must not depend on today's date
_INC = "9f2c41d0"


def _event(
    origin: str, seq: int, etype: str, ticket: str, req: str, deps: list[str], body: dict
) -> dict[str, Any]:
    wall = _BASE_MS + seq * 1000
    return {
        "v": 1,
        "id": f"{origin}:{_INC}:{seq}",
        "origin": origin,
        "inc": _INC,
        "seq": seq,
        "type": etype,
        "ticket": ticket,
        "req": req,
        "deps": deps,
        "hlc": f"{wall:013d}.00000.{origin}",
        "clock": {
            "wall_ms": wall,
            "boot_id": "3b0f6a52-8d1e-4c57-9a0e-5f1c2d3e4f50",
            "mono_ms": 8_000_000 + seq * 1000,
        },
        "body": body,
    }


def lifecycle(n: int, hseq0: int = 0) -> list[dict[str, Any]]:
    """Three hub records for the n-th ticket: issued at kiosk K1, called and done at C07."""
    number = n % 999 + 1
    label = f"B-{number:03d}"
    key = f"{_DAY}/{label}"
    issued = _event(
        "hub",
        3 * n + 1,
        "ticket.issued",
        key,
        f"K1:{_INC}:r{n}",
        [],
        {
            "service": "B",
            "number": number,
            "label": label,
            "day": _DAY,
            "mode": "online",
            "kiosk": "K1",
            "priority": 0,
            "lease": None,
            "public": f"pub{n:012d}x",
        },
    )
    called = _event(
        "hub",
        3 * n + 2,
        "ticket.called",
        key,
        f"C07:{_INC}:r{2 * n}",
        [],
        {"counter": "C07", "expect_service": "B", "mode": "online"},
    )
    done = _event(
        "C07",
        n + 1,
        "ticket.done",
        key,
        f"C07:{_INC}:r{2 * n + 1}",
        [called["id"]],
        {"counter": "C07"},
    )
    out = []
    for i, ev in enumerate((issued, called, done)):
        hseq = hseq0 + 3 * n + i + 1
        out.append(
            {
                "hseq": hseq,
                "recv_ms": ev["clock"]["wall_ms"],
                "est_ms": ev["clock"]["wall_ms"],
                "event": ev,
            }
        )
    return out
