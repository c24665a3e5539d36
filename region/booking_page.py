"""The public, mobile-first booking page: site, service, date, session -> code and QR.

Quota-aware through ``region.bookings`` (the site's catalogue came up with its events). The
QR code is drawn here as SVG (``qrcode``), nothing is loaded from elsewhere.

The form needs no login, so one address could book a session empty in a loop: its posts are
limited per address (``[region] booking_per_min``, ``core.ratelimit`` buckets; over it: 429
with the page's words and ``Retry-After``, no booking made). The address is the connection's
(``request.remote_addr``): behind a reverse proxy, the proxy must pass the citizen's address
(werkzeug ``ProxyFix``) or every citizen shares one bucket.
"""

from __future__ import annotations

import math
import time
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, request
from markupsafe import Markup

from core.ratelimit import RateLimiter
from region import bookings, sites
from region.auth import citizen_form, csrf_token, public
from region.dashboard import catalogue_of
from region.words import TEXT, lang_of

bp = Blueprint("region_booking", __name__, url_prefix="/region/book", template_folder="templates")


def _cfg():
    return current_app.extensions["region_config"]


def _pool():
    return current_app.extensions["region_pool"]


def _limiter() -> RateLimiter:
    ext = current_app.extensions
    if "region_booking_limit" not in ext:  # one per app, made at its first booking post
        ext.setdefault(
            "region_booking_limit",
            RateLimiter(_cfg().booking_per_min, lambda: int(time.monotonic() * 1000)),
        )
    return ext["region_booking_limit"]


def qr_svg(text: str) -> Markup:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    return Markup(image.to_string(encoding="unicode"))


@bp.get("/")
@public
def pick_site() -> Any:
    lang = lang_of(request.args.get("lang"))
    with _pool().connection() as conn:
        listed = sites.sites(conn)
    return render_template("region_book_sites.html", t=TEXT[lang], lang=lang, sites=listed)


def _dates(tz: ZoneInfo) -> list[date]:
    today = datetime.now(tz).date()
    return [today + timedelta(days=i) for i in range(_cfg().booking_days + 1)]


@bp.route("/<site>", methods=["GET", "POST"])
@citizen_form
def book(site: str) -> Any:
    lang = lang_of(request.args.get("lang"))
    t = TEXT[lang]
    values = request.form if request.method == "POST" else request.args
    with _pool().connection() as conn:
        if site not in {s["id"] for s in sites.sites(conn)}:
            abort(404)
        cat = catalogue_of(conn, site)
        tz = ZoneInfo(cat.timezone or _cfg().timezone)
        dates = _dates(tz)
        service = values.get("service") or next(iter(cat.services), None)
        try:
            day = date.fromisoformat(values.get("date") or dates[0].isoformat())
        except ValueError:
            day = None
        error, code = None, None
        wait_s = (
            _limiter().take("book", request.remote_addr or "") if request.method == "POST" else 0
        )
        if wait_s:
            error = "too_many_bookings"
        elif request.method == "POST":
            session_id = values.get("session") or None
            if day not in dates:
                error = "bad_date"
            else:
                try:
                    code = bookings.book(
                        conn, site, service, day, session_id, _cfg().booking_grace_min
                    )
                except bookings.BookingRefused as exc:
                    error = exc.code
            if code is not None:
                return render_template(
                    "region_book_done.html",
                    t=t,
                    lang=lang,
                    code=code,
                    qr=qr_svg(code),
                    service=cat.services[service],
                    day=day,
                    session=session_id,
                    hint=t["book_hint"].format(grace=_cfg().booking_grace_min),
                )
        slots = (
            bookings.slots(conn, site, service, day)
            if day in dates and service in cat.services
            else []
        )
    status = 200 if error is None else (429 if wait_s else 409)
    headers = {"Retry-After": str(math.ceil(wait_s))} if wait_s else {}
    return (
        render_template(
            "region_book.html",
            t=t,
            lang=lang,
            site=site,
            services=cat.services,
            service=service,
            dates=dates,
            day=day,
            slots=slots,
            error=error,
            csrf_token=csrf_token(),
        ),
        status,
        headers,
    )
