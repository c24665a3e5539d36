"""GET /board: the hall TV board."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("board", __name__)


@bp.get("/board")
def board() -> str:
    """Placeholder until the full board lands."""
    return "<!doctype html><title>Loket</title><h1>Nomor Antrian</h1>"
