"""Every route checks the caller's role: a walk over ``app.url_map`` (issue 8, item 3).

Each route declares who may call it (``hub.auth``: ``public``, ``require_device``,
``require_role``, ``require_control``, the login form). The walk reads that declaration and
proves it: every writing route refuses anonymous callers, each wrong device role, a device
acting for another id, each insufficient admin or operator role, a missing CSRF token, a
session cookie used after logout and tokens where a session is needed (or, on a JSON route
that takes both, device tokens and a session without the CSRF header); and every refusal
leaves the log and the documents unchanged. A positive control per route shows the right
caller gets past the guard, so a refusal is the guard's doing. A route the walk does not
know how to authorise (no declaration, or a URL argument it cannot fill) fails the test.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from core.clock import FakeClock
from core.config import hub_config_from_dict
from hub.auth import access_of

T0 = 1_795_831_200_000
PASSWORD = "kata-sandi-panjang"
SECRET = "control-secret-for-the-walk"
DEVICES = {"kiosk": ("K1", "K2"), "counter": ("C1", "C2"), "display": ("D1", "D2")}
ROLES = ("viewer", "supervisor", "admin")
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# URL arguments the walk knows how to fill (the own id of a device is filled per caller).
ARGS = {
    "counter_id": "C1",
    "action": "next",
    "public": "abcdefghijkl",
    "node_id": "C1",
    "kind": "service",
    "entity_id": "A",
}
BODY = {"req": "walk", "service": "B", "inc": "w1", "events": [], "score": 4, "to": "A"}


def walk_config(data_dir):
    return hub_config_from_dict(
        {
            "mpp": {"name": "MPP Walk", "timezone": "Asia/Jakarta"},
            "hub": {"host": "127.0.0.1", "port": 8080, "data_dir": str(data_dir)},
            "agencies": [{"id": "dukcapil", "name": "Dukcapil"}],
            "services": [
                {"id": "A", "name": "KTP", "agency": "dukcapil"},
                {"id": "B", "name": "KK", "agency": "dukcapil"},
            ],
            "counters": [
                {"id": "C1", "number": 1, "services": ["A", "B"]},
                {"id": "C2", "number": 2, "services": ["B"]},
            ],
            "kiosks": [
                {"id": "K1", "name": "Kiosk 1", "services": ["A", "B"]},
                {"id": "K2", "name": "Kiosk 2", "services": ["A", "B"]},
            ],
            "displays": [{"id": "D1", "name": "Hall"}, {"id": "D2", "name": "Hall 2"}],
        }
    )


@dataclass
class Mall:
    app: Any
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def authority(self) -> Any:
        return self.app.extensions["loket"]

    def fingerprint(self) -> str:
        """What a refused request must not change: the log and every document."""
        store = self.authority.store
        docs = {
            "journal": store.journal.count,
            "settings": store.settings(),
            "users": sorted(json.dumps(u, sort_keys=True) for u in store.users()),
            "tokens": sorted((n["id"], n.get("token_hash")) for n in store.nodes()),
            "sessions": sorted(s["id"] for s in store.sessions()),
        }
        return hashlib.sha256(json.dumps(docs, sort_keys=True).encode()).hexdigest()

    def bearer(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def login(self, role: str) -> Any:
        client = self.app.test_client()
        page = client.get("/admin/login").get_data(as_text=True)
        data = {"username": role, "password": PASSWORD, "csrf_token": csrf_of(page)}
        assert client.post("/admin/login", data=data).status_code == 302
        return client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def session_csrf(client: Any) -> str:
    return csrf_of(client.get("/admin/").get_data(as_text=True))


@pytest.fixture
def mall(tmp_path):
    from hub import create_app
    from hub.auth import add_user, issue_operator_token, pair_node

    clock = FakeClock(wall_ms=T0, mono_ms=1_000, boot_id="walk")
    app = create_app(
        walk_config(tmp_path / "hub"),
        clock=clock,
        settings={"LOKET_CONTROL_SECRET": SECRET, "LOKET_SSE_HEARTBEAT_S": 0.05},
    )
    app.config["TESTING"] = True
    mall = Mall(app)
    store = mall.authority.store
    for ids in DEVICES.values():
        for node in ids:
            mall.tokens[node] = pair_node(store, node, catalogue=mall.authority.catalogue())
    for role in ROLES:
        mall.tokens[f"op-{role}"] = issue_operator_token(store, f"op-{role}", role)
        add_user(store, role, PASSWORD, role=role)
    yield mall
    store.close()


def routes(app) -> list[tuple[str, str, Any]]:
    """(rule, endpoint, declared access) of every route but static files."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        out.append((rule, rule.endpoint, access_of(app.view_functions[rule.endpoint])))
    return out


def url_for_rule(rule, **given: str) -> str:
    values = {}
    for arg in rule.arguments:
        if arg in given:
            values[arg] = given[arg]
        elif arg in ARGS:
            values[arg] = ARGS[arg]
        else:
            pytest.fail(f"the walk does not know how to fill <{arg}> of {rule.rule}")
    return rule.build(values, append_unknown=False)[1]


def send(client: Any, method: str, url: str, *, headers=None, body=None, form=None) -> Any:
    if form is not None:
        return client.open(url, method=method, data=form, headers=headers or {})
    return client.open(url, method=method, json=body or BODY, headers=headers or {})


def test_every_route_declares_who_may_call_it(mall):
    missing = [rule.rule for rule, _, access in routes(mall.app) if access is None]
    assert missing == [], "routes without hub.auth declaration: " + ", ".join(missing)
    public_writes = [
        rule.rule
        for rule, _, access in routes(mall.app)
        if access is not None and access.kind == "public" and rule.methods & WRITES
    ]
    assert public_writes == []  # public routes are read-only


def other_of(node: str) -> str:
    for ids in DEVICES.values():
        if node in ids:
            return ids[1] if node == ids[0] else ids[0]
    raise AssertionError(node)


def device_attempts(mall: Mall, rule, access, method: str) -> list[tuple[str, Any, tuple]]:
    """(what, callable -> response, statuses that count as refused)."""
    attempts: list[tuple[str, Any, tuple]] = []
    client = mall.app.test_client()
    own_role = access.devices[0] if access.devices else None
    me = DEVICES[own_role][0] if own_role else None
    url = url_for_rule(rule, **({access.own_arg: me} if access.own_arg and me else {}))
    body = dict(BODY, **({access.own_field: me} if access.own_field and me else {}))

    attempts.append(("anonymous", lambda: send(client, method, url, body=body), (401,)))
    for junk in ("Bearer nope", "Basic abc", "Bearer "):
        attempts.append(
            (junk, lambda j=junk: send(client, method, url, headers={"Authorization": j}), (401,))
        )
    for role, (node, _) in DEVICES.items():
        if role in access.devices:
            continue
        attempts.append(
            (f"a {role}", lambda n=node: send(client, method, url, headers=mall.bearer(n)), (403,))
        )
    if me is not None:
        other = other_of(me)
        if access.own_arg:
            other_url = url_for_rule(rule, **{access.own_arg: other})
            attempts.append(
                (
                    f"{me} as {other}",
                    lambda: send(client, method, other_url, headers=mall.bearer(me), body=body),
                    (403,),
                )
            )
        if access.own_field:
            forged = dict(BODY, **{access.own_field: other})
            attempts.append(
                (
                    f"{me} naming {other}",
                    lambda: send(client, method, url, headers=mall.bearer(me), body=forged),
                    (403,),
                )
            )
    for role in ROLES:
        if access.role is not None and ROLES.index(role) >= ROLES.index(access.role):
            continue
        attempts.append(
            (
                f"operator {role}",
                lambda r=role: send(client, method, url, headers=mall.bearer(f"op-{r}"), body=body),
                (403,),
            )
        )
    admin = mall.login("admin")
    attempts.append(("an admin session", lambda: send(admin, method, url, body=body), (401,)))
    return attempts


def role_attempts(mall: Mall, rule, access, method: str) -> list[tuple[str, Any, tuple]]:
    url = url_for_rule(rule)
    login = (302, 303)
    attempts: list[tuple[str, Any, tuple]] = []
    anon = mall.app.test_client()
    token = csrf_of(anon.get("/admin/login").get_data(as_text=True))
    attempts.append(
        ("anonymous", lambda: send(anon, method, url, form={"csrf_token": token}), login)
    )
    for name in ("K1", "C1", "op-admin"):
        attempts.append(
            (
                f"token {name}",
                lambda n=name: send(
                    anon, method, url, headers=mall.bearer(n), form={"csrf_token": token}
                ),
                login,
            )
        )
    for role in ROLES[: ROLES.index(access.role)]:
        user = mall.login(role)
        form = {"csrf_token": session_csrf(user)}
        attempts.append(
            (f"user {role}", lambda u=user, f=form: send(u, method, url, form=f), (403,))
        )
    if method in WRITES:
        user = mall.login(access.role)
        attempts.append(("no CSRF token", lambda: send(user, method, url, form={}), (400,)))
        stale = mall.login("admin")
        form = {"csrf_token": session_csrf(stale)}
        cookie = stale.get_cookie("session").value
        send(stale, "POST", "/admin/logout", form=form)
        replay = mall.app.test_client()
        replay.set_cookie("session", cookie)
        attempts.append(
            ("a session cookie after logout", lambda: send(replay, method, url, form=form), login)
        )
    return attempts


def api_role_attempts(mall: Mall, rule, access, method: str) -> list[tuple[str, Any, tuple]]:
    """A role route for JSON callers (``require_role(role, api=True)``): a session with the
    CSRF token in its header, or an operator token of the role; refusals are JSON."""
    url = url_for_rule(rule)
    anon = mall.app.test_client()
    attempts: list[tuple[str, Any, tuple]] = [
        ("anonymous", lambda: send(anon, method, url), (401,))
    ]
    for junk in ("Bearer nope", "Bearer "):
        attempts.append(
            (junk, lambda j=junk: send(anon, method, url, headers={"Authorization": j}), (401,))
        )
    for node in ("K1", "C1", "D1"):  # a device configures nothing, whatever its role
        attempts.append(
            (
                f"device {node}",
                lambda n=node: send(anon, method, url, headers=mall.bearer(n)),
                (403,),
            )
        )
    for role in ROLES[: ROLES.index(access.role)]:
        attempts.append(
            (
                f"operator {role}",
                lambda r=role: send(anon, method, url, headers=mall.bearer(f"op-{r}")),
                (403,),
            )
        )
        user = mall.login(role)
        header = {"X-CSRF-Token": session_csrf(user)}
        attempts.append(
            (f"user {role}", lambda u=user, h=header: send(u, method, url, headers=h), (403,))
        )
    if method in WRITES:
        user = mall.login(access.role)
        session_csrf(user)  # the page made its token: only the header is missing
        attempts.append(("no CSRF header", lambda: send(user, method, url), (400,)))
        forged = {"X-CSRF-Token": "forged"}
        attempts.append(
            ("a forged CSRF header", lambda: send(user, method, url, headers=forged), (400,))
        )
        stale = mall.login("admin")
        header = {"X-CSRF-Token": session_csrf(stale)}
        cookie = stale.get_cookie("session").value
        send(stale, "POST", "/admin/logout", form={"csrf_token": header["X-CSRF-Token"]})
        replay = mall.app.test_client()
        replay.set_cookie("session", cookie)
        attempts.append(
            (
                "a session cookie after logout",
                lambda: send(replay, method, url, headers=header),
                (401,),
            )
        )
    return attempts


def control_attempts(mall: Mall, rule, access, method: str) -> list[tuple[str, Any, tuple]]:
    url = url_for_rule(rule)
    client = mall.app.test_client()
    lan = mall.app.test_client()
    lan.environ_base["REMOTE_ADDR"] = "192.168.1.50"
    good = {"X-Loket-Control": SECRET}
    return [
        ("anonymous", lambda: send(client, method, url), (401,)),
        (
            "a wrong secret",
            lambda: send(client, method, url, headers={"X-Loket-Control": "x"}),
            (401,),
        ),
        ("the LAN", lambda: send(lan, method, url, headers=good), (403,)),
        (
            "an admin token",
            lambda: send(client, method, url, headers=mall.bearer("op-admin")),
            (401,),
        ),
    ]


def code_attempts(mall: Mall, rule, access, method: str) -> list[tuple[str, Any, tuple]]:
    """A route whose credential is a one-time code in the body (``POST /api/v1/pair``): no
    code, a malformed one, an unknown one, and a valid token instead of a code."""
    url = url_for_rule(rule)
    client = mall.app.test_client()
    return [
        ("no code", lambda: send(client, method, url, body={"role": "kiosk"}), (422,)),
        ("a malformed code", lambda: send(client, method, url, body={"code": "0000"}), (422,)),
        ("an unknown code", lambda: send(client, method, url, body={"code": "ABCD-EFGH"}), (404,)),
        (
            "an admin token",
            lambda: send(client, method, url, headers=mall.bearer("op-admin"), body={"x": 1}),
            (422,),
        ),
    ]


def ticket_attempts(mall: Mall, rule, access, method: str) -> list[tuple[str, Any, tuple]]:
    """A write whose credential is a ticket's public id (the SKM survey): an unknown ticket,
    a token instead of a ticket's code, a number without its code; none may write."""
    url = url_for_rule(rule)
    client = mall.app.test_client()
    survey = {"answers": [4] * 9, "ticket": "A-001"}
    return [
        ("anonymous", lambda: send(client, method, url, body=survey), (404,)),
        (
            "an admin token",
            lambda: send(client, method, url, headers=mall.bearer("op-admin"), body=survey),
            (404,),
        ),
        (
            "a counter token",
            lambda: send(client, method, url, headers=mall.bearer("C1"), body=survey),
            (404,),
        ),
        ("a form", lambda: send(client, method, url, form={"ticket": "A-001"}), (404,)),
    ]


def assert_refused(mall: Mall, rule, method: str, attempts) -> None:
    for what, attempt, statuses in attempts:
        before = mall.fingerprint()
        resp = attempt()
        where = f"{method} {rule.rule} by {what}"
        assert resp.status_code in statuses, f"{where}: {resp.status_code} {resp.data[:200]!r}"
        if resp.status_code in (302, 303):
            assert "/admin/login" in resp.headers["Location"], where
        assert mall.fingerprint() == before, f"{where} changed the hub's state"
    assert mall.authority.rebuilds == 0


def positive_control(mall: Mall, rule, access, method: str) -> None:
    """The right caller is not refused by the guard (whatever the view then answers)."""
    if access.kind == "device":
        name = DEVICES[access.devices[0]][0] if access.devices else f"op-{access.role}"
        url = url_for_rule(rule, **({access.own_arg: name} if access.own_arg else {}))
        body = dict(BODY, **({access.own_field: name} if access.own_field else {}))
        client = mall.app.test_client()
        resp = send(client, method, url, headers=mall.bearer(name), body=body)
        assert resp.status_code not in (401, 403), (rule.rule, resp.data[:300])
    elif access.kind == "role" and access.tokens:
        client = mall.app.test_client()
        resp = send(client, method, url_for_rule(rule), headers=mall.bearer(f"op-{access.role}"))
        assert resp.status_code not in (401, 403), (rule.rule, resp.data[:300])
        user = mall.login(access.role)
        header = {"X-CSRF-Token": session_csrf(user)}
        resp = send(user, method, url_for_rule(rule), headers=header)
        assert resp.status_code not in (400, 401, 403), (rule.rule, resp.data[:300])
    elif access.kind == "role":
        user = mall.login(access.role)
        form = {"csrf_token": session_csrf(user), "node": "K1", "ticket": "A-001"}
        sessions = len(mall.authority.store.sessions())
        resp = send(user, method, url_for_rule(rule), form=form)
        assert resp.status_code not in (400, 401, 403), (rule.rule, resp.data[:300])
        if rule.endpoint == "admin.logout":  # its success is the way to the login page
            assert len(mall.authority.store.sessions()) == sessions - 1
        elif resp.status_code in (302, 303):
            assert "/admin/login" not in resp.headers["Location"], rule.rule
    elif access.kind == "code":
        from hub.pairing import new_code

        authority = mall.authority
        made = new_code(
            authority.store, "D2", catalogue=authority.catalogue(), now_ms=authority.now_ms()
        )
        resp = send(mall.app.test_client(), method, url_for_rule(rule), body={"code": made["code"]})
        assert resp.status_code == 200, resp.data[:300]
        mall.tokens["D2"] = resp.get_json()["token"]
    elif access.kind == "control":
        client = mall.app.test_client()
        body = {
            "node_id": "K2",
            "username": "walker",
            "password": PASSWORD,
            "dest": "/nonexistent/x",
        }
        resp = send(
            client, method, url_for_rule(rule), headers={"X-Loket-Control": SECRET}, body=body
        )
        assert resp.status_code not in (401, 403), (rule.rule, resp.data[:300])


def test_every_route_refuses_whoever_it_does_not_serve(mall):
    walked = 0
    for rule, _endpoint, access in routes(mall.app):
        assert access is not None, rule.rule
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        for method in methods:
            if access.kind == "public":
                continue  # read-only (checked above) and open to all
            if access.kind == "login":
                client = mall.app.test_client()
                form = {"username": "admin", "password": PASSWORD}
                attempt = [
                    (
                        "no CSRF token",
                        lambda c=client, u=rule.rule, f=form: send(c, "POST", u, form=f),
                        (400,),
                    )
                ]
                if method == "POST":
                    assert_refused(mall, rule, method, attempt)
                continue
            if access.kind == "device":
                attempts = device_attempts(mall, rule, access, method)
            elif access.kind == "role" and access.tokens:
                attempts = api_role_attempts(mall, rule, access, method)
            elif access.kind == "role":
                attempts = role_attempts(mall, rule, access, method)
            elif access.kind == "control":
                attempts = control_attempts(mall, rule, access, method)
            elif access.kind == "code":
                attempts = code_attempts(mall, rule, access, method)
            elif access.kind == "ticket":
                # positive control: tests/hub/test_skm_survey.py submits to both routes
                attempts = ticket_attempts(mall, rule, access, method)
            else:
                pytest.fail(f"the walk does not know access kind {access.kind!r} ({rule.rule})")
            assert_refused(mall, rule, method, attempts)
            positive_control(mall, rule, access, method)
            walked += 1
    assert walked >= 15  # every API write, feed, admin page and control route was walked


def test_the_declarations_match_the_role_table(mall):
    """The table in hub.roles, as the routes declare it (a change to either shows here)."""
    declared = {
        (rule.rule, tuple(sorted(rule.methods - {"HEAD", "OPTIONS"}))): (
            access.kind, access.devices, access.role, access.own_arg or access.own_field
        )
        for rule, _, access in routes(mall.app)
        if access.kind in ("device", "role", "control")
    }  # fmt: skip
    assert declared[("/api/v1/tickets", ("POST",))] == ("device", ("kiosk",), "supervisor", "kiosk")
    assert declared[("/api/v1/counters/<counter_id>/<action>", ("POST",))] == (
        "device", ("counter",), "supervisor", "counter_id"
    )  # fmt: skip
    assert declared[("/api/v1/sync/push", ("POST",))] == (
        "device", ("kiosk", "counter", "display"), None, "node"
    )  # fmt: skip
    assert declared[("/api/v1/leases", ("POST",))] == ("device", ("kiosk",), None, "kiosk")
    assert declared[("/api/v1/barrier/lift", ("POST",))] == ("device", (), "supervisor", None)
    assert declared[("/admin/barrier/lift", ("POST",))][2] == "supervisor"
    assert declared[("/admin/tickets/cancel", ("POST",))][2] == "supervisor"
    assert declared[("/admin/nodes/pair", ("POST",))][2] == "admin"
    assert declared[("/admin/running-text", ("POST",))][2] == "supervisor"  # the hall's line
    assert declared[("/admin/running-text", ("GET",))][2] == "viewer"
    # the floor's supervisor actions (floor-followup): a late recall, a kiosk's reprint
    for path in ("/admin/floor/call", "/admin/floor/pause", "/admin/floor/recall"):
        assert declared[(path, ("POST",))][2] == "supervisor"
    assert declared[("/admin/floor/reprint", ("POST",))][2] == "supervisor"
    assert declared[("/admin/", ("GET",))][2] == "viewer"
    assert declared[("/control/pair", ("POST",))][0] == "control"
    assert declared[("/control/import-profile", ("POST",))][0] == "control"
    # pairing by code (issue 14): admins make codes and revoke tokens; the CLI through control
    assert declared[("/admin/pairing/", ("GET",))][2] == "admin"
    assert declared[("/admin/pairing/code", ("POST",))][2] == "admin"
    assert declared[("/admin/pairing/revoke", ("POST",))][2] == "admin"
    for path in ("/control/device-code", "/control/tokens", "/control/revoke"):
        assert declared[(path, ("POST",))][0] == "control"
    # daily close (issue 11): supervisors by session + CSRF; the CLI through control
    assert declared[("/admin/day/close", ("POST",))][2] == "supervisor"
    assert declared[("/admin/archive", ("GET",))][2] == "viewer"
    assert declared[("/control/day/close", ("POST",))][0] == "control"
    [pair] = [a for r, _, a in routes(mall.app) if r.rule == "/api/v1/pair"]
    assert pair.kind == "code"
    # the SKM survey (issue 11): the ticket's public id is the credential; the report: viewers
    for path in ("/t/<public>/survey", "/survey"):
        [survey] = [a for r, _, a in routes(mall.app) if r.rule == path and "POST" in r.methods]
        assert survey.kind == "ticket"
    assert declared[("/admin/skm", ("GET",))][2] == "viewer"
    assert declared[("/admin/skm.csv", ("GET",))][2] == "viewer"
    # the catalogue edit (C1): admins only, by session + CSRF header or an operator token
    assert declared[("/api/v1/catalogue", ("POST",))] == ("role", (), "admin", None)
    [catalogue] = [
        a for r, _, a in routes(mall.app) if r.rule == "/api/v1/catalogue" and "POST" in r.methods
    ]
    assert catalogue.tokens is True
