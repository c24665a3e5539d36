"""What a kiosk says to visitors, per language (contract C6: one table per language).

Refusal codes are the hub's (contract C2, HTTP 409 ``{error, message, reopens_ms}``) and the
printer states are ``node.hardware.printer.PrinterStatus``; each has its own words here, so a
visitor never reads a technician's English message.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

TEXT = {
    "id": {
        "title": "Ambil Nomor Antrian",
        "choose_service": "Pilih layanan",
        "choose_priority": "Apakah Anda termasuk prioritas?",
        "no_priority": "Bukan prioritas",
        "back": "Kembali",
        "next_page": "Berikutnya",
        "prev_page": "Sebelumnya",
        "page": "Hal. {n}/{of}",
        "lang_toggle": "English",
        "printing": "Tiket sedang dicetak...",
        "your_number": "Nomor antrian Anda",
        "take_ticket": "Silakan ambil tiket Anda",
        "offline": "Mode darurat: nomor sementara, dipanggil sesuai urutan datang",
        "print_failed": "Tiket gagal dicetak. Catat nomor Anda atau cetak ulang.",
        "reprint": "Cetak ulang",
        "done": "Selesai",
        "reopens": "Dibuka kembali {when}",
        "no_services": "Kios ini belum menawarkan layanan",
        "scan_seen": "Kode terbaca: {text}",
        "refused": {
            "closed": "Layanan sedang tutup",
            "holiday": "Hari ini hari libur",
            "closure": "Layanan ditutup sementara",
            "cutoff": "Pengambilan nomor sudah ditutup untuk hari ini",
            "quota_reached": "Kuota antrian sudah habis",
            "full_today": "Antrian hari ini sudah penuh",
            "counters_paused": "Semua loket layanan ini sedang istirahat",
            "unknown_service": "Layanan tidak tersedia",
            "service_not_at_kiosk": "Layanan tidak tersedia di kios ini",
            "too_many_tickets": "Mohon tunggu sebentar, lalu coba lagi",
            "other": "Nomor tidak dapat diambil saat ini",
        },
        "printer": {
            "out": "Kertas tiket habis",
            "cover_open": "Penutup printer terbuka",
            "fault": "Printer bermasalah",
            "offline": "Printer tidak terhubung",
            "other": "Printer tidak dapat mencetak",
        },
        "call_staff": "Mohon hubungi petugas. Nomor tidak diambil.",
        "days": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
        "time": "{h:02d}.{m:02d}",
        "today": "hari ini",
    },
    "en": {
        "title": "Take a Queue Number",
        "choose_service": "Choose a service",
        "choose_priority": "Are you a priority visitor?",
        "no_priority": "Not priority",
        "back": "Back",
        "next_page": "Next",
        "prev_page": "Previous",
        "page": "Page {n}/{of}",
        "lang_toggle": "Bahasa Indonesia",
        "printing": "Printing your ticket...",
        "your_number": "Your queue number",
        "take_ticket": "Please take your ticket",
        "offline": "Emergency mode: temporary number, called in order of arrival",
        "print_failed": "The ticket did not print. Note your number or print it again.",
        "reprint": "Print again",
        "done": "Done",
        "reopens": "Reopens {when}",
        "no_services": "This kiosk offers no service yet",
        "scan_seen": "Code read: {text}",
        "refused": {
            "closed": "This service is closed now",
            "holiday": "Today is a public holiday",
            "closure": "This service is temporarily closed",
            "cutoff": "Numbers are no longer issued today",
            "quota_reached": "Today's quota is used up",
            "full_today": "Today's queue is full",
            "counters_paused": "All counters of this service are on a break",
            "unknown_service": "This service is not available",
            "service_not_at_kiosk": "This service is not offered at this kiosk",
            "too_many_tickets": "Please wait a moment, then try again",
            "other": "No number can be issued right now",
        },
        "printer": {
            "out": "The ticket printer is out of paper",
            "cover_open": "The printer cover is open",
            "fault": "The printer has a fault",
            "offline": "The printer is not connected",
            "other": "The printer cannot print",
        },
        "call_staff": "Please ask a staff member. No number was taken.",
        "days": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        "time": "{h:02d}:{m:02d}",
        "today": "today",
    },
}
LANGS = tuple(TEXT)
DEFAULT_CATEGORIES = (
    ("lansia", {"id": "Lansia", "en": "Elderly"}),
    ("disabilitas", {"id": "Penyandang disabilitas", "en": "Person with disability"}),
    ("ibu_hamil", {"id": "Ibu hamil", "en": "Pregnant woman"}),
    ("ibu_anak", {"id": "Ibu dengan anak kecil", "en": "Parent with a small child"}),
)


def words(lang: str) -> dict:
    return TEXT.get(lang, TEXT["id"])


def refusal_text(code: str | None, lang: str) -> str:
    table = words(lang)["refused"]
    return table.get(code or "", table["other"])


def printer_text(status: str | None, lang: str) -> str:
    table = words(lang)["printer"]
    return table.get(status or "", table["other"])


def reopens_text(reopens_ms: int | None, now_ms: int, tz: ZoneInfo, lang: str) -> str | None:
    """ "Dibuka kembali Senin 08.00" / "Reopens today 13:00"; None when the hub said nothing."""
    if not reopens_ms:
        return None
    w = words(lang)
    at = datetime.fromtimestamp(reopens_ms / 1000, tz)
    now = datetime.fromtimestamp(now_ms / 1000, tz)
    day = w["today"] if at.date() == now.date() else w["days"][at.weekday()]
    return w["reopens"].format(when=f"{day} {w['time'].format(h=at.hour, m=at.minute)}")


def categories(catalogue, lang: str) -> list[tuple[str, str]]:
    """``(id, name)`` of the priority categories: the catalogue's, else the usual four."""
    mpp = getattr(catalogue, "mpp", None)
    cats = getattr(getattr(mpp, "priority", None), "categories", ()) or ()
    if cats:
        return [(c.id, c.label(lang)) for c in cats]
    return [(cid, names.get(lang) or names["id"]) for cid, names in DEFAULT_CATEGORIES]
