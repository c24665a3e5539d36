"""Admin sessions kept on the hub, and the throttle on failed logins.

Flask's session is a signed cookie: whoever copied it could replay it until the secret key
changed, logout or not. So the cookie holds only a random session id, and the hub keeps the
session itself: ``{id: sha256(session id), user, created_ms, expires_ms}`` in the store's
``sessions`` table (a hub restart keeps people logged in), the last activity in RAM. A session
ends at logout (its document is deleted, so the same cookie no longer opens anything), after
``max_age_s`` (a working day by default) and after ``idle_s`` without a request. The user's
role is read from the users table on every request, so a changed role applies at once.

Failed logins are throttled per client address and per user name: after ``free`` failures the
next try has to wait 30 s, doubling up to 15 min; success clears the address's count. The
per-name limit is higher, so someone on the hall Wi-Fi cannot lock the manager out by typing
wrong passwords under her name from one laptop (their address is throttled first).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, g, session

from hub.auth import Caller
from hub.store import Store

SESSION_KEY = "sid"


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


class SessionBook:
    """Server-side admin sessions over the store's ``sessions`` table. Thread-safe."""

    def __init__(
        self,
        store: Store,
        now_ms: Callable[[], int],
        *,
        max_age_s: float = 12 * 3600,
        idle_s: float = 3600,
    ):
        self.store = store
        self.now_ms = now_ms
        self.max_age_ms = int(max_age_s * 1000)
        self.idle_ms = int(idle_s * 1000)
        self._lock = threading.Lock()
        self._docs = {doc["id"]: dict(doc) for doc in store.sessions()}
        self._last: dict[str, int] = {}

    def open(self, username: str) -> str:
        """Start a session for ``username``; returns the id to put in the cookie."""
        sid = secrets.token_urlsafe(32)
        now = self.now_ms()
        doc = {"id": _hash(sid), "user": username, "created_ms": now}
        doc["expires_ms"] = now + self.max_age_ms
        with self._lock:
            self._drop_expired(now)
            self.store.put_session(doc)
            self._docs[doc["id"]] = doc
            self._last[doc["id"]] = now
        return sid

    def lookup(self, sid: str | None) -> Caller | None:
        """The user of a live session (ends an expired or idle one), else None."""
        if not isinstance(sid, str) or not sid:
            return None
        key, now = _hash(sid), self.now_ms()
        with self._lock:
            doc = self._docs.get(key)
            if doc is None:
                return None
            last = self._last.setdefault(key, now)  # after a restart: idle from now
            if now >= doc["expires_ms"] or now - last > self.idle_ms:
                self._forget([key])
                return None
            self._last[key] = now
        user = self.store.user(doc["user"])
        if user is None:
            self.close(sid)
            return None
        return Caller("user", doc["user"], user.get("role", "admin"))

    def close(self, sid: str | None) -> None:
        """Logout: the session id opens nothing from now on."""
        if isinstance(sid, str) and sid:
            with self._lock:
                self._forget([_hash(sid)])

    def close_user(self, username: str) -> None:
        """End every session of ``username`` (its password or role was changed)."""
        with self._lock:
            self._forget([k for k, d in self._docs.items() if d["user"] == username])

    def count(self) -> int:
        with self._lock:
            return len(self._docs)

    def _drop_expired(self, now: int) -> None:
        gone = [
            k
            for k, d in self._docs.items()
            if now >= d["expires_ms"] or now - self._last.get(k, now) > self.idle_ms
        ]
        self._forget(gone)

    def _forget(self, keys: list[str]) -> None:
        keys = [k for k in keys if k in self._docs]
        if not keys:
            return
        self.store.drop_sessions(keys)
        for k in keys:
            self._docs.pop(k, None)
            self._last.pop(k, None)


def current_user() -> Caller | None:
    """The logged-in admin of this request (None without a live session)."""
    if "loket_user" not in g:
        book: SessionBook = current_app.extensions["loket_sessions"]
        g.loket_user = book.lookup(session.get(SESSION_KEY))
    return g.loket_user


def start(username: str) -> None:
    """Log ``username`` in: a fresh cookie session (nothing set before survives: fixation)."""
    book: SessionBook = current_app.extensions["loket_sessions"]
    session.clear()
    session[SESSION_KEY] = book.open(username)
    g.pop("loket_user", None)


def end() -> None:
    """Log out: the server forgets the session, the cookie is emptied."""
    book: SessionBook = current_app.extensions["loket_sessions"]
    book.close(session.get(SESSION_KEY))
    session.clear()
    g.pop("loket_user", None)


@dataclass
class _Failures:
    count: int = 0
    last_ms: int = 0


class LoginThrottle:
    """Failed logins per client address and per user name; says how long to wait."""

    def __init__(
        self,
        now_ms: Callable[[], int],
        *,
        free: int = 5,
        free_per_user: int = 20,
        base_s: float = 30,
        max_s: float = 900,
    ):
        self.now_ms = now_ms
        self.free = free
        self.free_per_user = free_per_user
        self.base_ms = int(base_s * 1000)
        self.max_ms = int(max_s * 1000)
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], _Failures] = {}

    def wait_s(self, addr: str, username: str) -> int:
        """Seconds before this address may try this name again (0: now)."""
        now = self.now_ms()
        with self._lock:
            wait = max(
                self._wait(("addr", addr), self.free, now),
                self._wait(("user", username), self.free_per_user, now),
            )
        return -(-wait // 1000)

    def failed(self, addr: str, username: str) -> None:
        now = self.now_ms()
        with self._lock:
            for key in (("addr", addr), ("user", username)):
                f = self._seen.get(key)
                if f is None or now - f.last_ms > self.max_ms:
                    f = self._seen[key] = _Failures()
                f.count += 1
                f.last_ms = now
            if len(self._seen) > 10_000:  # a scan of many names: forget the oldest half
                for key, _ in sorted(self._seen.items(), key=lambda kv: kv[1].last_ms)[:5_000]:
                    del self._seen[key]

    def succeeded(self, addr: str, username: str) -> None:
        with self._lock:
            self._seen.pop(("addr", addr), None)
            self._seen.pop(("user", username), None)

    def _wait(self, key: tuple[str, str], free: int, now: int) -> int:
        f = self._seen.get(key)
        if f is None or f.count < free:
            return 0
        delay = min(self.max_ms, self.base_ms * 2 ** min(20, f.count - free))
        return max(0, f.last_ms + delay - now)
