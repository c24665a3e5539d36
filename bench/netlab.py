"""A mall on a real (virtual) network: hub, kiosk and counters as processes in their own
network namespaces, joined by veth pairs to a bridge, with links cut, made lossy or slow.

Used by ``tests/e2e/test_netns.py`` (the invariants) and ``bench/reconnect.py`` (the figures).
Needs root, ``ip`` (iproute2) and ``iptables``; :func:`unavailable` says why not otherwise.
Delay (:meth:`Lab.delay`) is ``tc netem`` where the kernel has it (:meth:`Lab.has_netem`),
else a userspace relay (``bench.slowlink``) in the hub's namespace that the member's traffic
to the hub is sent through by an iptables ``nat OUTPUT`` DNAT rule in the member's namespace.

Layout: namespace ``<tag>-sw`` holds bridge ``br0``; every member ``<tag>-<name>`` has ``eth0``
(10.77.0.x/24), its peer ``v-<name>`` in the switch namespace. Interface names only need to be
unique inside a namespace, so labs never collide; ``<tag>`` is ``tb-<pid>`` (names ``tb-*``),
and namespaces of a process that no longer runs are removed by the next lab.

A cut is what a pulled cable does: packets in both directions vanish, nobody gets a reset.
It is made with iptables ``INPUT`` drops on both ends (``OUTPUT`` drops would fail the
sender's ``send()`` at once, which no cable does). ``half_open`` drops only what reaches the
member: its requests still reach the hub (which acts and answers), the answers never arrive.

The relay listens on the hub's address, so the drops above still apply to the relayed
link (they match addresses, not ports); it reaches the hub from ``RELAY_IP`` (on the hub's
loopback), so the hub does not take relayed requests for its own machine's. Only
connections opened after :meth:`Lab.delay` go through it (conntrack keeps an open one on
its path); :meth:`Lab.heal` stops it, which ends the connections it carries.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

SUBNET = "10.77.0"
HUB_IP = f"{SUBNET}.1"
HUB_PORT = 8080
RELAY_IP = f"{SUBNET}.254"  # the delay relay's side towards the hub (never a member's)
MAX_MEMBERS = 8  # bounded: one lab is a hub and a handful of nodes
REPO = Path(__file__).resolve().parent.parent


def unavailable() -> str | None:
    """Why this machine cannot run a lab, or None."""
    if os.geteuid() != 0:
        return "needs root (ip netns, iptables)"
    for tool in ("ip", "iptables"):
        if shutil.which(tool) is None:
            return f"needs {tool!r} on PATH (apt-get install iproute2 iptables)"
    probe = f"tb-{os.getpid()}-probe"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"cannot create a network namespace: {made.stderr.strip()}"
    try:
        ipt = subprocess.run(
            ["ip", "netns", "exec", probe, "iptables", "-S"], capture_output=True, text=True
        )
        if ipt.returncode != 0:
            return f"iptables does not work in a namespace: {ipt.stderr.strip()}"
    finally:
        subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(list(argv), capture_output=True, text=True, timeout=30)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr.strip()}")
    return done


def remove_stale() -> None:
    """Delete ``tb-<pid>-*`` namespaces whose process is gone (a run killed before cleanup)."""
    listed = sh("ip", "netns", "list", check=False).stdout.split("\n")
    for line in listed:
        name = line.split(" ")[0]
        parts = name.split("-")
        if len(parts) < 3 or parts[0] != "tb" or not parts[1].isdigit():
            continue
        pid = int(parts[1])
        if pid != os.getpid() and not Path(f"/proc/{pid}").exists():
            _delete_ns(name)


def _delete_ns(name: str) -> None:
    for pid in sh("ip", "netns", "pids", name, check=False).stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)  # only a dead run's own children live here
        except (ProcessLookupError, ValueError):
            pass
    sh("ip", "netns", "del", name, check=False)


class DelayUnavailable(RuntimeError):
    """Neither tc netem nor the relay can delay a link here (the reason is the message)."""


class Lab:
    """Namespaces and links; ``with Lab({"hub": 1, "C1": 11}) as lab: lab.cut("C1")``."""

    def __init__(self, members: dict[str, int]):
        if len(members) > MAX_MEMBERS:
            raise ValueError(f"at most {MAX_MEMBERS} members")
        self.tag = f"tb-{os.getpid()}"
        self.members = dict(members)
        self.made: list[str] = []
        self.undo: list[list[str]] = []  # commands that take the faults away, in order made
        self.relays: dict[str, Proc] = {}  # member -> its delay relay while delayed
        self.redirects: list[list[str]] = []  # commands that remove the DNAT to a relay
        self.relayed: dict[str, int] = {}  # member -> connections its relays carried, in all

    def ns(self, name: str) -> str:
        return f"{self.tag}-{name.lower()}"

    def ip(self, name: str) -> str:
        return f"{SUBNET}.{self.members[name]}"

    def __enter__(self) -> Lab:
        remove_stale()
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _build(self) -> None:
        sw = self.ns("sw")
        self._add_ns(sw)
        sh("ip", "-n", sw, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", sw, "link", "set", "br0", "up")
        for name in self.members:
            ns, port = self.ns(name), f"v-{name.lower()}"
            self._add_ns(ns)
            sh("ip", "-n", sw, "link", "add", port, "type", "veth", "peer", "name", "eth0",
               "netns", ns)  # fmt: skip
            sh("ip", "-n", sw, "link", "set", port, "master", "br0", "up")
            sh("ip", "-n", ns, "addr", "add", f"{self.ip(name)}/24", "dev", "eth0")
            sh("ip", "-n", ns, "link", "set", "eth0", "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")

    def _add_ns(self, ns: str) -> None:
        sh("ip", "netns", "add", ns)
        self.made.append(ns)

    def close(self) -> None:
        for name in list(self.relays):
            self._stop_relay(name)
        for ns in reversed(self.made):
            _delete_ns(ns)
        self.made.clear()

    # -- faults ------------------------------------------------------------------------------

    def _rule(self, ns: str, rule: list[str], table: str = "filter", chain: str = "INPUT"):
        ipt = ["ip", "netns", "exec", ns, "iptables", "-t", table]
        sh(*ipt, "-I", chain, *rule)
        self.undo.append([*ipt, "-D", chain, *rule])

    def cut(self, name: str) -> None:
        """Both directions between ``name`` and the hub vanish (no reset)."""
        self._rule(self.ns(name), ["-s", HUB_IP, "-j", "DROP"])
        self._rule(self.ns("hub"), ["-s", self.ip(name), "-j", "DROP"])

    def half_open(self, name: str) -> None:
        """What the hub sends to ``name`` vanishes; what ``name`` sends still arrives."""
        self._rule(self.ns(name), ["-s", HUB_IP, "-j", "DROP"])

    def lossy(self, name: str, loss: float) -> None:
        """Each packet between ``name`` and the hub is dropped with probability ``loss``."""
        rand = ["-m", "statistic", "--mode", "random", "--probability", f"{loss:.3f}"]
        self._rule(self.ns(name), ["-s", HUB_IP, *rand, "-j", "DROP"])
        self._rule(self.ns("hub"), ["-s", self.ip(name), *rand, "-j", "DROP"])

    def has_netem(self) -> bool:
        ns = self.ns("sw")
        probe = sh("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", "br0", "root",
                   "netem", "delay", "1ms", check=False)  # fmt: skip
        if probe.returncode == 0:
            sh("ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", "br0", "root")
        return probe.returncode == 0

    def delay(self, name: str, ms: int, log: Path | None = None) -> str:
        """``ms`` of delay each way between ``name`` and the hub, until :meth:`heal`; how it
        is made: ``"netem"`` or ``"relay"`` (``log``: the relay's output). Raises
        :class:`DelayUnavailable` with the reason when neither works: never does nothing."""
        if self.has_netem():
            for ns, dev in ((self.ns("sw"), f"v-{name.lower()}"), (self.ns(name), "eth0")):
                tc = ["ip", "netns", "exec", ns, "tc", "qdisc"]
                sh(*tc, "add", "dev", dev, "root", "netem", "delay", f"{ms}ms")
                self.undo.append([*tc, "del", "dev", dev, "root"])
            return "netem"
        if name in self.relays:
            raise ValueError(f"{name} is delayed already; heal() first")
        port = self._start_relay(name, ms, log)
        try:
            to_hub = ["-p", "tcp", "-d", HUB_IP, "--dport", str(HUB_PORT)]
            rule = [*to_hub, "-j", "DNAT", "--to-destination", f"{HUB_IP}:{port}"]
            self._rule(self.ns(name), rule, table="nat", chain="OUTPUT")
            self.redirects.append(self.undo.pop())  # undone after the relay stopped: heal()
        except RuntimeError as err:
            self._stop_relay(name)
            raise DelayUnavailable(
                f"no tc netem, and no iptables nat for the relay: {err}"
            ) from err
        return "relay"

    def _start_relay(self, name: str, ms: int, log: Path | None) -> int:
        from bench.slowlink import LISTENING

        hub = self.ns("hub")
        if RELAY_IP not in sh("ip", "-n", hub, "addr", "show", "dev", "lo").stdout:
            sh("ip", "-n", hub, "addr", "add", f"{RELAY_IP}/32", "dev", "lo")
        ends = ["--listen", f"{HUB_IP}:0", "--to", f"{HUB_IP}:{HUB_PORT}", "--source", RELAY_IP]
        argv = [sys.executable, "-m", "bench.slowlink", *ends, "--delay-ms", str(ms)]
        relay = self.relays[name] = self.spawn("hub", argv, log)
        try:
            _, _, line = relay.wait_line(lambda x: x.startswith(LISTENING), timeout=20)
        except TimeoutError as err:
            self._stop_relay(name)
            raise DelayUnavailable(
                f"no tc netem, and the delay relay did not start: {err}"
            ) from err
        return int(line.split()[3].rpartition(":")[2])

    def _stop_relay(self, name: str) -> None:
        from bench.slowlink import CONNECTION

        relay = self.relays.pop(name)
        relay.stop()
        carried = sum(1 for _, line in relay.lines if line.startswith(CONNECTION))
        self.relayed[name] = self.relayed.get(name, 0) + carried

    def heal(self) -> None:
        """Undo every fault: the network is whole again.

        Drops go first, then the relays stop, then the DNAT to them: the ends of the
        connections a relay carried (its FIN) must travel the redirected path back to the
        member (measured: once the rule was gone, they were lost and the member's request
        waited for its timeout)."""
        for argv in reversed(self.undo):
            sh(*argv, check=False)
        self.undo.clear()
        for name in list(self.relays):
            self._stop_relay(name)
        for argv in reversed(self.redirects):
            sh(*argv, check=False)
        self.redirects.clear()

    # -- processes -----------------------------------------------------------------------------

    def spawn(self, name: str, argv: list[str], log: Path | None) -> Proc:
        return Proc(["ip", "netns", "exec", self.ns(name), *argv], log)


class Proc:
    """A child process whose output lines are kept (and copied to ``log``), with stdin."""

    def __init__(self, argv: list[str], log: Path | None):
        from bench.harness import child_env

        env = child_env()
        self.lines: list[tuple[float, str]] = []
        self._cond = threading.Condition()
        self._log: IO[str] | None = None
        if log is not None:
            self._log = open(log, "w", encoding="utf-8")  # noqa: SIM115 - closed in stop
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=REPO,
        )
        self._pump = threading.Thread(target=self._read, daemon=True)
        self._pump.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if self._log is not None:
                self._log.write(line)
            with self._cond:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self._cond.notify_all()

    def wait_line(self, match: Callable[[str], bool], after: int = 0, timeout: float = 30.0):
        """The first output line from index ``after`` on that ``match``es: (index, t, line)."""
        end = time.monotonic() + timeout
        with self._cond:
            while True:
                for i in range(after, len(self.lines)):
                    if match(self.lines[i][1]):
                        return i, *self.lines[i]
                after = len(self.lines)
                left = end - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    tail = "\n".join(x for _, x in self.lines[-20:])
                    raise TimeoutError(f"no matching line from {self.proc.args!r}:\n{tail}")
                self._cond.wait(min(left, 0.5))

    def send(self, keys: str) -> float:
        assert self.proc.stdin is not None
        self.proc.stdin.write(keys + "\n")
        self.proc.stdin.flush()
        return time.monotonic()

    def stop(self, quit_keys: str | None = None, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            try:
                if quit_keys is not None:
                    self.send(quit_keys)
                    self.proc.wait(timeout)
                else:
                    self.proc.send_signal(signal.SIGTERM)
                    self.proc.wait(timeout)
            except (subprocess.TimeoutExpired, BrokenPipeError, OSError):
                self.proc.kill()
                self.proc.wait(timeout)
        self._pump.join(timeout)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        if self._log is not None:
            self._log.close()
        return self.proc.returncode


def read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
