"""Regression (found by the sync model): a kiosk pushes a lease ticket before it has seen
that the hub was restored to a backup older than the lease. The hub refuses it
(``lease_unknown``) but must not use up its seq: once the kiosk sees the new epoch it
re-pushes the lease (a carry with its receipt) and the ticket, and the ticket lands."""

from __future__ import annotations

import test_sync_model as model


class FirstBackup:
    """A stand-in for Hypothesis's data object: restore the oldest backup."""

    def __init__(self, backups: list) -> None:
        self.backups = backups

    def draw(self, strategy, label=None):  # noqa: ARG002 - the data object's signature
        return self.backups[0]


def test_a_lease_ticket_pushed_across_a_restore_is_not_lost(monkeypatch) -> None:
    monkeypatch.setattr(model, "event", lambda *a, **k: None)  # outside a Hypothesis run
    monkeypatch.setattr(model, "target", lambda *a, **k: None)
    m = model.SyncMachine()

    def step(rule, *args, **kwargs) -> None:
        rule(*args, **kwargs)
        m.continuous()  # the invariants after every step, as the model does

    step(m.setup, auto=False, lease=2)
    step(m.hub_crash)
    step(m.clock_jump, delta=86_400_000, who="hub")
    step(m.hub_crash)
    step(m.issue_and_press, button="next", counter="C1", kiosk="K2", service="A")
    step(m.hub_crash)
    step(m.restore_backup, FirstBackup(m.net.hub.backups))
    step(m.issue_and_press, button="next", counter="C1", kiosk="K2", service="A")
    step(m.hub_crash)
    m.teardown()  # quiescence: every acknowledged and every printed ticket is in the hub log
