"""Hub and node TOML profiles for a benchmark run (keys per docs/contracts.md core.config)."""

from __future__ import annotations

from pathlib import Path

N_COUNTERS = 8  # one counter per concurrent call-next client


def counter_ids(n: int = N_COUNTERS) -> list[str]:
    return [f"C{i:02d}" for i in range(1, n + 1)]


def hub_profile(data_dir: Path, port: int, threads: int = 48) -> str:
    """A small MPP: two agencies, services A and B, eight counters, two kiosks, one display.

    threads = 48 is the shipped default (firmware_config/hub/demo-belitung.toml).
    """
    lines = [
        "[mpp]",
        'name = "MPP Bench"',
        'timezone = "Asia/Jakarta"',
        "",
        "[hub]",
        'host = "127.0.0.1"',
        f"port = {port}",
        f'data_dir = "{data_dir}"',
        # Long-polls and SSE streams each hold a waitress thread (docs/hardware.md).
        f"threads = {threads}",
        f'secret_key_file = "{data_dir / "secret_key"}"',
        # Throughput runs issue thousands of tickets a minute from one kiosk token: the
        # per-kiosk issue limit (30 a minute by default) would measure the limiter instead.
        "issue_per_min = 0",
        "",
        "[[agencies]]",
        'id = "dukcapil"',
        'name = "Dukcapil"',
        "",
        "[[agencies]]",
        'id = "samsat"',
        'name = "Samsat"',
        "",
    ]
    for sid, agency, name in (("A", "dukcapil", "KTP-el"), ("B", "samsat", "Pajak Kendaraan")):
        lines += [
            "[[services]]",
            f'id = "{sid}"',
            f'prefix = "{sid}"',
            f'name = "{name}"',
            f'agency = "{agency}"',
            # No quota: throughput runs issue thousands of tickets in one day.
            "avg_service_min = 10.0",
            "",
        ]
    for i, cid in enumerate(counter_ids(), start=1):
        lines += [
            "[[counters]]",
            f'id = "{cid}"',
            f'name = "Loket {i}"',
            f"number = {i}",
            'services = ["A", "B"]',
            "",
        ]
    for kid in ("K1", "K2"):
        lines += [
            "[[kiosks]]",
            f'id = "{kid}"',
            f'name = "Kiosk {kid}"',
            'services = ["A", "B"]',
            "lease_size = 10",
            "",
        ]
    # A hall display node: the long-poll subscriber and the catch-up node pair as it.
    lines += ["[[displays]]", 'id = "D1"', 'name = "Hall board"', ""]
    return "\n".join(lines)


def node_profile(
    node_id: str, role: str, hub_url: str, token: str, data_dir: Path, *, counter: str = "C01"
) -> str:
    """A counter or kiosk node on fake hardware (no devices on the bench machine)."""
    lines = [
        "[node]",
        f'id = "{node_id}"',
        f'role = "{role}"',
        f'hub_url = "{hub_url}"',
        f'token = "{token}"',
        f'data_dir = "{data_dir}"',
    ]
    if role == "counter":
        lines.append(f'counter = "{counter}"')
    if role == "kiosk":
        lines.append('services = ["A", "B"]')
    lines += [
        "",
        "[buttons]",
        'backend = "fake"',
        "",
        "[display]",
        'backend = "fake"',
        "",
        "[printer]",
        'backend = "fake"',
        "",
        "[sound]",
        'backend = "fake"',
        "",
        "[screen]",
        'backend = "fake"',
        "",
    ]
    return "\n".join(lines)
