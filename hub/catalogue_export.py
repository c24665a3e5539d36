"""The log's catalogue as a hub profile (``loket hub export-profile``).

The catalogue is folded from the journal's catalogue events alone, read with
``core.journal.read_records`` (no repair, so a running hub is not disturbed). Deployment
tables are copied from the profile file as written (relative paths stay relative). Holidays
are written out one by one with ``[calendar] shipped_holidays = false``, so importing the
export gives back exactly the catalogue it came from.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

from core.catalogue import TABLES, Catalogue, fold_catalogue
from core.config import SEED_TABLES
from core.journal import read_records
from core.profile_toml import dump_profile
from hub.store import JOURNAL_DIR

CATALOGUE_TABLES = ("mpp", *TABLES.values(), *SEED_TABLES)


def log_catalogue(data_dir: Path) -> Catalogue:
    """The catalogue the hub of ``data_dir`` holds (empty when it never started)."""
    return fold_catalogue(read_records(Path(data_dir) / JOURNAL_DIR, prefix="events"))


def folder_catalogue(config: Any) -> Catalogue:
    """The catalogue of the hub of ``config``: its log's, or (before its first start) the
    profile's seed, which is what the hub will start with (``loket hub pair`` checks node ids
    against it while no hub runs)."""
    return log_catalogue(config.hub.data_dir) or Catalogue.from_dict(config.catalogue)


def profile_text(config: Any) -> tuple[str, str | None]:
    """(TOML text, a note for the technician or None)."""
    catalogue = log_catalogue(config.hub.data_dir)
    note = None
    if not catalogue:
        catalogue = Catalogue.from_dict(config.catalogue)
        note = (
            f"note: the log in {config.hub.data_dir} holds no catalogue yet; "
            "this is what the hub will seed from the profile"
        )
    d = catalogue.to_dict()
    sections: dict[str, Any] = {"mpp": d["mpp"]}
    sections.update(_deployment_tables(config))
    sections["calendar"] = {"shipped_holidays": False}
    for table in TABLES.values():
        sections[table] = d[table]
    header = (
        f"Hub profile exported by `loket hub export-profile` on {datetime.now():%Y-%m-%d %H:%M}\n"
        f"from the catalogue in {config.hub.data_dir} (log position {catalogue.hseq}).\n"
        "Edit it and run `loket hub import-profile` to apply the differences."
    )
    return dump_profile(sections, header=header), note


def _deployment_tables(config: Any) -> dict[str, Any]:
    """Every table of the profile file that is not catalogue data ([hub], ...), as written."""
    source = getattr(config, "source", None)
    raw: dict[str, Any] = {}
    if source is not None:
        with open(source, "rb") as f:
            raw = tomllib.load(f)
    if "hub" not in raw:
        hub = config.hub
        raw["hub"] = {
            "host": hub.host,
            "port": hub.port,
            "data_dir": str(hub.data_dir),
            "threads": hub.threads,
            "secret_key_file": str(hub.secret_key_file),
        }
    return {k: v for k, v in raw.items() if k not in CATALOGUE_TABLES}
