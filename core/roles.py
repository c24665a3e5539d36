"""People's roles, ordered ``viewer < supervisor < admin`` (the hub's and the region's).

A higher role may do everything a lower one may; what each role may do on the hub is the
table in ``hub.roles``, on the regional server ``region.auth``.
"""

from __future__ import annotations

USER_ROLES = ("viewer", "supervisor", "admin")


def is_role(role: object) -> bool:
    return isinstance(role, str) and role in USER_ROLES


def at_least(role: object, needed: str) -> bool:
    """Whether ``role`` may do what ``needed`` may (unknown roles may do nothing)."""
    if not is_role(role):
        return False
    return USER_ROLES.index(role) >= USER_ROLES.index(needed)  # type: ignore[arg-type]
