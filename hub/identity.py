"""What the catalogue says about a node or a service: the hub's one place to ask.

Every "is this id a kiosk?", "which services does K1 offer?" the hub's routes and checks need
goes through these functions, over the folded catalogue (``Authority.catalogue()`` or
``authority.state.catalogue`` under the lock), never over the profile: the catalogue is in
the log and an admin edit changes it while the hub runs.

A retired node stays a *device* here: its token must not turn into an operator credential
that may act for any counter, and it may still push the events it logged before it was
retired (nothing a kiosk printed is dropped). It may no longer take new numbers or call.
"""

from __future__ import annotations

from core.catalogue import NODE_KINDS, Catalogue


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
    """Live node ids (counters, kiosks, displays), the ones that must re-push after a restore."""
    return catalogue.node_ids


def kiosk_ids(catalogue: Catalogue) -> set[str]:
    return set(catalogue.kiosks)


def kiosk(catalogue: Catalogue, kiosk_id: str):
    """The live kiosk's value, or None."""
    return catalogue.kiosks.get(kiosk_id)


def counter(catalogue: Catalogue, counter_id: str):
    """The live counter's value, or None."""
    return catalogue.counters.get(counter_id)


def service(catalogue: Catalogue, service_id: str):
    """The live service's value, or None."""
    return catalogue.services.get(service_id)


__all__ = [
    "counter",
    "device_role",
    "is_device",
    "kiosk",
    "kiosk_ids",
    "may_push",
    "node_ids",
    "role_of",
    "service",
]
