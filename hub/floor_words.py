"""Words of the floor's supervisor actions (live view, late recall, kiosk reprint), merged
into ``hub.ui.TEXT``; both languages have the same keys (tests/hub/ui/test_ui_lang.py)."""

from __future__ import annotations

ID = {
    "sup_actions": "Tindakan",
    "sup_ticket_ph": "A-014",
    "sup_call_reason": "Alasan panggilan",
    "recall_title": "Panggil ulang tiket yang dilewati",
    "recall_hint": "Pengunjung yang dilewati datang kembali. Setelah masa tenggang, panggilan "
    "ulang tercatat di daftar audit dengan alasannya.",
    "recall_button": "Panggil ulang",
    "recall_done": "Tiket {ticket} dipanggil ulang ke loket {counter}.",
    "recall_not_recallable": "Tidak dipanggil ulang: tiket {ticket} tidak dilewati oleh loket ini.",
    "recall_grace_over": "Tidak dipanggil ulang: masa tenggang {ticket} sudah lewat, alasan "
    "wajib diisi.",
    "reprint_title": "Cetak ulang tiket terakhir kios",
    "reprint_hint": "Kios mencetak ulang tiket terakhirnya begitu menerima perintah ini.",
    "reprint_button": "Cetak ulang",
    "reprint_sent": "Perintah cetak ulang dikirim ke kios {kiosk}.",
    "reprint_unknown_kiosk": "Kios tidak dikenal.",
    "reprint_none": "Belum ada kios.",
}

EN = {
    "sup_actions": "Actions",
    "sup_ticket_ph": "A-014",
    "sup_call_reason": "Reason for the call",
    "recall_title": "Recall a skipped ticket",
    "recall_hint": "A skipped visitor came back. After the grace window the recall goes on "
    "the audit list with its reason.",
    "recall_button": "Recall",
    "recall_done": "Ticket {ticket} recalled to counter {counter}.",
    "recall_not_recallable": "Not recalled: ticket {ticket} was not skipped by this counter.",
    "recall_grace_over": "Not recalled: the grace window of {ticket} is over; a reason is "
    "required.",
    "reprint_title": "Reprint a kiosk's last ticket",
    "reprint_hint": "The kiosk prints its last ticket again as soon as it hears of this.",
    "reprint_button": "Reprint",
    "reprint_sent": "Reprint sent to kiosk {kiosk}.",
    "reprint_unknown_kiosk": "Unknown kiosk.",
    "reprint_none": "No kiosk yet.",
}
