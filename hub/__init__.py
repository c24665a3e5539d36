"""The hub: a Flask app that is the single writer of the queue (DESIGN.md "Hub server").

``create_app(config)`` opens the store in ``config.hub.data_dir``, replays the journal into an
:class:`hub.authority.Authority` and registers the API and UI blueprints. Nothing happens at
import time; ``hub.commands`` serves the app with waitress.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from core.clock import Clock


def create_app(
    config: Any,
    *,
    clock: Clock | None = None,
    store: Any = None,
    settings: dict[str, Any] | None = None,
) -> Flask:
    """Build the hub app for a validated ``HubConfig``.

    ``store`` (a :class:`hub.store.Store`) and ``settings`` (Flask config overrides such as
    ``LOKET_SSE_HEARTBEAT_S``) are for tests; by default the store lives in ``hub.data_dir``.
    """
    from hub import api, auth, catalogue_api, control, errors, health, pairing, sse, sync_api
    from hub.authority import Authority
    from hub.ratelimit import RateLimiter
    from hub.sessions import LoginThrottle, SessionBook
    from hub.store import Store

    app = Flask(__name__)
    app.config.update(
        LOKET_SSE_HEARTBEAT_S=15.0,
        LOKET_SSE_RETRY_MS=2000,
        LOKET_SSE_MAX_PER_IP=8,
        LOKET_LONGPOLL_MAX_S=25.0,
        LOKET_RATING_WINDOW_S=120.0,
        LOKET_SESSION_MAX_S=12 * 3600.0,
        LOKET_SESSION_IDLE_S=3600.0,
        LOKET_CONTROL_SECRET=None,
        # A push of 1000 events is ~600 KB; anything bigger is refused (413) unread.
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    app.config.update(settings or {})
    hub_cfg = getattr(config, "hub", None)
    data_dir = Path(getattr(hub_cfg, "data_dir", "data"))
    if store is None:
        store = Store(data_dir)
    app.secret_key = _secret_key(hub_cfg, data_dir)
    authority = Authority(config, store, clock, rating_window_s=app.config["LOKET_RATING_WINDOW_S"])
    app.extensions["loket"] = authority
    app.extensions["loket_sessions"] = SessionBook(
        store,
        authority.clock.wall_ms,
        max_age_s=float(app.config["LOKET_SESSION_MAX_S"]),
        idle_s=float(app.config["LOKET_SESSION_IDLE_S"]),
    )
    app.extensions["loket_logins"] = LoginThrottle(authority.clock.mono_ms)
    app.extensions["loket_limits"] = RateLimiter(
        int(getattr(hub_cfg, "issue_per_min", 30)), authority.clock.mono_ms
    )
    # Where visitors' phones reach /t/<id> (the QR code); "" = no QR on tickets.
    app.config["LOKET_PUBLIC_URL"] = getattr(hub_cfg, "public_url", "") or ""
    errors.register(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(sync_api.bp)
    app.register_blueprint(catalogue_api.bp)
    app.register_blueprint(control.bp)
    pairing.register(app)
    sse.register(app)
    health.register(app)
    # The stream is public and read-only like the board it feeds (hub.sse registers it).
    auth.public(app.view_functions["stream"])
    if app.config.get("LOKET_UI", True):
        from hub import ui

        ui.register(app)
    return app


def _secret_key(hub_cfg: Any, data_dir: Path) -> bytes:
    """The session-signing key: from ``hub.secret_key_file``, created there on first start."""
    path = getattr(hub_cfg, "secret_key_file", None)
    path = Path(path) if path else data_dir / "secret_key"
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    fd = path.open("xb")
    try:
        fd.write(key)
    finally:
        fd.close()
    path.chmod(0o600)
    return key
