"""The priority lane (C3): who is in it, and when a counter may call from it.

UU 25/2009 pasal 29 asks that the elderly, people with a disability, pregnant women and
parents with small children are served first, and MPP complaints show both failures: a
priority lane that jumps everything, and one that falls to the back. So priority tickets go
first under a rule with a guarantee for the others, counted per counter over the calls it
made (the fold's ``QueueState.lanes``, so an offline counter applies it from its own view):

- ``max_in_row`` n (the default, n = 2): at most n priority calls in a row while a normal
  ticket waits; then one normal call. A normal ticket at the head of its lane waits at most
  n priority calls per normal call; a priority ticket at the head of its lane waits at most
  one normal call.
- ``one_per`` n: after a priority call, n normal calls before the next one while normal
  tickets wait. A priority ticket at the head of its lane waits at most n normal calls; a
  normal ticket at most one priority call per n normal ones.

A lane with nobody waiting never holds the other back. A ticket is in the priority lane when
it carries a ``category`` (new tickets), or a negative numeric ``priority`` (logs written
before categories: "lower = earlier", 0 was normal). New tickets write ``priority`` -1 for a
category and 0 otherwise, so their order key ``(priority, est_ms, hseq)`` still lists the
priority lane first and older readers of ``priority`` see what they expect.
"""

from __future__ import annotations

from typing import Any

# (lane of the last call, how many calls in a row it made): "priority" or "normal".
Run = tuple[str, int]

PRIORITY_VALUE = -1  # body.priority of a ticket with a category
NORMAL_VALUE = 0


def is_priority(ticket: Any) -> bool:
    return ticket.category is not None or ticket.priority < 0


def priority_value(category: str | None) -> int:
    return PRIORITY_VALUE if category is not None else NORMAL_VALUE


def after_call(run: Run | None, priority: bool) -> Run:
    lane = "priority" if priority else "normal"
    if run is not None and run[0] == lane:
        return (lane, run[1] + 1)
    return (lane, 1)


def may_call_priority(rule: Any, run: Run | None) -> bool:
    """Whether the next call may come from the priority lane while a normal ticket waits."""
    if run is None:
        return True
    lane, count = run
    if rule.kind == "one_per":
        return lane == "normal" and count >= rule.n
    return lane == "normal" or count < rule.n


def pick(rule: Any, run: Run | None, first_priority: Any, first_normal: Any) -> Any:
    """Of the heads of the two lanes (either may be None), the one to call."""
    if first_priority is None:
        return first_normal
    if first_normal is None or may_call_priority(rule, run):
        return first_priority
    return first_normal


__all__ = [
    "NORMAL_VALUE",
    "PRIORITY_VALUE",
    "after_call",
    "is_priority",
    "may_call_priority",
    "pick",
    "priority_value",
]
