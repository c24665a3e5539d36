"""A CSV file the admin's browser downloads (reports, SKM, the day summary)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

from flask import Response


def csv_response(rows: Iterable[Iterable[Any]], filename: str, *, bom: bool = False) -> Response:
    """``rows`` as a CSV attachment named ``filename`` (made safe for the header); ``bom``
    puts the UTF-8 byte order mark first, which spreadsheet programs need to read UTF-8."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", filename)
    return Response(
        ("\ufeff" if bom else "") + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{safe}"'},
    )


__all__ = ["csv_response"]
