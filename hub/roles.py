"""Who may do what: people's roles, and the table every route is checked against (C5).

People (admin users and operator/API tokens) have one role, ordered
``viewer < supervisor < admin``: a higher role may do everything a lower one may. Devices do
not have these roles; a device token acts as its one node (``hub.identity.DEVICE_ROLES``).

=============================  ===========  =====================================================
action                         least role   where
=============================  ===========  =====================================================
read every admin page, KPIs    viewer       ``GET /admin/*``, ``GET /api/v1/nodes``, changes feed
issue a ticket (front desk)    supervisor   ``POST /api/v1/tickets`` with an operator token
counter buttons for any        supervisor   ``POST /api/v1/counters/<id>/<action>`` (operator)
counter (call, recall...)
cancel a ticket                supervisor   ``POST /admin/tickets/cancel``
lift the recovery barrier      supervisor   ``POST /admin/barrier/lift``, ``/api/v1/barrier/lift``
pause/resume a counter, call   supervisor   ``POST /api/v1/counters/<id>/pause|resume|
a specific ticket (reason,                  call_ticket`` (operator), ``POST /admin/floor/*``
audited)
read the audit list            viewer       ``GET /admin/audit``, ``GET /api/v1/audit``
daily close                    supervisor   (routes of later issues use ``require_role``)
pair devices, issue tokens     admin        ``POST /admin/nodes/pair``, ``loket hub pair``
users, catalogue, devices      admin        ``loket hub adduser``, ``POST /api/v1/catalogue``
                                            (session + CSRF header, or an admin operator
                                            token), ``loket hub import-profile``
=============================  ===========  =====================================================

The CLI on the hub itself (``loket hub pair/adduser/backup/lift-barrier/import-profile``) acts
as admin: it holds the data folder or the running hub's control secret, which only root and
the hub's user can read.
"""

from __future__ import annotations

from core.roles import USER_ROLES, at_least, is_role

__all__ = ["PERMISSIONS", "USER_ROLES", "at_least", "is_role"]

# Named permissions for routes that are not plain reads (keeps the table above honest).
PERMISSIONS = {
    "read": "viewer",
    "issue": "supervisor",
    "counter": "supervisor",
    "cancel": "supervisor",
    "lift_barrier": "supervisor",
    "pair": "admin",
    "users": "admin",
    "catalogue": "admin",
}
