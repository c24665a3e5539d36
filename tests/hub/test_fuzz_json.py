"""Malformed input is a 4xx and costs nothing: Hypothesis over every JSON route (item 4).

Bodies are nested thousands deep, carry ``NaN``/``Infinity``/``1e999``, lone surrogates in
values and keys, wrong types in every field, events with any field replaced, and sizes over
the cap. The caller is always authorised (so the body is really parsed): whatever comes, the
answer is below 500, a refusal is JSON with a reason, and the hub never rebuilds its state
from the journal (the cost one bad body could once cause).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.clock import FakeClock
from hub.auth import access_of

T0 = 1_795_831_200_000
SECRET = "fuzz-control-secret"
EXAMPLES = 150

# A well-formed offline event of K1, the starting point events are mutated from.
EVENT = {
    "v": 1, "id": "K1:k1a:1", "origin": "K1", "inc": "k1a", "seq": 1, "type": "ticket.issued",
    "ticket": "2026-11-28/B-K1-1", "req": "K1:k1a:r1", "deps": [],
    "hlc": f"{T0:013d}.00000.K1", "clock": {"wall_ms": T0, "boot_id": "b", "mono_ms": 5},
    "body": {"service": "B", "number": None, "label": "B-K1-1", "day": "2026-11-28",
             "mode": "prefix", "kiosk": "K1", "priority": 0, "lease": None},
}  # fmt: skip
BASE = {
    "req": "fz", "service": "B", "node": "K1", "inc": "k1a", "events": [EVENT], "score": 4,
    "to": "A", "ticket": "2026-11-28/B-001", "node_id": "K2", "username": "fuzzer",
    "password": "kata-sandi-panjang", "dest": "/nonexistent/bk",
}  # fmt: skip
OVERSIZED = b"<oversized>"  # drawn as a marker: Hypothesis prints what it draws

# Any code point, lone surrogates included (the default text strategy leaves them out).
ANY_TEXT = st.text(alphabet=st.characters(codec=None, categories=None), max_size=12)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | ANY_TEXT
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)


def dumps(value) -> bytes:
    # allow_nan writes NaN/Infinity literals; ensure_ascii writes a lone surrogate as \\ud800
    return json.dumps(value, allow_nan=True, ensure_ascii=True).encode()


@st.composite
def bodies(draw) -> bytes:
    kind = draw(st.sampled_from(["fields", "event", "nested", "raw", "value", "oversized"]))
    if kind == "fields":
        body = dict(BASE)
        for key in draw(st.lists(st.sampled_from(sorted(BASE)), max_size=4)):
            body[key] = draw(VALUES)
        return dumps(body)
    if kind == "event":
        event = json.loads(json.dumps(EVENT))
        part = draw(st.sampled_from(["top", "body", "clock"]))
        target = event if part == "top" else event[part]
        for key in draw(
            st.lists(st.sampled_from(sorted(target) + ["extra"]), min_size=1, max_size=3)
        ):
            target[key] = draw(VALUES)
        return dumps({**BASE, "events": [event]})
    if kind == "nested":
        depth = draw(st.integers(min_value=30, max_value=5000))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        inner = opener * depth + "1" + closer * depth
        return ('{"req": "fz", "events": ' + inner + "}").encode()
    if kind == "raw":
        return draw(
            st.sampled_from(
                [b'{"req": NaN}', b'{"req": "x", "score": Infinity}', b'{"seq": -Infinity}',
                 b'{"req": 1e999}', b'{"req": "\\ud800"}', b'{"\\udfff": 1}', b"\xff\xfe",
                 b'{"req": "a"', b"[]", b"null", b'"x"', b"", b"{" * 100_000]
            )
        )  # fmt: skip
    if kind == "value":
        return dumps(draw(VALUES))
    return OVERSIZED


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    from core.config import hub_config_from_dict
    from hub import create_app
    from hub.auth import issue_operator_token, pair_node

    data = tmp_path_factory.mktemp("fuzz") / "hub"
    config = hub_config_from_dict(
        {
            "mpp": {"name": "MPP Fuzz", "timezone": "Asia/Jakarta"},
            "hub": {"host": "127.0.0.1", "port": 8080, "data_dir": str(data), "issue_per_min": 0},
            "agencies": [{"id": "a", "name": "A"}],
            "services": [{"id": s, "name": s, "agency": "a"} for s in ("A", "B")],
            "counters": [{"id": "C1", "number": 1, "services": ["A", "B"]}],
            "kiosks": [{"id": "K1", "name": "K1", "services": ["A", "B"]},
                       {"id": "K2", "name": "K2", "services": ["B"]}],
            "displays": [{"id": "D1", "name": "D1"}],
        }
    )  # fmt: skip
    app = create_app(
        config,
        clock=FakeClock(wall_ms=T0, mono_ms=1_000, boot_id="fuzz"),
        settings={"LOKET_CONTROL_SECRET": SECRET, "LOKET_LONGPOLL_MAX_S": 0.01, "LOKET_UI": False},
    )
    store, catalogue = app.extensions["loket"].store, app.extensions["loket"].catalogue()
    tokens = {n: pair_node(store, n, catalogue=catalogue) for n in ("K1", "C1", "D1")}
    tokens["op"] = issue_operator_token(store, "op", "admin")
    yield app, tokens
    store.close()


def json_routes(app) -> list[tuple[str, dict]]:
    """(url, declared access) of every route that reads a JSON body."""
    out = []
    for rule in app.url_map.iter_rules():
        access = access_of(app.view_functions[rule.endpoint])
        if "POST" not in rule.methods or access is None or access.kind not in ("device", "control"):
            continue
        # node_id: the heartbeat's, called with K1's token (caller() picks the first role)
        values = {"counter_id": "C1", "action": "next", "node_id": "K1"}
        url = rule.build({a: values[a] for a in rule.arguments}, append_unknown=False)[1]
        out.append((url, access))
    return out


def caller(access, tokens) -> dict[str, str]:
    if access.kind == "control":
        return {"X-Loket-Control": SECRET}
    if access.devices:
        node = {"kiosk": "K1", "counter": "C1", "display": "D1"}[access.devices[0]]
        return {"Authorization": f"Bearer {tokens[node]}"}
    return {"Authorization": f"Bearer {tokens['op']}"}


def test_the_fuzz_reaches_every_json_route(hub):
    app, _ = hub
    urls = {url for url, _ in json_routes(app)}
    assert {"/api/v1/tickets", "/api/v1/sync/push", "/api/v1/leases", "/api/v1/counters/C1/next",
            "/api/v1/barrier/lift", "/control/pair", "/control/adduser",
            "/api/v1/nodes/K1/heartbeat"} <= urls  # fmt: skip


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_no_body_makes_a_5xx_or_a_rebuild(hub, data):
    app, tokens = hub
    authority = app.extensions["loket"]
    url, access = data.draw(st.sampled_from(json_routes(app)))
    body = data.draw(bodies())
    if body == OVERSIZED:
        body = b'{"req": "' + b"x" * (2 * 1024 * 1024 + 16) + b'"}'
    resp = app.test_client().post(
        url, data=body, headers={**caller(access, tokens), "Content-Type": "application/json"}
    )
    assert resp.status_code < 500, (url, body[:200], resp.data[:300])
    if resp.status_code >= 400:
        assert resp.is_json and resp.json["error"], (url, resp.data[:200])
    assert authority.rebuilds == 0
    assert authority.store.fault is None


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(query=st.dictionaries(st.sampled_from(["since", "limit", "wait"]), ANY_TEXT, max_size=3))
def test_no_query_makes_a_5xx(hub, query):
    from urllib.parse import quote

    app, tokens = hub
    # as raw bytes on the wire: a lone surrogate becomes invalid UTF-8 (%ED%A0%80)
    raw = "&".join(f"{k}={quote(v.encode('utf-8', 'surrogatepass'))}" for k, v in query.items())
    resp = app.test_client().get(
        "/api/v1/sync/changes", query_string=raw, headers=caller(_Op(), tokens)
    )
    assert resp.status_code < 500 and resp.status_code in (200, 422), resp.data[:200]


class _Op:
    kind, devices = "device", ()
