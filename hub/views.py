"""JSON projections of config and tickets the API answers with (no state of their own)."""

from __future__ import annotations

import dataclasses
from typing import Any
from zoneinfo import ZoneInfo

from core.model import Ticket
from core.numbering import service_day


def timezone_of(config: Any) -> ZoneInfo:
    tz = getattr(getattr(config, "mpp", None), "timezone", None) or "Asia/Jakarta"
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(str(tz))


def day_of(wall_ms: int, tz: ZoneInfo) -> str:
    """The MPP's service day of an instant (the journal rotates and numbering restarts here)."""
    return service_day(wall_ms, tz)


def as_json(item: Any) -> Any:
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        return {f.name: as_json(getattr(item, f.name)) for f in dataclasses.fields(item)}
    if isinstance(item, list | tuple | set | frozenset):
        return [as_json(x) for x in item]
    if isinstance(item, dict):
        return {str(k): as_json(v) for k, v in item.items()}
    if isinstance(item, ZoneInfo):
        return str(item)
    return item


def config_view(catalogue: Any) -> dict[str, list]:
    """The catalogue in the shape ``GET /api/v1/state`` gave as ``config`` before the
    catalogue was in the log: ``{agencies, services, counters}`` (nodes of older releases
    read names and numbers from it)."""
    d = catalogue.to_dict()
    return {kind: d.get(kind, []) for kind in ("agencies", "services", "counters")}


def mpp_view(config: Any) -> dict[str, str]:
    """The mall's name and timezone, for nodes whose own profile has neither: a hall display
    titles its board and runs its clock in the MPP's time (WIB, WITA or WIT) from these."""
    mpp = getattr(config, "mpp", None)
    return {"name": getattr(mpp, "name", "") or "", "timezone": str(timezone_of(config))}


def ticket_json(ticket: Ticket | None) -> dict | None:
    return None if ticket is None else ticket.to_dict()


def without_public_id(record: dict) -> dict:
    """A hub record as anonymous readers may see it: a ``ticket.issued`` without its
    ``public`` id (the key to that visitor's status page). For feeds open to everyone (the
    SSE stream); nodes and operators read the full record through authenticated routes."""
    event = record.get("event") or {}
    body = event.get("body")
    if event.get("type") != "ticket.issued" or not isinstance(body, dict) or "public" not in body:
        return record
    clean = {k: v for k, v in body.items() if k != "public"}
    return {**record, "event": {**event, "body": clean}}


def without_survey_answers(record: dict) -> dict:
    """A hub record for the public stream: a ``survey.answered`` keeps its ticket (a status
    page learns its survey was taken) but not its body. The answers and the respondent's
    age, sex, education and job next to a ticket number would tell the counter that served
    it who rated them; the SKM is anonymous. Nodes read full records on authenticated routes."""
    event = record.get("event") or {}
    if event.get("type") != "survey.answered":
        return record
    return {**record, "event": {**event, "body": {}}}
