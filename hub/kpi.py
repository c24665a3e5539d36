"""The hub's KPIs are ``core.kpi``'s (moved there so the regional server computes the very
same figures from the records a hub pushes up); kept here for the hub's own modules."""

from core.kpi import (
    IKM_GRADES,
    MAX_BACKDATE_MS,
    Ikm,
    Report,
    Row,
    Stats,
    TicketFacts,
    collect,
    compute,
    ikm,
    ikm_grade,
    percentile,
    stats,
    when,
)

__all__ = [
    "IKM_GRADES",
    "MAX_BACKDATE_MS",
    "Ikm",
    "Report",
    "Row",
    "Stats",
    "TicketFacts",
    "collect",
    "compute",
    "ikm",
    "ikm_grade",
    "percentile",
    "stats",
    "when",
]
