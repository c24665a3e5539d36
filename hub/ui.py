"""Hub web UI: hall board, public ticket status page, admin and reports.

create_app calls register(app) once; every UI blueprint is attached here so
the API modules never need to know which pages exist.
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Attach all UI blueprints to the hub app."""
    # Imported lazily so importing hub.ui never pulls in page modules that
    # may be mid-edit; create_app is the only caller.
    from hub import board

    app.register_blueprint(board.bp)
