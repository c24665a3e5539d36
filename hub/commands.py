"""``loket hub ...`` subcommands: serve, pair, adduser, backup, restore, export-profile,
import-profile.

``loket.cli`` parses the command line and dispatches here with an ``argparse.Namespace``;
each function returns the process exit code. ``ConfigError`` is left to the caller, which
prints every problem (validation happens before any port is bound).
"""

from __future__ import annotations

import getpass
import logging
import sys
from pathlib import Path
from typing import Any

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
    """waitress worker threads: ``hub.threads`` if set, else one per long-poll/stream + headroom.

    Every node holds one thread in its changes long-poll, every hall board one in its stream
    (notes/hardware.md "Web push"); pushes and commands need a few more.
    """
    configured = getattr(config.hub, "threads", None)
    if configured:
        return int(configured)
    nodes = len(getattr(config, "kiosks", ())) + len(getattr(config, "counters", ()))
    return nodes + 8 + 8  # + hall boards/browsers + short requests


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
    """Run the hub in the foreground with waitress; prints the URL it listens on."""
    import waitress

    from hub import create_app

    config = _config(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    limit_malloc_arenas()  # before create_app starts any thread
    app = create_app(config)
    threads = threads_for(config)
    server = waitress.create_server(
        app,
        host=config.hub.host,
        port=config.hub.port,
        threads=threads,
        # streams and long-polls count as connections too
        connection_limit=max(100, threads * 4),
        ident="loket-hub",
    )
    host = config.hub.host if config.hub.host not in ("0.0.0.0", "::") else "127.0.0.1"
    print(
        f"Loket hub serving on http://{host}:{server.effective_port}/ ({threads} threads)",
        flush=True,
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        app.extensions["loket"].store.close()
    return 0


def _store(config: Any):
    from hub.store import Store

    return Store(Path(config.hub.data_dir))


def pair(args: Any) -> int:
    """Issue a bearer token for a node and print it once (only its hash is kept)."""
    from hub.auth import pair_node

    store = _store(_config(args))
    try:
        token = pair_node(store, args.node_id)
    finally:
        store.close()
    print(f"token for {args.node_id}: {token}")
    print("Put it into the node's profile as [node] token; it is not shown again.")
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
    store = _store(_config(args))
    try:
        add_user(store, args.username, password, role=getattr(args, "role", None) or "admin")
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        store.close()
    print(f"user {args.username} saved")
    return 0


def backup(args: Any) -> int:
    """Copy journal + documents to ``args.dest`` (run it while the hub is stopped)."""
    store = _store(_config(args))
    try:
        dest = store.backup_to(args.dest)
    finally:
        store.close()
    print(f"backup written to {dest}")
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

    Refuses while a hub serves this data folder: two writers would corrupt the journal.
    With the hub running, make the change in the admin (or ``POST /api/v1/catalogue``).
    """
    from core.clock import SystemClock
    from hub import catalogue_ops
    from hub.authority import Authority

    config = _config(args)
    running = _running_hub(config)
    if running:
        print(
            f"loket: a hub is running on this data folder ({running}); stop it first "
            "(systemctl stop loket-hub), or change the catalogue in the admin",
            file=sys.stderr,
        )
        return 1
    store = _store(config)
    try:
        authority = Authority(config, store, SystemClock())
        dry_run = bool(getattr(args, "dry_run", False))
        changes = catalogue_ops.import_profile(
            authority, dict(config.catalogue), by="import-profile", dry_run=dry_run
        )
    finally:
        store.close()
    verb = "would apply" if dry_run else "applied"
    print(f"{verb} {len(changes)} catalogue change(s)" + (":" if changes else ""))
    for change in changes:
        print(f"  {change}")
    return 0


def _running_hub(config: Any) -> str | None:
    """The URL of a hub answering with this data folder's epoch, or None.

    Until the hub holds a lock on its data folder, asking it is how we know; a hub of
    another folder on the same port does not count.
    """
    import json
    import urllib.error
    import urllib.request

    from hub.store import read_epoch

    epoch = read_epoch(config.hub.data_dir)
    if epoch is None:
        return None
    host = config.hub.host if config.hub.host not in ("0.0.0.0", "::") else "127.0.0.1"
    url = f"http://{host}:{config.hub.port}"
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=1.0) as answer:
            body = json.loads(answer.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return url if isinstance(body, dict) and body.get("hub_epoch") == epoch else None
