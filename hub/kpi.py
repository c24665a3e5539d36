"""The hub's KPIs are ``core.kpi``'s (moved there so the regional server computes the very
same figures from the records a hub pushes up); kept here for the hub's own modules."""

from core.kpi import (
    MAX_BACKDATE_MS,
    QuickRating,
    Report,
    Row,
    Stats,
    TicketFacts,
    collect,
    compute,
    percentile,
    quick_rating,
    stats,
    when,
)

__all__ = [
    "MAX_BACKDATE_MS",
    "QuickRating",
    "Report",
    "Row",
    "Stats",
    "TicketFacts",
    "collect",
    "compute",
    "percentile",
    "quick_rating",
    "stats",
    "when",
]
