"""What the catalogue says about a node or a service: the hub's one place to ask.

Every "is this id a kiosk?", "which counter does C2 drive?", "which services does K1 offer?"
the hub's routes and checks need - the device token checks (``hub.auth``), the push checks
(``hub.pushcheck``), the commands (``hub.operations``) and the recovery barrier - goes through
these functions, over the folded catalogue (``Authority.catalogue()``, or
``authority.state.catalogue`` under the lock), never over the profile: the catalogue is in
the log and an admin edit changes it while the hub runs. Each takes a
:class:`core.catalogue.Catalogue` (immutable, so a lookup never sees half an edit) and never
raises for an unknown id: it answers None / empty, and the caller refuses with its own reason.

A retired node stays a *device* here: its token must not turn into an operator credential
that may act for any counter, and it may still push the events it logged before it was
retired (nothing a kiosk printed is dropped), checked against its last known entry. It may
no longer take new numbers or call. Likewise a pushed event may name a service retired since
the node logged it.
"""

from __future__ import annotations

from typing import Any

from core.catalogue import NODE_KINDS, Catalogue

DEVICE_ROLES = ("kiosk", "counter", "display")


def role_of(catalogue: Catalogue, node_id: str) -> str | None:
    """``"counter"``, ``"kiosk"`` or ``"display"`` for a live node id, else None."""
    return catalogue.role_of(node_id)


def device_role(catalogue: Catalogue, node_id: str) -> str | None:
    """The role of a live or retired node id; None for operator/API names."""
    live = catalogue.role_of(node_id)
    if live is not None:
        return live
    return next((k for k in NODE_KINDS if node_id in catalogue.retired(k)), None)


def is_device(catalogue: Catalogue, node_id: str) -> bool:
    return device_role(catalogue, node_id) is not None


def may_push(catalogue: Catalogue, node_id: str) -> bool:
    """Live and retired nodes push their logs; anything else is not a node of this mall."""
    return is_device(catalogue, node_id)


def node_ids(catalogue: Catalogue) -> tuple[str, ...]:
    """Live node ids (counters, kiosks, displays): the ids a device token may be issued
    for, and the ones that must re-push after a restore."""
    return catalogue.node_ids


def kiosk_ids(catalogue: Catalogue) -> set[str]:
    return set(catalogue.kiosks)


def kiosk(catalogue: Catalogue, kiosk_id: str) -> Any | None:
    """The live kiosk's value, or None."""
    return catalogue.kiosks.get(kiosk_id)


def kiosk_services(catalogue: Catalogue, kiosk_id: str) -> tuple[str, ...]:
    """The services a live or retired kiosk offers (offered, for a retired one), empty for
    an id that was never a kiosk."""
    value = catalogue.last_known("kiosk", kiosk_id)
    return () if value is None else tuple(value.services)


def counter(catalogue: Catalogue, counter_id: str) -> Any | None:
    """The live counter's value, or None."""
    return catalogue.counters.get(counter_id)


def counter_of(catalogue: Catalogue, node_id: str) -> str | None:
    """The counter a (live or retired) counter node drives: its own id, counters pair as
    themselves."""
    return node_id if device_role(catalogue, node_id) == "counter" else None


def service(catalogue: Catalogue, service_id: Any) -> Any | None:
    """The live service's value (``id, prefix, name, agency, daily_quota, ...``), or None."""
    if not isinstance(service_id, str):
        return None
    return catalogue.services.get(service_id)


def known_service(catalogue: Catalogue, service_id: Any) -> Any | None:
    """A live or retired service's (last) value: what a node may have logged it under."""
    if not isinstance(service_id, str):
        return None
    return catalogue.last_known("service", service_id)


def prefix_of(catalogue: Catalogue, service_id: str) -> str | None:
    svc = known_service(catalogue, service_id)
    return None if svc is None else svc.prefix


__all__ = [
    "DEVICE_ROLES",
    "counter",
    "counter_of",
    "device_role",
    "is_device",
    "kiosk",
    "kiosk_ids",
    "kiosk_services",
    "known_service",
    "may_push",
    "node_ids",
    "prefix_of",
    "role_of",
    "service",
]
