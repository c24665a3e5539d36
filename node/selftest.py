"""``loket selftest``: walk a technician through a node's hardware, then print one table.

Which checks run follows the profile: a counter's display and buttons, a kiosk's printer, a
hall display's speaker and screen, and for every node the hub (reachable, token accepted),
the clock offset and free disk. Interactive, it asks the technician to press each button
and to confirm what they saw or heard; ``--non-interactive`` only trusts what the machine
can tell (and, with a gpiozero MockFactory, drives the pins itself: that is how CI runs
it). The node agent must be stopped first: both want the same pins and SPI device.

Exit 0 when every row passed (SKIP rows do not fail it), 1 otherwise.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from node.roles.base import config_value
from node.selftest_checks import (
    FAIL,
    PASS,
    Ask,
    Check,
    Seams,
    browser_display,
    check_buttons,
    check_disk,
    check_display,
    check_hub,
)
from node.selftest_media import check_board, check_printer, check_screen, check_sound

DEFAULT_PROFILE = "/etc/loket/node.toml"  # where `setup.sh --pi` installs it

Step = Callable[[Any, Seams, Ask], list[Check]]


def steps_for(config: Any) -> list[tuple[str, Step]]:
    """The checks this profile calls for, in the order a technician walks them."""
    steps: list[tuple[str, Step]] = []
    if getattr(config, "display", None) is not None:
        steps.append(("display", check_display))
    if getattr(config, "buttons", None) is not None:
        steps.append(("buttons", check_buttons))
    if getattr(config, "printer", None) is not None:
        steps.append(("printer", check_printer))
    if getattr(config, "sound", None) is not None:
        steps.append(("speaker", check_sound))
    if browser_display(config):
        steps.append(("board", check_board))
    elif getattr(config, "screen", None) is not None:
        steps.append(("screen", check_screen))
    steps += [("hub", check_hub), ("disk", check_disk)]
    return steps


def run_checks(config: Any, seams: Seams | None = None, ask: Ask | None = None) -> list[Check]:
    seams = seams or Seams()
    ask = ask or Ask(interactive=False)
    rows: list[Check] = []
    for name, step in steps_for(config):
        try:
            rows += step(config, seams, ask)
        except Exception as exc:  # noqa: BLE001 - a check that crashes is a failed check
            rows.append(Check(name, FAIL, f"the check itself failed: {exc!r}"))
    return rows


def table(rows: Sequence[Check]) -> str:
    """The summary: CHECK, RESULT, DETAIL columns, then one verdict line."""
    head = ("CHECK", "RESULT", "DETAIL")
    width = [max(len(head[0]), *(len(r.name) for r in rows)), len(head[1])]
    width[1] = max(width[1], *(len(r.result) for r in rows))
    lines = [f"{head[0]:<{width[0]}}  {head[1]:<{width[1]}}  {head[2]}"]
    lines.append(f"{'-' * width[0]}  {'-' * width[1]}  {'-' * 6}")
    # A driver's message may span lines (pyserial's does): one row stays one line.
    lines += [
        f"{r.name:<{width[0]}}  {r.result:<{width[1]}}  {' '.join(r.detail.split())}" for r in rows
    ]
    failed = [r.name for r in rows if r.result == FAIL]
    passed = sum(r.result == PASS for r in rows)
    if failed:
        lines.append(f"FAILED: {len(failed)} of {len(rows)} checks ({', '.join(failed)})")
    else:
        lines.append(f"OK: {passed} checks passed, {len(rows) - passed} skipped")
    return "\n".join(lines) + "\n"


def run(args: Any, out: TextIO | None = None, seams: Seams | None = None) -> int:
    """``loket selftest``: ``args.config`` (the node profile), ``args.non_interactive``."""
    from core.config import load_node_config

    out = out or sys.stdout
    config = load_node_config(args.config)
    interactive = not getattr(args, "non_interactive", False)

    def say(text: str) -> None:
        out.write(text + "\n")
        out.flush()

    ask = Ask(interactive=interactive, say=say)
    node_id = config_value(config, "node", "id")
    role = config_value(config, "node", "role")
    say(f"selftest of {role} {node_id} ({args.config})")
    rows = run_checks(config, seams, ask)
    out.write(table(rows))
    out.flush()
    return 1 if any(r.result == FAIL for r in rows) else 0
