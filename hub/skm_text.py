"""The SKM pages' words (status-page survey, exit tablet, report), Indonesian and English.

Kept apart from hub.ui.TEXT so the survey's wording (the regulation's questions and answer
words come from core.skm) lives in one place.
"""

from __future__ import annotations

from typing import Any

from core import skm

TEXT: dict[str, dict[str, str]] = {
    "id": {
        "survey_title": "Survei Kepuasan Masyarakat",
        "survey_intro": "Bagaimana layanan yang Anda terima? "
        "Sembilan pertanyaan, kurang dari satu menit.",
        "respondent": "Tentang Anda (boleh dikosongkan)",
        "jenis_kelamin": "Jenis kelamin",
        "jk_L": "Laki-laki",
        "jk_P": "Perempuan",
        "umur": "Umur (tahun)",
        "pendidikan": "Pendidikan",
        "pekerjaan": "Pekerjaan",
        "edu_sd": "SD", "edu_smp": "SMP", "edu_sma": "SMA",
        "edu_s1": "S1", "edu_s2": "S2", "edu_s3": "S3",
        "job_pns": "PNS", "job_tni": "TNI", "job_polri": "POLRI", "job_swasta": "Swasta",
        "job_wirausaha": "Wirausaha", "job_lainnya": "Lainnya",
        "send": "Kirim",
        "thanks": "Terima kasih, jawaban survei Anda sudah kami terima.",
        "closed": "Survei untuk tiket ini sudah ditutup.",
        "ticket_number": "Nomor tiket",
        "ticket_code": "Kode tiket (di bawah kode QR)",
        "back": "Kembali",
        "error_title": "Jawaban belum bisa diterima",
        "err_not_found": "Tiket tidak ditemukan. Periksa nomor dan kodenya.",
        "err_not_served": "Survei baru bisa diisi setelah Anda selesai dilayani.",
        "err_already": "Survei untuk tiket ini sudah pernah diisi.",
        "err_too_late": "Batas waktu pengisian survei untuk tiket ini sudah lewat.",
        "err_invalid": "Ada jawaban yang belum diisi atau tidak sah.",
        "err_too_many": "Terlalu banyak percobaan. Coba lagi sebentar lagi.",
        "err_unknown_service": "Layanan tidak dikenal.",
        "report_title": "Laporan Survei Kepuasan Masyarakat",
        "period": "Periode",
        "from": "Dari", "to": "Sampai", "show": "Tampilkan", "print": "Cetak",
        "scope_all": "Seluruh MPP",
        "service": "Layanan", "agency": "Instansi",
        "ikm": "IKM", "grade": "Mutu", "respondents": "Responden",
        "population": "Populasi (dilayani)", "minimum": "Sampel minimum",
        "not_enough": "sampel belum cukup",
        "no_answers": "belum ada jawaban",
        "element": "Unsur", "nrr": "NRR", "nrr_weighted": "NRR tertimbang",
        "value": "Nilai (NRR x 25)",
        "quick_title": "Penilaian cepat (tombol di loket)",
        "quick_note": "Bukan IKM: satu tombol, bukan sembilan unsur SKM.",
        "quick_mean": "Rata-rata (1-4)", "quick_satisfied": "Puas atau sangat puas",
        "csv": "Unduh CSV",
        "method": "Dihitung menurut PermenPANRB 14/2017: NRR per unsur, bobot 1/9, "
        "IKM = jumlah NRR tertimbang x 25; sampel minimum menurut tabel Krejcie-Morgan "
        "dari jumlah pengunjung yang dilayani pada periode ini.",
        "lang_other": "English", "admin": "Admin",
        "err_date": "Tanggal harus berformat YYYY-MM-DD (from, to).",
        "err_range": "Rentang paling lama {} hari.",
    },
    "en": {
        "survey_title": "Public Satisfaction Survey",
        "survey_intro": "How was the service you received? Nine questions, under a minute.",
        "respondent": "About you (optional)",
        "jenis_kelamin": "Sex",
        "jk_L": "Male",
        "jk_P": "Female",
        "umur": "Age (years)",
        "pendidikan": "Education",
        "pekerjaan": "Occupation",
        "edu_sd": "Primary", "edu_smp": "Junior high", "edu_sma": "Senior high",
        "edu_s1": "Bachelor", "edu_s2": "Master", "edu_s3": "Doctorate",
        "job_pns": "Civil servant", "job_tni": "Military", "job_polri": "Police",
        "job_swasta": "Private sector", "job_wirausaha": "Self-employed", "job_lainnya": "Other",
        "send": "Send",
        "thanks": "Thank you, we have received your survey answers.",
        "closed": "The survey for this ticket is closed.",
        "ticket_number": "Ticket number",
        "ticket_code": "Ticket code (below the QR code)",
        "back": "Back",
        "error_title": "Your answers could not be accepted yet",
        "err_not_found": "Ticket not found. Check the number and the code.",
        "err_not_served": "The survey opens once you have been served.",
        "err_already": "The survey for this ticket was already answered.",
        "err_too_late": "The time to answer the survey for this ticket has passed.",
        "err_invalid": "An answer is missing or not valid.",
        "err_too_many": "Too many attempts. Please try again shortly.",
        "err_unknown_service": "Unknown service.",
        "report_title": "Public Satisfaction Survey Report",
        "period": "Period",
        "from": "From", "to": "To", "show": "Show", "print": "Print",
        "scope_all": "Whole MPP",
        "service": "Service", "agency": "Agency",
        "ikm": "IKM", "grade": "Grade", "respondents": "Respondents",
        "population": "Population (served)", "minimum": "Minimum sample",
        "not_enough": "sample not yet sufficient",
        "no_answers": "no answers yet",
        "element": "Element", "nrr": "NRR", "nrr_weighted": "Weighted NRR",
        "value": "Value (NRR x 25)",
        "quick_title": "Quick rating (counter buttons)",
        "quick_note": "Not an IKM: one button, not the nine SKM elements.",
        "quick_mean": "Mean (1-4)", "quick_satisfied": "Satisfied or very satisfied",
        "csv": "Download CSV",
        "method": "Computed per PermenPANRB 14/2017: NRR per element, weight 1/9, "
        "IKM = sum of weighted NRRs x 25; minimum sample from the Krejcie-Morgan table "
        "for the visitors served in this period.",
        "lang_other": "Bahasa Indonesia", "admin": "Admin",
        "err_date": "Dates must be YYYY-MM-DD (from, to).",
        "err_range": "The period is at most {} days.",
    },
}  # fmt: skip

# Refusal slug -> the words for it.
ERROR_WORDS = {
    "unknown_ticket": "err_not_found",
    "not_served": "err_not_served",
    "already_surveyed": "err_already",
    "survey_closed": "err_too_late",
    "invalid_survey": "err_invalid",
    "too_many_requests": "err_too_many",
    "unknown_service": "err_unknown_service",
}


def lang_of(value: str | None) -> str:
    return "en" if value == "en" else "id"


def words(lang: str) -> dict[str, str]:
    return TEXT[lang_of(lang)]


def questions(lang: str) -> list[dict[str, Any]]:
    """The nine unsur with their answer words, for a form or a report header."""
    en = lang_of(lang) == "en"
    return [
        {
            "index": i,
            "code": code,
            "name": name_en if en else name_id,
            "answers": list(enumerate(words_en if en else words_id, start=1)),
        }
        for i, (code, name_id, name_en, words_id, words_en) in enumerate(skm.UNSUR)
    ]


def grade_text(grade: str | None, lang: str) -> str:
    return "" if grade is None else f"{grade} ({skm.grade_words(grade, lang_of(lang))})"
