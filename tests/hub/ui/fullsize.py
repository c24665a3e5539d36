"""A full-size regency MPP for the board's screen tests: 15 agencies, 30 services, 25 counters.

Built from the dataclasses rather than through ``hub_config_from_dict``: 30 services need more
than the 26 one-letter prefixes today's validator allows, so four carry two-letter prefixes
(PA, PB, BK, PS) the way multi-character prefixes are being added. Once the validator takes
them, this can become a TOML profile like the shipped ones.
"""

from __future__ import annotations

from pathlib import Path

from core.config import CounterConfig, HallDisplay, HubConfig, HubSection, Kiosk, MppConfig
from core.model import Agency, Service

AGENCIES = {
    "dukcapil": "Dinas Kependudukan dan Pencatatan Sipil",
    "dpmptsp": "Dinas Penanaman Modal dan PTSP",
    "disnaker": "Dinas Tenaga Kerja",
    "bpjs-kes": "BPJS Kesehatan",
    "bpjs-tk": "BPJS Ketenagakerjaan",
    "samsat": "Samsat (Bapenda Provinsi)",
    "polres": "Polres",
    "bpn": "Kantor Pertanahan (BPN)",
    "kemenag": "Kantor Kementerian Agama",
    "imigrasi": "Kantor Imigrasi",
    "kpp": "KPP Pratama",
    "pln": "PLN UP3",
    "pdam": "Perumda Air Minum",
    "bank": "Bank Pembangunan Daerah",
    "pos": "Kantor Pos",
}

SERVICES = [
    ("A", "KTP-el Baru dan Cetak Ulang", "dukcapil"),
    ("B", "Kartu Keluarga", "dukcapil"),
    ("C", "Akta Kelahiran", "dukcapil"),
    ("D", "Akta Kematian", "dukcapil"),
    ("E", "Kartu Identitas Anak", "dukcapil"),
    ("F", "Pindah Datang Penduduk", "dukcapil"),
    ("G", "Perizinan Berusaha (NIB)", "dpmptsp"),
    ("H", "Persetujuan Bangunan Gedung (PBG)", "dpmptsp"),
    ("I", "Kartu Pencari Kerja (AK/I)", "disnaker"),
    ("J", "Pendaftaran Peserta JKN", "bpjs-kes"),
    ("K", "Perubahan Data Peserta JKN", "bpjs-kes"),
    ("L", "Klaim Jaminan Hari Tua", "bpjs-tk"),
    ("M", "Pendaftaran Peserta Pekerja", "bpjs-tk"),
    ("N", "Pajak Kendaraan Tahunan", "samsat"),
    ("O", "Pengesahan STNK Lima Tahunan", "samsat"),
    ("P", "Balik Nama Kendaraan", "samsat"),
    ("Q", "SKCK", "polres"),
    ("R", "Pengecekan Sertipikat Tanah", "bpn"),
    ("S", "Peralihan Hak atas Tanah", "bpn"),
    ("T", "Pendaftaran Nikah", "kemenag"),
    ("U", "Konsultasi Haji dan Umrah", "kemenag"),
    ("V", "Paspor Baru", "imigrasi"),
    ("W", "Penggantian Paspor", "imigrasi"),
    ("X", "Pendaftaran NPWP", "kpp"),
    ("Y", "Konsultasi SPT Tahunan", "kpp"),
    ("Z", "Pasang Baru dan Tambah Daya", "pln"),
    ("PA", "Sambungan Baru Air Minum", "pdam"),
    ("PB", "Pengaduan Tagihan Air", "pdam"),
    ("BK", "Rekening dan Kredit Usaha", "bank"),
    ("PS", "Layanan Pos dan Wesel", "pos"),
]


def full_size_config(data_dir: Path) -> HubConfig:
    services = tuple(Service(sid, sid, name, agency) for sid, name, agency in SERVICES)
    ids = [s.id for s in services]
    # 25 counters, two services each; loket 25 serves the two-letter PDAM prefixes.
    counters = tuple(
        CounterConfig(
            id=f"C{n:02d}",
            name=f"Loket {n}",
            number=n,
            services=("PA", "PB") if n == 25 else (ids[n - 1], ids[(n + 4) % 30]),
            display="matrix",
        )
        for n in range(1, 26)
    )
    return HubConfig(
        mpp=MppConfig("Mal Pelayanan Publik Kabupaten Belitung Timur", "Asia/Jakarta"),
        hub=HubSection(host="127.0.0.1", port=0, data_dir=data_dir, secret_key_file=data_dir / "k"),
        agencies=tuple(Agency(a, name) for a, name in AGENCIES.items()),
        services=services,
        counters=counters,
        kiosks=(
            Kiosk("K1", "Kiosk Lobi Utara", tuple(ids[:15])),
            Kiosk("K2", "Kiosk Lobi Selatan", tuple(ids[15:])),
        ),
        displays=(HallDisplay("D1", "Layar Lantai 1"), HallDisplay("D2", "Layar Lantai 2")),
    )
