"""The mall of the network black box: a hub, kiosk K1 and counters C1, C2 of one service A,
each a real process (``loket hub serve``, ``loket node run --simulate``) in its own namespace
of a :class:`bench.netlab.Lab`. The kiosk's keyboard issues (``a``), the counters' presses
(``n``, ``d``); what they print and show is read from their output; ``loket node status``'s
file tells whether a node is online with an empty backlog.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.harness import child_env, loket_argv, parse_token
from bench.netlab import HUB_IP, HUB_PORT, Lab, Proc, read_json

MEMBERS = {"hub": 1, "K1": 10, "C1": 11, "C2": 12}
NODES = {"K1": "kiosk", "C1": "counter", "C2": "counter"}
COUNTERS = ("C1", "C2")
PRESS_GAP_S = 1.1  # the simulated panel ignores a button pressed again within 1 s
LABEL = re.compile(r"\[\s*(A-[0-9A-Z-]+)\s")
PRINTED = re.compile(r"\[printer\]\s+(A-[0-9A-Z-]+)\s")

HUB_PROFILE = """
[mpp]
name = "MPP Jaringan"
timezone = "Asia/Jakarta"

[hub]
host = "{host}"
port = {port}
data_dir = "{data}"
threads = 8
issue_per_min = 0

[[agencies]]
id = "dukcapil"
name = "Dukcapil"

[[services]]
id = "A"
name = "KTP"
agency = "dukcapil"

[[counters]]
id = "C1"
name = "Loket 1"
number = 1
services = ["A"]

[[counters]]
id = "C2"
name = "Loket 2"
number = 2
services = ["A"]

[[kiosks]]
id = "K1"
name = "Kiosk 1"
services = ["A"]
lease_size = 5
"""

NODE_HEAD = """
[node]
id = "{id}"
role = "{role}"
hub_url = "http://{host}:{port}"
token = "{token}"
data_dir = "{data}"
"""
KIOSK_TAIL = 'services = ["A"]\n\n[printer]\nbackend = "fake"\n'
COUNTER_TAIL = (
    'counter = "{id}"\n\n[buttons]\nbackend = "fake"\n\n'
    '[display]\nbackend = "console"\ndigits = 8\nprefixes = ["A"]\n'
)


class Mall:
    """Processes of the mall in a lab; ``start()``, ``issue()``, ``press()``, ``stop()``."""

    def __init__(self, lab: Lab, root: Path):
        self.lab = lab
        self.root = root
        self.procs: dict[str, Proc] = {}
        self.hub_data = root / "hub"
        self.hub_profile = root / "hub.toml"
        self.hub_profile.write_text(
            HUB_PROFILE.format(host=HUB_IP, port=HUB_PORT, data=self.hub_data), encoding="utf-8"
        )
        self.tokens = {n: self._pair(n) for n in NODES}

    def _pair(self, node: str) -> str:
        out = subprocess.run(
            loket_argv("hub", "pair", "--config", str(self.hub_profile), node),
            capture_output=True, text=True, timeout=60, env=child_env(), cwd=self.root,
        )  # fmt: skip
        if out.returncode != 0:
            raise RuntimeError(f"loket hub pair {node}: {out.stderr.strip()[-400:]}")
        return parse_token(out.stdout)

    def data(self, node: str) -> Path:
        return self.root / f"node-{node}"

    def start(self) -> None:
        hub = self.lab.spawn(
            "hub", loket_argv("hub", "serve", "--config", str(self.hub_profile)),
            self.root / "hub.log",
        )  # fmt: skip
        self.procs["hub"] = hub
        hub.wait_line(lambda line: "serving on http://" in line, timeout=60)
        for node, role in NODES.items():
            profile = self.root / f"{node}.toml"
            head = NODE_HEAD.format(
                id=node, role=role, host=HUB_IP, port=HUB_PORT, token=self.tokens[node],
                data=self.data(node),
            )  # fmt: skip
            tail = KIOSK_TAIL if role == "kiosk" else COUNTER_TAIL.format(id=node)
            profile.write_text(head + tail, encoding="utf-8")
            argv = loket_argv("node", "run", "--config", str(profile), "--simulate")
            self.procs[node] = self.lab.spawn(node, argv, self.root / f"{node}.log")
        self.wait_synced(timeout=60)

    # -- what the nodes say -----------------------------------------------------------------

    def status(self, node: str) -> dict[str, Any]:
        return read_json(self.data(node) / "status.json")

    def synced(self) -> bool:
        """Every node online with an empty backlog (what `loket node status` shows)."""
        for node in NODES:
            st = self.status(node)
            if st.get("online") is not True or st.get("backlog") != 0:
                return False
        return True

    def wait_synced(self, timeout: float = 30.0, poll_s: float = 0.05) -> float:
        """Seconds until :meth:`synced`; TimeoutError after ``timeout``."""
        t0 = time.monotonic()
        while not self.synced():
            if time.monotonic() - t0 > timeout:
                states = {n: self.status(n) for n in NODES}
                raise TimeoutError(f"nodes not online with an empty backlog: {states}")
            time.sleep(poll_s)
        return time.monotonic() - t0

    def hub_last_hseq(self) -> int:
        from core.journal import read_records

        last = 0
        for record in read_records(self.hub_data / "journal", "events"):
            last = record["hseq"]
        return last

    def wait_converged(self, timeout: float = 60.0) -> None:
        """Every node has pulled the hub's whole log (and the log stopped growing)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            last = self.hub_last_hseq()
            if self.synced() and all(self.status(n).get("since") == last for n in NODES):
                time.sleep(1.0)
                if self.hub_last_hseq() == last:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"no convergence: hub at {self.hub_last_hseq()}, "
                           f"nodes at {[self.status(n).get('since') for n in NODES]}")  # fmt: skip

    # -- what people do ---------------------------------------------------------------------

    def printed(self) -> list[str]:
        return [m.group(1) for _, line in self.procs["K1"].lines if (m := PRINTED.search(line))]

    def issue(self, n: int = 1, timeout: float = 20.0) -> list[str]:
        kiosk = self.procs["K1"]
        start = len(kiosk.lines)
        out = []
        for _ in range(n):
            kiosk.send("a")
            i, _, line = kiosk.wait_line(lambda x: PRINTED.search(x) is not None, start, timeout)
            out.append(PRINTED.search(line).group(1))
            start = i + 1
        return out

    def shown(self, counter: str) -> str | None:
        """The label the counter's LED shows now (None: idle)."""
        for _, line in reversed(self.procs[counter].lines):
            if line.startswith(f"{counter} ["):
                m = LABEL.search(line)
                return m.group(1) if m else None
        return None

    def press(self, counter: str, key: str, timeout: float = 20.0) -> tuple[float, str | None]:
        """Press and wait for the LED to change; (seconds until it did, label shown).
        A press that changes nothing (NEXT on an empty queue) answers after ``timeout``
        with the unchanged label: pass a short one when that may happen."""
        proc = self.procs[counter]
        before, start = self.shown(counter), len(proc.lines)
        time.sleep(PRESS_GAP_S)
        sent = proc.send(key)
        try:
            _, t, line = proc.wait_line(
                lambda x: x.startswith(f"{counter} [") and _label(x) != before, start, timeout
            )
        except TimeoutError:
            return timeout, before
        return t - sent, _label(line)

    def stop(self) -> None:
        for node in NODES:
            if node in self.procs:
                self.procs[node].stop(quit_keys="q")
        if "hub" in self.procs:
            self.procs["hub"].stop()


def _label(line: str) -> str | None:
    m = LABEL.search(line)
    return m.group(1) if m else None
