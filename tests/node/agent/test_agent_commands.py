"""`loket node run --simulate` end to end (no hub reachable), and the threaded node."""

from __future__ import annotations

import io
import sys
import threading
from types import SimpleNamespace

from node import commands
from node.transport import HttpTransport, HubUnreachable

KIOSK_TOML = """
[node]
id = "K1"
role = "kiosk"
hub_url = "http://127.0.0.1:9"
token = "not-paired"
data_dir = "{data_dir}"
services = ["A", "B"]

[printer]
backend = "fake"
"""


def test_run_simulate_prints_offline_prefix_tickets_from_the_keyboard(
    tmp_path, monkeypatch, capsys
):
    profile = tmp_path / "kiosk.toml"
    profile.write_text(KIOSK_TOML.format(data_dir=tmp_path / "k1"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.StringIO("a\nb\nq\n"))
    code = commands.run(SimpleNamespace(config=str(profile), simulate=True))
    out = capsys.readouterr().out
    assert code == 0
    # No hub and no lease yet: prefix numbers, marked offline, logged before printing.
    assert "[printer] A-K1-1 A (OFFLINE)" in out
    assert "[printer] B-K1-1 B (OFFLINE)" in out
    status = io.StringIO()
    commands.status(SimpleNamespace(data_dir=str(tmp_path / "k1")), out=status)
    assert "NO (working offline)" in status.getvalue()


def test_keyboard_maps_counter_keys_to_button_events(hub, make_node):
    from node.hardware.buttons import FakeButtonPanel

    c2 = make_node("C2", "counter")
    got = []
    panel = FakeButtonPanel(on_event=lambda name, kind: got.append((name, kind)))
    commands._keyboard_loop(c2, "counter", io.StringIO("n\nD\nq\nn\n"), io.StringIO(), panel)
    assert got == [("next", "press"), ("done", "hold")]  # nothing after q
    panel.close()


def test_threaded_node_issues_and_pushes(hub, make_node):
    kiosk = make_node("K1", "kiosk")
    kiosk.ctx.sync.wait = 0  # no long-poll against the test client
    kiosk.start()
    done = threading.Event()
    printer = kiosk.ctx.devices.printer
    real = printer.print_ticket

    def print_ticket(ticket):
        real(ticket)
        done.set()

    printer.print_ticket = print_ticket
    kiosk.press("a")
    assert done.wait(30), "the worker thread printed the ticket"
    kiosk.stop()
    # The first number depends on whether the worker topped up its standby lease (which
    # takes numbers from the same allocator) before the press: compare with the hub instead.
    [printed] = [t.label for t in printer.tickets]
    [online] = [e for e in hub.events("ticket.issued") if e["body"]["mode"] == "online"]
    assert printed == online["body"]["label"]
    assert printed.startswith("A-")


def test_http_transport_against_a_real_socket():
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            body = json.loads(self.rfile.read(length))
            status = 200 if body.get("ok") else 409
            answer = {"auth": self.headers.get("Authorization"), "echo": body}
            if status == 409:
                answer = {"error": "no_current_ticket", "message": "nothing called"}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        t = HttpTransport(f"http://127.0.0.1:{server.server_port}", "tok", timeout=5)
        assert t.request("POST", "/x", json={"ok": True}) == (
            200,
            {"auth": "Bearer tok", "echo": {"ok": True}},
        )
        status, body = t.request("POST", "/x", json={"ok": False})
        assert (status, body["error"]) == (409, "no_current_ticket")
    finally:
        server.shutdown()
        server.server_close()
    try:
        HttpTransport(f"http://127.0.0.1:{server.server_port}", None).request("GET", "/")
    except HubUnreachable as err:
        assert isinstance(err, OSError)
    else:
        raise AssertionError("a closed port must raise HubUnreachable")


def test_importing_the_agent_loads_no_hardware_library_and_no_hub(python, subprocess_env):
    import subprocess

    code = (
        "import sys, node.app, node.commands, node.roles.kiosk, node.roles.counter, "
        "node.roles.display\n"
        "bad = [m for m in ('gpiozero', 'escpos', 'pygame', 'luma', 'serial', 'flask', 'hub')"
        " if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [python, "-c", code], env=subprocess_env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""
