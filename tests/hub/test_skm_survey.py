"""The SKM questionnaire end to end: status page after service, the exit tablet, the report."""

from __future__ import annotations

import csv
import io
import re

import pytest

ANSWERS = [4, 4, 3, 4, 3, 3, 4, 3, 2]
PASSWORD = "rahasia-skm-123"


def form_of(answers, **extra) -> dict[str, str]:
    data = {f"u{i + 1}": str(a) for i, a in enumerate(answers)}
    data.update(extra)
    return data


def served(authority, public: str, req: str, service: str = "A") -> None:
    authority.issue(f"{req}-i", service, "K1", public=public)
    authority.counter_command("C1", "next", f"{req}-n")
    authority.counter_command("C1", "done", f"{req}-d")


def surveys(authority) -> list[dict]:
    return [
        r["event"] for r in authority.records_since(0, 10_000)
        if r["event"]["type"] == "survey.answered"
    ]  # fmt: skip


def login(client, authority) -> None:
    from hub.auth import add_user

    add_user(authority.store, "manajer-skm", PASSWORD, role="viewer")
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"username": "manajer-skm", "password": PASSWORD, "csrf_token": token}
    assert client.post("/admin/login", data=form).status_code == 302


def test_status_page_offers_the_survey_only_after_service(client, authority) -> None:
    authority.issue("s1", "A", "K1", public="pub-skm-waiting01")
    html = client.get("/t/pub-skm-waiting01").get_data(as_text=True)
    assert 'id="survey"' not in html
    resp = client.post("/t/pub-skm-waiting01/survey", data=form_of(ANSWERS))
    assert resp.status_code == 409
    assert "setelah Anda selesai dilayani" in resp.get_data(as_text=True)
    assert surveys(authority) == []

    authority.counter_command("C1", "next", "s2")
    authority.counter_command("C1", "done", "s3")
    html = client.get("/t/pub-skm-waiting01").get_data(as_text=True)
    assert 'id="survey"' in html and "Survei Kepuasan Masyarakat" in html
    assert "Sangat sopan dan ramah" in html and "Dikelola dengan baik" in html
    english = client.get("/t/pub-skm-waiting01?lang=en").get_data(as_text=True)
    assert "Public Satisfaction Survey" in english and "Survei Kepuasan" not in english


def test_a_submitted_survey_is_one_event_and_appears_in_the_report(client, authority) -> None:
    served(authority, "pub-skm-served01", "a")
    resp = client.post(
        "/t/pub-skm-served01/survey",
        data=form_of(ANSWERS, jenis_kelamin="P", umur="34", pendidikan="s1", pekerjaan=""),
    )
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith("/t/pub-skm-served01")
    [event] = surveys(authority)
    assert event["ticket"].endswith("/A-001") and event["req"] == f"survey:{event['ticket']}"
    assert event["body"] == {
        "answers": ANSWERS,
        "via": "status",
        "respondent": {"jenis_kelamin": "P", "umur": 34, "pendidikan": "s1"},
    }
    html = client.get("/t/pub-skm-served01").get_data(as_text=True)
    assert "Terima kasih" in html and "<form" not in html.split('id="survey"')[1]

    again = client.post("/t/pub-skm-served01/survey", json={"answers": ANSWERS})
    assert again.status_code == 409 and again.get_json()["error"] == "already_surveyed"
    assert len(surveys(authority)) == 1

    login(client, authority)
    day = event["ticket"].split("/")[0]
    page = client.get(f"/admin/skm?from={day}&to={day}").get_data(as_text=True)
    # One served visitor, one answer: population 1, minimum 1, IKM of ANSWERS alone:
    # (4+4+3+4+3+3+4+3+2) = 30, x 25 / 9 = 83.33 -> B.
    row = re.search(r'<tr data-kind="service" data-id="A">(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r'<td class="n">([^<]*)</td>', row)
    assert cells == ["1", "1", "1", "83.33"]
    assert "B (Baik)" in row
    rows = list(csv.reader(io.StringIO(client.get(f"/admin/skm.csv?from={day}&to={day}").text)))
    assert rows[0][:8] == ["tingkat", "id", "nama", "responden", "populasi", "sampel_minimum",
                           "ikm", "mutu"]  # fmt: skip
    service_row = [r for r in rows if r[0] == "layanan" and r[1] == "A"][0]
    assert service_row[3:8] == ["1", "1", "1", "83.33", "B"]
    assert service_row[8:] == [f"{a}.000" for a in ANSWERS]


def test_no_grade_while_the_sample_is_short(client, authority) -> None:
    for i in range(3):
        served(authority, f"pub-skm-short-{i:02d}", f"short{i}")
    client.post("/t/pub-skm-short-00/survey", data=form_of(ANSWERS))
    login(client, authority)
    page = client.get("/admin/skm").get_data(as_text=True)
    row = re.search(r'<tr data-kind="service" data-id="A">(.*?)</tr>', page, re.S).group(1)
    assert "sampel belum cukup (1/3)" in row
    assert "(Baik)" not in row
    english = client.get("/admin/skm?lang=en").get_data(as_text=True)
    assert "sample not yet sufficient (1/3)" in english and "sampel" not in english


@pytest.mark.parametrize(
    ("payload", "slug"),
    [
        ({"answers": [4] * 8}, "invalid_survey"),
        ({"answers": [5, 4, 4, 4, 4, 4, 4, 4, 4]}, "invalid_survey"),
        ({"answers": ANSWERS, "respondent": {"umur": "tua"}}, "invalid_survey"),
        ({"answers": ANSWERS, "respondent": {"hobi": "catur"}}, "invalid_survey"),
        ([1, 2], "invalid_survey"),
    ],
)
def test_malformed_answers_are_refused_with_a_reason(client, authority, payload, slug) -> None:
    served(authority, "pub-skm-invalid1", "inv")
    before = authority.last_hseq
    resp = client.post("/t/pub-skm-invalid1/survey", json=payload)
    assert resp.status_code in (400, 422)
    body = resp.get_json()
    assert body["error"] == slug and body["message"]
    assert authority.last_hseq == before


def test_unknown_ticket_and_a_missing_form_answer(client, authority) -> None:
    resp = client.post("/t/no-such-ticket-xyz/survey", json={"answers": ANSWERS})
    assert resp.status_code == 404 and resp.get_json()["error"] == "unknown_ticket"
    served(authority, "pub-skm-partial1", "part")
    partial = form_of(ANSWERS)
    del partial["u5"]
    resp = client.post("/t/pub-skm-partial1/survey", data=partial)
    assert resp.status_code == 422
    assert "belum diisi atau tidak sah" in resp.get_data(as_text=True)


def test_the_survey_closes_after_seven_days(client, authority, clock) -> None:
    served(authority, "pub-skm-late0001", "late")
    clock.advance(8 * 86_400_000)
    resp = client.post("/t/pub-skm-late0001/survey", json={"answers": ANSWERS})
    assert resp.status_code == 409 and resp.get_json()["error"] == "survey_closed"
    assert "sudah ditutup" in client.get("/t/pub-skm-late0001").get_data(as_text=True)


def test_tries_are_rate_limited_per_address(client, authority) -> None:
    for _ in range(10):
        client.post("/t/no-such-ticket-xyz/survey", json={"answers": ANSWERS})
    resp = client.post("/t/no-such-ticket-xyz/survey", json={"answers": ANSWERS})
    assert resp.status_code == 429 and resp.get_json()["error"] == "too_many_requests"
    other = app_client_from(client, "10.0.0.9")
    assert other.post("/t/no-such-ticket-xyz/survey", json={"answers": ANSWERS}).status_code == 404


def app_client_from(client, address: str):
    other = client.application.test_client()
    other.environ_base["REMOTE_ADDR"] = address
    return other


def test_exit_tablet_takes_number_and_code(client, authority) -> None:
    served(authority, "pub-skm-tablet01", "tab")
    page = client.get("/survey?service=A").get_data(as_text=True)
    assert "Dukcapil" in page or "KTP" in page
    assert 'name="ticket"' in page and 'name="u9"' in page
    assert client.get("/survey?service=NOPE").status_code == 404
    wrong = client.post("/survey?service=A", data=form_of(ANSWERS, ticket="A-001", code="nope"))
    assert wrong.status_code == 404
    other_service = client.post(
        "/survey?service=B", data=form_of(ANSWERS, ticket="A-001", code="pub-skm-tablet01")
    )
    assert other_service.status_code == 404
    assert surveys(authority) == []
    ok = client.post(
        "/survey?service=A", data=form_of(ANSWERS, ticket="a-001", code="pub-skm-tablet01")
    )
    assert ok.status_code == 303 and "sent=1" in ok.headers["Location"]
    [event] = surveys(authority)
    assert event["body"]["via"] == "tablet"
    assert "Terima kasih" in client.get(ok.headers["Location"]).get_data(as_text=True)


def test_a_kiosk_token_names_the_ticket_by_number(client, authority, auth) -> None:
    served(authority, "pub-skm-kiosk001", "kio")
    resp = client.post("/survey", json={"ticket": "A-001", "answers": ANSWERS}, headers=auth("K1"))
    assert resp.status_code == 201
    assert resp.get_json()["event"]["body"]["via"] == "K1"
    # without a token the number alone is not enough
    anon = client.post("/survey", json={"ticket": "A-001", "answers": ANSWERS})
    assert anon.status_code == 404
    # a counter's token is not a tablet's
    served(authority, "pub-skm-kiosk002", "kio2")
    counter = client.post(
        "/survey", json={"ticket": "A-002", "answers": ANSWERS}, headers=auth("C1")
    )
    assert counter.status_code == 404


def test_report_period_errors_are_in_the_pages_language(client, authority) -> None:
    login(client, authority)
    bad = client.get("/admin/skm?from=28-11-2026")
    assert bad.status_code == 400 and "Tanggal harus berformat YYYY-MM-DD" in bad.text
    long = client.get("/admin/skm.csv?from=2024-01-01&to=2026-01-01&lang=en")
    assert long.status_code == 400 and "The period is at most 366 days" in long.text
