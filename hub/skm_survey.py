"""The SKM questionnaire: on a ticket's status page after service, and on an exit tablet.

``POST /t/<public>/survey``: the visitor's phone; the ticket's public id (from its QR code)
is the credential. ``GET/POST /survey?service=``: a tablet at the exit; the visitor types the
ticket number and its code, or a kiosk device / operator token names the ticket by number.
Either way an answer is accepted once per served ticket, only after ``ticket.done``, within
``WINDOW_DAYS``, at most ``PER_MIN`` tries a minute per address, and becomes one hub event
``survey.answered`` (core.events). Forms get a page in the visitor's language; JSON callers
get ``{error, message}``.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from core import skm
from hub import roles, ui
from hub.auth import Caller, optional_caller, public, require_ticket_code
from hub.errors import Refused
from hub.ratelimit import RateLimiter
from hub.skm_text import ERROR_WORDS, lang_of, questions, words

bp = Blueprint("skm_survey", __name__, template_folder="templates")

WINDOW_DAYS = 7
PER_MIN = 10
DAY_MS = 86_400_000


def offer_state(ticket: dict | None, now_ms: int) -> str | None:
    """What the status page offers: None (not served yet), "open", "done" or "closed"."""
    if not ticket or ticket.get("status") != "served":
        return None
    if ticket.get("surveyed"):
        return "done"
    if now_ms - int(ticket.get("finished_ms") or 0) > WINDOW_DAYS * DAY_MS:
        return "closed"
    return "open"


def submit(ticket: dict | None, answers: Any, respondent: Any, via: str) -> dict:
    """Check and write one questionnaire for ``ticket`` (a fold ticket dict); Refused if not."""
    if ticket is None:
        raise Refused("unknown_ticket", "no such ticket", 404)
    try:
        clean = skm.check_answers(answers)
        who = skm.check_respondent(respondent)
    except skm.SurveyError as exc:
        raise Refused("invalid_survey", str(exc), 422) from exc
    auth = ui.authority()
    state = offer_state(ticket, auth.now_ms())
    if state is None:
        raise Refused("not_served", f"{ticket['label']} is {ticket['status']}, not served", 409)
    if state == "done" or auth.has_req(_req(ticket)):
        raise Refused("already_surveyed", f"{ticket['label']} was already surveyed", 409)
    if state == "closed":
        raise Refused("survey_closed", f"more than {WINDOW_DAYS} days since service", 409)
    body: dict[str, Any] = {"answers": clean, "via": via}
    if who:
        body["respondent"] = who
    # The req makes the write once-only even for two submits racing past the checks above.
    return auth.commit_hub_event(
        "survey.answered", ticket=ticket["key"], req=_req(ticket), body=body
    )


def _req(ticket: dict) -> str:
    return f"survey:{ticket['key']}"


def _limited() -> None:
    limits = current_app.extensions.get("loket_skm_limits")
    if limits is None:
        limits = RateLimiter(PER_MIN, ui.authority().clock.mono_ms)
        current_app.extensions["loket_skm_limits"] = limits
    wait = limits.take("survey", request.remote_addr or "?")
    if wait:
        raise Refused("too_many_requests", f"try again in {wait} s", 429, retry_after_s=wait)


def answers_from_request() -> tuple[Any, Any]:
    """(answers, respondent) from a JSON body or the form (fields u1..u9, jk, umur...)."""
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise Refused("invalid_survey", "a JSON object {answers, respondent?}", 400)
        return data.get("answers"), data.get("respondent")
    form = request.form
    answers: list[Any] = []
    for i in range(skm.N_UNSUR):
        raw = form.get(f"u{i + 1}", "")
        answers.append(int(raw) if raw.isdigit() else raw or None)
    age = form.get("umur", "").strip()
    respondent = {
        "jenis_kelamin": form.get("jenis_kelamin") or None,
        "umur": int(age) if age.isdigit() else age or None,
        "pendidikan": form.get("pendidikan") or None,
        "pekerjaan": form.get("pekerjaan") or None,
    }
    return answers, respondent


def _answer(fn, back: str, lang: str) -> Any:
    """Run a submission; JSON in -> JSON out, a form -> a page (redirect on success)."""
    try:
        _limited()
        event = fn()
    except Refused as exc:
        if request.is_json:
            return jsonify({"error": exc.code, "message": exc.message, **exc.extra}), exc.status
        t = words(lang)
        reason = t[ERROR_WORDS.get(exc.code, "err_invalid")]
        page = render_template(
            "skm_result.html", t=t, lang=lang, ok=False, reason=reason, back=back
        )
        return page, exc.status
    if request.is_json:
        return jsonify({"event": event}), 201
    return redirect(back, code=303)


@bp.post("/t/<public>/survey")
@require_ticket_code
def status_survey(public: str) -> Any:
    lang = lang_of(request.args.get("lang"))
    back = url_for("status_page.status", public=public, lang=_lang_arg(lang))

    def go() -> dict:
        ticket = _by_public(public)
        answers, respondent = answers_from_request()
        return submit(ticket, answers, respondent, "status")

    return _answer(go, back, lang)


@bp.get("/survey")
@public
def tablet_page() -> Any:
    lang = lang_of(ui.page_lang())  # the hub pages' rule: ?lang=, remembered
    service = request.args.get("service", "")
    services = ui.services()
    t = words(lang)
    if service and service not in services:
        page = render_template(
            "skm_result.html", t=t, lang=lang, ok=False, reason=t["err_unknown_service"], back=""
        )
        return page, 404
    name = ui.field(services.get(service), "name", "") if service else ""
    return render_template(
        "skm_tablet.html",
        t=t,
        lang=lang,
        service=service,
        service_name=name,
        questions=questions(lang),
        choices=skm.RESPONDENT_CHOICES,
        thanks=request.args.get("sent") == "1",
    )


@bp.post("/survey")
@require_ticket_code
def tablet_submit() -> Any:
    lang = lang_of(ui.page_lang())  # the hub pages' rule: ?lang=, remembered
    service = request.args.get("service", "")

    def go() -> dict:
        data = request.get_json(silent=True) if request.is_json else request.form
        if not hasattr(data, "get"):
            raise Refused("invalid_survey", "a JSON object {ticket, code?, answers}", 400)
        number = str(data.get("ticket") or "").strip().upper()
        ticket = _tablet_ticket(number, str(data.get("code") or "").strip())
        if ticket is not None and service and ticket.get("service") != service:
            ticket = None  # a tablet at one service's exit takes only its own tickets
        answers, respondent = answers_from_request()
        caller = optional_caller()
        return submit(ticket, answers, respondent, caller.id if caller else "tablet")

    done = url_for("skm_survey.tablet_page", service=service or None, lang=_lang_arg(lang), sent=1)
    return _answer(go, done, lang)


def _lang_arg(lang: str) -> str | None:
    return lang if lang == "en" else None


def _by_public(public: str) -> dict | None:
    if not public or len(public) > 64:
        return None
    return ui.authority().ticket_by_public(public)


def _tablet_ticket(number: str, code: str) -> dict | None:
    """The ticket a tablet names: by number alone for a trusted caller, else number + code."""
    caller = optional_caller()
    if _trusted(caller):
        key = number if "/" in number else f"{ui.authority().today()}/{number}"
        return _by_key(key)
    ticket = _by_public(code) if code else None
    if ticket is None or ticket.get("label", "").upper() != number:
        return None
    return ticket


def _trusted(caller: Caller | None) -> bool:
    if caller is None:
        return False
    if caller.kind == "device":
        return caller.role == "kiosk"
    return caller.kind == "operator" and roles.at_least(caller.role, "supervisor")


def _by_key(key: str) -> dict | None:
    # Only trusted tablets name a ticket without its code; the fold is indexed by public id,
    # so the issue record gives it (a scan, for an occasional call).
    for record in ui.iter_records(0):
        ev = record["event"]
        if ev["type"] == "ticket.issued" and ev.get("ticket") == key:
            pub = (ev.get("body") or {}).get("public")
            return _by_public(pub) if pub else None
    return None
