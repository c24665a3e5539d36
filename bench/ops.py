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


def lifecycle_op(counters: list[str], kiosk_clients: list[Client]) -> Any:
    """A load op doing one whole ticket lifecycle: issue (kiosk), next and done (counter).

    Worker `idx` uses counter `counters[idx]` with its own token (the `cl` passed in)
    and `kiosk_clients[idx]` for issuing. Returns the summed latency of the three calls.
    """

    def op(cl: Client, idx: int, k: int) -> tuple[int, Any, float]:
        st, body, t1 = issue(kiosk_clients[idx])
        if st not in (200, 201):
            return st, body, t1
        st, body, t2 = counter(cl, counters[idx], "next")
        if st != 200 or not (isinstance(body, dict) and body.get("ticket")):
            # 599: answered 200 but called nobody (another counter took our ticket).
            return st if st != 200 else 599, body, t1 + t2
        st, body, t3 = counter(cl, counters[idx], "done")
        return st, body, t1 + t2 + t3

    return op
