"""``loket hub ...`` subcommands: serve, pair, adduser, backup, restore, lift-barrier,
export-profile, import-profile, device add, tokens, revoke.

``loket.cli`` parses the command line and dispatches here with an ``argparse.Namespace``;
each function returns the process exit code. ``ConfigError`` is left to the caller, which
prints every problem (validation happens before any port is bound).

One hub per data folder: ``serve`` takes the folder's lock before it binds its port, so a
second ``serve`` on the same folder stops with one line naming the folder and the PID that
holds it. The writing tools (``pair``, ``adduser``, ``backup``, ``lift-barrier``,
``import-profile``) open the store themselves when no hub runs, and otherwise go through the
running hub's control routes (``hub.control``), so what they write is the hub's own write and
works at once (a token paired while the hub runs authenticates on the next request).
``restore`` replaces the whole folder and refuses while a hub runs on it.
"""

from __future__ import annotations

import errno
import getpass
import json
import logging
import os
import signal
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.errors import DataFolderLocked, LoketError


class HubUnreachable(LoketError, RuntimeError):
    """A hub runs on the data folder but did not answer its control route."""


log = logging.getLogger(__name__)


def _config(args: Any) -> Any:
    """The validated profile with the command line's --host/--port/--data applied."""
    from core.config import load_hub_config, override_hub

    return override_hub(
        load_hub_config(args.config),
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        data_dir=getattr(args, "data_dir", None),
    )


def threads_for(config: Any) -> int:
    """waitress worker threads for commands (``hub.threads``). Long-polls and streams have a
    pool of their own (``hub.serving``), so these are for short requests only."""
    return int(getattr(config.hub, "threads", None) or 48)


def limit_malloc_arenas(n: int = 2) -> None:
    """Cap glibc's malloc arenas for the threads the server starts after us.

    Each waitress thread otherwise gets its own arena that keeps the freed memory of the
    request bodies it parsed: ~12 MB more RSS after 20,000 pushed events (bench footprint).
    Python allocates under the GIL, so fewer arenas cost no contention. Process-wide, so it
    belongs to ``serve`` and not to the app. No-op off glibc.
    """
    import ctypes

    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    m_arena_max = -8  # <malloc.h> M_ARENA_MAX
    mallopt(m_arena_max, n)


def serve(args: Any) -> int:
    """Run the hub in the foreground with waitress; prints the URL it listens on.

    The data folder's lock is taken (by the store, in ``create_app``) before the port is
    bound; a port in use or an address that is not this machine's is one line, exit 1.
    """
    from hub import control, create_app, serving, upstream

    config = _config(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    limit_malloc_arenas()  # before create_app starts any thread
    secret = control.new_secret()
    app = create_app(config, settings={"LOKET_CONTROL_SECRET": secret})  # locks the folder
    store = app.extensions["loket"].store
    threads = threads_for(config)
    caps = app.extensions["loket_streams"].caps
    try:
        server = serving.create_server(
            app, host=config.hub.host, port=config.hub.port, threads=threads, caps=caps
        )
    except OSError as exc:
        store.close()
        print(f"loket: {bind_problem(exc, config.hub.host, config.hub.port)}", file=sys.stderr)
        return 1
    host = config.hub.host if config.hub.host not in ("0.0.0.0", "::") else "127.0.0.1"
    url = f"http://{host}:{server.effective_port}"
    control.write_file(config.hub.data_dir, url, secret)
    gate = app.extensions["loket_streams"]

    def stop_on_term(signum: int, frame: Any) -> None:
        # systemd stops with SIGTERM: leave like Ctrl-C (close the store, drop the control
        # file). Held requests end first, so waitress's own shutdown of its threads (run()
        # does one) does not wait out every node's long-poll.
        gate.close()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop_on_term)
    pusher = upstream.start(app, config)  # [upstream]: the regional server (off by default)
    held = caps.pool_threads
    print(f"Loket hub serving on {url}/ ({threads} + {held} stream threads)", flush=True)
    from core import sdnotify

    watchdog = sdnotify.ready()  # Type=notify units: started once the port is bound
    from hub import day_close

    closer = day_close.Timer(app.extensions["loket"]).start()
    try:
        server.run()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        closer.stop()
        watchdog.stop()
        if pusher is not None:
            pusher.stop()
        control.remove_file(config.hub.data_dir)
        serving.stop(server, gate)  # joins the request threads
        store.close()
    return 0


def bind_problem(exc: OSError, host: str, port: int) -> str:
    """One line a technician can act on, for a port that cannot be bound."""
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is already in use (another hub or program listens there); "
            "stop it or choose another [hub] port"
        )
    if isinstance(exc, socket.gaierror) or exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
        return f"[hub] host {host!r} is not an address of this machine ({exc.strerror or exc})"
    if exc.errno == errno.EACCES:
        return f"port {port} needs root (ports below 1024); choose a [hub] port of 1024 or more"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def write(config: Any, local: Callable[[Any], Any], path: str, body: dict) -> Any:
    """Run a write on the data folder: ``local(store)`` when no hub holds it, else ask the
    running hub (``hub.control`` route ``path``) to do it. Returns what either gave back."""
    from hub.store import Store

    try:
        store = Store(Path(config.hub.data_dir))
    except DataFolderLocked as locked:
        return through_hub(config, path, body, locked)
    try:
        return local(store)
    finally:
        store.close()


def through_hub(config: Any, path: str, body: dict, locked: DataFolderLocked) -> dict:
    """POST ``body`` to the running hub's control route; HubUnreachable says what to do."""
    from hub import auth, control

    info = control.read_file(Path(config.hub.data_dir))
    who = f"the hub running on {locked.path} (PID {locked.pid or '?'})"
    if not info or (locked.pid and info.get("pid") != locked.pid):
        raise HubUnreachable(f"{who} has not opened its control route yet; try again shortly")
    request = urllib.request.Request(
        str(info["url"]).rstrip("/") + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", auth.CONTROL_HEADER: str(info["secret"])},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        with exc:
            try:
                answer = json.loads(exc.read())
            except ValueError:
                answer = {}
        message = answer.get("message") or exc.reason
        if exc.code in (409, 422):
            raise ValueError(message) from None
        raise HubUnreachable(f"{who} refused: {message}") from None
    except (OSError, ValueError) as exc:
        raise HubUnreachable(f"{who} did not answer at {info['url']}: {exc}") from None


def pair(args: Any) -> int:
    """Issue a device token (a node of the catalogue) or, with ``--role``, an operator token,
    and print it once (only its hash is kept)."""
    from hub.auth import issue_token
    from hub.catalogue_export import folder_catalogue

    config = _config(args)
    role = getattr(args, "role", None)

    def local(store: Any) -> dict:
        return {"token": issue_token(store, args.node_id, role, catalogue=folder_catalogue(config))}

    try:
        answer = write(config, local, "/control/pair", {"node_id": args.node_id, "role": role})
    except ValueError as exc:
        print(f"loket: {exc}", file=sys.stderr)
        return 2
    print(f"token for {args.node_id}: {answer['token']}")
    if role is None:
        print("Put it into the node's profile as [node] token; it is not shown again.")
    else:
        print(f"An operator token with role {role}; it is not shown again.")
    return 0


def adduser(args: Any) -> int:
    """Create or update an admin user; asks for the password unless --password is given."""
    from hub.auth import add_user

    password = getattr(args, "password", None)
    if not password:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat: "):
            print("passwords differ", file=sys.stderr)
            return 2
    role = getattr(args, "role", None) or "admin"
    body = {"username": args.username, "password": password, "role": role}
    try:
        write(
            _config(args),
            lambda store: add_user(store, args.username, password, role=role),
            "/control/adduser",
            body,
        )
    except ValueError as exc:
        print(f"loket: {exc}", file=sys.stderr)
        return 2
    print(f"user {args.username} saved (role {role})")
    return 0


def backup(args: Any) -> int:
    """Copy journal + documents to ``args.dest`` (through the hub while it runs)."""
    dest = os.path.abspath(args.dest)
    answer = write(
        _config(args),
        lambda store: {"dest": str(store.backup_to(dest))},
        "/control/backup",
        {"dest": dest},
    )
    print(f"backup written to {answer['dest']}")
    return 0


def lift_barrier(args: Any) -> int:
    """End the recovery barrier (a kiosk is broken for good); through the hub while it runs."""
    config = _config(args)
    by = os.environ.get("SUDO_USER") or os.environ.get("USER") or "cli"

    def local(store: Any) -> None:
        from hub.authority import Authority

        Authority(config, store).lift_barrier(by=f"cli:{by}")

    write(config, local, "/control/barrier/lift", {"by": by})
    print("recovery barrier lifted: online numbers are issued again")
    return 0


def close_day(args: Any) -> int:
    """Close a service day (default today) through the running hub: it alone writes events."""
    from hub.store import Store

    config = _config(args)
    by = os.environ.get("SUDO_USER") or os.environ.get("USER") or "cli"
    body = {"day": args.day, "by": by}
    try:
        store = Store(Path(config.hub.data_dir))
    except DataFolderLocked as locked:
        try:
            answer = through_hub(config, "/control/day/close", body, locked)
        except ValueError as exc:
            print(f"loket: {exc}", file=sys.stderr)
            return 2
    else:
        store.close()
        print("loket: no hub runs on this folder; start `loket hub serve` first", file=sys.stderr)
        return 2
    total = answer["summary"]["total"]
    print(
        f"day {answer['day']} closed: {total['issued']} tickets, {total['served']} served, "
        f"{len(answer['not_served'])} not served"
    )
    return 0


def restore(args: Any) -> int:
    """Replace the data folder by ``args.backup`` and start a new hub epoch (hub stopped).

    Nodes then re-push everything and re-pull from 0; online numbering stays closed (503
    ``recovery_barrier``) until every configured kiosk has pushed in the new epoch.
    """
    from hub.store import restore_from

    config = _config(args)
    epoch = restore_from(args.backup, config.hub.data_dir)
    print(f"restored {args.backup} into {config.hub.data_dir}; new hub epoch {epoch}")
    print("Online numbering resumes once every kiosk has re-synced (or an admin lifts it).")
    return 0


# -- pairing by code and the tokens (hub.pairing_cli) ------------------------------------------


def device(args: Any) -> int:
    """``loket hub device add ID [--minutes N]``: a one-time pairing code for node ID."""
    from hub import pairing_cli

    return pairing_cli.device_add(args, _config(args))


def tokens(args: Any) -> int:
    """``loket hub tokens``: every token with its kind, role, issue, last-seen and revocation."""
    from hub import pairing_cli

    return pairing_cli.tokens(args, _config(args))


def revoke(args: Any) -> int:
    """``loket hub revoke ID|TOKEN-PREFIX``: refused on its next request."""
    from hub import pairing_cli

    return pairing_cli.revoke(args, _config(args))


# -- the catalogue and the profile ------------------------------------------------------------


def export_profile(args: Any) -> int:
    """Write the log's catalogue as a hub profile (``--out`` or stdout).

    Reads the journal without repairing it, so it is safe beside a running hub; the
    profile's own deployment tables (``[hub]`` and any other non-catalogue table) are kept
    as they are in the file. A log without a catalogue yet exports the profile's seed.
    """
    from hub import catalogue_export

    config = _config(args)
    text, note = catalogue_export.profile_text(config)
    if note:
        print(note, file=sys.stderr)
    out = getattr(args, "out", None)
    if out is None:
        sys.stdout.write(text)
        return 0
    from core.journal import write_atomic

    write_atomic(Path(out), text.encode("utf-8"))
    print(f"profile written to {out}", file=sys.stderr)
    return 0


def import_profile(args: Any) -> int:
    """Apply the profile's catalogue to the log as events (``--dry-run``: only list them).

    While a hub serves this data folder (it holds the folder's lock) the profile goes to it
    through its control route and the hub applies it in its own process, so nodes and pages
    see the change at once; otherwise the store is opened here. A profile with problems was
    refused before (``ConfigError``), and a hub that finds any refuses it too (exit 2).
    """
    from core.catalogue import Catalogue
    from hub import catalogue_ops

    config = _config(args)
    dry_run = bool(getattr(args, "dry_run", False))
    target = dict(config.catalogue)

    def local(store: Any) -> dict:
        from hub.authority import Authority

        authority = Authority(config, store)
        changes = catalogue_ops.import_profile(
            authority, target, by=catalogue_ops.IMPORT_BY, dry_run=dry_run
        )
        return {"changes": changes}

    # To the running hub in the catalogue's own shape (``Catalogue.to_dict()``), which its
    # validator checks again as it would an admin's edit.
    body = {"catalogue": Catalogue.from_dict(target).to_dict(), "dry_run": dry_run}
    try:
        answer = write(config, local, "/control/import-profile", body)
    except ValueError as exc:
        print(f"loket: {exc}", file=sys.stderr)
        return 2
    changes = answer["changes"]
    verb = "would apply" if dry_run else "applied"
    print(f"{verb} {len(changes)} catalogue change(s)" + (":" if changes else ""))
    for change in changes:
        print(f"  {change}")
    return 0
