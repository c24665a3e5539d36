"""The regional server: many malls' hubs push their logs up; one dashboard; online bookings.

``create_app(config, pool)`` -> Flask. Runs off-site on PostgreSQL (``region.db``). Never
imports ``hub`` or ``node``: what it shares with them lives in ``core`` (events, the KPI
rules, the catalogue, passwords and roles).
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from core.config_region import RegionConfig


def create_app(config: RegionConfig, pool: Any, *, settings: dict | None = None) -> Flask:
    from region import api, booking_page, pages
    from region.dashboard import ReportCache
    from region.db import setting

    app = Flask(__name__)
    with pool.connection() as conn:
        app.secret_key = setting(conn, "secret_key")
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=4 * 1024 * 1024,
        **(settings or {}),
    )
    app.extensions["region_pool"] = pool
    app.extensions["region_config"] = config
    app.extensions["region_reports"] = ReportCache()
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(booking_page.bp)
    return app
