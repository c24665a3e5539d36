"""``hub_info.json``: the catalogue this node last knew, for a start with nothing folded.

A node reads the catalogue from its own fold (``QueueState.catalogue``, from ``catalogue.*``
events in its replica). That is empty only before the first pull reached the catalogue: a
fresh data folder, a new hub epoch (the replica starts over), a replica lost. A kiosk that
boots then without the hub must still print its services' names and prefixes, and a counter
must still know which services it calls, so the node keeps the last catalogue and roster it
saw here: written when the feed changes them (``Context.remember_catalogue``) and from
``GET /api/v1/state`` at boot. ``LocalView`` uses it only while its fold has no catalogue.

Format 2: ``{format, hub_epoch, hseq, catalogue: Catalogue.to_dict(), roster: {counter:
{services, open}}}``. The older ``{config: {services, counters, agencies}, mpp}`` is still
read, so an upgraded node that boots offline knows what it knew before.
"""

from __future__ import annotations

import logging
from pathlib import Path

from core.catalogue import Catalogue
from node.replica import read_json, write_json

log = logging.getLogger(__name__)

HUB_INFO_FILE = "hub_info.json"
FORMAT = 2
DEFAULT_MPP = {"name": "Mal Pelayanan Publik", "timezone": "Asia/Jakarta"}


def load(data_dir: Path) -> dict:
    return read_json(Path(data_dir) / HUB_INFO_FILE, {})


def save(data_dir: Path, info: dict) -> None:
    write_json(Path(data_dir) / HUB_INFO_FILE, info)


def from_state(body: dict) -> dict | None:
    """What to cache of a ``GET /api/v1/state`` answer (None if it says nothing useful)."""
    catalogue = body.get("catalogue")
    counters = (body.get("state") or {}).get("counters") or {}
    roster = {
        cid: {"services": list(c.get("services") or ()), "open": bool(c.get("open", True))}
        for cid, c in counters.items()
        if isinstance(c, dict)
    }
    if not isinstance(catalogue, dict):
        if not body.get("config"):
            return None
        catalogue = legacy_catalogue(body.get("config") or {}, body.get("mpp") or {})
    return {
        "format": FORMAT,
        "hub_epoch": body.get("hub_epoch"),
        "hseq": int(body.get("last_hseq") or 0),
        "catalogue": catalogue,
        "roster": roster,
    }


def from_fold(catalogue: Catalogue, roster: dict | None, hub_epoch: str | None) -> dict:
    """What to cache of this node's own fold; without a folded ``roster`` (a kiosk folds
    only the catalogue) the counters' configured services stand for it."""
    if roster is None:
        roster = {
            cid: {"services": list(c.services), "open": True}
            for cid, c in catalogue.counters.items()
        }
    return {
        "format": FORMAT,
        "hub_epoch": hub_epoch,
        "hseq": catalogue.hseq,
        "catalogue": catalogue.to_dict(),
        "roster": {cid: r for cid, r in roster.items() if cid in catalogue.counters},
    }


def differs(a: dict, b: dict) -> bool:
    keys = ("hub_epoch", "catalogue", "roster")
    return any(a.get(k) != b.get(k) for k in keys)


def catalogue_of(info: dict) -> Catalogue | None:
    """The cached catalogue, or None (nothing cached, or a file this release cannot read)."""
    raw = info.get("catalogue")
    if raw is None and info.get("config"):
        raw = legacy_catalogue(info["config"], info.get("mpp") or {})
    if not isinstance(raw, dict):
        return None
    try:
        return Catalogue.from_dict(raw)
    except (KeyError, TypeError, ValueError):
        log.warning("ignoring an unreadable cached catalogue in %s", HUB_INFO_FILE)
        return None


def roster_of(info: dict) -> dict[str, dict]:
    roster = info.get("roster")
    if isinstance(roster, dict):
        return {k: v for k, v in roster.items() if isinstance(v, dict)}
    counters = (info.get("config") or {}).get("counters") or []
    return {
        c["id"]: {"services": list(c.get("services") or ()), "open": True}
        for c in counters
        if isinstance(c, dict) and isinstance(c.get("id"), str)
    }


def legacy_catalogue(config: dict, mpp: dict) -> dict:
    """The older cached ``config`` (services, counters, agencies) as a catalogue dict."""
    return {
        "mpp": {**DEFAULT_MPP, **{k: v for k, v in mpp.items() if k in DEFAULT_MPP and v}},
        "agencies": [a for a in config.get("agencies") or () if isinstance(a, dict)],
        "services": [s for s in config.get("services") or () if isinstance(s, dict)],
        "counters": [c for c in config.get("counters") or () if isinstance(c, dict)],
    }
