"""The hub API calls the benchmarks make (paths and bodies per docs/contracts.md)."""

from __future__ import annotations

from typing import Any

from bench.client import Client
from bench.load import new_req


def issue(client: Client, service: str = "B", kiosk: str = "K1") -> tuple[int, Any, float]:
    """POST /api/v1/tickets: the kiosk's 'print me a ticket'."""
    return client.request(
        "POST", "/api/v1/tickets", {"req": new_req("issue"), "service": service, "kiosk": kiosk}
    )


def counter(
    client: Client, counter_id: str, action: str, req: str | None = None
) -> tuple[int, Any, float]:
    """POST /api/v1/counters/<id>/<action> (next, done, recall, skip)."""
    return client.request(
        "POST", f"/api/v1/counters/{counter_id}/{action}", {"req": req or new_req(action)}
    )


def healthz(client: Client) -> dict[str, Any]:
    status, body, _ = client.request("GET", "/healthz")
    if status != 200 or not isinstance(body, dict):
        raise RuntimeError(f"/healthz answered {status}: {body!r}")
    return body
