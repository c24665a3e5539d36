"""One language at a time (issue 11 item 5): every HTML page of the hub, walked in
Indonesian and in English, shows no phrase of the other language's words (hub.ui.TEXT), and
the language chosen once is remembered; unknown pages and tickets get the error page in the
page's language, JSON routes keep JSON."""

from __future__ import annotations

import html
import re

import pytest

from hub.ui import TEXT

PUBLIC = "pub-lang-abcdefgh"
# URL arguments of the pages (a new page with another argument fails the walk on purpose).
ARGS = {"public": PUBLIC, "kind": "service", "entity_id": "A"}
NOT_PAGES = ("/api/", "/control/", "/sync/", "/sounds/", "/static/", "/healthz")


def phrases(lang: str) -> set[str]:
    """Phrases only ``lang`` says: each word's text between placeholders, two words or more,
    and not a phrase the other language says too (names, codes)."""
    other = "en" if lang == "id" else "id"
    theirs = " | ".join(TEXT[other].values())
    out = set()
    for value in TEXT[lang].values():
        for part in re.split(r"\{[^}]*\}", value):
            part = part.strip(" .,:;()—-")
            if len(part.split()) >= 2 and part not in theirs:
                out.add(part)
    return out


# A second net for words typed into a template instead of the tables: per page language,
# small words every sentence of the other language has.
FUNCTION_WORDS = {
    "id": {"the", "and", "with", "not", "your", "please", "is", "of"},
    "en": {"yang", "dan", "tidak", "belum", "untuk", "dengan", "sudah", "ada", "di"},
}


def data_names(authority) -> list[str]:
    """Names the catalogue holds (data, in whatever language the mall typed them)."""
    out = []
    for _kind, _id, value in authority.catalogue().values():
        out += [str(value.get(k)) for k in ("name", "reason") if value.get(k)]
    return sorted(out, key=len, reverse=True)


def visible(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def pages(app) -> list[str]:
    out = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(NOT_PAGES):
            continue
        if rule.rule.endswith((".json", ".csv", ".wav", ".pdf")) or rule.endpoint.endswith(
            "static"
        ):
            continue
        missing = set(rule.arguments) - set(ARGS)
        assert not missing, f"the walk cannot fill {missing} of {rule.rule}"
        url = rule.rule
        for arg in rule.arguments:
            url = re.sub(rf"<(?:\w+:)?{arg}>", ARGS[arg], url)
        out.append(url)
    return sorted(out) + ["/no-such-page", "/t/no-such-ticket-at-all", "/admin/catalogue/x/y"]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_page_speaks_one_language(admin, app, authority, lang):
    authority.issue("r-lang", "A", "K1", public=PUBLIC)
    authority.change_catalogue(
        "set", "service", "A", {"name": "Dukcapil KTP", "agency": "dukcapil"}, by="manajer"
    )
    foreign = phrases("en" if lang == "id" else "id")
    own = phrases(lang)
    names = data_names(authority)
    walked = []
    assert admin.get(f"/admin/?lang={lang}").status_code == 200  # chosen once, remembered
    for url in pages(app):
        resp = admin.get(url)
        assert resp.status_code in (200, 404), (url, resp.status_code)
        assert resp.mimetype == "text/html", url
        text = visible(resp.get_data(as_text=True))
        wrong = sorted(p for p in foreign if p in text)
        assert not wrong, f"{url} in {lang} shows {wrong}"
        for name in names:
            text = text.replace(name, " ")
        stray = set(re.findall(r"\w+", text.lower())) & FUNCTION_WORDS[lang]
        assert not stray, f"{url} in {lang} has the words {sorted(stray)}"
        assert any(p in text for p in own), f"{url} shows no word of {lang}"
        body = resp.get_data(as_text=True)
        assert "<html" not in body or f'<html lang="{lang}"' in body, url  # a fragment has none
        walked.append(url)
    assert "/admin/supervisor/" in walked and "/admin/catalogue/changes" in walked


def test_the_logged_out_pages_and_the_default_language(client, authority):
    login = client.get("/admin/login").get_data(as_text=True)
    assert "Nama pengguna" in login and 'lang="id"' in login
    missing = client.get("/no-such-page?lang=en")
    assert missing.status_code == 404 and "Page not found" in missing.get_data(as_text=True)
    assert "Log in" in client.get("/admin/login").get_data(as_text=True)  # remembered
    # The mall's own default language applies to someone who never chose.
    mpp = authority.catalogue().to_dict()["mpp"]
    authority.change_catalogue("set", "mpp", "mpp", {**mpp, "lang": "en"}, by="manajer")
    fresh = client.application.test_client()
    assert "User name" in fresh.get("/admin/login").get_data(as_text=True)


def test_json_routes_keep_json_errors(client):
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.json["error"] == "not_found"
    r = client.get("/t/no-such-ticket-at-all.json")
    assert r.status_code == 404 and r.is_json


def test_csv_headers_follow_the_language(admin):
    import csv
    import io

    def head(url: str) -> list[list[str]]:
        return list(csv.reader(io.StringIO(admin.get(url).get_data(as_text=True))))

    summary = head("/admin/reports.csv?table=summary")
    assert summary[0] == ["ukuran", "nilai"] and summary[3][0] == "diambil"
    assert head("/admin/reports.csv?table=counters")[0][:3] == ["loket", "nomor", "nama"]
    english = head("/admin/reports.csv?table=summary&lang=en")
    assert english[0] == ["metric", "value"] and english[3][0] == "issued"


def test_a_page_that_breaks_answers_with_the_error_page_and_the_api_with_json(app):
    def broken():
        raise RuntimeError("a bug")

    app.add_url_rule("/admin/broken-for-test", "broken_page", broken)
    app.add_url_rule("/api/v1/broken-for-test", "broken_api", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the handler answers
    client = app.test_client()
    page = client.get("/admin/broken-for-test?lang=en")
    assert page.status_code == 500 and "Something went wrong" in page.get_data(as_text=True)
    assert "a bug" not in page.get_data(as_text=True)
    api = client.get("/api/v1/broken-for-test")
    assert api.status_code == 500 and api.json["error"] == "internal_error"
