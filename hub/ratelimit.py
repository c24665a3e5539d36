"""How fast one kiosk or one operator token may take numbers (``[hub] issue_per_min``).

A real kiosk hands out a ticket every few seconds at most (a person presses, the printer
cuts, the next person steps up). A stolen kiosk or API token issuing hundreds a minute would
burn a service's daily quota and fill the hall board with ghosts, so each caller gets a token
bucket: ``per_min`` tickets at once, refilled at ``per_min`` a minute. Over it the hub answers
429 ``too_many_tickets`` with ``retry_after_s``. Leases count in a bucket of their own (a
kiosk asks for one only when half a block is used). ``per_min = 0`` turns the limit off (a
benchmark, or a trusted bulk import). The buckets are ``core.ratelimit``'s.
"""

from core.ratelimit import RateLimiter

__all__ = ["RateLimiter"]
