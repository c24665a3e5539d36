"""The hub's catalogue commands: seed it, edit it, import a profile, set a counter's roster.

Each runs with the Authority's lock held (through ``Authority._decide``), decides from the
folded catalogue with ``core.catalogue`` (the validator ``loket config check`` runs) and
commits hub events - ``catalogue.set`` / ``catalogue.retired``, plus ``roster.updated`` when a
counter's services change - in one commit, so a node never sees half an edit.

Seeding (contract C1): on first start the log holds no catalogue event; the profile's
catalogue is committed as one event per entity, in one commit, before the hub serves anything.
From then on the log is the truth, and a profile that says otherwise is only reported.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from core import catalogue as cat
from hub.errors import Refused, unknown

if TYPE_CHECKING:
    from hub.authority import Authority

log = logging.getLogger(__name__)

SEED_BY = "profile"
IMPORT_BY = "import-profile"


def seed_or_compare(auth: Authority) -> list[str]:
    """Seed an empty log from the profile, or say how the profile differs from the log.

    Returns the differences (``"set service A"``, ``"retire kiosk K2"``) and logs a warning
    naming them; the log wins until someone runs ``loket hub import-profile``.
    """
    seed = getattr(auth.config, "catalogue", None) or {}
    if not seed:
        return []
    current = auth.state.catalogue
    if current.hseq == 0:  # no catalogue event in the log: first start (or an older log)
        plan = cat.changes_to(current, seed)
        auth._decide(_commit_plan, auth, plan, SEED_BY)
        log.info("catalogue seeded from the profile: %d entities", len(plan))
        return []
    differences = describe(cat.changes_to(current, seed))
    if differences:
        shown = ", ".join(differences[:8]) + (" ..." if len(differences) > 8 else "")
        log.warning(
            "the profile's catalogue differs from the hub's log in %d place(s): %s. The log "
            "is used; `loket hub export-profile` writes it out, `loket hub import-profile` "
            "applies the profile.",
            len(differences),
            shown,
        )
    return differences


def describe(plan: Iterable[tuple[str, dict]]) -> list[str]:
    return [
        f"{'retire' if t == 'catalogue.retired' else 'set'} {b['kind']} {b['id']}" for t, b in plan
    ]


def change(auth: Authority, op: str, kind: str, entity_id: str, value: Any, by: str) -> list[dict]:
    bodies = cat.change(auth.state.catalogue, op, kind, entity_id, value)
    types = "catalogue.retired" if op == "retire" else "catalogue.set"
    return _commit_plan(auth, [(types, b) for b in bodies], by)


def apply(auth: Authority, target: dict, by: str) -> list[dict]:
    """``import-profile``: the whole difference to ``target`` (already validated as a
    profile), in one commit."""
    return _commit_plan(auth, cat.changes_to(auth.state.catalogue, target), by)


def import_profile(auth: Authority, target: dict, *, by: str, dry_run: bool = False) -> list[str]:
    """What ``loket hub import-profile`` does, whichever way it reaches the hub: the
    differences between the log's catalogue and the profile's, applied (unless ``dry_run``)
    in one commit. Returns them as ``describe`` words."""
    plan = cat.changes_to(auth.catalogue(), target)
    if plan and not dry_run:
        auth.apply_catalogue(target, by)
    return describe(plan)


def roster(
    auth: Authority, counter_id: str, services: Any, open_: bool | None, by: str
) -> dict | None:
    """``roster.updated`` for a live counter: pause/resume, or the services it serves now
    (known services only). The later counter-actions work calls this for a button hold."""
    catalogue = auth.state.catalogue
    if counter_id not in catalogue.counters:
        raise unknown("counter", counter_id)
    live = auth.state.counter_view(counter_id)
    services = list(live.services) if services is None else list(services)
    for sid in services:
        if sid not in catalogue.services:
            raise unknown("service", sid)
    open_ = live.open if open_ is None else bool(open_)
    if tuple(services) == tuple(live.services) and open_ == live.open:
        return None
    event = auth.hub_event(
        "roster.updated",
        ticket=None,
        req=None,
        deps=(),
        body={"counter": counter_id, "services": services, "open": open_, "by": by},
    )
    return auth.commit([event])[0]["event"]


def _commit_plan(auth: Authority, plan: list[tuple[str, dict]], by: str) -> list[dict]:
    """Catalogue events for ``plan`` plus the roster events they imply, one commit."""
    if not plan:
        return []
    if not isinstance(by, str) or not by:
        raise Refused("invalid_field", "'by' must name who changed the catalogue", 422, field="by")
    specs: list[tuple[str, dict]] = [(t, {**b, "by": by}) for t, b in plan]
    specs += _roster_changes(auth, plan, by)
    events = [
        auth.hub_event(t, ticket=None, req=None, deps=(), body=body, offset=i)
        for i, (t, body) in enumerate(specs)
    ]
    logged = {r["event"]["id"]: r["event"] for r in auth.commit(events)}
    return [logged[e.id] for e in events]  # with the hub's receipts (a node may carry them)


def _roster_changes(
    auth: Authority, plan: list[tuple[str, dict]], by: str
) -> list[tuple[str, dict]]:
    """A counter's configured services changed (or it was retired): its live roster follows,
    keeping whether it is open - the producer of ``roster.updated`` (contract C1)."""
    out = []
    for type_, body in plan:
        if body["kind"] != "counter":
            continue
        live = auth.state.counters.get(body["id"])
        if live is None:
            continue  # a new counter: catalogue.set alone gives it its roster
        if type_ == "catalogue.retired":
            services, open_ = [], False
        else:
            services, open_ = list(body["value"]["services"]), live.open
        if tuple(services) == tuple(live.services) and open_ == live.open:
            continue
        out.append(
            (
                "roster.updated",
                {"counter": body["id"], "services": services, "open": open_, "by": by},
            )
        )
    return out
