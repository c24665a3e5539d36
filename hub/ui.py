"""Hub web UI: hall board, public ticket status page, admin and reports.

create_app calls register(app) once; every UI blueprint is attached here so
the API modules never need to know which pages exist. The helpers below are the
one place where the UI reads the Authority's catalogue and snapshot, so a change in
their shape is fixed here and not in every page. The catalogue is the folded one (contract
C1): an admin edit shows on the next page load, without a restart.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, Response, current_app, request, session

from hub import floor_words, ui_words

# Words shown on the hall board and status page; the board takes ?lang=en.
TEXT = {
    "id": {
        "title": "Nomor Antrian",
        "go_to": "Silakan menuju",
        "counter": "Loket",
        "waiting": "Menunggu",
        "last_calls": "Panggilan terakhir",
        "no_calls": "Belum ada panggilan",
        "offline": "Koneksi terputus, menyambung kembali…",
        "online": "Tersambung",
        "sound_tap": "Ketuk layar untuk menyalakan suara panggilan",
        "sound_hint": "Browser ini menahan suara sampai layar disentuh sekali.",
        "board_error_title": "Alamat papan antrian salah",
        "board_error_body": "Layar ini meminta zona, layanan, loket, instansi atau layar yang "
        "tidak dikenal hub. Periksa alamat (URL) layar ini.",
        "running_text": "Teks berjalan",
        "running_text_help": "Tampil di bawah antrian pada layar ruang tunggu. Kosongkan untuk "
        "menghapus.",
        "running_text_zone": "Zona",
        "running_text_all": "Semua layar",
        "running_text_save": "Simpan",
        "running_text_saved": "Teks berjalan disimpan.",
        "running_text_now": "Yang tampil sekarang",
        "running_text_none": "Tidak ada teks berjalan.",
        "people_ahead": "Orang di depan Anda",
        "est_wait": "Perkiraan waktu tunggu",
        "minutes": "menit",
        "status": "Status",
        "service": "Layanan",
        "waiting_status": "Menunggu dipanggil",
        "called_status": "Dipanggil",
        "served_status": "Selesai dilayani",
        "no_show_status": "Tidak hadir",
        "cancelled_status": "Dibatalkan",
        "void_status": "Tidak berlaku",
        "login_failed": "Nama pengguna atau kata sandi salah.",
        "upstream_title": "Server regional",
        "upstream_state_on": "Terhubung",
        "upstream_state_off": "Tidak terhubung (mencoba lagi)",
        "upstream_state_unknown": "Belum dicoba",
        "upstream_last_sync": "Sinkron terakhir",
        "upstream_never": "belum pernah",
        "upstream_backlog": "Antrean kirim",
        "login_throttled": "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam "
        "{seconds} detik.",
        "forbidden_title": "Tidak diizinkan",
        "forbidden_body": "Halaman atau tindakan ini memerlukan peran {needed}. Anda masuk "
        "sebagai {user} dengan peran {role}.",
        "back": "Kembali ke dasbor",
        "role_viewer": "pengamat",
        "role_supervisor": "supervisor",
        "role_admin": "admin",
        "rejected_pushes": "Kiriman yang ditolak",
        "rejected_none": "Tidak ada kiriman yang ditolak.",
        "device_fault": "gangguan",
        "rejected_reason": "Alasan",
        "operator_role": "Peran (hanya untuk token operator/API)",
        "device_token": "— token perangkat —",
        # hub.reports_day
        "rep_title": "Ringkasan harian",
        "rep_more": "Laporan lengkap",
        "rep_range_title": "Laporan rentang tanggal",
        "rep_day": "Tanggal",
        "rep_agency": "Instansi",
        "rep_all_agencies": "Semua instansi",
        "rep_closed": "hari sudah ditutup",
        "rep_open": "hari belum ditutup (angka sementara)",
        "rep_show": "Tampilkan",
        "rep_issued": "Tiket",
        "rep_served": "Dilayani",
        "rep_no_show": "Tidak hadir",
        "rep_cancelled": "Batal",
        "rep_not_served": "Tidak terlayani",
        "rep_wait_min": "Tunggu rata-rata (menit)",
        "rep_service_min": "Layanan rata-rata (menit)",
        "rep_arrivals": "Kedatangan",
        "rep_hour": "Jam",
        "rep_per_hour": "Per jam",
        "rep_per_service": "Per layanan",
        "rep_service": "Layanan",
        "rep_total": "Jumlah",
        "rep_from": "Dari",
        "rep_to": "Sampai",
        "rep_range_note": "dari ringkasan hari yang sudah ditutup",
        # hub.archive_admin
        "archive_nav": "Arsip hari",
        "archive_title": "Tutup hari layanan dan arsip",
        "archive_intro": "Setelah jam tutup hub menutup hari itu sendiri: tiket yang masih "
        "menunggu dicatat tidak terlayani dan hari itu diarsipkan dengan ringkasannya.",
        "archive_day": "Tanggal",
        "archive_close": "Tutup hari sekarang",
        "archive_closed": "Hari yang sudah ditutup",
        "archive_issued": "Tiket",
        "archive_served": "Dilayani",
        "archive_not_served": "Tidak terlayani",
        "archive_by": "Ditutup oleh",
        "archive_none": "Belum ada hari yang ditutup.",
        "backup_title": "Cadangan otomatis",
        "backup_off": "Cadangan otomatis setelah tutup hari tidak aktif: atur [hub] backup_dir "
        "(misalnya flashdisk di /media/loket-backup). Tanpanya, buat cadangan setiap hari "
        "setelah tutup hari dengan loket hub backup.",
        "backup_none": "Belum ada cadangan ke {dir}: dibuat setelah tutup hari berikutnya.",
        "backup_ok": "Cadangan terakhir: hari {day}, ditulis ke {dest} ({at}).",
        "backup_failed": "GAGAL membuat cadangan setelah tutup hari {day} ke {dest}: {error}. "
        "Periksa flashdisk/penyimpanan, lalu jalankan loket hub backup.",
        "backup_err_ENOENT": "folder tidak ada (flashdisk tidak terpasang?)",
        "backup_err_ENOTDIR": "folder tidak ada (flashdisk tidak terpasang?)",
        "backup_err_EEXIST": "ada berkas di tempat folder itu (flashdisk tidak terpasang?)",
        "backup_err_ENOSPC": "penyimpanan penuh",
        "backup_err_EROFS": "penyimpanan hanya-baca",
        "backup_err_EACCES": "tidak ada izin menulis",
        "backup_err_EIO": "kesalahan baca/tulis pada penyimpanan",
        "backup_err_other": "kesalahan penyimpanan (lihat log hub)",
        "day_closed_flash": "Hari {day} ditutup: {n} tiket tidak terlayani.",
        "day_not_closed": "Hari tidak ditutup: {reason}",
        "day_refused_invalid_field": "tanggal harus berformat YYYY-MM-DD",
        "day_refused_future_day": "hari itu belum dimulai",
        "day_refused_day_closed": "hari itu sudah ditutup",
        # hub.admin_pairing
        "pairing_nav": "Pemasangan",
        "pairing_title": "Pasangkan perangkat dengan kode",
        "pairing_intro": "Pilih perangkat dari katalog; kode berlaku sekali dan kedaluwarsa. "
        "Di Raspberry Pi jalankan perintah di bawah ini.",
        "pairing_device": "Perangkat",
        "pairing_minutes": "Berlaku (menit)",
        "pairing_make": "Buat kode",
        "pairing_code_for": "Kode pemasangan untuk {node} ({role}), berlaku sampai {until}, "
        "hanya sekali:",
        "pairing_on_pi": "Di Raspberry Pi:",
        "pairing_pending": "Kode yang masih berlaku",
        "pairing_pending_none": "Tidak ada kode yang masih berlaku.",
        "pairing_expires": "Kedaluwarsa",
        "pairing_made_by": "Dibuat oleh",
        "pairing_no_device": "Katalog belum punya loket, kios atau layar.",
        "tokens_title": "Token",
        "tokens_none": "Belum ada token.",
        "token_id": "ID",
        "token_kind": "Jenis",
        "token_role": "Peran",
        "token_start": "Awal token",
        "token_issued": "Diterbitkan",
        "token_seen": "Terakhir terlihat",
        "token_revoked": "Dicabut",
        "token_active": "aktif",
        "token_revoke": "Cabut",
        "token_revoked_flash": "Token {id} dicabut: permintaan berikutnya ditolak.",
        "token_not_revoked": "Tidak dicabut: {reason}",
        "kind_device": "perangkat",
        "kind_operator": "operator",
        "node_role_counter": "loket",
        "node_role_kiosk": "kios",
        "node_role_display": "layar",
        "pairing_refused": "Kode tidak dibuat: {reason}",
        "health_title": "Kesehatan perangkat",
        "health_intro": "Setiap perangkat mengirim laporan tiap 30 detik dan segera saat ada "
        "perubahan. Tanpa laporan selama 90 detik, perangkat dianggap tidak melapor.",
        "health_device": "Perangkat",
        "health_state": "Keadaan",
        "health_last_beat": "Laporan terakhir",
        "health_parts": "Komponen",
        "health_backlog": "Antrean kirim",
        "health_clock": "Selisih jam",
        "health_disk": "Disk kosong",
        "health_cpu": "Suhu CPU",
        "health_power": "Daya",
        "health_power_ok": "baik",
        "health_undervoltage": "tegangan kurang",
        "health_version": "Versi",
        "health_ago": "{s} detik lalu",
        "health_none": "Belum ada perangkat.",
        "health_operators": "Token operator/API",
        "health_operators_intro": "Token ini bukan perangkat: tidak mengirim laporan dan tidak "
        "pernah dianggap offline.",
        "health_ok": "Baik",
        "health_warning": "Perlu perhatian",
        "health_fault": "Rusak",
        "health_stale": "Tidak melapor",
        "health_never": "Belum pernah melapor",
        "device_printer": "Printer",
        "device_display": "Layar nomor",
        "device_speaker": "Pengeras suara",
        "device_screen": "Layar aula",
        "device_buttons": "Tombol",
        "device_status_ok": "baik",
        "device_status_low": "kertas hampir habis",
        "device_status_out": "kertas habis",
        "device_status_cover_open": "tutup terbuka",
        "device_status_offline": "tidak terhubung",
        "device_status_fault": "rusak",
        "device_status_unknown": "tidak diketahui",
        "nav_devices": "Kesehatan perangkat",
        "nav_floor": "Lantai",
        "nav_audit": "Audit",
        "floor_title": "Lantai layanan",
        "floor_state": "Keadaan",
        "floor_serving": "Sedang dilayani",
        "floor_open": "Buka",
        "floor_paused_state": "Ditunda",
        "floor_pause": "Tunda",
        "floor_resume": "Buka kembali",
        "floor_call_title": "Panggil tiket tertentu",
        "floor_call_hint": "Di luar urutan antrian: alasan wajib diisi dan dicatat di daftar "
        "audit (siapa, kapan, mengapa).",
        "floor_ticket": "Nomor tiket",
        "floor_reason": "Alasan",
        "floor_call": "Panggil",
        "floor_called": "Tiket {ticket} dipanggil ke loket {counter}.",
        "floor_paused": "Loket {counter} ditunda.",
        "floor_resumed": "Loket {counter} dibuka kembali.",
        "floor_reason_required": "Tidak dipanggil: alasan wajib diisi.",
        "floor_reason_too_long": "Tidak dipanggil: alasan paling banyak 200 huruf.",
        "floor_unknown_ticket": "Tidak dipanggil: tiket {ticket} tidak ada hari ini.",
        "floor_not_waiting": "Tidak dipanggil: tiket {ticket} tidak sedang menunggu.",
        "floor_not_served_here": "Tidak dipanggil: loket ini tidak melayani tiket {ticket}.",
        "floor_counter_paused": "Tidak dipanggil: loket sedang ditunda.",
        "floor_unknown_counter": "Loket tidak dikenal.",
        "floor_refused": "Ditolak oleh hub.",
        "audit_title": "Audit panggilan di luar urutan",
        "audit_day": "Tanggal",
        "audit_show": "Tampilkan",
        "audit_hint": "Setiap panggilan di luar urutan tercatat dengan alasannya.",
        "audit_total": "Jumlah",
        "audit_when": "Waktu",
        "audit_kind": "Jenis",
        "audit_by": "Oleh",
        "audit_none": "Tidak ada panggilan di luar urutan pada hari ini.",
        "audit_kind_specific_call": "Panggilan tiket tertentu",
        "audit_kind_late_recall": "Panggil ulang setelah masa tenggang",
        "audit_kind_cancel_called": "Pembatalan tiket yang sudah dipanggil",
        "audit_kind_priority_beyond_rule": "Prioritas melebihi aturan",
    },
    "en": {
        "title": "Queue Number",
        "go_to": "Please go to",
        "counter": "Counter",
        "waiting": "Waiting",
        "last_calls": "Last calls",
        "no_calls": "No calls yet",
        "offline": "Connection lost, reconnecting…",
        "online": "Connected",
        "sound_tap": "Tap the screen to turn on the call voice",
        "sound_hint": "This browser keeps sound off until the screen is touched once.",
        "board_error_title": "Wrong queue board address",
        "board_error_body": "This screen asks for a zone, service, counter, agency or display "
        "the hub does not know. Check this screen's address (URL).",
        "running_text": "Running text",
        "running_text_help": "Shown under the queues on the hall screens. Leave empty to "
        "remove it.",
        "running_text_zone": "Zone",
        "running_text_all": "Every screen",
        "running_text_save": "Save",
        "running_text_saved": "Running text saved.",
        "running_text_now": "Showing now",
        "running_text_none": "No running text.",
        "people_ahead": "People ahead of you",
        "est_wait": "Estimated wait",
        "minutes": "min",
        "status": "Status",
        "service": "Service",
        "waiting_status": "Waiting to be called",
        "called_status": "Called",
        "served_status": "Served",
        "no_show_status": "No-show",
        "cancelled_status": "Cancelled",
        "void_status": "Void",
        "login_failed": "Wrong user name or password.",
        "upstream_title": "Regional server",
        "upstream_state_on": "Connected",
        "upstream_state_off": "Not connected (retrying)",
        "upstream_state_unknown": "Not tried yet",
        "upstream_last_sync": "Last sync",
        "upstream_never": "never",
        "upstream_backlog": "Backlog",
        "login_throttled": "Too many failed logins. Try again in {seconds} seconds.",
        "forbidden_title": "Not allowed",
        "forbidden_body": "This page or action needs the role {needed}. You are logged in as "
        "{user} with the role {role}.",
        "back": "Back to the dashboard",
        "role_viewer": "viewer",
        "role_supervisor": "supervisor",
        "role_admin": "admin",
        "rejected_pushes": "Rejected pushes",
        "rejected_none": "No push was rejected.",
        "device_fault": "fault",
        "rejected_reason": "Reason",
        "operator_role": "Role (operator/API tokens only)",
        "device_token": "— device token —",
        # hub.reports_day
        "rep_title": "Day summary",
        "rep_more": "Full reports",
        "rep_range_title": "Date range report",
        "rep_day": "Date",
        "rep_agency": "Agency",
        "rep_all_agencies": "All agencies",
        "rep_closed": "day closed",
        "rep_open": "day not closed yet (provisional figures)",
        "rep_show": "Show",
        "rep_issued": "Tickets",
        "rep_served": "Served",
        "rep_no_show": "No-show",
        "rep_cancelled": "Cancelled",
        "rep_not_served": "Not served",
        "rep_wait_min": "Mean wait (min)",
        "rep_service_min": "Mean service (min)",
        "rep_arrivals": "Arrivals",
        "rep_hour": "Hour",
        "rep_per_hour": "Per hour",
        "rep_per_service": "Per service",
        "rep_service": "Service",
        "rep_total": "Total",
        "rep_from": "From",
        "rep_to": "To",
        "rep_range_note": "from the summaries of closed days",
        # hub.archive_admin
        "archive_nav": "Day archive",
        "archive_title": "Close the service day and archive it",
        "archive_intro": "After closing time the hub closes the day itself: tickets still "
        "waiting are recorded as not served and the day is archived with its summary.",
        "archive_day": "Date",
        "archive_close": "Close the day now",
        "archive_closed": "Closed days",
        "archive_issued": "Tickets",
        "archive_served": "Served",
        "archive_not_served": "Not served",
        "archive_by": "Closed by",
        "archive_none": "No day has been closed yet.",
        "backup_title": "Automatic backup",
        "backup_off": "No automatic backup after the daily close: set [hub] backup_dir "
        "(e.g. a USB stick at /media/loket-backup). Without it, run loket hub backup every "
        "day after the close.",
        "backup_none": "No backup to {dir} yet: one is written after the next daily close.",
        "backup_ok": "Last backup: day {day}, written to {dest} ({at}).",
        "backup_failed": "The backup after closing {day} to {dest} FAILED: {error}. Check the "
        "USB stick or storage, then run loket hub backup.",
        "backup_err_ENOENT": "the folder does not exist (is the USB stick mounted?)",
        "backup_err_ENOTDIR": "the folder does not exist (is the USB stick mounted?)",
        "backup_err_EEXIST": "a file is where the folder should be (is the USB stick mounted?)",
        "backup_err_ENOSPC": "the storage is full",
        "backup_err_EROFS": "the storage is read-only",
        "backup_err_EACCES": "no permission to write",
        "backup_err_EIO": "a read/write error on the storage",
        "backup_err_other": "a storage error (see the hub's log)",
        "day_closed_flash": "Day {day} closed: {n} tickets not served.",
        "day_not_closed": "The day was not closed: {reason}",
        "day_refused_invalid_field": "the date must be YYYY-MM-DD",
        "day_refused_future_day": "that day has not begun",
        "day_refused_day_closed": "that day is already closed",
        # hub.admin_pairing
        "pairing_nav": "Pairing",
        "pairing_title": "Pair a device with a code",
        "pairing_intro": "Pick a device of the catalogue; the code works once and expires. "
        "On the Raspberry Pi run the command below.",
        "pairing_device": "Device",
        "pairing_minutes": "Valid for (minutes)",
        "pairing_make": "Make a code",
        "pairing_code_for": "Pairing code for {node} ({role}), valid until {until}, once only:",
        "pairing_on_pi": "On the Raspberry Pi:",
        "pairing_pending": "Codes still valid",
        "pairing_pending_none": "No code is valid now.",
        "pairing_expires": "Expires",
        "pairing_made_by": "Made by",
        "pairing_no_device": "The catalogue has no counter, kiosk or display yet.",
        "tokens_title": "Tokens",
        "tokens_none": "No token yet.",
        "token_id": "ID",
        "token_kind": "Kind",
        "token_role": "Role",
        "token_start": "Token starts",
        "token_issued": "Issued",
        "token_seen": "Last seen",
        "token_revoked": "Revoked",
        "token_active": "active",
        "token_revoke": "Revoke",
        "token_revoked_flash": "Token {id} revoked: its next request is refused.",
        "token_not_revoked": "Not revoked: {reason}",
        "kind_device": "device",
        "kind_operator": "operator",
        "node_role_counter": "counter",
        "node_role_kiosk": "kiosk",
        "node_role_display": "display",
        "pairing_refused": "No code made: {reason}",
        "health_title": "Device health",
        "health_intro": "Every device reports every 30 seconds and at once when something "
        "changes. After 90 seconds without a report a device counts as silent.",
        "health_device": "Device",
        "health_state": "State",
        "health_last_beat": "Last report",
        "health_parts": "Parts",
        "health_backlog": "Send backlog",
        "health_clock": "Clock offset",
        "health_disk": "Free disk",
        "health_cpu": "CPU temperature",
        "health_power": "Power",
        "health_power_ok": "good",
        "health_undervoltage": "under-voltage",
        "health_version": "Version",
        "health_ago": "{s} s ago",
        "health_none": "No devices yet.",
        "health_operators": "Operator/API tokens",
        "health_operators_intro": "These tokens are not devices: they send no reports and "
        "are never offline.",
        "health_ok": "Good",
        "health_warning": "Needs attention",
        "health_fault": "Fault",
        "health_stale": "Silent",
        "health_never": "Never reported",
        "device_printer": "Printer",
        "device_display": "Number display",
        "device_speaker": "Speaker",
        "device_screen": "Hall screen",
        "device_buttons": "Buttons",
        "device_status_ok": "good",
        "device_status_low": "paper low",
        "device_status_out": "out of paper",
        "device_status_cover_open": "cover open",
        "device_status_offline": "not connected",
        "device_status_fault": "fault",
        "device_status_unknown": "unknown",
        "nav_devices": "Device health",
        "nav_floor": "Floor",
        "nav_audit": "Audit",
        "floor_title": "Service floor",
        "floor_state": "State",
        "floor_serving": "Serving",
        "floor_open": "Open",
        "floor_paused_state": "Paused",
        "floor_pause": "Pause",
        "floor_resume": "Resume",
        "floor_call_title": "Call a specific ticket",
        "floor_call_hint": "Out of queue order: a reason is required and goes on the audit "
        "list (who, when, why).",
        "floor_ticket": "Ticket number",
        "floor_reason": "Reason",
        "floor_call": "Call",
        "floor_called": "Ticket {ticket} called to counter {counter}.",
        "floor_paused": "Counter {counter} paused.",
        "floor_resumed": "Counter {counter} resumed.",
        "floor_reason_required": "Not called: a reason is required.",
        "floor_reason_too_long": "Not called: the reason may have at most 200 characters.",
        "floor_unknown_ticket": "Not called: there is no ticket {ticket} today.",
        "floor_not_waiting": "Not called: ticket {ticket} is not waiting.",
        "floor_not_served_here": "Not called: this counter does not serve ticket {ticket}.",
        "floor_counter_paused": "Not called: the counter is paused.",
        "floor_unknown_counter": "Unknown counter.",
        "floor_refused": "Refused by the hub.",
        "audit_title": "Audit of out-of-order calls",
        "audit_day": "Date",
        "audit_show": "Show",
        "audit_hint": "Every out-of-order call is recorded with its reason.",
        "audit_total": "Total",
        "audit_when": "Time",
        "audit_kind": "Kind",
        "audit_by": "By",
        "audit_none": "No out-of-order call on this day.",
        "audit_kind_specific_call": "Specific ticket called",
        "audit_kind_late_recall": "Recalled after the grace window",
        "audit_kind_cancel_called": "Called ticket cancelled",
        "audit_kind_priority_beyond_rule": "Priority beyond the rule",
    },
}


for _lang, _words in (("id", ui_words.ID), ("en", ui_words.EN)):
    TEXT[_lang].update(_words)
for _lang, _words in (("id", floor_words.ID), ("en", floor_words.EN)):
    TEXT[_lang].update(_words)


def register(app: Flask) -> None:
    """Attach all UI blueprints to the hub app."""
    # Imported here so importing hub.ui stays cheap and cycle-free for create_app.
    from hub import (
        admin,
        admin_catalogue,
        admin_catalogue_log,
        admin_devices,
        admin_floor,
        admin_pairing,
        admin_supervisor,
        archive_admin,
        board,
        hall_admin,
        reports,
        reports_day,
        skm_report,
        skm_survey,
        status_page,
    )

    for bp in (
        board.bp,
        hall_admin.bp,
        status_page.bp,
        admin.bp,
        admin_devices.bp,
        admin_floor.bp,
        reports.bp,
        admin_pairing.bp,
        admin_catalogue.bp,
        admin_catalogue_log.bp,
        admin_supervisor.bp,
        archive_admin.bp,
        reports_day.bp,
        skm_survey.bp,
        skm_report.bp,
    ):
        app.register_blueprint(bp)
    # On the app, not the blueprints: blueprints are module globals shared by every app.
    app.after_request(_page_headers)
    # The admin login lives in the session cookie: no script access, no cross-site POSTs.
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"


# Everything the pages use is served by the hub itself; inline JSON data blocks are
# not scripts, so script-src 'self' holds. Framing is refused (admin clickjacking).
CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'"


_UI_BLUEPRINTS = {
    "board",
    "hall_admin",
    "status_page",
    "admin",
    "admin_devices",
    "admin_floor",
    "reports",
    "admin_pairing",
    "admin_catalogue",
    "admin_catalogue_log",
    "admin_supervisor",
    "archive_admin",
    "reports_day",
    "skm_survey",
    "skm_report",
}


def _page_headers(resp: Response) -> Response:
    if request.blueprint not in _UI_BLUEPRINTS:
        return resp  # the API's responses are the API's business
    resp.headers.setdefault("Content-Security-Policy", CSP)
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    if resp.mimetype == "application/json" or request.path.startswith("/admin"):
        # Live views and admin pages must never come from a cache.
        resp.headers["Cache-Control"] = "no-store"
    return resp


def text(lang: str | None) -> dict[str, str]:
    """UI words in Indonesian unless English is asked for."""
    return TEXT["en"] if lang == "en" else TEXT["id"]


def page_lang() -> str:
    """The language of this page: ``?lang=`` (remembered in the session), else the one
    remembered, else the mall's ``mpp.lang``, else Indonesian."""
    asked = request.args.get("lang")
    if asked in TEXT:
        if session.get("lang") != asked:
            session["lang"] = asked
        return asked
    remembered = session.get("lang")
    if remembered in TEXT:
        return remembered
    try:
        default = field(catalogue().mpp, "lang", "id")
    except (KeyError, RuntimeError):  # an app without an Authority (error pages early on)
        default = "id"
    return default if default in TEXT else "id"


def error_words(code: str, words: Mapping[str, str]) -> str:
    """A hub error code (``unknown_ticket``) in the page's words, never the English message."""
    return words.get(f"err_{code}") or words["err_generic"]


def csv_words(rows: list[list[Any]], words: Mapping[str, str]) -> list[list[Any]]:
    """A report table with its header row (and, for a metric/value table, its metric names)
    in the page's words; values stay as they are."""
    if not rows:
        return rows
    head = [words.get(f"csv_{h}", h) for h in rows[0]]
    body = rows[1:]
    if rows[0][:1] == ["metric"]:
        body = [[words.get(f"csv_{r[0]}", r[0]), *r[1:]] for r in body]
    return [head, *body]


def authority() -> Any:
    """The app's Authority (contract: app.extensions['loket'])."""
    return current_app.extensions["loket"]


def field(obj: Any, name: str, default: Any = None) -> Any:
    """Read a field from a dataclass or a dict (config and snapshots come as either)."""
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def catalogue() -> Any:
    """The folded catalogue (``core.catalogue.Catalogue``)."""
    return authority().catalogue()


def _entities(kind: str, retired: bool) -> dict[str, Any]:
    cat = catalogue()
    live = dict(cat.entities(kind))
    if retired:
        # Reports over past days name what existed then; the live value wins.
        return {**cat.retired(kind), **live}
    return live


def timezone() -> tzinfo:
    """The MPP's timezone (service days and hours are local), UTC if none is known."""
    name = catalogue().timezone
    try:
        return ZoneInfo(name) if name else UTC
    except (KeyError, ValueError):  # validation already refused a bad name
        return UTC


def clock_text(ms: object, fmt: str = "%H:%M:%S", missing: str = "—") -> str:
    """A stored millisecond time as local text; a value no calendar holds (a poisoned clock
    in an old log) reads ``missing`` instead of failing the page."""
    if not isinstance(ms, int | float) or isinstance(ms, bool) or not ms:
        return missing
    try:
        return datetime.fromtimestamp(ms / 1000, timezone()).strftime(fmt)
    except (OverflowError, OSError, ValueError):
        return missing


def mpp_name() -> str:
    mpp = catalogue().mpp
    return field(mpp, "name", "") or "Mal Pelayanan Publik"


def services(*, retired: bool = False) -> dict[str, Any]:
    """Services by id, in catalogue order (``retired``: also those retired since)."""
    return _entities("service", retired)


def counters(*, retired: bool = False) -> dict[str, Any]:
    """Counters by id, in catalogue order (``retired``: also those retired since)."""
    return _entities("counter", retired)


def agencies(*, retired: bool = False) -> dict[str, Any]:
    return _entities("agency", retired)


def label_of(key: str | None) -> str:
    """'2026-11-28/B-023' -> 'B-023'."""
    return (key or "").rpartition("/")[2]


def snapshot_state(snap: Mapping) -> Mapping:
    """The QueueState.snapshot() part of Authority.snapshot()."""
    state = snap.get("state")
    return state if isinstance(state, Mapping) else snap


def snapshot_waiting(snap: Mapping) -> dict[str, list[Mapping]]:
    """Waiting tickets per service, in queue order (each with its 'position')."""
    return dict(snapshot_state(snap).get("waiting") or {})


def snapshot_counters(snap: Mapping) -> dict[str, Mapping]:
    """Counter states of a snapshot by counter id."""
    return dict(snapshot_state(snap).get("counters") or {})


def snapshot_calls(snap: Mapping) -> list[Mapping]:
    """The fold's recent calls, newest first (lost calls already removed by the fold)."""
    return list(snapshot_state(snap).get("recent_calls") or [])


def iter_records(since: int = 0, page: int = 500) -> Iterator[dict]:
    """Every hub record after hseq `since`, fetched page by page (records_since is bounded)."""
    auth = authority()
    while True:
        batch = auth.records_since(since, page)
        if not batch:
            return
        yield from batch
        since = batch[-1]["hseq"]


def recent_records(count: int) -> list[dict]:
    """About the last `count` records (the dashboard's window on recent notices)."""
    return list(iter_records(max(0, int(authority().last_hseq) - count)))
