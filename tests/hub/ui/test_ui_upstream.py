"""The admin dashboard and /healthz show the regional link's state (issue 12): here with the
region unreachable (a real HTTP client to a port nobody listens on)."""

from __future__ import annotations

import socket

from core.config_region import UpstreamConfig


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # released again: nobody listens there


def test_dashboard_and_healthz_show_the_backlog_while_the_region_is_down(
    admin, authority, tmp_path
) -> None:
    from hub.upstream import HttpRegion, Upstream

    url = f"http://127.0.0.1:{closed_port()}"
    config = UpstreamConfig(url=url, site="mpp-uji", token_file=tmp_path / "t")
    upstream = Upstream(authority, config, region=HttpRegion(url, "token", timeout=2))
    admin.application.extensions["loket_upstream"] = upstream
    assert upstream.step() is False

    page = admin.get("/admin/").get_data(as_text=True)
    assert "Server regional" in page and "Tidak terhubung" in page
    assert f'data-backlog="{authority.last_hseq}"' in page
    health = admin.get("/healthz").get_json()["upstream"]
    assert health["online"] is False and health["backlog"] == authority.last_hseq > 0
    assert "unreachable" in health["last_error"]
