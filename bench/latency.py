"""Benchmark 2: call -> display latency.

From the moment a counter's `next` request is sent to the moment the resulting
`ticket.called` record reaches (a) an SSE subscriber (the browser hall board's
path) and (b) a long-poll subscriber (a node's feed). Calls are made one at a
time with `done` in between, like a counter clerk; only `next` is timed.
"""

from __future__ import annotations

import time
from typing import Any

from bench.feeds import LongPollSubscriber, SseSubscriber
from bench.harness import HOST, Hub
from bench.load import new_req
from bench.ops import counter, healthz, issue
from bench.stats import summary_ms, target

SIZES = {"smoke": 5, "quick": 200, "full": 1000}
WAIT_S = 5.0  # longest we wait for one record before counting it as lost


def run(size: str = "quick") -> dict[str, Any]:
    calls = SIZES[size]
    with Hub(pair=["K1", "C01", "D1"]) as hub:
        kiosk, clerk = hub.client("K1"), hub.client("C01")
        for _ in range(calls):
            status, body, _ = issue(kiosk, service="B")
            if status not in (200, 201):
                raise RuntimeError(f"issue answered {status}: {body!r:.200}")
        last = int(healthz(kiosk).get("last_hseq") or 0)
        sse = SseSubscriber(HOST, hub.port)
        lp = LongPollSubscriber(hub.client("D1"), since=last)
        sse.start()
        lp.start()
        sse.connected.wait(10)
        time.sleep(0.3)  # let the first long-poll park on the hub
        to_sse: list[float] = []
        to_lp: list[float] = []
        rpc: list[float] = []
        lost = {"sse": 0, "long_poll": 0}
        refused: dict[str, int] = {}
        t_end = time.perf_counter() + 60 + calls * 0.5
        for _ in range(calls):
            if time.perf_counter() > t_end:
                break
            req = new_req("next")
            t0 = time.perf_counter()
            status, body, elapsed = counter(clerk, "C01", "next", req)
            if status != 200 or not (isinstance(body, dict) and body.get("event")):
                why = (body.get("error") or body.get("reason")) if isinstance(body, dict) else ""
                key = f"{status}:{why}"
                refused[key] = refused.get(key, 0) + 1
                continue
            # The hub may stamp its own req; prefer the one in the answered event.
            ev_req = body["event"].get("req") or req
            rpc.append(elapsed)
            for sub, out, name in ((sse, to_sse, "sse"), (lp, to_lp, "long_poll")):
                got = sub.wait_for(ev_req, WAIT_S)
                if got is None:
                    lost[name] += 1
                else:
                    out.append(got - t0)
            counter(clerk, "C01", "done")
        sse.stop()
        lp.stop()
        kiosk.close()
        clerk.close()
    sse_sum, lp_sum = summary_ms(to_sse), summary_ms(to_lp)
    return {
        "calls": len(rpc),
        "call_rpc": summary_ms(rpc),
        "to_sse": sse_sum,
        "to_long_poll": lp_sum,
        "lost": lost,
        "refused": refused,
        "subscriber_errors": {"sse": sse.error, "long_poll": lp.error},
        "long_polls": lp.polls,
        "targets": {
            "call_to_sse_p99_ms": target(sse_sum["p99_ms"], 50, unit="ms"),
            "calls_measured": target(
                len(to_sse), 200 if size != "smoke" else calls, unit="calls", higher_is_better=True
            ),
        },
    }
